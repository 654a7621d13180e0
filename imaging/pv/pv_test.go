package pv

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"cartago/imaging/region"
)

// memCube is a cube in memory whose values come from fn.
type memCube struct {
	w, h, d int
	data    []float32
}

func newCube(w, h, d int, fn func(x, y, c int) float64) *memCube {
	m := &memCube{w: w, h: h, d: d, data: make([]float32, w*h*d)}
	for c := 0; c < d; c++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				m.data[(c*h+y)*w+x] = float32(fn(x, y, c))
			}
		}
	}
	return m
}

func (m *memCube) Shape() (int, int, int) { return m.w, m.h, m.d }

func (m *memCube) ReadRect(dst []float32, c, x0, y0, w, rows int) error {
	if c < 0 || c >= m.d || x0 < 0 || y0 < 0 || x0+w > m.w || y0+rows > m.h || len(dst) != w*rows {
		return fmt.Errorf("rect %d,%d %d×%d channel %d out of range", x0, y0, w, rows, c)
	}
	for r := 0; r < rows; r++ {
		copy(dst[r*w:(r+1)*w], m.data[(c*m.h+y0+r)*m.w+x0:])
	}
	return nil
}

func line(pts ...float64) region.Desc {
	d := region.Desc{Kind: region.KindLine}
	if len(pts) > 4 {
		d.Kind = region.KindPolyline
	}
	for i := 0; i+1 < len(pts); i += 2 {
		d.Points = append(d.Points, region.Point{X: pts[i], Y: pts[i+1]})
	}
	return d
}

func linear(x, y, c int) float64 { return 1000*float64(c) + 10*float64(x) + float64(y) }

func near(a float32, b float64) bool { return math.Abs(float64(a)-b) <= 1e-3*math.Max(1, math.Abs(b)) }

