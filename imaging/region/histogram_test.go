package region

import (
	"context"
	"math"
	"slices"
	"testing"

	"cartago/imaging"
	"cartago/imaging/stats"
)

// maskedValues returns the values of p in m, row by row.
func maskedValues(p imaging.Plane, m *Mask) []float32 {
	var v []float32
	for y := range p.Height {
		for x := range p.Width {
			if m.Contains(x, y) {
				v = append(v, p.At(x, y))
			}
		}
	}
	return v
}

func TestHistogram(t *testing.T) {
	p := testPlane(300, 200, 5, 3)
	for name, d := range testRegions {
		m := mustMask(t, d, p.Width, p.Height)
		for _, cfg := range []stats.Config{
			{NumBins: stats.AutoBinSize},
			{NumBins: 17},
			{NumBins: 64, FixedBounds: true, Min: 4, Max: 6},
		} {
			h, s, err := Histogram(context.Background(), p, m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			vals := maskedValues(p, m)
			ref := stats.Compute(vals)
			r := m.Bounds()
			auto := int(math.Max(math.Sqrt(float64(r.Dx()*r.Dy())), 2))
			n, lo, hi, _ := cfg.Resolve(auto, ref)
			want := stats.NewHistogram(n, lo, hi)
			want.SetStats(ref)
			want.Fill(vals)
			if s.Count != ref.Count || s.Sum != ref.Sum && math.Abs(s.Sum-ref.Sum) > 1e-12*math.Abs(ref.Sum) {
				t.Errorf("%s: stats %+v, want %+v", name, s, ref)
			}
			if h.NumBins != want.NumBins || h.Min != want.Min || h.Max != want.Max || h.BinWidth != want.BinWidth ||
				!slices.Equal(h.Bins, want.Bins) || !relClose(h.Mean, want.Mean, 1e-12) || !relClose(h.StdDev, want.StdDev, 1e-9) {
				t.Errorf("%s %+v: histogram %d bins [%g, %g] mean %g sd %g, want %d [%g, %g] %g %g (bins equal: %v)", name, cfg,
					h.NumBins, h.Min, h.Max, h.Mean, h.StdDev, want.NumBins, want.Min, want.Max, want.Mean, want.StdDev, slices.Equal(h.Bins, want.Bins))
			}
		}
	}
}

func TestHistogramAutoBinsUseBoundingBox(t *testing.T) {
	m := mustMask(t, rect(50, 50, 40, 10, 0), 100, 100) // 41×11 box
	if got := AutoBins(m); got != int(math.Sqrt(41*11)) {
		t.Errorf("AutoBins %d, want %d", got, int(math.Sqrt(41*11)))
	}
	if got := AutoBins(mustMask(t, Desc{Kind: KindPoint, Points: []Point{{1, 1}}}, 4, 4)); got != 2 {
		t.Errorf("point AutoBins %d, want 2", got)
	}
}

func TestHistogramAllNaN(t *testing.T) {
	nan := float32(math.NaN())
	p := imaging.Plane{Width: 3, Height: 3, Data: []float32{nan, nan, nan, nan, nan, nan, nan, nan, 1}}
	h, s, err := Histogram(context.Background(), p, mustMask(t, rect(0.5, 0.5, 1, 1, 0), 3, 3), stats.Config{NumBins: stats.AutoBinSize})
	if err != nil {
		t.Fatal(err)
	}
	if h.NumBins != 1 || h.Min != 0 || h.Max != 0 || h.Bins[0] != 0 || !math.IsNaN(h.Mean) || s.NaNCount != 4 {
		t.Errorf("all-NaN region histogram %+v", h)
	}
}
