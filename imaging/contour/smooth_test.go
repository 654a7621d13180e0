package contour

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"cartago/imaging"
)

// gaussRef is an independent float64 version of the reference's blur:
// separable, weights renormalised over finite inputs per pass, NaN where
// the centre pixel is NaN.
func gaussRef(p imaging.Plane, f int) imaging.Plane {
	r := f - 1
	sigma := float64(r) / 2
	g := func(d int) float64 { return math.Exp(-float64(d*d) / (2 * sigma * sigma)) }
	pass := func(at func(k int) float64) float64 {
		var s, ws float64
		for d := -r; d <= r; d++ {
			if v := at(d); !math.IsNaN(v) && !math.IsInf(v, 0) {
				s += v * g(d)
				ws += g(d)
			}
		}
		if ws == 0 {
			return math.NaN()
		}
		return s / ws
	}
	w, h := p.Width-2*r, p.Height-2*r
	tmp := make([]float64, w*p.Height)
	for y := range p.Height {
		for x := range w {
			tmp[y*w+x] = pass(func(d int) float64 { return float64(p.At(x+r+d, y)) })
		}
	}
	out := imaging.Plane{Width: w, Height: h, Data: make([]float32, w*h)}
	for y := range h {
		for x := range w {
			v := pass(func(d int) float64 { return tmp[(y+r+d)*w+x] })
			if math.IsNaN(float64(p.At(x+r, y+r))) {
				v = math.NaN()
			}
			out.Data[y*w+x] = float32(v)
		}
	}
	return out
}

func samePlane(t *testing.T, what string, got, want imaging.Plane, tol float64) {
	t.Helper()
	if got.Width != want.Width || got.Height != want.Height || len(got.Data) != len(want.Data) {
		t.Fatalf("%s: %dx%d (%d values), want %dx%d", what, got.Width, got.Height, len(got.Data), want.Width, want.Height)
	}
	for i, g := range got.Data {
		w := want.Data[i]
		if math.IsNaN(float64(w)) != math.IsNaN(float64(g)) ||
			math.Abs(float64(g-w)) > tol*(1+math.Abs(float64(w))) {
			t.Fatalf("%s: pixel (%d, %d) = %v, want %v", what, i%got.Width, i/got.Width, g, w)
		}
	}
}

// blankyPlane has scattered NaN and ±Inf, a blank row, a run of blanks
// longer than the kernels, and blanks at both ends of a row.
func blankyPlane() imaging.Plane {
	const w = 53
	p := makePlane(w, 41, noisy(4, 0.08))
	nan := float32(math.NaN())
	p.Data[5*w+7] = float32(math.Inf(1))
	p.Data[20*w+30] = float32(math.Inf(-1))
	for x := range w {
		p.Data[3*w+x] = nan
	}
	for x := range 19 {
		p.Data[10*w+x] = nan
	}
	p.Data[12*w], p.Data[13*w-1] = nan, nan
	return p
}

func TestGaussianAgainstFloat64(t *testing.T) {
	p := blankyPlane()
	for _, f := range []int{2, 3, 4, 6, 9} {
		g, err := Gaussian(context.Background(), p, f)
		if err != nil {
			t.Fatal(err)
		}
		samePlane(t, fmt.Sprintf("factor %d", f), g, gaussRef(p, f), 2e-6)
	}
}

// The result is the reference's bit for bit: per pixel, float32 sums in
// its order, as its scalar loop (with Inf skipped like its SIMD loop).
func TestGaussianBitExact(t *testing.T) {
	p := blankyPlane()
	for _, f := range []int{2, 4, 7} {
		r := f - 1
		k := kernel(r)
		pass := func(at func(t int) float32) float32 {
			var s, ws float32
			for t := range k {
				if v := at(t); !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
					s += float32(v * k[t])
					ws += k[t]
				}
			}
			if ws == 0 {
				return float32(math.NaN())
			}
			return s / ws
		}
		w, h := p.Width-2*r, p.Height-2*r
		tmp := make([]float32, w*p.Height)
		for y := range p.Height {
			for x := range w {
				tmp[y*w+x] = pass(func(t int) float32 { return p.At(x+t, y) })
			}
		}
		g, err := Gaussian(context.Background(), p, f)
		if err != nil {
			t.Fatal(err)
		}
		for y := range h {
			for x := range w {
				want := pass(func(t int) float32 { return tmp[(y+t)*w+x] })
				if math.IsNaN(float64(p.At(x+r, y+r))) {
					want = float32(math.NaN())
				}
				got := g.At(x, y)
				if got != want && !(got != got && want != want) {
					t.Fatalf("factor %d (%d, %d): %v, want %v", f, x, y, got, want)
				}
			}
		}
	}
}

