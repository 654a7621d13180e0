package region

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"cartago/imaging/fits"
	"cartago/imaging/wcs"
)

// affine returns the map x' = a·x + b·y + c, y' = d·x + e·y + f.
func affine(a, b, c, d, e, f float64) PixelMap {
	return func(x, y float64) (float64, float64, bool) { return a*x + b*y + c, d*x + e*y + f, true }
}

// sameMask reports whether two masks select the same pixels.
func sameMask(t *testing.T, got, want *Mask, w, h int) {
	t.Helper()
	diff := 0
	for y := range h {
		for x := range w {
			if got.Contains(x, y) != want.Contains(x, y) {
				diff++
			}
		}
	}
	if diff > 0 || got.Count() != want.Count() {
		t.Errorf("masks differ in %d pixels (count %d, want %d)", diff, got.Count(), want.Count())
	}
}

// A similarity (scale, shift) keeps a rectangle's shape: it becomes the
// polygon of its four mapped corners (RegionConverter::GetImageRegion's
// direct WCPolygon path), whose mask is the scaled rectangle's.
func TestConvertRectangleSimilar(t *testing.T) {
	d := rect(20.3, 30.6, 10.2, 6.4, 0)
	got, err := Convert(d, affine(2, 0, 5, 0, 2, -3))
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != KindPolygon || len(got.Points) != 4 {
		t.Fatalf("got %+v, want a 4-corner polygon", got)
	}
	sameMask(t, mustMask(t, got, 100, 100), mustMask(t, rect(45.6, 58.2, 20.4, 12.8, 0), 100, 100), 100, 100)
}

// Stretching one axis distorts the rectangle (ratio check): it becomes
// an outline of about ConvertVertices points along the mapped edges,
// with horizontal runs thinned, and selects the same pixels.
func TestConvertRectangleDistorted(t *testing.T) {
	d := rect(20.3, 30.6, 10.2, 6.4, 0)
	got, err := Convert(d, affine(3, 0, 0.25, 0, 1, 0.25))
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != KindPolygon || len(got.Points) < 100 || len(got.Points) > ConvertVertices {
		t.Fatalf("got %v with %d points, want an outline polygon", got.Kind, len(got.Points))
	}
	sameMask(t, mustMask(t, got, 120, 80), mustMask(t, rect(61.15, 30.85, 30.6, 6.4, 0), 120, 80), 120, 80)
}

// A rotation between the images keeps an ellipse's shape: it stays an
// ellipse, turned with the image.
func TestConvertEllipseRotated(t *testing.T) {
	d := ellipseDesc(40, 50, 12, 5, 10)
	s, c := math.Sincos(30 * math.Pi / 180)
	got, err := Convert(d, affine(c, -s, 10, s, c, 0))
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != KindEllipse {
		t.Fatalf("got %+v, want an ellipse", got)
	}
	cx, cy := c*40-s*50+10, s*40+c*50
	want := ellipseDesc(cx, cy, 12, 5, 40)
	for i, p := range got.Points {
		q := want.Points[i]
		if math.Abs(p.X-q.X) > 1e-5 || math.Abs(p.Y-q.Y) > 1e-5 {
			t.Errorf("point %d = %+v, want %+v", i, p, q)
		}
	}
	if math.Abs(got.Rotation-want.Rotation) > 1e-4 {
		t.Errorf("rotation %g, want %g", got.Rotation, want.Rotation)
	}
}

