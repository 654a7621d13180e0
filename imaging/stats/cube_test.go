package stats

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync/atomic"
	"testing"

	"cartago/imaging"
)

// memCube serves planes from memory and counts plane reads (bands
// starting at row 0: one per pass over a plane).
type memCube struct {
	planes []imaging.Plane
	reads  atomic.Int64
	fail   int // plane index whose read fails, or -1
}

var errRead = errors.New("read failed")

func (c *memCube) Shape() (w, h, d int) {
	if len(c.planes) == 0 {
		return 0, 0, 0
	}
	return c.planes[0].Width, c.planes[0].Height, len(c.planes)
}

func (c *memCube) ReadRows(dst []float32, i, y0, rows int) error {
	if y0 == 0 {
		c.reads.Add(1)
	}
	if i == c.fail {
		return errRead
	}
	p := c.planes[i]
	w := c.planes[0].Width
	if p.Width != w || len(p.Data) != w*p.Height || y0 < 0 || y0+rows > p.Height || len(dst) != w*rows {
		return ErrMismatch
	}
	copy(dst, p.Data[y0*w:(y0+rows)*w])
	return nil
}

func newCube(n, w, h int) *memCube {
	c := &memCube{fail: -1}
	for i := range n {
		// Each plane has its own offset, so the cube bounds differ
		// from every plane's.
		c.planes = append(c.planes, imaging.Plane{Width: w, Height: h, Data: randomData(w*h, float64(10*i), 0.01, uint64(i))})
	}
	return c
}

