package tiles

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"cartago/imaging"
)

// testPlane returns a w×h plane of noise around offset with a NaN band,
// scattered NaN and ±Inf pixels, and one all-NaN square.
func testPlane(w, h int, seed uint64) imaging.Plane {
	r := rand.New(rand.NewPCG(seed, 7))
	p := imaging.Plane{Width: w, Height: h, Data: make([]float32, w*h)}
	for i := range p.Data {
		p.Data[i] = float32(100 + r.NormFloat64())
		switch r.IntN(50) {
		case 0:
			p.Data[i] = float32(math.NaN())
		case 1:
			p.Data[i] = float32(math.Inf(1 - 2*r.IntN(2)))
		}
	}
	for y := h / 3; y < h/3+h/10; y++ { // horizontal NaN band
		for x := range w {
			p.Data[y*w+x] = float32(math.NaN())
		}
	}
	for y := range min(h, 40) { // all-NaN square in the corner
		for x := range min(w, 40) {
			p.Data[y*w+x] = float32(math.NaN())
		}
	}
	return p
}

// refMean computes the expected block mean independently, in float64.
func refMean(p imaging.Plane, x0, y0, x1, y1 int) (float64, bool) {
	var s float64
	n := 0
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			v := float64(p.Data[y*p.Width+x])
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				s += v
				n++
			}
		}
	}
	return s / float64(n), n > 0
}

func checkDownsample(t *testing.T, p imaging.Plane, rect image.Rectangle, mip int, got []float32, w, h int) {
	t.Helper()
	if wantW, wantH := (rect.Dx()+mip-1)/mip, (rect.Dy()+mip-1)/mip; w != wantW || h != wantH || len(got) != w*h {
		t.Fatalf("rect %v mip %d: size %d×%d (len %d), want %d×%d", rect, mip, w, h, len(got), wantW, wantH)
	}
	for j := range h {
		for i := range w {
			x0, y0 := rect.Min.X+i*mip, rect.Min.Y+j*mip
			x1, y1 := min(x0+mip, rect.Max.X), min(y0+mip, rect.Max.Y)
			g := got[j*w+i]
			if mip == 1 {
				want := p.Data[y0*p.Width+x0]
				if math.Float32bits(g) != math.Float32bits(want) {
					t.Fatalf("rect %v mip 1 (%d,%d) = %v, want %v", rect, i, j, g, want)
				}
				continue
			}
			want, ok := refMean(p, x0, y0, x1, y1)
			if !ok {
				if !math.IsNaN(float64(g)) {
					t.Fatalf("rect %v mip %d (%d,%d): all-blank block gave %v, want NaN", rect, mip, i, j, g)
				}
				continue
			}
			if math.Abs(float64(g)-want) > 1e-6*math.Abs(want) {
				t.Fatalf("rect %v mip %d (%d,%d) = %v, want %v", rect, mip, i, j, g, want)
			}
		}
	}
}

func TestRenderAllTiles(t *testing.T) {
	sizes := [][2]int{{1, 1}, {255, 255}, {257, 257}, {1000, 800}, {5000, 3}, {3, 700}, {1030, 1030}}
	var buf []float32
	for k, s := range sizes {
		p := testPlane(s[0], s[1], uint64(k))
		n := Layers(p.Width, p.Height)
		for layer := 0; layer <= n; layer++ {
			nx, ny := LayerTiles(layer, p.Width, p.Height)
			for y := range ny {
				for x := range nx {
					out, r, err := Render(buf, p, Tile{x, y, layer})
					if err != nil {
						t.Fatalf("%v tile (%d,%d,%d): %v", s, x, y, layer, err)
					}
					checkDownsample(t, p, r.Bounds, r.Mip, out, r.Width, r.Height)
					buf = out
				}
			}
		}
	}
}

func TestDownsampleOddMips(t *testing.T) {
	p := testPlane(301, 199, 3)
	rects := []image.Rectangle{p0(p), image.Rect(5, 7, 300, 198), image.Rect(100, 100, 101, 101), image.Rect(0, 190, 301, 199)}
	for _, rect := range rects {
		for _, mip := range []int{1, 2, 3, 4, 5, 7, 8, 16, 33, 64, 512} {
			out, w, h, err := Downsample(nil, p, rect, mip)
			if err != nil {
				t.Fatal(err)
			}
			checkDownsample(t, p, rect, mip, out, w, h)
		}
	}
}

func p0(p imaging.Plane) image.Rectangle { return image.Rect(0, 0, p.Width, p.Height) }

// TestDownsampleWide covers outputs wider than one 256-column strip.
func TestDownsampleWide(t *testing.T) {
	p := testPlane(1300, 9, 4)
	for _, mip := range []int{1, 2, 4} {
		out, w, h, err := Downsample(nil, p, p0(p), mip)
		if err != nil {
			t.Fatal(err)
		}
		checkDownsample(t, p, p0(p), mip, out, w, h)
	}
}

func TestBlockMeanBlanks(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	// 5×3 image, mip 2 → 3×2 output; right column and top row are partial.
	p := imaging.Plane{Width: 5, Height: 3, Data: []float32{
		1, 2, nan, nan, 7,
		3, nan, nan, inf, nan,
		-inf, 4, 5, 6, 8,
	}}
	out, w, h, err := Downsample(nil, p, p0(p), 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{2, nan, 7, 4, 5.5, 8}
	if w != 3 || h != 2 {
		t.Fatalf("size %d×%d", w, h)
	}
	for i := range want {
		if math.Float32bits(out[i]) != math.Float32bits(want[i]) && !(out[i] != out[i] && want[i] != want[i]) {
			t.Errorf("out[%d] = %v, want %v (all %v)", i, out[i], want[i], out)
		}
	}
}

func TestRenderNoAlloc(t *testing.T) {
	p := testPlane(1000, 800, 5)
	buf := make([]float32, Size*Size)
	for _, tl := range []Tile{{0, 0, 0}, {1, 1, 1}, {3, 3, 2}} {
		allocs := testing.AllocsPerRun(20, func() {
			var err error
			buf, _, err = Render(buf, p, tl)
			if err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Render(%+v) allocates %v times per call", tl, allocs)
		}
	}
}

func TestDownsampleErrors(t *testing.T) {
	p := testPlane(10, 10, 6)
	bad := []struct {
		r   image.Rectangle
		mip int
	}{
		{image.Rect(0, 0, 11, 10), 1},
		{image.Rect(-1, 0, 5, 5), 1},
		{image.Rect(3, 3, 3, 5), 1},
		{p0(p), 0},
	}
	for _, b := range bad {
		if _, _, _, err := Downsample(nil, p, b.r, b.mip); !errors.Is(err, ErrBadRect) {
			t.Errorf("Downsample(%v, %d) err = %v", b.r, b.mip, err)
		}
	}
	short := imaging.Plane{Width: 10, Height: 10, Data: make([]float32, 99)}
	if _, _, _, err := Downsample(nil, short, p0(p), 1); !errors.Is(err, ErrBadRect) {
		t.Errorf("short plane: err = %v", err)
	}
	if _, _, err := Render(nil, p, Tile{0, 0, 1}); !errors.Is(err, ErrOutsideImage) {
		t.Errorf("Render beyond the last layer: err = %v", err)
	}
}
