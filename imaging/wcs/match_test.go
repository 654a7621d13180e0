package wcs

import (
	"errors"
	"math"
	"testing"
)

// astropyPair holds pixels of one case's image and the pixels of
// another case's image at the same sky position.
type astropyPair struct {
	from, to string
	points   [][4]float64
}

func caseByName(t *testing.T, name string) *Celestial {
	t.Helper()
	for _, tc := range astropyCases {
		if tc.name == name {
			c, err := FromHeader(parseCards(t, tc.cards))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	t.Fatalf("no case %q", name)
	return nil
}

func TestGalacticAgainstAstropy(t *testing.T) {
	toGal, err := Convert(Frame{System: FK5, Equinox: 2000}, Frame{System: Galactic})
	if err != nil {
		t.Fatal(err)
	}
	toFK5, err := Convert(Frame{System: Galactic}, Frame{System: ICRS})
	if err != nil {
		t.Fatal(err)
	}
	// 1e-8 degrees: astropy's own rounding of the pole constants.
	for _, p := range astropyGalactic {
		l, b := toGal(p[0], p[1])
		if lonDiff(l, p[2])*math.Cos(p[3]*d2r) > 1e-8 || math.Abs(b-p[3]) > 1e-8 {
			t.Errorf("FK5 (%g, %g) → galactic (%.10g, %.10g), astropy (%.10g, %.10g)", p[0], p[1], l, b, p[2], p[3])
		}
		ra, dec := toFK5(p[2], p[3])
		if lonDiff(ra, p[0])*math.Cos(p[1]*d2r) > 1e-8 || math.Abs(dec-p[1]) > 1e-8 {
			t.Errorf("galactic (%g, %g) → FK5 (%.10g, %.10g), want (%g, %g)", p[2], p[3], ra, dec, p[0], p[1])
		}
	}
}

func TestPixelMapAgainstAstropy(t *testing.T) {
	for _, pair := range astropyPairs {
		m, err := PixelMap(caseByName(t, pair.from), caseByName(t, pair.to))
		if err != nil {
			t.Fatalf("%s → %s: %v", pair.from, pair.to, err)
		}
		for _, p := range pair.points {
			x, y, ok := m(p[0], p[1])
			if !ok || math.Abs(x-p[2]) > 1e-6 || math.Abs(y-p[3]) > 1e-6 {
				t.Errorf("%s → %s: (%g, %g) → (%.9g, %.9g) ok=%v, astropy (%.9g, %.9g)",
					pair.from, pair.to, p[0], p[1], x, y, ok, p[2], p[3])
			}
		}
	}
}

func TestConvertUnsupported(t *testing.T) {
	for _, f := range [][2]Frame{
		{{System: FK4, Equinox: 1950}, {System: FK5, Equinox: 2000}},
		{{System: FK5, Equinox: 1975}, {System: Galactic}},
		{{System: Ecliptic, Equinox: 2000}, {System: ICRS}},
		{{}, {}}, // two unknown systems (HPLN, planetary) are not known to match
	} {
		if _, err := Convert(f[0], f[1]); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%v → %v: err = %v, want ErrUnsupported", f[0], f[1], err)
		}
	}
	if _, err := Convert(Frame{System: FK4, Equinox: 1950}, Frame{System: FK4, Equinox: 1950}); err != nil {
		t.Errorf("same frame: %v", err)
	}
}