func TestCubeHistogram(t *testing.T) {
	c := newCube(5, 64, 48)
	var all []float32
	for _, p := range c.planes {
		all = append(all, p.Data...)
	}
	ref := reference(all, nil)

	var fractions []float64
	var sawPartial bool
	progress := func(done float64, h *Histogram) {
		if len(fractions) > 0 && done <= fractions[len(fractions)-1] {
			t.Errorf("progress went from %v to %v", fractions[len(fractions)-1], done)
		}
		if (done <= 0.5) != (h == nil) {
			t.Errorf("progress %v with histogram %v", done, h != nil)
		}
		sawPartial = sawPartial || h != nil
		fractions = append(fractions, done)
	}
	h, s, err := CubeHistogram(context.Background(), c, Config{NumBins: AutoBinSize}, nil, progress)
	if err != nil {
		t.Fatal(err)
	}
	checkBasic(t, "cube stats", s, ref)
	want := NewHistogram(AutoBins(64, 48), float64(s.Min), float64(s.Max))
	want.Fill(all)
	if !slices.Equal(h.Bins, want.Bins) || h.Min != want.Min || h.Max != want.Max || h.NumBins != 55 {
		t.Errorf("cube histogram differs from one over all values: %d bins [%v, %v]", h.NumBins, h.Min, h.Max)
	}
	if !close(h.Mean, ref.mean, 1, 1e-12) || !close(h.StdDev, ref.sig, ref.sig, 1e-12) {
		t.Errorf("mean %v std %v, want %v %v", h.Mean, h.StdDev, ref.mean, ref.sig)
	}
	// One call per group of planes processed at once, the last left out.
	groups := (len(c.planes) + imaging.Workers(len(c.planes)) - 1) / imaging.Workers(len(c.planes))
	if len(fractions) != 2*groups-1 || fractions[groups-1] != 0.5 || !sawPartial {
		t.Errorf("progress calls %v, want %d ending the first pass at 0.5", fractions, 2*groups-1)
	}
	// The planes hold ±Inf: extrema, then full statistics for the
	// finite bounds, then the counts.
	if c.reads.Load() != 15 {
		t.Errorf("%d plane reads, want 15 (three passes)", c.reads.Load())
	}

	// With the extrema known, the extrema pass reads nothing; the ±Inf
	// of these planes still need the statistics pass.
	c.reads.Store(0)
	ext, err := CubeExtremaOf(context.Background(), c, nil)
	if err != nil || c.reads.Load() != 5 {
		t.Fatalf("extrema: %v after %d reads, want 5", err, c.reads.Load())
	}
	c.reads.Store(0)
	h2, s2, err := CubeHistogram(context.Background(), c, Config{NumBins: AutoBinSize}, ext, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.reads.Load() != 10 || !slices.Equal(h2.Bins, h.Bins) || s2 != s || h2.Mean != h.Mean || h2.StdDev != h.StdDev {
		t.Errorf("with known extrema: %d reads, same bins %v, stats %+v, want %+v", c.reads.Load(), slices.Equal(h2.Bins, h.Bins), s2, s)
	}
}

func TestCubeHistogramFixedBounds(t *testing.T) {
	c := newCube(3, 10, 10)
	cfg := Config{FixedNumBins: true, NumBins: 7, FixedBounds: true, Min: 0, Max: 20}
	h, _, err := CubeHistogram(context.Background(), c, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := NewHistogram(7, 0, 20)
	for _, p := range c.planes {
		want.Fill(p.Data)
	}
	if !slices.Equal(h.Bins, want.Bins) {
		t.Errorf("bins %v, want %v", h.Bins, want.Bins)
	}
}

func TestCubeHistogramAllNaN(t *testing.T) {
	nan := float32(math.NaN())
	c := &memCube{fail: -1, planes: []imaging.Plane{plane(2, 1, nan, nan), plane(2, 1, nan, 0)}}
	h, s, err := CubeHistogram(context.Background(), c, Config{NumBins: AutoBinSize}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One finite value: min == max, so the reference's 1-bin [0, 0]
	// placeholder, which counts the zero.
	if h.NumBins != 1 || h.Bins[0] != 1 || s.Count != 1 || s.NaNCount != 3 || !math.IsNaN(h.StdDev) {
		t.Errorf("h %+v s %+v", h, s)
	}
	empty := &memCube{fail: -1}
	h, _, err = CubeHistogram(context.Background(), empty, Config{NumBins: AutoBinSize}, nil, nil)
	if err != nil || h.NumBins != 1 {
		t.Errorf("empty cube: %+v, %v", h, err)
	}
}

func TestCubeHistogramErrors(t *testing.T) {
	c := newCube(4, 8, 8)
	c.fail = 2
	if _, _, err := CubeHistogram(context.Background(), c, Config{NumBins: AutoBinSize}, nil, nil); !errors.Is(err, errRead) {
		t.Errorf("read error: %v", err)
	}
	c.fail = -1

	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, _, err := CubeHistogram(ctx, c, Config{NumBins: AutoBinSize}, nil, func(done float64, _ *Histogram) {
		calls++
		if done > 0.5 {
			cancel()
		}
	})
	groups := (len(c.planes) + imaging.Workers(len(c.planes)) - 1) / imaging.Workers(len(c.planes))
	if !errors.Is(err, context.Canceled) || calls != groups+1 {
		t.Errorf("cancel from progress: err %v after %d calls, want the first of the second pass (%d)", err, calls, groups+1)
	}

	if _, _, err := CubeHistogram(context.Background(), c, Config{}, make(CubeExtrema, 3), nil); !errors.Is(err, ErrMismatch) {
		t.Errorf("wrong extrema length: %v", err)
	}
	c.planes[3] = imaging.Plane{Width: 4, Height: 15, Data: make([]float32, 60)}

	if _, _, err := CubeHistogram(context.Background(), c, Config{}, nil, nil); !errors.Is(err, ErrMismatch) {
		t.Errorf("plane size mismatch: %v", err)
	}
}

// Planes of splitPlanes values or more are split over cores instead of
// handed out whole; the result is the same.
func TestCubeHistogramLargePlanes(t *testing.T) {
	c := newCube(2, 1024, splitPlanes/1024)
	var all []float32
	for _, p := range c.planes {
		all = append(all, p.Data...)
	}
	h, s, err := CubeHistogram(context.Background(), c, Config{NumBins: AutoBinSize}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkBasic(t, "cube stats", s, reference(all, nil))
	want := NewHistogram(AutoBins(1024, splitPlanes/1024), float64(s.Min), float64(s.Max))
	want.Fill(all)
	if !slices.Equal(h.Bins, want.Bins) || c.reads.Load() != 6 {
		t.Errorf("histogram of large planes differs from one over all values (%d reads)", c.reads.Load())
	}
}

// Without ±Inf the first pass finds only the extrema and the counting
// pass sums the moments: two reads of every plane, the same results.
func TestCubeHistogramFinite(t *testing.T) {
	for _, size := range [][2]int{{64, 48}, {1024, splitPlanes / 1024}} {
		c := newCube(5, size[0], size[1])
		var all []float32
		for _, p := range c.planes {
			for i, v := range p.Data {
				if math.IsInf(float64(v), 0) {
					p.Data[i] = float32(math.NaN())
				}
			}
			all = append(all, p.Data...)
		}
		var partial []float64
		h, s, err := CubeHistogram(context.Background(), c, Config{NumBins: AutoBinSize}, nil, func(done float64, h *Histogram) {
			if h != nil {
				partial = append(partial, h.Mean)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		ref := reference(all, nil)
		checkBasic(t, "cube stats", s, ref)
		want := NewHistogram(AutoBins(size[0], size[1]), float64(s.Min), float64(s.Max))
		want.Fill(all)
		if !slices.Equal(h.Bins, want.Bins) || c.reads.Load() != 10 {
			t.Errorf("%v planes: histogram equal %v after %d reads, want 10", size, slices.Equal(h.Bins, want.Bins), c.reads.Load())
		}
		if !close(h.Mean, ref.mean, 1, 1e-12) || !close(h.StdDev, ref.sig, ref.sig, 1e-12) {
			t.Errorf("mean %v std %v, want %v %v", h.Mean, h.StdDev, ref.mean, ref.sig)
		}
		// Partial histograms carry the mean of the planes counted so
		// far: each plane's offset is 10 more than the last's.
		for i := 1; i < len(partial); i++ {
			if !(partial[i] > partial[i-1]) {
				t.Errorf("%v planes: partial means %v do not grow with the planes counted", size, partial)
			}
		}
	}
}
