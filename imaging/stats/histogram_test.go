package stats

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"testing"

	"cartago/imaging"
)

func TestAutoBins(t *testing.T) {
	tests := []struct{ w, h, want int }{
		{1, 1, 2}, {2, 1, 2}, {2, 2, 2}, {3, 3, 3}, {4096, 4096, 4096},
		{1000, 800, 894}, {5000, 3, 122}, {67000, 54000, 60149},
	}
	for _, tt := range tests {
		if got := AutoBins(tt.w, tt.h); got != tt.want {
			t.Errorf("AutoBins(%d, %d) = %d, want %d", tt.w, tt.h, got, tt.want)
		}
	}
}

// TestFillBehaviour uses the edge cases of the reference backend's own
// histogram test (test/TestHistogram.cc, TestHistogramBehaviour): the
// first bin is closed below, middle bins are half open, the last bin is
// closed above, out-of-range values and NaN do not count.
func TestFillBehaviour(t *testing.T) {
	data := []float32{0, 0.5, 1, 4, 4.5, 4.7, 4.9, 5, 5, 5, 9.1, 10, -1, 0 - 1e-9, 10 + 1e9, 11, float32(math.NaN())}
	h := NewHistogram(10, 0, 10)
	h.Fill(data)
	want := []int32{2, 1, 0, 0, 4, 3, 0, 0, 0, 2}
	if !slices.Equal(h.Bins, want) {
		t.Errorf("bins = %v, want %v", h.Bins, want)
	}
	if h.BinWidth != 1 || h.FirstBinCenter != 0.5 {
		t.Errorf("width %v centre %v", h.BinWidth, h.FirstBinCenter)
	}
}

// refBin is the binning rule written out in float32 as the reference
// evaluates it (Histogram::Fill): in range if lo ≤ v ≤ hi, bin
// (v−lo)/width truncated, clamped to the last bin.
func refBin(v, lo, hi, width float32, n int) int {
	if !(lo <= v && v <= hi) {
		return -1
	}
	q := (v - lo) / width
	if q >= float32(n-1) {
		return n - 1
	}
	return int(q)
}

func TestFillMatchesFloat64Binning(t *testing.T) {
	d := randomData(200000, 3, 0.01, 21)
	s := Compute(d)
	n, lo, hi, err := Config{NumBins: 1000}.Resolve(0, s)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHistogram(n, lo, hi)
	h.Fill(d)
	want := make([]int32, n)
	w64 := (hi - lo) / float64(n)
	edgeHits := 0
	for _, v := range d {
		b := refBin(v, float32(lo), float32(hi), float32(h.BinWidth), n)
		if b < 0 {
			continue
		}
		want[b]++
		// Independent float64 check: the float32 bin may differ only
		// for values within float32 rounding of a bin edge.
		f := (float64(v) - lo) / w64
		b64 := min(int(math.Floor(f)), n-1)
		if b64 != b {
			if math.Abs(f-math.Round(f)) > 1e-4 {
				t.Fatalf("value %v: bin %d, float64 bin %d (f=%v)", v, b, b64, f)
			}
			edgeHits++
		}
	}
	if !slices.Equal(h.Bins, want) {
		t.Fatalf("bins differ from the float32 rule")
	}
	var total int32
	for _, c := range h.Bins {
		total += c
	}
	if int64(total) != s.Count {
		t.Errorf("total %d, want %d finite values (bounds are min/max)", total, s.Count)
	}
	t.Logf("%d values sit on a bin edge where float32 and float64 disagree", edgeHits)
}

func TestNewHistogramFloat32Fields(t *testing.T) {
	// width and centre are float32 values, as the reference stores them.
	h := NewHistogram(3, 0, 1)
	if h.BinWidth != float64(float32(1.0/3)) || h.FirstBinCenter != float64(float32(float64(float32(1.0/3))*0.5)) {
		t.Errorf("width %v centre %v", h.BinWidth, h.FirstBinCenter)
	}
}

func plane(w, h int, data ...float32) imaging.Plane {
	return imaging.Plane{Width: w, Height: h, Data: data}
}