// A horizontal line from (10,10) to (20,10) is sampled from its second
// point towards its first, one box per pixel: 11 boxes at x = 20..10.
// A linear function's box mean is its value at the box centre.
func TestHorizontalLineLinear(t *testing.T) {
	cube := newCube(32, 24, 6, linear)
	img, err := Compute(context.Background(), cube, Request{Line: line(10, 10, 20, 10), Width: 3, From: 1, To: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if img.Width != 11 || img.Height != 4 || img.Positions != 11 {
		t.Fatalf("size %d×%d positions %d, want 11×4 positions 11", img.Width, img.Height, img.Positions)
	}
	for c := 0; c < 4; c++ {
		for i := 0; i < 11; i++ {
			want := linear(20-i, 10, c+1)
			if got := img.Data[c*11+i]; !near(got, want) {
				t.Fatalf("pixel (%d, %d) = %g, want %g", i, c, got, want)
			}
		}
	}
}

// The boxes are width pixels along the segment and one across for a
// line along an axis (the reference's rectangle convention): with
// f = x², the mean of x-1, x, x+1 is x² + 2/3, and f = y² is unchanged.
func TestWidthAveraging(t *testing.T) {
	sq := newCube(40, 24, 1, func(x, y, c int) float64 { return float64(x * x) })
	img, err := Compute(context.Background(), sq, Request{Line: line(10, 10, 20, 10), Width: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < img.Width; i++ {
		x := float64(20 - i)
		if want := x*x + 2.0/3; !near(img.Data[i], want) {
			t.Fatalf("box %d = %g, want %g", i, img.Data[i], want)
		}
	}
	one, err := Compute(context.Background(), sq, Request{Line: line(10, 10, 20, 10), Width: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := 400.0; !near(one.Data[0], want) {
		t.Fatalf("width 1: box 0 = %g, want %g", one.Data[0], want)
	}
}

// An L-shaped polyline: 11 boxes along the first segment from its first
// point, then 10 along the second (its first box repeats the corner and
// is dropped).
func TestPolyline(t *testing.T) {
	cube := newCube(32, 32, 3, linear)
	img, err := Compute(context.Background(), cube, Request{Line: line(10, 10, 20, 10, 20, 20), Width: 3, From: 0, To: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if img.Width != 21 || img.Height != 3 {
		t.Fatalf("size %d×%d, want 21×3", img.Width, img.Height)
	}
	for c := 0; c < 3; c++ {
		for i := 0; i < 21; i++ {
			x, y := 10+i, 10
			if i > 10 {
				x, y = 20, i
			}
			if got, want := img.Data[c*21+i], linear(x, y, c); !near(got, want) {
				t.Fatalf("pixel (%d, %d) = %g, want %g", i, c, got, want)
			}
		}
	}
}

// Reversed: channels along x, positions along y; the same values.
func TestReverse(t *testing.T) {
	cube := newCube(32, 24, 5, linear)
	req := Request{Line: line(3, 4, 17, 12), Width: 2, From: 1, To: 3}
	fwd, err := Compute(context.Background(), cube, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Reverse = true
	rev, err := Compute(context.Background(), cube, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rev.Width != fwd.Height || rev.Height != fwd.Width {
		t.Fatalf("reversed %d×%d, forward %d×%d", rev.Width, rev.Height, fwd.Width, fwd.Height)
	}
	for c := 0; c < fwd.Height; c++ {
		for i := 0; i < fwd.Width; i++ {
			if a, b := fwd.Data[c*fwd.Width+i], rev.Data[i*rev.Width+c]; a != b {
				t.Fatalf("position %d channel %d: forward %g, reversed %g", i, c, a, b)
			}
		}
	}
}

// Blank pixels are left out of a box's mean; a box of blanks, or off
// the image, is NaN; a region limits the pixels.
func TestBlanks(t *testing.T) {
	nan := math.NaN()
	cube := newCube(32, 24, 2, func(x, y, c int) float64 {
		switch {
		case x == 19 && c == 0:
			return nan
		case x >= 12 && x <= 14:
			return nan
		}
		return float64(x)
	})
	img, err := Compute(context.Background(), cube, Request{Line: line(10, 10, 20, 10), Width: 3, From: 0, To: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// box 0 at x=20 covers 19..21: channel 0 loses 19.
	if want := 20.5; !near(img.Data[0], want) {
		t.Fatalf("box 0 channel 0 = %g, want %g", img.Data[0], want)
	}
	if want := 20.0; !near(img.Data[img.Width], want) {
		t.Fatalf("box 0 channel 1 = %g, want %g", img.Data[img.Width], want)
	}
	// box 7 at x=13 covers 12..14: all blank.
	if v := img.Data[7]; !math.IsNaN(float64(v)) {
		t.Fatalf("box of blanks = %g, want NaN", v)
	}
	// A line running off the image: boxes beyond it are NaN.
	off, err := Compute(context.Background(), cube, Request{Line: line(28, 5, 40, 5), Width: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := off.Data[0]; !math.IsNaN(float64(v)) {
		t.Fatalf("box at x=40 = %g, want NaN", v)
	}
	if v := off.Data[off.Width-1]; !near(v, 28) {
		t.Fatalf("box at x=28 = %g, want 28", v)
	}
	inside := make([]bool, 32*24)
	for x := 0; x < 18; x++ {
		inside[10*32+x] = true
	}
	lim, err := Compute(context.Background(), cube, Request{Line: line(10, 10, 20, 10), Width: 1, From: 1, To: 1, Inside: inside}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := lim.Data[0]; !math.IsNaN(float64(v)) {
		t.Fatalf("box outside the region = %g, want NaN", v)
	}
	if v := lim.Data[10]; !near(v, 10) {
		t.Fatalf("box inside the region = %g, want 10", v)
	}
}

func TestBadRequests(t *testing.T) {
	cube := newCube(16, 16, 4, linear)
	tests := []struct {
		name string
		req  Request
		want error
	}{
		{"zero length", Request{Line: line(5, 5, 5, 5), Width: 1, To: 3}, ErrEmptyLine},
		{"zero length polyline", Request{Line: line(5, 5, 5, 5, 5, 5), Width: 1, To: 3}, ErrEmptyLine},
		{"outside", Request{Line: line(100, 100, 200, 150), Width: 3, To: 3}, ErrOffImage},
		{"range past the end", Request{Line: line(1, 1, 9, 9), Width: 1, To: 4}, ErrRange},
		{"range reversed", Request{Line: line(1, 1, 9, 9), Width: 1, From: 3, To: 1}, ErrRange},
		{"negative range", Request{Line: line(1, 1, 9, 9), Width: 1, From: -1, To: 1}, ErrRange},
		{"width 0", Request{Line: line(1, 1, 9, 9), Width: 0, To: 1}, nil},
		{"width 21", Request{Line: line(1, 1, 9, 9), Width: 21, To: 1}, nil},
		{"not a line", Request{Line: region.Desc{Kind: region.KindRectangle, Points: []region.Point{{X: 5, Y: 5}, {X: 2, Y: 2}}}, Width: 1, To: 1}, nil},
		{"NaN point", Request{Line: line(math.NaN(), 1, 9, 9), Width: 1, To: 1}, nil},
		{"huge line", Request{Line: line(-1e12, 0, 1e12, 0), Width: 1, To: 1}, nil},
		{"bad region flags", Request{Line: line(1, 1, 9, 9), Width: 1, To: 1, Inside: make([]bool, 3)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compute(context.Background(), cube, tt.req, nil)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err = %v, want %v", err, cmpOr(tt.want))
			}
		})
	}
}

func cmpOr(err error) any {
	if err == nil {
		return "an error"
	}
	return err
}

func TestCancel(t *testing.T) {
	cube := newCube(16, 16, 40, linear)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Compute(ctx, cube, Request{Line: line(1, 1, 9, 9), Width: 1, To: 39}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestProgressEndsAtOne(t *testing.T) {
	cube := newCube(16, 16, 40, linear)
	var last float64
	calls := 0
	_, err := Compute(context.Background(), cube, Request{Line: line(1, 1, 9, 9), Width: 1, To: 39}, func(d float64) { last, calls = d, calls+1 })
	if err != nil {
		t.Fatal(err)
	}
	if last != 1 || calls != 10 {
		t.Fatalf("progress %d calls ending at %g, want 10 ending at 1", calls, last)
	}
}

// Reserve is asked for the image's bytes and the span buffer (one core:
// a single task) before they are allocated, and its refusal ends the
// calculation.
func TestReserve(t *testing.T) {
	cube := newCube(32, 24, 6, linear)
	var asked int64
	req := Request{Line: line(10, 10, 20, 10), Width: 1, From: 1, To: 4, Reserve: func(n int64) error { asked = n; return nil }}
	// 11 boxes × 4 channels, and row 10 from x = 10 to 20.
	if _, err := Compute(context.Background(), cube, req, nil); err != nil || asked != 4*(11*4+11) {
		t.Fatalf("err %v, reserved %d bytes, want %d", err, asked, 4*(11*4+11))
	}
	full := errors.New("over budget")
	req.Reserve = func(int64) error { return full }
	if _, err := Compute(context.Background(), cube, req, nil); !errors.Is(err, full) {
		t.Fatalf("err = %v, want the refusal", err)
	}
}
