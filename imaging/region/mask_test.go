package region

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

func mustMask(t *testing.T, d Desc, w, h int) *Mask {
	t.Helper()
	m, err := d.Mask(w, h)
	if err != nil {
		t.Fatalf("%+v on %d×%d: %v", d, w, h, err)
	}
	return m
}

func rect(cx, cy, w, h, rot float64) Desc {
	return Desc{Kind: KindRectangle, Points: []Point{{cx, cy}, {w, h}}, Rotation: rot}
}

func ellipseDesc(cx, cy, a, b, rot float64) Desc {
	return Desc{Kind: KindEllipse, Points: []Point{{cx, cy}, {a, b}}, Rotation: rot}
}

func polygon(pts ...Point) Desc { return Desc{Kind: KindPolygon, Points: pts} }

func TestMaskBoxes(t *testing.T) {
	for _, c := range []struct {
		name  string
		d     Desc
		count int64
		box   image.Rectangle
	}{
		// CARTAvis/carta-backend#389: edges on pixel centres are inside.
		{"4x4 on integer centre", rect(10, 10, 4, 4, 0), 25, image.Rect(8, 8, 13, 13)},
		{"4x4 on half-pixel centre", rect(10.5, 10.5, 4, 4, 0), 16, image.Rect(9, 9, 13, 13)},
		{"1x1 on a pixel", rect(3, 4, 1, 1, 0), 1, image.Rect(3, 4, 4, 5)},
		{"odd 3x5", rect(20, 20, 3, 5, 0), 3 * 5, image.Rect(19, 18, 22, 23)},
		{"rotated 90 is the swapped box", rect(10, 10, 4, 2, 90), 3 * 5, image.Rect(9, 8, 12, 13)},
		// The 45° square's corners lie on pixel centres and count.
		{"rotated 45", rect(10, 10, 2*math.Sqrt2, 2*math.Sqrt2, 45), 13, image.Rect(8, 8, 13, 13)},
		{"partly outside", rect(0, 0, 10, 10, 0), 36, image.Rect(0, 0, 6, 6)},
		{"far larger than the image", rect(50, 50, 1e9, 1e9, 0), 100 * 100, image.Rect(0, 0, 100, 100)},
		{"point", Desc{Kind: KindPoint, Points: []Point{{3.4, 7.6}}}, 1, image.Rect(3, 8, 4, 9)},
		// casacore truncates int(x + 0.5) toward zero.
		{"point left of the image", Desc{Kind: KindPoint, Points: []Point{{-0.8, 0}}}, 1, image.Rect(0, 0, 1, 1)},
		// Vertices on pixel centres are inside.
		{"triangle on pixel centres", polygon(Point{5, 5}, Point{15, 5}, Point{10, 15}), 61, image.Rect(5, 5, 16, 16)},
		{"diamond", polygon(Point{10, 5}, Point{15, 10}, Point{10, 15}, Point{5, 10}), 61, image.Rect(5, 5, 16, 16)},
		{"circle", ellipseDesc(20, 20, 3, 3, 0), 29, image.Rect(17, 17, 24, 24)},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := mustMask(t, c.d, 100, 100)
			if m.Count() != c.count || m.Bounds() != c.box {
				t.Errorf("count %d box %v, want %d %v", m.Count(), m.Bounds(), c.count, c.box)
			}
			checkConsistent(t, m)
		})
	}
}

// checkConsistent checks Bools, Contains, Row and Count against each
// other, and that runs are sorted, disjoint, non-adjacent and inside the
// image.
func checkConsistent(t *testing.T, m *Mask) {
	t.Helper()
	b, r := m.Bools(), m.Bounds()
	w, h := m.ImageSize()
	var n int64
	for y := r.Min.Y - 1; y <= r.Max.Y; y++ {
		prev := int32(-2)
		for _, s := range m.Row(y) {
			if s.X0 <= prev || s.X1 <= s.X0 || s.X0 < 0 || int(s.X1) > w || y < 0 || y >= h {
				t.Fatalf("row %d: bad run %v after %d", y, s, prev)
			}
			prev = s.X1
		}
		for x := r.Min.X - 1; x <= r.Max.X; x++ {
			in := r.Min.X <= x && x < r.Max.X && r.Min.Y <= y && y < r.Max.Y && b[(y-r.Min.Y)*r.Dx()+x-r.Min.X]
			if m.Contains(x, y) != in {
				t.Fatalf("Contains(%d, %d) = %v, Bools says %v", x, y, !in, in)
			}
			if in {
				n++
			}
		}
	}
	if n != m.Count() {
		t.Fatalf("Count %d, Bools has %d", m.Count(), n)
	}
}

