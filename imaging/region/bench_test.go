package region

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"cartago/imaging"
	"cartago/imaging/stats"
)

// benchPlane is Gaussian noise with NaN bands (8 rows in 64) and 0.1%
// of pixels scattered NaN, like imaging/stats' benchmark plane.
func benchPlane(n int, mean float64, seed uint64) imaging.Plane {
	r := rand.New(rand.NewPCG(seed, 1))
	p := imaging.Plane{Width: n, Height: n, Data: make([]float32, n*n)}
	for i := range p.Data {
		p.Data[i] = float32(mean + r.NormFloat64())
		if (i/n)%64 < 8 || r.IntN(1000) == 0 {
			p.Data[i] = float32(math.NaN())
		}
	}
	return p
}

// Bytes/s in these benchmarks are input bytes of the masked pixels:
// MB/s ÷ 4 = Mpix/s (also reported as Mpix/s).

var benchRegions = []struct {
	name string
	d    Desc
}{
	{"box", rect(2048, 2048, 3000, 3000, 0)},
	{"rotated-box", rect(2048, 2048, 3000, 2000, 30)},
	{"ellipse", ellipseDesc(2048, 2048, 1900, 1400, 20)},
	{"polygon", polygon(Point{300, 200}, Point{3900, 500}, Point{3500, 3800}, Point{2000, 2500}, Point{400, 3600})},
	{"400x400", rect(2048, 2048, 400, 400, 0)},
}

func BenchmarkCompute(b *testing.B) {
	p := benchPlane(4096, 1, 1)
	for _, r := range benchRegions {
		m := mustMaskB(b, r.d, 4096, 4096)
		b.Run(r.name, func(b *testing.B) {
			b.SetBytes(4 * m.Count())
			for b.Loop() {
				if _, err := Compute(context.Background(), p, m); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(m.Count())*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpix/s")
		})
	}
}

func BenchmarkHistogram(b *testing.B) {
	p := benchPlane(4096, 1, 1)
	m := mustMaskB(b, benchRegions[2].d, 4096, 4096)
	b.SetBytes(4 * m.Count())
	for b.Loop() {
		if _, _, err := Histogram(context.Background(), p, m, stats.Config{NumBins: stats.AutoBinSize}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m.Count())*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpix/s")
}

func BenchmarkMask(b *testing.B) {
	for _, r := range benchRegions {
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := r.d.Mask(4096, 4096); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSpectralProfile is a region profile through a 512×512×200
// cube held in memory (8 distinct planes, copied on each read as a FITS
// decode would write them): whole-plane reads, and band reads of the
// region's rows only.
func BenchmarkSpectralProfile(b *testing.B) {
	const n, depth = 512, 200
	cube := &memCube{fail: -1}
	var distinct []imaging.Plane
	for i := range 8 {
		distinct = append(distinct, benchPlane(n, float64(i), uint64(i)+1))
	}
	for i := range depth {
		cube.planes = append(cube.planes, distinct[i%8])
	}
	for _, r := range []struct {
		name string
		d    Desc
	}{
		{"400x400", rect(256, 256, 400, 400, 0)},
		{"ellipse", ellipseDesc(256, 256, 200, 120, 20)},
		{"100x100", rect(256, 256, 100, 100, 0)},
	} {
		m := mustMaskB(b, r.d, n, n)
		for _, src := range []struct {
			name string
			p    Planes
		}{{"planes", cube}, {"bands", bandCube{cube}}} {
			b.Run(r.name+"/"+src.name, func(b *testing.B) {
				b.SetBytes(4 * m.Count() * depth)
				for b.Loop() {
					if _, err := SpectralProfile(context.Background(), src.p, m, nil); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/profile")
			})
		}
	}
}

func mustMaskB(b *testing.B, d Desc, w, h int) *Mask {
	b.Helper()
	m, err := d.Mask(w, h)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkLineProfile: the diagonal of a 4096² image at the frontend's
// default averaging width (3), and a polyline across it; samples/s is
// what a line dragged over a large image costs per update.
func BenchmarkLineProfile(b *testing.B) {
	p := benchPlane(4096, 1, 1)
	lines := []struct {
		name string
		d    Desc
	}{
		{"diagonal", Desc{Kind: KindLine, Points: []Point{{10.3, 20.7}, {4080.2, 4050.9}}}},
		{"polyline", Desc{Kind: KindPolyline, Points: []Point{{10, 10}, {4000, 300}, {300, 2000}, {3900, 4000}}}},
	}
	for _, l := range lines {
		boxes, err := LineBoxes(l.d, 3)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(l.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := LineProfile(context.Background(), p, boxes); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(boxes))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
