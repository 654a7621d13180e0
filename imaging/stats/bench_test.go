package stats

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"cartago/imaging"
)

// benchPlane is a 4096² plane of Gaussian noise; with nanBands, 1/8 of
// the rows are NaN and 0.1% of pixels scattered NaN.
func benchPlane(nanBands bool) imaging.Plane {
	const n = 4096
	r := rand.New(rand.NewPCG(1, 1))
	p := imaging.Plane{Width: n, Height: n, Data: make([]float32, n*n)}
	for i := range p.Data {
		p.Data[i] = float32(r.NormFloat64())
		if nanBands && ((i/n)%64 < 8 || r.IntN(1000) == 0) {
			p.Data[i] = float32(math.NaN())
		}
	}
	return p
}

// Bytes/s in these benchmarks are input bytes: MB/s ÷ 4 = Mpix/s.

// BenchmarkPlaneHistogram is the per-channel image histogram: statistics
// pass, auto bins (4096 for 4096²), counting pass.
func BenchmarkPlaneHistogram(b *testing.B) {
	for _, nan := range []bool{false, true} {
		p := benchPlane(nan)
		b.Run(fmt.Sprintf("nan=%v", nan), func(b *testing.B) {
			b.SetBytes(int64(4 * len(p.Data)))
			for b.Loop() {
				if _, _, err := PlaneHistogram(context.Background(), p, Config{NumBins: AutoBinSize}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCompute(b *testing.B) {
	for _, nan := range []bool{false, true} {
		p := benchPlane(nan)
		b.Run(fmt.Sprintf("serial/nan=%v", nan), func(b *testing.B) {
			b.SetBytes(int64(4 * len(p.Data)))
			for b.Loop() {
				Compute(p.Data)
			}
		})
		b.Run(fmt.Sprintf("parallel/nan=%v", nan), func(b *testing.B) {
			b.SetBytes(int64(4 * len(p.Data)))
			for b.Loop() {
				if _, err := ComputeParallel(context.Background(), p.Data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFill(b *testing.B) {
	p := benchPlane(false)
	s := Compute(p.Data)
	n, lo, hi, _ := Config{NumBins: AutoBinSize}.Resolve(AutoBins(p.Width, p.Height), s)
	b.Run("serial", func(b *testing.B) {
		b.SetBytes(int64(4 * len(p.Data)))
		for b.Loop() {
			h := NewHistogram(n, lo, hi)
			h.Fill(p.Data)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetBytes(int64(4 * len(p.Data)))
		for b.Loop() {
			h := NewHistogram(n, lo, hi)
			if err := h.FillParallel(context.Background(), p.Data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