// TestMaskGeometry checks random rectangles and ellipses against float64
// geometry: a pixel whose centre is inside by more than a margin must be
// in the mask, one outside by more than the margin must not. (Pixels
// within the margin follow casacore's tolerances; the oracle test checks
// those exactly.) One quirk of casacore's is allowed: a row whose part
// of the shape lies within one pixel left of a pixel centre may fill
// that pixel (LCPolygon truncates toward zero).
func TestMaskGeometry(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 400 {
		cx, cy := r.Float64()*60-5, r.Float64()*60-5
		a, b := 0.5+r.Float64()*20, 0.5+r.Float64()*20
		rot := []float64{0, 45, 90, r.Float64()*720 - 360}[i%4]
		th := rot * math.Pi / 180
		cos, sin := math.Cos(th), math.Sin(th)
		var d Desc
		var inside func(x, y float64) float64 // > 0 inside, < 0 outside, in pixels roughly
		if i%2 == 0 {
			d = rect(cx, cy, 2*a, 2*b, rot)
			inside = func(x, y float64) float64 {
				u, v := (x-cx)*cos+(y-cy)*sin, -(x-cx)*sin+(y-cy)*cos
				return min(a-math.Abs(u), b-math.Abs(v))
			}
		} else {
			// a along y before the rotation, b along x.
			d = ellipseDesc(cx, cy, a, b, rot)
			inside = func(x, y float64) float64 {
				u, v := (x-cx)*cos+(y-cy)*sin, -(x-cx)*sin+(y-cy)*cos
				return (1 - (u*u/(b*b) + v*v/(a*a))) * min(a, b) / 2
			}
		}
		m, err := d.Mask(50, 50)
		if errors.Is(err, ErrNoPixels) {
			m = nil
		} else if err != nil {
			t.Fatal(err)
		}
		for y := range 50 {
			for x := range 50 {
				s := inside(float64(x), float64(y))
				in := m != nil && m.Contains(x, y)
				if s < -1e-3 && in && i%2 == 0 && touchesLeft(inside, x, y) {
					continue
				}
				if (s > 1e-3 && !in) || (s < -1e-3 && in) {
					t.Fatalf("%+v: pixel (%d, %d) in mask %v, signed distance %g", d, x, y, in, s)
				}
			}
		}
		if m != nil {
			checkConsistent(t, m)
		}
	}
}

// touchesLeft reports whether the shape reaches into (x−1, x) on row y.
func touchesLeft(inside func(x, y float64) float64, x, y int) bool {
	for k := 1; k < 64; k++ {
		if inside(float64(x)-float64(k)/64, float64(y)) > 0 {
			return true
		}
	}
	return false
}

func TestMaskEllipseAxes(t *testing.T) {
	// a along y, b along x before rotation, whichever is larger.
	for _, c := range []struct {
		d    Desc
		box  image.Rectangle
		name string
	}{
		{ellipseDesc(20, 20, 6, 2, 0), image.Rect(18, 14, 23, 27), "a>b"},
		{ellipseDesc(20, 20, 2, 6, 0), image.Rect(14, 18, 27, 23), "a<b"},
		{ellipseDesc(20, 20, 6, 2, 90), image.Rect(14, 18, 27, 23), "a>b turned 90"},
		{ellipseDesc(20, 20, 2, 6, 90), image.Rect(18, 14, 23, 27), "a<b turned 90"},
	} {
		m := mustMask(t, c.d, 40, 40)
		if m.Bounds() != c.box {
			t.Errorf("%s: box %v, want %v", c.name, m.Bounds(), c.box)
		}
		checkConsistent(t, m)
	}
	// Rotated 30°: the long axis leans left of +y, so the top row's pixels
	// lie left of the centre and the bottom row's right of it.
	m := mustMask(t, ellipseDesc(20, 20, 8, 2, 30), 40, 40)
	top, bottom := m.Row(26), m.Row(14)
	if len(top) == 0 || len(bottom) == 0 || top[0].X1 > 20 || bottom[0].X0 < 21 {
		t.Errorf("rotated ellipse rows: top %v bottom %v", top, bottom)
	}
}