func TestPlaneHistogramEdgeCases(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	auto := Config{NumBins: AutoBinSize}
	tests := []struct {
		name      string
		p         imaging.Plane
		cfg       Config
		bins      []int32
		lo, hi    float64
		mean, std float64 // NaN = expect NaN
	}{
		{"all NaN", plane(2, 2, nan, nan, nan, nan), auto, []int32{0}, 0, 0, math.NaN(), math.NaN()},
		{"constant 5", plane(3, 1, 5, 5, 5), auto, []int32{0}, 0, 0, 5, 0},
		{"constant 0 counts zeros", plane(3, 1, 0, 0, nan), auto, []int32{2}, 0, 0, 0, 0},
		{"single pixel", plane(1, 1, 3), auto, []int32{0}, 0, 0, 3, math.NaN()},
		{"two pixels", plane(2, 1, 1, 3), auto, []int32{1, 1}, 1, 3, 2, math.Sqrt2},
		{"max in last bin", plane(3, 3, 0, 1, 2, 3, 4, 5, 6, 7, 9), auto, []int32{3, 3, 3}, 0, 9, 37.0 / 9, -1},
		{"inf ignored", plane(2, 2, inf, -inf, 1, 2), auto, []int32{1, 1}, 1, 2, 1.5, math.Sqrt(0.5)},
		{"fixed bins", plane(2, 2, 0, 1, 2, 4), Config{FixedNumBins: true, NumBins: 4}, []int32{1, 1, 1, 1}, 0, 4, 7.0 / 4, -1},
		{"num bins without the flag", plane(2, 2, 0, 1, 2, 4), Config{NumBins: 2}, []int32{2, 2}, 0, 4, 7.0 / 4, -1},
		{"fixed bounds", plane(3, 2, -5, 0, 1, 2, 3, 50), Config{NumBins: 2, FixedBounds: true, Min: 0, Max: 2}, []int32{1, 2}, 0, 2, 51.0 / 6, -1},
		{"fixed bounds reversed", plane(2, 1, 0, 1), Config{NumBins: 2, FixedBounds: true, Min: 2, Max: 1}, []int32{1}, 0, 0, 0.5, math.Sqrt(0.5)},
		{"fixed bounds NaN", plane(2, 1, 0, 1), Config{NumBins: 2, FixedBounds: true, Min: math.NaN(), Max: 1}, []int32{1}, 0, 0, 0.5, math.Sqrt(0.5)},
		{"fixed bounds on all NaN", plane(2, 1, nan, nan), Config{NumBins: 2, FixedBounds: true, Min: 0, Max: 1}, []int32{0, 0}, 0, 1, math.NaN(), math.NaN()},
		{"empty plane", plane(0, 0), Config{NumBins: 2, FixedBounds: true, Min: 0, Max: 1}, []int32{0}, 0, 0, math.NaN(), math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, s, err := PlaneHistogram(context.Background(), tt.p, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if h.NumBins != len(tt.bins) || !slices.Equal(h.Bins, tt.bins) || h.Min != tt.lo || h.Max != tt.hi {
				t.Errorf("got %d bins %v over [%v, %v], want %v over [%v, %v]", h.NumBins, h.Bins, h.Min, h.Max, tt.bins, tt.lo, tt.hi)
			}
			if !close(h.Mean, tt.mean, 1, 1e-12) {
				t.Errorf("mean %v, want %v", h.Mean, tt.mean)
			}
			if tt.std != -1 && !close(h.StdDev, tt.std, 1, 1e-12) {
				t.Errorf("std %v, want %v", h.StdDev, tt.std)
			}
			if h.Mean != s.Mean() && !math.IsNaN(h.Mean) {
				t.Errorf("histogram mean %v differs from stats %v", h.Mean, s.Mean())
			}
		})
	}
}

func TestPlaneHistogramPlaceholderFields(t *testing.T) {
	h, _, err := PlaneHistogram(context.Background(), plane(1, 1, float32(math.NaN())), Config{NumBins: AutoBinSize})
	if err != nil {
		t.Fatal(err)
	}
	if h.NumBins != 1 || h.BinWidth != 0 || h.FirstBinCenter != 0 {
		t.Errorf("placeholder %+v, want 1 bin, width 0, centre 0", h)
	}
}

func TestPlaneHistogramParallelMatchesSerial(t *testing.T) {
	const w, hgt = 1031, 517
	p := imaging.Plane{Width: w, Height: hgt, Data: randomData(w*hgt, -2, 0.02, 5)}
	s := Compute(p.Data)
	n, lo, hi, _ := Config{NumBins: AutoBinSize}.Resolve(AutoBins(w, hgt), s)
	want := NewHistogram(n, lo, hi)
	want.Fill(p.Data)
	for _, procs := range []int{1, 2, 5} {
		prev := runtime.GOMAXPROCS(procs)
		got, gs, err := PlaneHistogram(context.Background(), p, Config{NumBins: AutoBinSize})
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Bins, want.Bins) || got.Min != want.Min || got.Max != want.Max || got.NumBins != AutoBins(w, hgt) {
			t.Fatalf("GOMAXPROCS %d: parallel histogram differs", procs)
		}
		checkBasic(t, "plane stats", gs, reference(p.Data, nil))
	}
	// Small tasks to exercise many workers and merges.
	got := NewHistogram(n, lo, hi)
	if err := got.fillParallel(context.Background(), p.Data, 1000); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Bins, want.Bins) {
		t.Fatal("fillParallel with small tasks differs")
	}
}

