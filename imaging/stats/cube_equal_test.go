package stats

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"

	"cartago/imaging"
)

// cubeCase builds a cube of w×h planes of the kinds a histogram must get
// right, in an order that puts the extrema in different planes.
func cubeCase(w, h int, kinds ...string) *memCube {
	c := &memCube{fail: -1}
	n := w * h
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for i, k := range kinds {
		d := make([]float32, n)
		switch k {
		case "noise": // finite, NaN band
			copy(d, randomData(n, float64(i), 0, uint64(i)+1))
		case "blanks": // NaN, +Inf and −Inf scattered
			copy(d, randomData(n, -float64(i), 0.05, uint64(i)+1))
		case "constant":
			for j := range d {
				d[j] = 7.25
			}
		case "nan":
			for j := range d {
				d[j] = nan
			}
		case "-inf":
			for j := range d {
				d[j] = -inf
				if j%3 == 0 {
					d[j] = nan
				}
			}
		case "+inf":
			for j := range d {
				d[j] = inf
				if j%3 == 1 {
					d[j] = nan
				}
			}
		case "ties": // the extrema repeated, at the start and in the last band
			copy(d, randomData(n, 0, 0, uint64(i)+1))
			for j := range d {
				d[j] = max(min(d[j], 3), -3)
			}
			d[0], d[n-1] = -3, 3
		default:
			panic(k)
		}
		c.planes = append(c.planes, imaging.Plane{Width: w, Height: h, Data: d})
	}
	return c
}

// The band-by-band cube histogram equals the two-pass whole-plane one it
// replaced (twoPassCube) bit for bit: bins, bounds, mean, deviation and
// statistics with their positions, for small planes (one per goroutine)
// and large ones (split into bands, with a width that is no power of
// two), with NaN, ±Inf, constant, all-NaN and −Inf-only planes, under
// several GOMAXPROCS (which set the bands), automatic and fixed bins and
// bounds, and with the extrema given.
func TestCubeHistogramEqualsTwoPass(t *testing.T) {
	finite := []string{"noise", "constant", "nan", "ties", "noise"}
	withInf := []string{"noise", "blanks", "constant", "-inf", "nan", "+inf", "ties"}
	configs := []Config{
		{NumBins: AutoBinSize},
		{FixedNumBins: true, NumBins: 7},
		{NumBins: 100, FixedBounds: true, Min: -2, Max: 5},
	}
	sizes := [][2]int{{64, 48}, {1000, splitPlanes/1000 + 1}, {1, 1}}
	for _, procs := range []int{1, 2, 3} {
		for _, size := range sizes {
			for ki, kinds := range [][]string{finite, withInf, {"nan", "nan"}, {"-inf"}, {"+inf", "constant"}} {
				if size[0] > 64 && (ki != 1 || procs == 3) {
					continue // the small planes cover the rest; the large ones are slow under -race
				}
				for ci, cfg := range configs {
					if size[0] > 64 && ci > 0 && procs != 2 {
						continue // bins and bounds do not depend on the bands
					}
					name := fmt.Sprintf("procs=%d/%dx%d/%v/%+v", procs, size[0], size[1], kinds, cfg)
					func() {
						defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
						c := cubeCase(size[0], size[1], kinds...)
						wantH, wantS, err := twoPassCube(context.Background(), c, cfg)
						if err != nil {
							t.Fatalf("%s: two-pass: %v", name, err)
						}
						gotH, gotS, err := CubeHistogram(context.Background(), c, cfg, nil, nil)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						checkSameCube(t, name, gotH, gotS, wantH, wantS)
						ext, err := CubeExtremaOf(context.Background(), c, nil)
						if err != nil {
							t.Fatalf("%s: extrema: %v", name, err)
						}
						gotH, gotS, err = CubeHistogram(context.Background(), c, cfg, ext, nil)
						if err != nil {
							t.Fatalf("%s: with extrema: %v", name, err)
						}
						checkSameCube(t, name+" with extrema", gotH, gotS, wantH, wantS)
					}()
				}
			}
		}
	}
}

func checkSameCube(t *testing.T, name string, gotH Histogram, gotS Basic, wantH Histogram, wantS Basic) {
	t.Helper()
	if !slices.Equal(gotH.Bins, wantH.Bins) || gotH.NumBins != wantH.NumBins || gotH.BinWidth != wantH.BinWidth ||
		gotH.FirstBinCenter != wantH.FirstBinCenter || gotH.Min != wantH.Min || gotH.Max != wantH.Max ||
		!sameBits(gotH.Mean, wantH.Mean) || !sameBits(gotH.StdDev, wantH.StdDev) {
		t.Errorf("%s: histogram %d bins [%v, %v] mean %v σ %v, want %d bins [%v, %v] mean %v σ %v (bins equal: %v)", name,
			gotH.NumBins, gotH.Min, gotH.Max, gotH.Mean, gotH.StdDev, wantH.NumBins, wantH.Min, wantH.Max, wantH.Mean, wantH.StdDev,
			slices.Equal(gotH.Bins, wantH.Bins))
	}
	if gotS.Count != wantS.Count || gotS.NaNCount != wantS.NaNCount || !sameBits(gotS.Sum, wantS.Sum) ||
		!sameBits(gotS.SumSq, wantS.SumSq) || !sameBits(gotS.m2, wantS.m2) ||
		!sameBits(float64(gotS.Min), float64(wantS.Min)) || !sameBits(float64(gotS.Max), float64(wantS.Max)) ||
		gotS.MinIndex != wantS.MinIndex || gotS.MaxIndex != wantS.MaxIndex {
		t.Errorf("%s: statistics %+v, want %+v", name, gotS, wantS)
	}
}

// sameBits is equality of float64 bits, NaN equal to NaN.
func sameBits(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}
