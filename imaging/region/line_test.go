package region

import (
	"context"
	"errors"
	"math"
	"testing"

	"cartago/imaging"
)

// linePlane is a 24×20 plane whose pixel (x, y) holds 100·y + x.
func linePlane() imaging.Plane {
	p := imaging.Plane{Width: 24, Height: 20, Data: make([]float32, 24*20)}
	for y := range p.Height {
		for x := range p.Width {
			p.Data[y*p.Width+x] = float32(100*y + x)
		}
	}
	return p
}

func lineProfileOf(t *testing.T, p imaging.Plane, d Desc, width int) []float32 {
	t.Helper()
	boxes, err := LineBoxes(d, width)
	if err != nil {
		t.Fatal(err)
	}
	v, err := LineProfile(context.Background(), p, boxes)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func line(pts ...float64) Desc {
	d := Desc{Kind: KindLine}
	if len(pts) > 4 {
		d.Kind = KindPolyline
	}
	for i := 0; i+1 < len(pts); i += 2 {
		d.Points = append(d.Points, Point{pts[i], pts[i+1]})
	}
	return d
}

func wantValues(t *testing.T, got []float32, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d values %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		if got[i] != want[i] && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
			t.Fatalf("value %d is %v, want %v (all: %v)", i, got[i], want[i], got)
		}
	}
}

// The cuts along an axis with width 1 are the pixels under them, as the
// reference's own tests expect: a line from its second point to its
// first, a polyline from its first vertex, without repeating a vertex.
func TestLineProfileCuts(t *testing.T) {
	p := linePlane()
	row := func(y int, xs ...int) (out []float32) {
		for _, x := range xs {
			out = append(out, p.At(x, y))
		}
		return out
	}
	col := func(x int, ys ...int) (out []float32) {
		for _, y := range ys {
			out = append(out, p.At(x, y))
		}
		return out
	}
	wantValues(t, lineProfileOf(t, p, line(9, 5, 1, 5), 1), row(5, 1, 2, 3, 4, 5, 6, 7, 8, 9))
	wantValues(t, lineProfileOf(t, p, line(1, 5, 9, 5), 1), row(5, 9, 8, 7, 6, 5, 4, 3, 2, 1))
	wantValues(t, lineProfileOf(t, p, line(5, 9, 5, 1), 1), col(5, 1, 2, 3, 4, 5, 6, 7, 8, 9))
	poly := lineProfileOf(t, p, line(1, 1, 9, 1, 9, 5), 1)
	wantValues(t, poly, append(row(1, 1, 2, 3, 4, 5, 6, 7, 8, 9), col(9, 2, 3, 4, 5)...))
	// A width of 3 along a horizontal cut averages three pixels of the
	// row around each sample (the width lies along the segment): a spike
	// at x = 6 shows in the samples at x = 5, 6 and 7.
	p.Data[5*p.Width+6] += 300
	got := lineProfileOf(t, p, line(9, 5, 3, 5), 3)
	wantValues(t, got, []float32{503, 504, 605, 606, 607, 508, 509})
}

// Samples off the image are NaN; NaN pixels are left out of the means.
func TestLineProfileOffImageAndNaN(t *testing.T) {
	p := linePlane()
	p.Data[5*p.Width+2] = float32(math.NaN())
	got := lineProfileOf(t, p, line(-4, 5, 2, 5), 1)
	// Samples from x = 2 down to x = −4. The one at x = −1 touches the
	// image's edge, where casacore's rounding of a polygon's box decides.
	nan := float32(math.NaN())
	wantValues(t, got[:3], []float32{nan, p.At(1, 5), p.At(0, 5)})
	wantValues(t, got[4:], []float32{nan, nan, nan})
}

// A diagonal line with width 2: each sample is the mean of the pixel
// centres inside its rotated 2×3 box, checked against a direct
// inside-the-rectangle test in float64.
func TestLineProfileDiagonal(t *testing.T) {
	p := linePlane()
	d := line(2.3, 3.1, 17.6, 14.2)
	boxes, err := LineBoxes(d, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := LineProfile(context.Background(), p, boxes)
	if err != nil {
		t.Fatal(err)
	}
	length := math.Hypot(17.6-2.3, 14.2-3.1)
	if n := 2*int(math.Round((length-1)/2)) + 1; len(got) != n {
		t.Fatalf("%d samples for a line of length %.2f, want %d", len(got), length, n)
	}
	for i, b := range boxes {
		c, size, th := b.Points[0], b.Points[1], b.Rotation*math.Pi/180
		if size.X != 2 || size.Y != 3 {
			t.Fatalf("box %d is %v×%v, want 2×3", i, size.X, size.Y)
		}
		var sum float64
		var n int
		for y := range p.Height {
			for x := range p.Width {
				dx, dy := float64(x)-c.X, float64(y)-c.Y
				u := dx*math.Cos(th) + dy*math.Sin(th)  // along the width
				v := -dx*math.Sin(th) + dy*math.Cos(th) // along the height
				if math.Abs(u) <= size.X/2 && math.Abs(v) <= size.Y/2 {
					sum += float64(p.At(x, y))
					n++
				}
			}
		}
		if want := float32(sum / float64(n)); math.Abs(float64(got[i]-want)) > 1e-3 {
			t.Errorf("sample %d at (%.3f, %.3f): %v, want %v over %d pixels", i, c.X, c.Y, got[i], want, n)
		}
	}
}

func TestLineBoxesRefuses(t *testing.T) {
	for _, w := range []int{0, 21, -1} {
		if _, err := LineBoxes(line(0, 0, 9, 9), w); err == nil {
			t.Errorf("width %d accepted", w)
		}
	}
	for _, w := range []int{1, 20} {
		if _, err := LineBoxes(line(0, 0, 9, 9), w); err != nil {
			t.Errorf("width %d: %v", w, err)
		}
	}
	if _, err := LineBoxes(line(0, 0, 9e8, 9e8), 1); !errors.Is(err, ErrLineTooLong) {
		t.Errorf("a line of 1.3e9 pixels: %v, want ErrLineTooLong", err)
	}
	if _, err := LineBoxes(Desc{Kind: KindRectangle, Points: []Point{{5, 5}, {2, 2}}}, 1); !errors.Is(err, ErrUnsupported) {
		t.Errorf("a rectangle: %v, want ErrUnsupported", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	boxes, _ := LineBoxes(line(0, 0, 9, 9), 1)
	if _, err := LineProfile(ctx, linePlane(), boxes); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled profile: %v", err)
	}
}