func TestHistogramErrors(t *testing.T) {
	p := plane(2, 1, 0, 1)
	if _, _, err := PlaneHistogram(context.Background(), p, Config{NumBins: MaxBins + 1}); !errors.Is(err, ErrTooManyBins) {
		t.Errorf("too many bins: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := PlaneHistogram(ctx, p, Config{NumBins: AutoBinSize}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	if _, _, err := PlaneHistogram(context.Background(), plane(2, 2, 1, 2, 3), Config{}); !errors.Is(err, ErrMismatch) {
		t.Errorf("short plane: err = %v", err)
	}
	a, b := NewHistogram(2, 0, 1), NewHistogram(3, 0, 1)
	if err := a.Add(b); !errors.Is(err, ErrMismatch) {
		t.Errorf("Add mismatch: err = %v", err)
	}
}

func TestAddSaturates(t *testing.T) {
	a, b := NewHistogram(2, 0, 1), NewHistogram(2, 0, 1)
	a.Bins[0], b.Bins[0] = math.MaxInt32-1, 5
	a.Bins[1], b.Bins[1] = 2, 3
	if err := a.Add(b); err != nil {
		t.Fatal(err)
	}
	if a.Bins[0] != math.MaxInt32 || a.Bins[1] != 5 {
		t.Errorf("bins %v", a.Bins)
	}
}

// TestFusedMatchesTwoPass checks PlaneHistogram's fast path (min/max,
// then counts and sums together) against the plain statistics pass plus
// counting pass, on data with NaN but no ±Inf (which takes the plain
// path anyway).
func TestFusedMatchesTwoPass(t *testing.T) {
	const w, hgt = 700, 300
	d := randomData(w*hgt, 50, 0.03, 8)
	for i, v := range d {
		if math.IsInf(float64(v), 0) {
			d[i] = float32(math.NaN())
		}
	}
	for i := 5000; i < 5300; i++ { // a chunk-straddling NaN run
		d[i] = float32(math.NaN())
	}
	ref := reference(d, nil)
	cfgs := []Config{
		{NumBins: AutoBinSize},
		{NumBins: 7, FixedBounds: true, Min: 45, Max: 52},
		{NumBins: 3, FixedBounds: true, Min: 1000, Max: 2000},
	}
	for _, cfg := range cfgs {
		for _, tlen := range []int{w, 7 * w, len(d)} {
			for _, procs := range []int{1, 3} {
				prev := runtime.GOMAXPROCS(procs)
				got, gs, err := planeHistogram(context.Background(), d, AutoBins(w, hgt), cfg, tlen)
				want, ws, err2 := twoPass(context.Background(), d, AutoBins(w, hgt), cfg, tlen)
				runtime.GOMAXPROCS(prev)
				if err != nil || err2 != nil {
					t.Fatal(err, err2)
				}
				if !slices.Equal(got.Bins, want.Bins) || got.Min != want.Min || got.Max != want.Max || got.BinWidth != want.BinWidth {
					t.Fatalf("cfg %+v tlen %d: fused histogram differs", cfg, tlen)
				}
				checkBasic(t, "fused", gs, ref)
				checkBasic(t, "two-pass", ws, ref)
				if !close(got.Mean, want.Mean, math.Abs(want.Mean), 1e-13) || !close(got.StdDev, want.StdDev, want.StdDev, 1e-12) {
					t.Fatalf("mean/std %v %v, want %v %v", got.Mean, got.StdDev, want.Mean, want.StdDev)
				}
			}
		}
	}
}

func TestHistogramWithStats(t *testing.T) {
	p := imaging.Plane{Width: 300, Height: 200, Data: randomData(300*200, 1, 0.01, 13)}
	cfg := Config{NumBins: AutoBinSize}
	want, s, err := PlaneHistogram(context.Background(), p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := HistogramWithStats(context.Background(), p, cfg, Compute(p.Data))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Bins, want.Bins) || got.NumBins != 244 || !close(got.Mean, s.Mean(), 1, 1e-12) || !close(got.StdDev, s.Sigma(), 1, 1e-12) {
		t.Errorf("HistogramWithStats differs from PlaneHistogram: %d bins, mean %v std %v", got.NumBins, got.Mean, got.StdDev)
	}
}

// A plane of nothing but −Inf and NaN has a minimum (−Inf) but no value
// above −Inf: the extrema pass once indexed the plane at −tlen for its
// maximum and panicked. Its histogram is the placeholder, as for a plane
// without finite values; the cube's is that of its other planes.
func TestHistogramOnlyNegativeInf(t *testing.T) {
	ninf, nan := float32(math.Inf(-1)), float32(math.NaN())
	p := imaging.Plane{Width: 2, Height: 2, Data: []float32{ninf, nan, ninf, ninf}}
	h, s, err := PlaneHistogram(context.Background(), p, Config{NumBins: AutoBinSize})
	if err != nil || h.NumBins != 1 || h.Min != 0 || h.Max != 0 || s.Count != 0 || s.NaNCount != 4 {
		t.Errorf("histogram %+v stats %+v err %v, want the 1-bin placeholder and 4 skipped values", h, s, err)
	}
	c := &memCube{fail: -1, planes: []imaging.Plane{p, plane(2, 2, 1, 2, 3, 4)}}
	h, s, err = CubeHistogram(context.Background(), c, Config{NumBins: 3}, nil, nil)
	if err != nil || !slices.Equal(h.Bins, []int32{1, 1, 2}) || s.Count != 4 || s.Min != 1 || s.Max != 4 {
		t.Errorf("cube histogram %+v stats %+v err %v, want bins [1 1 2] over [1, 4]", h, s, err)
	}
}