func TestMaskErrors(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name string
		d    Desc
		want error
	}{
		{"wholly outside", rect(-50, -50, 10, 10, 0), ErrNoPixels},
		{"right of the image", rect(150, 50, 10, 10, 0), ErrNoPixels},
		{"ellipse outside", ellipseDesc(200, 20, 5, 5, 30), ErrNoPixels},
		{"between pixel centres", rect(10.5, 10.5, 0.5, 0.5, 0), ErrNoPixels},
		{"thin polygon", polygon(Point{1.2, 1.2}, Point{1.8, 1.2}, Point{1.5, 1.8}), ErrNoPixels},
		{"point far left", Desc{Kind: KindPoint, Points: []Point{{-1.6, 3}}}, ErrNoPixels},
		{"NaN centre", rect(nan, 10, 4, 4, 0), ErrInvalid},
		{"Inf vertex", polygon(Point{1, 1}, Point{math.Inf(1), 1}, Point{1, 5}), ErrInvalid},
		{"NaN rotation", rect(10, 10, 4, 4, nan), ErrInvalid},
		{"zero width", rect(10, 10, 0, 4, 0), ErrInvalid},
		{"negative axis", ellipseDesc(10, 10, 4, -1, 0), ErrInvalid},
		{"two polygon points", polygon(Point{1, 1}, Point{5, 5}), ErrInvalid},
		{"absurd centre", rect(5e9, 10, 4, 4, 0), ErrTooLarge},
		{"absurd size", ellipseDesc(10, 10, 2e9, 4, 0), ErrTooLarge},
		{"absurd vertex", polygon(Point{1, 1}, Point{1, -1e12}, Point{5, 5}), ErrTooLarge},
		{"line", Desc{Kind: KindLine, Points: []Point{{1, 1}, {5, 5}}}, ErrNoMask},
		{"polyline", Desc{Kind: KindPolyline, Points: []Point{{1, 1}, {5, 5}, {9, 1}}}, ErrNoMask},
		{"annotation", Desc{Kind: KindAnnRectangle, Points: []Point{{10, 10}, {4, 4}}}, ErrNoMask},
		{"annulus", Desc{Kind: KindAnnulus, Points: []Point{{10, 10}, {4, 4}}}, ErrUnsupported},
		{"unknown kind", Desc{Kind: 99, Points: []Point{{10, 10}}}, ErrUnsupported},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.d.Mask(100, 100); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	if _, err := rect(1, 1, 2, 2, 0).Mask(0, 10); !errors.Is(err, ErrMismatch) {
		t.Errorf("empty image: %v", err)
	}
}

// TestMaskBoundedMemory checks that regions far larger than the image
// cost what the image costs: masks are clipped before anything is
// allocated.
func TestMaskBoundedMemory(t *testing.T) {
	for _, d := range []Desc{
		rect(0, 0, 1e9, 1e9, 0),
		rect(0, 0, 1e9, 1e9, 30),
		ellipseDesc(0, 0, 1e9, 1e9, 0),
		ellipseDesc(5e8, 0, 1e9, 6e8, 17),
		polygon(Point{-1e9, -1e9}, Point{1e9, -1e9}, Point{0, 1e9}),
	} {
		m := mustMask(t, d, 64, 48)
		if m.SizeBytes() > 8*64*48 {
			t.Errorf("%+v: mask holds %d bytes for a 64×48 image", d, m.SizeBytes())
		}
		allocs := testing.AllocsPerRun(3, func() { _, _ = d.Mask(64, 48) })
		if allocs > 120 {
			t.Errorf("%+v: %v allocations", d, allocs)
		}
	}
}
