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
		// The plain path (full statistics pass, then counting pass) that
		// the fused one replaces, for A/B comparison in the same run.
		b.Run(fmt.Sprintf("nan=%v/two-pass", nan), func(b *testing.B) {
			b.SetBytes(int64(4 * len(p.Data)))
			for b.Loop() {
				if _, _, err := twoPass(context.Background(), p.Data, AutoBins(p.Width, p.Height), Config{NumBins: AutoBinSize}, rowTaskLen(p.Width)); err != nil {
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

// BenchmarkBaselineRead is the machine ceiling of perf.md (e) #10: read
// the plane's bytes as uint64 with four XOR accumulators. Divide a
// kernel's MB/s by this one's, measured in the same run, to compare
// across machines and noisy neighbours.
func BenchmarkBaselineRead(b *testing.B) {
	p := benchPlane(false)
	words := make([]uint64, len(p.Data)/2)
	for i := range words {
		words[i] = uint64(math.Float32bits(p.Data[2*i])) | uint64(math.Float32bits(p.Data[2*i+1]))<<32
	}
	b.SetBytes(int64(8 * len(words)))
	var sink uint64
	for b.Loop() {
		var a0, a1, a2, a3 uint64
		for i := 0; i+4 <= len(words); i += 4 {
			w := words[i : i+4 : i+4]
			a0 ^= w[0]
			a1 ^= w[1]
			a2 ^= w[2]
			a3 ^= w[3]
		}
		sink ^= a0 ^ a1 ^ a2 ^ a3
	}
	if sink == 1 {
		b.Log(sink)
	}
}