// A shear distorts the ellipse: it becomes a polygon of its mapped
// outline, whose mask matches the pixels whose centres map back inside
// the ellipse.
func TestConvertEllipseDistorted(t *testing.T) {
	d := ellipseDesc(40, 50, 12, 5, 0)
	got, err := Convert(d, affine(1, 0.5, 0, 0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != KindPolygon {
		t.Fatalf("got %v, want a polygon", got.Kind)
	}
	m := mustMask(t, got, 120, 100)
	// Inverse shear: x = x' − 0.5·y'. Inside: (x−40)²/5² + (y−50)²/12² ≤ 1.
	var want, edge int64
	for y := range 100 {
		for x := range 120 {
			u, v := (float64(x)-0.5*float64(y)-40)/5, (float64(y)-50)/12
			r := u*u + v*v
			if math.Abs(r-1) < 0.02 {
				edge++ // within the polygon's chord error of the outline
				continue
			}
			if (r < 1) != m.Contains(x, y) {
				t.Errorf("pixel (%d, %d): r = %g, in mask %v", x, y, r, m.Contains(x, y))
			}
			if r < 1 {
				want++
			}
		}
	}
	if m.Count() < want || m.Count() > want+edge {
		t.Errorf("count %d, want %d..%d", m.Count(), want, want+edge)
	}
}

// Polygons always go through the outline path; under a shift they keep
// their pixels.
func TestConvertPolygonShift(t *testing.T) {
	d := polygon(Point{10.2, 10.7}, Point{40.9, 14.1}, Point{33.3, 41.6}, Point{12.5, 30.2})
	got, err := Convert(d, affine(1, 0, 7, 0, 1, 3))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Points) < 100 {
		t.Fatalf("%d points, want an outline", len(got.Points))
	}
	want := polygon(Point{17.2, 13.7}, Point{47.9, 17.1}, Point{40.3, 44.6}, Point{19.5, 33.2})
	sameMask(t, mustMask(t, got, 80, 80), mustMask(t, want, 80, 80), 80, 80)
}

func TestConvertPointAndFailure(t *testing.T) {
	got, err := Convert(Desc{Kind: KindPoint, Points: []Point{{3, 4}}}, affine(1, 0, 1, 0, 1, 2))
	if err != nil || got.Kind != KindPoint || got.Points[0] != (Point{4, 6}) {
		t.Errorf("point: %+v, %v", got, err)
	}
	nowhere := func(x, y float64) (float64, float64, bool) { return 0, 0, x < 15 }
	for _, d := range []Desc{rect(20, 20, 4, 4, 0), rect(20, 20, 4, 4, 30), ellipseDesc(20, 20, 3, 2, 0),
		polygon(Point{1, 1}, Point{30, 1}, Point{1, 30}), {Kind: KindPoint, Points: []Point{{20, 1}}}} {
		if _, err := Convert(d, nowhere); !errors.Is(err, ErrNotConverted) {
			t.Errorf("%v: err = %v, want ErrNotConverted", d.Kind, err)
		}
	}
	nan := func(x, y float64) (float64, float64, bool) { return math.NaN(), y, true }
	if _, err := Convert(rect(20, 20, 4, 4, 0), nan); !errors.Is(err, ErrNotConverted) {
		t.Errorf("NaN map: err = %v", err)
	}
	if _, err := Convert(Desc{Kind: KindAnnRectangle, Points: []Point{{1, 1}, {2, 2}}}, nan); !errors.Is(err, ErrNoMask) {
		t.Errorf("annotation: err = %v", err)
	}
}

// dropHorizontal keeps the reference's quirk: the last two points of a
// run are never kept, so a two-point run vanishes.
func TestDropHorizontal(t *testing.T) {
	pts := []Point{{0, 0}, {1, 0}, {2, 0}, {3, 1}, {4, 2}, {5, 3}}
	got := dropHorizontal(pts)
	want := []Point{{0, 0}, {2, 0}, {3, 1}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if got := dropHorizontal(pts[:2]); len(got) != 0 {
		t.Errorf("two points: got %v, want none", got)
	}
}

// skyMap is wcs.PixelMap between two TAN images of one field with
// different scales and rotation (mapping is ~ a similarity, distorted
// by the rectangular pixels of the second).
func skyMap(tb testing.TB) PixelMap {
	tb.Helper()
	parse := func(cards ...string) *wcs.Celestial {
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
		c, err := wcs.FromHeader(h)
		if err != nil {
			tb.Fatal(err)
		}
		return c
	}
	from := parse("CTYPE1  = 'RA---TAN'", "CTYPE2  = 'DEC--TAN'", "CRVAL1  = 150.0", "CRVAL2  = 2.0",
		"CDELT1  = -0.001", "CDELT2  = 0.001", "CRPIX1  = 100.0", "CRPIX2  = 100.0")
	to := parse("CTYPE1  = 'RA---SIN'", "CTYPE2  = 'DEC--SIN'", "CRVAL1  = 150.01", "CRVAL2  = 2.02",
		"CDELT1  = -0.0013", "CDELT2  = 0.0011", "CROTA2  = 20.0", "CRPIX1  = 80.0", "CRPIX2  = 120.0")
	m, err := wcs.PixelMap(from, to)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// BenchmarkConvert times carrying regions to another image through the
// sky: the distorted (outline) path of a rectangle and a polygon.
func BenchmarkConvert(b *testing.B) {
	m := skyMap(b)
	for _, d := range []Desc{rect(90.3, 110.6, 40.2, 30.4, 0), polygon(Point{50, 50}, Point{150, 60}, Point{120, 170}, Point{40, 120})} {
		b.Run(fmt.Sprint(d.Kind), func(b *testing.B) {
			for b.Loop() {
				if _, err := Convert(d, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
