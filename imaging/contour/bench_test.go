package contour

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"cartago/imaging"
)

const benchSize = 4096

// benchPlanes are 4096² test images, built once:
//   - smooth: a few broad sinusoids plus a bump — a few hundred long
//     contours per level, like a typical radio map;
//   - noisy: the same plus strong pixel noise and 1% blanks — hundreds of
//     thousands of tiny contours per level, the worst case.
var benchPlanes = sync.OnceValue(func() map[string]imaging.Plane {
	r := rand.New(rand.NewPCG(12, 3))
	n := benchSize
	smooth := imaging.Plane{Width: n, Height: n, Data: make([]float32, n*n)}
	noisy := imaging.Plane{Width: n, Height: n, Data: make([]float32, n*n)}
	sx := make([]float64, n)
	for x := range n {
		sx[x] = math.Sin(float64(x) / 97)
	}
	for y := range n {
		cy := math.Cos(float64(y) / 131)
		for x := range n {
			dx, dy := float64(x-n/2), float64(y-n/3)
			v := sx[x]*cy + 2*math.Exp(-(dx*dx+dy*dy)/(2*400*400))
			smooth.Data[y*n+x] = float32(v)
			if r.Float64() < 0.01 {
				noisy.Data[y*n+x] = float32(math.NaN())
			} else {
				noisy.Data[y*n+x] = float32(v + 0.5*r.NormFloat64())
			}
		}
	}
	return map[string]imaging.Plane{"smooth": smooth, "noisy": noisy}
})

var benchLevels = []float64{-0.8, -0.3, 0.2, 0.7, 1.2}

// measure runs op b.N times and reports wall ms/op, CPU ms/op (all
// goroutines: with 5 levels on n cores, wall ≈ CPU/min(5, n) when idle)
// and MPix/s of the 4096² input.
func measure(b *testing.B, op func()) {
	cpu0 := cpuTime()
	for b.Loop() {
		op()
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(benchSize*benchSize)*float64(b.N)/b.Elapsed().Seconds()/1e6, "MPix/s")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/op")
	b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
}

// BenchmarkTrace4096 traces 5 levels of a 4096² plane, unsmoothed.
func BenchmarkTrace4096(b *testing.B) {
	for _, name := range []string{"smooth", "noisy"} {
		f := field(benchPlanes()[name])
		b.Run(name, func(b *testing.B) {
			var verts int
			measure(b, func() {
				pl, err := Trace(context.Background(), f, benchLevels)
				if err != nil {
					b.Fatal(err)
				}
				verts = 0
				for _, p := range pl {
					verts += len(p.Vertices) / 2
				}
			})
			b.ReportMetric(float64(verts), "vertices")
		})
	}
}

// BenchmarkContourPipeline4096 is what a SET_CONTOUR_PARAMETERS costs with
// the frontend's defaults: Gaussian smoothing factor 4, 5 levels, chunks of
// 100000 vertices, each encoded at zstd level 8 with decimation 4.
func BenchmarkContourPipeline4096(b *testing.B) {
	for _, name := range []string{"smooth", "noisy"} {
		p := benchPlanes()[name]
		b.Run(name, func(b *testing.B) {
			var mu sync.Mutex
			var bytes int
			measure(b, func() {
				f, err := Smooth(context.Background(), p, GaussianBlur, 4)
				if err != nil {
					b.Fatal(err)
				}
				bytes = 0
				err = Stream(context.Background(), f, benchLevels, 100000, func(c Chunk) error {
					e := Encode(c.Vertices, 8, 4)
					mu.Lock()
					bytes += len(e.Coordinates) + 4*len(c.Starts)
					mu.Unlock()
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(float64(bytes), "wire-bytes")
		})
	}
}

func BenchmarkSmooth4096(b *testing.B) {
	p := benchPlanes()["noisy"]
	for _, tc := range []struct {
		name   string
		mode   Mode
		factor int
	}{{"gaussian4", GaussianBlur, 4}, {"gaussian10", GaussianBlur, 10}, {"block4", BlockAverage, 4}} {
		b.Run(tc.name, func(b *testing.B) {
			measure(b, func() {
				if _, err := Smooth(context.Background(), p, tc.mode, tc.factor); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
