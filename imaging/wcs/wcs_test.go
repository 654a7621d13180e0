package wcs

import (
	"errors"
	"math"
	"strings"
	"testing"

	"cartago/imaging/fits"
)

// astropyCase is one header with astropy's results (astropy_cases_test.go,
// written by scripts/wcs_expect.py).
type astropyCase struct {
	name   string
	cards  []string
	frame  Frame
	proj   string
	points []astropyPoint
}

// astropyPoint is a 0-based pixel (x, y) and its sky position (lon, lat).
type astropyPoint [4]float64

// parseCards builds a header from 80-column cards.
func parseCards(tb testing.TB, cards []string) *fits.Header {
	tb.Helper()
	var b strings.Builder
	for _, c := range append(cards, "END") {
		b.WriteString(c + strings.Repeat(" ", fits.CardLen-len(c)))
	}
	for b.Len()%fits.BlockLen != 0 {
		b.WriteByte(' ')
	}
	h, _, err := fits.ParseHeader([]byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// Tolerances: 1e-9 degrees on the sky (4 µas), 1e-7 pixels.
const skyTol, pixTol = 1e-9, 1e-7

func TestAstropyCases(t *testing.T) {
	for _, tc := range astropyCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := FromHeader(parseCards(t, tc.cards))
			if err != nil {
				t.Fatal(err)
			}
			if c.Frame != tc.frame || c.Projection != tc.proj {
				t.Errorf("frame %v projection %s, want %v %s", c.Frame, c.Projection, tc.frame, tc.proj)
			}
			for _, p := range tc.points {
				checkPixelToWorld(t, c, p)
				checkWorldToPixel(t, c, p)
			}
		})
	}
}

func checkPixelToWorld(t *testing.T, c *Celestial, p astropyPoint) {
	t.Helper()
	if math.IsNaN(p[0]) {
		return // a sky point astropy cannot project; checked the other way
	}
	lon, lat, ok := c.PixelToWorld(p[0], p[1])
	if math.IsNaN(p[2]) {
		if ok {
			t.Errorf("pixel (%g, %g) → (%g, %g), astropy finds it outside the projection", p[0], p[1], lon, lat)
		}
		return
	}
	if !ok || lonDiff(lon, p[2]) > skyTol || math.Abs(lat-p[3]) > skyTol {
		t.Errorf("pixel (%g, %g) → (%.12g, %.12g) ok=%v, astropy (%.12g, %.12g)", p[0], p[1], lon, lat, ok, p[2], p[3])
	}
}

func checkWorldToPixel(t *testing.T, c *Celestial, p astropyPoint) {
	t.Helper()
	if math.IsNaN(p[2]) {
		return
	}
	x, y, ok := c.WorldToPixel(p[2], p[3])
	if math.IsNaN(p[0]) {
		if ok {
			t.Errorf("sky (%g, %g) → (%g, %g), astropy finds it outside the projection", p[2], p[3], x, y)
		}
		return
	}
	if !ok || math.Abs(x-p[0]) > pixTol || math.Abs(y-p[1]) > pixTol {
		t.Errorf("sky (%.12g, %.12g) → (%.10g, %.10g) ok=%v, astropy (%.10g, %.10g)", p[2], p[3], x, y, ok, p[0], p[1])
	}
}

// lonDiff is the angular difference of two longitudes in degrees.
func lonDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 360)
	return math.Min(d, 360-d)
}

func TestFromHeaderErrors(t *testing.T) {
	base := []string{"NAXIS   = 2", "CTYPE1  = 'RA---TAN'", "CTYPE2  = 'DEC--TAN'", "CDELT1  = -1.0", "CDELT2  = 1.0"}
	cases := []struct {
		name  string
		cards []string
		want  error
	}{
		{"no WCS", []string{"NAXIS   = 2"}, ErrNoCelestial},
		{"linear axes", []string{"NAXIS   = 2", "CTYPE1  = 'X'", "CTYPE2  = 'Y'"}, ErrNoCelestial},
		{"RA without DEC", []string{"NAXIS   = 2", "CTYPE1  = 'RA---TAN'", "CTYPE2  = 'FREQ'"}, ErrNoCelestial},
		{"projection mismatch", []string{"NAXIS   = 2", "CTYPE1  = 'RA---TAN'", "CTYPE2  = 'DEC--SIN'"}, ErrInvalid},
		{"unknown projection", []string{"NAXIS   = 2", "CTYPE1  = 'RA---XYZ'", "CTYPE2  = 'DEC--XYZ'"}, ErrUnsupported},
		{"singular", append(base, "CDELT1  = 0.0"), nil},
		{"bad unit", append(base, "CUNIT1  = 'Hz'"), ErrUnsupported},
		{"bad frame", append(base, "RADESYS = 'XYZ'"), ErrUnsupported},
		{"NCP on equator", []string{"NAXIS   = 2", "CTYPE1  = 'RA---NCP'", "CTYPE2  = 'DEC--NCP'"}, ErrInvalid},
		// The LATPOLE case astropy refuses ("No valid solution for latp").
		{"no pole", []string{"NAXIS   = 2", "CTYPE1  = 'RA---CAR'", "CTYPE2  = 'DEC--CAR'",
			"CRVAL2  = 30.0", "LONPOLE = 180.0"}, ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromHeader(parseCards(t, tc.cards))
			want := tc.want
			if want == nil {
				want = ErrInvalid // the first CDELT1 wins, so "singular" must come first
			}
			if tc.name == "singular" {
				_, err = FromHeader(parseCards(t, append([]string{"CDELT1  = 0.0"}, base...)))
			}
			if !errors.Is(err, want) {
				t.Errorf("err = %v, want %v", err, want)
			}
		})
	}
}

func TestFrameString(t *testing.T) {
	for f, want := range map[Frame]string{
		{System: FK5, Equinox: 2000}: "FK5 J2000", {System: FK4, Equinox: 1950}: "FK4 B1950",
		{System: ICRS}: "ICRS", {System: Galactic}: "GALACTIC", {}: "unknown",
	} {
		if got := f.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", f, got, want)
		}
	}
}

// TestRoundTrip checks WorldToPixel inverts PixelToWorld over a grid
// wider than the images, wherever the sky point is inside the projection.
func TestRoundTrip(t *testing.T) {
	for _, tc := range astropyCases {
		c, err := FromHeader(parseCards(t, tc.cards))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		n := 0
		for x := -50.0; x <= 150; x += 7.3 {
			for y := -40.0; y <= 120; y += 6.1 {
				lon, lat, ok := c.PixelToWorld(x, y)
				if !ok {
					continue
				}
				n++
				px, py, ok := c.WorldToPixel(lon, lat)
				if ok && (math.Abs(px-x) > 1e-6 || math.Abs(py-y) > 1e-6) {
					// All-sky projections wrap: pixels 360° apart in φ
					// are one sky point, and WorldToPixel gives |φ| ≤ 180.
					l2, b2, _ := c.PixelToWorld(px, py)
					ok = lonDiff(l2, lon) < skyTol && math.Abs(b2-lat) < skyTol && (c.Projection == "CAR" || c.Projection == "AIT")
					px, py = x, y
				}
				if !ok || math.Abs(px-x) > 1e-6 || math.Abs(py-y) > 1e-6 {
					t.Errorf("%s: (%g, %g) → (%g, %g) → (%g, %g) ok=%v", tc.name, x, y, lon, lat, px, py, ok)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no pixel of the grid is on the sky", tc.name)
		}
	}
}