// Without blanks the separable blur equals the direct 2-D convolution with
// normalised weights g(dx)·g(dy).
func TestGaussianIs2DConvolution(t *testing.T) {
	p := makePlane(40, 33, noisy(5, 0))
	const f = 5
	r, sigma := f-1, float64(f-1)/2
	g, err := Gaussian(context.Background(), p, f)
	if err != nil {
		t.Fatal(err)
	}
	for y := range g.Height {
		for x := range g.Width {
			var s, ws float64
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					k := math.Exp(-float64(dx*dx+dy*dy) / (2 * sigma * sigma))
					s += k * float64(p.At(x+r+dx, y+r+dy))
					ws += k
				}
			}
			if d := math.Abs(float64(g.At(x, y)) - s/ws); d > 2e-6 {
				t.Fatalf("(%d, %d): %v, want %v", x, y, g.At(x, y), s/ws)
			}
		}
	}
}

func TestSmoothModes(t *testing.T) {
	ctx := context.Background()
	p := makePlane(23, 17, noisy(6, 0.1))

	for _, tc := range []struct {
		mode   Mode
		factor int
	}{{NoSmoothing, 4}, {GaussianBlur, 1}, {BlockAverage, 0}} {
		f, err := Smooth(ctx, p, tc.mode, tc.factor)
		if err != nil || &f.Data[0] != &p.Data[0] || f.Scale != 1 || f.Offset != 0 {
			t.Errorf("mode %d factor %d: want the plane itself, scale 1 offset 0; got scale %v offset %v err %v",
				tc.mode, tc.factor, f.Scale, f.Offset, err)
		}
	}

	f, err := Smooth(ctx, p, GaussianBlur, 3)
	if err != nil || f.Scale != 1 || f.Offset != 2 || f.Width != 19 || f.Height != 13 {
		t.Errorf("gaussian 3: %dx%d scale %v offset %v err %v; want 19x13 scale 1 offset 2", f.Width, f.Height, f.Scale, f.Offset, err)
	}

	f, err = Smooth(ctx, p, BlockAverage, 4)
	if err != nil || f.Scale != 4 || f.Offset != 0 {
		t.Fatalf("block 4: scale %v offset %v err %v", f.Scale, f.Offset, err)
	}
	samePlane(t, "block 4", f.Plane, blockRef(p, 4), 1e-6)

	if f, err := Smooth(ctx, p, GaussianBlur, 10); err != nil || f.Width != 0 || f.Height != 0 {
		t.Errorf("gaussian wider than the plane: %dx%d err %v, want empty", f.Width, f.Height, err)
	}
	if _, err := Smooth(ctx, p, Mode(7), 2); err != ErrBadMode {
		t.Errorf("unknown mode: %v", err)
	}
	if _, err := Smooth(ctx, imaging.Plane{Width: 3, Height: 3}, NoSmoothing, 0); err != ErrBadPlane {
		t.Errorf("short data: %v", err)
	}
}

// blockRef is the f×f mean of finite values, edge blocks clipped.
func blockRef(p imaging.Plane, f int) imaging.Plane {
	w, h := (p.Width+f-1)/f, (p.Height+f-1)/f
	out := imaging.Plane{Width: w, Height: h, Data: make([]float32, w*h)}
	for by := range h {
		for bx := range w {
			var s float64
			var n int
			for y := by * f; y < min((by+1)*f, p.Height); y++ {
				for x := bx * f; x < min((bx+1)*f, p.Width); x++ {
					if v := float64(p.At(x, y)); !math.IsNaN(v) && !math.IsInf(v, 0) {
						s += v
						n++
					}
				}
			}
			out.Data[by*w+bx] = float32(s / float64(n)) // 0/0 = NaN
		}
	}
	return out
}

// Smoothing must not move contours in image coordinates: a symmetric step
// between columns 29 and 30 keeps its mid-level contour at x = 30 under
// both filters (Gaussian via Offset, blocks via Scale).
func TestSmoothedContoursStayInPlace(t *testing.T) {
	p := makePlane(64, 24, func(x, y int) float64 { return step(x >= 30) })
	for _, tc := range []struct {
		mode   Mode
		factor int
	}{{NoSmoothing, 0}, {GaussianBlur, 2}, {GaussianBlur, 5}, {BlockAverage, 2}, {BlockAverage, 5}} {
		f, err := Smooth(context.Background(), p, tc.mode, tc.factor)
		if err != nil {
			t.Fatal(err)
		}
		pl := mustTrace(t, f, 5)[0]
		if len(pl.Starts) != 1 {
			t.Fatalf("mode %d factor %d: %d polylines", tc.mode, tc.factor, len(pl.Starts))
		}
		for v := 0; v < len(pl.Vertices); v += 2 {
			if math.Abs(float64(pl.Vertices[v])-30) > 1e-4 {
				t.Fatalf("mode %d factor %d: contour at x = %v, want 30", tc.mode, tc.factor, pl.Vertices[v])
			}
		}
	}
}

func TestGaussianCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := makePlane(300, 300, noisy(7, 0))
	if _, err := Gaussian(ctx, p, 4); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if _, err := Smooth(ctx, p, GaussianBlur, 4); !errors.Is(err, context.Canceled) {
		t.Fatalf("Smooth: got %v, want context.Canceled", err)
	}
}
