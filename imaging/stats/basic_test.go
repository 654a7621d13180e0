package stats

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// refStats is an independent float64 reference: two passes, the second
// around the mean, so its sigma does not suffer from cancellation.
type refStats struct {
	n, nan                int64
	sum, sumSq, mean, sig float64
	min, max              float64
	minIdx, maxIdx        int
	absSum                float64
}

func reference(data []float32, mask []bool) refStats {
	r := refStats{minIdx: -1, maxIdx: -1}
	for i, v32 := range data {
		if mask != nil && !mask[i] {
			continue
		}
		v := float64(v32)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			r.nan++
			continue
		}
		if r.n == 0 || v < r.min {
			r.min, r.minIdx = v, i
		}
		if r.n == 0 || v > r.max {
			r.max, r.maxIdx = v, i
		}
		r.n++
		r.sum += v
		r.sumSq += v * v
		r.absSum += math.Abs(v)
	}
	r.mean = r.sum / float64(r.n)
	var d2 float64
	for i, v32 := range data {
		v := float64(v32)
		if (mask == nil || mask[i]) && !math.IsNaN(v) && !math.IsInf(v, 0) {
			d2 += (v - r.mean) * (v - r.mean)
		}
	}
	r.sig = math.Sqrt(d2 / float64(r.n-1))
	return r
}

func close(a, b, scale, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*scale
}

func checkBasic(t *testing.T, name string, got Basic, r refStats) {
	t.Helper()
	if got.Count != r.n || got.NaNCount != r.nan {
		t.Fatalf("%s: count %d nan %d, want %d %d", name, got.Count, got.NaNCount, r.n, r.nan)
	}
	if r.n == 0 {
		if !math.IsNaN(got.Mean()) || !math.IsNaN(got.Sigma()) || !math.IsNaN(got.RMS()) || got.MinIndex != -1 || got.MaxIndex != -1 {
			t.Fatalf("%s: empty set gave %+v mean %v", name, got, got.Mean())
		}
		return
	}
	if float64(got.Min) != r.min || float64(got.Max) != r.max || got.MinIndex != r.minIdx || got.MaxIndex != r.maxIdx {
		t.Fatalf("%s: min %v@%d max %v@%d, want %v@%d %v@%d", name, got.Min, got.MinIndex, got.Max, got.MaxIndex, r.min, r.minIdx, r.max, r.maxIdx)
	}
	const tol = 1e-12
	if !close(got.Sum, r.sum, r.absSum, tol) || !close(got.SumSq, r.sumSq, r.sumSq, tol) {
		t.Fatalf("%s: sum %v sumsq %v, want %v %v", name, got.Sum, got.SumSq, r.sum, r.sumSq)
	}
	if !close(got.Mean(), r.mean, r.absSum/float64(r.n), tol) || !close(got.RMS(), math.Sqrt(r.sumSq/float64(r.n)), math.Sqrt(r.sumSq/float64(r.n)), tol) {
		t.Fatalf("%s: mean %v rms %v, want %v", name, got.Mean(), got.RMS(), r.mean)
	}
	if r.n == 1 {
		if !math.IsNaN(got.Sigma()) {
			t.Fatalf("%s: sigma of one value = %v, want NaN", name, got.Sigma())
		}
		return
	}
	if !close(got.Sigma(), r.sig, r.sig, 1e-12) {
		t.Fatalf("%s: sigma %v, want %v", name, got.Sigma(), r.sig)
	}
}

// randomData returns n values of noise around offset with a fraction of
// NaN and ±Inf, and a run of NaN.
func randomData(n int, offset float64, blankFrac float64, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 3))
	d := make([]float32, n)
	for i := range d {
		d[i] = float32(offset + 3*r.NormFloat64())
		if r.Float64() < blankFrac {
			switch r.IntN(4) {
			case 0:
				d[i] = float32(math.Inf(1))
			case 1:
				d[i] = float32(math.Inf(-1))
			default:
				d[i] = float32(math.NaN())
			}
		}
	}
	for i := n / 3; i < n/3+n/20; i++ {
		d[i] = float32(math.NaN())
	}
	return d
}

func TestCompute(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 4, 5, 255, 256, 257, 1000, 4099, 70000} {
		for _, blank := range []float64{0, 0.01, 0.5, 1} {
			for _, offset := range []float64{0, 1000, 1e5} {
				d := randomData(n, offset, blank, uint64(n))
				checkBasic(t, "Compute", Compute(d), reference(d, nil))
			}
		}
	}
}

func TestComputeEdgeCases(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		name string
		data []float32
	}{
		{"all NaN", []float32{nan, nan, nan, nan, nan}},
		{"only Inf", []float32{inf, -inf}},
		{"single", []float32{7}},
		{"constant", []float32{2, 2, 2, 2, 2, 2, 2}},
		{"ties keep first", []float32{1, 5, -3, 5, -3, 1}},
		{"extremes", []float32{math.MaxFloat32, -math.MaxFloat32, math.MaxFloat32}},
		{"NaN then values", []float32{nan, 3, nan, 1, 2, inf}},
	}
	for _, tt := range tests {
		checkBasic(t, tt.name, Compute(tt.data), reference(tt.data, nil))
	}
	c := Compute([]float32{2, 2, 2})
	if c.Sigma() != 0 {
		t.Errorf("sigma of constant data = %v, want 0", c.Sigma())
	}
	if e := Compute([]float32{-3, 1, 3}).Extrema(); e != 3 {
		t.Errorf("Extrema tie = %v, want max 3", e)
	}
	if e := Compute([]float32{-4, 1, 3}).Extrema(); e != -4 {
		t.Errorf("Extrema = %v, want -4", e)
	}
}

func TestComputeMasked(t *testing.T) {
	d := randomData(5000, 10, 0.05, 9)
	r := rand.New(rand.NewPCG(4, 4))
	mask := make([]bool, len(d))
	for i := range mask {
		mask[i] = r.IntN(3) != 0
	}
	checkBasic(t, "masked", ComputeMasked(d, mask), reference(d, mask))
	none := make([]bool, len(d))
	checkBasic(t, "mask none", ComputeMasked(d, none), reference(d, none))
}

func TestMergeKeepsFirstOccurrence(t *testing.T) {
	a := Compute([]float32{1, 9, 0})
	b := accumulate([]float32{0, 9, 4}, nil, 3)
	a.Merge(b)
	if a.MinIndex != 2 || a.MaxIndex != 1 || a.Count != 6 {
		t.Errorf("merged %+v", a)
	}
	var z Basic
	z.Merge(Basic{NaNCount: 2})
	z.Merge(a)
	if z.Min != 0 || z.MinIndex != 2 || z.NaNCount != 2 {
		t.Errorf("merge into zero value: %+v", z)
	}
}

func TestComputeParallel(t *testing.T) {
	d := randomData(1<<20+77, 5, 0.02, 11)
	ref := reference(d, nil)
	var first Basic
	for i, procs := range []int{1, 2, 3, 8} {
		prev := runtime.GOMAXPROCS(procs)
		got, err := computeParallel(context.Background(), d, 4096)
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		checkBasic(t, "parallel", got, ref)
		if i == 0 {
			first = got
		} else if got != first {
			t.Errorf("GOMAXPROCS %d: %+v differs from GOMAXPROCS 1: %+v", procs, got, first)
		}
	}
	got, err := ComputeParallel(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	checkBasic(t, "ComputeParallel", got, ref)
}

func TestComputeParallelCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ComputeParallel(ctx, make([]float32, 1<<20)); err != context.Canceled {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
