package tiles

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"cartago/imaging"
)

// benchPlane is a 4096² plane of noise; with nanBands, 1/8 of its rows
// are NaN (like masked edges) and 0.1% of pixels are scattered NaN.
func benchPlane(nanBands bool) imaging.Plane {
	const n = 4096
	r := rand.New(rand.NewPCG(1, 1))
	p := imaging.Plane{Width: n, Height: n, Data: make([]float32, n*n)}
	for i := range p.Data {
		p.Data[i] = float32(r.NormFloat64())
	}
	if nanBands {
		for i := range p.Data {
			if y := i / n; y%64 < 8 || r.IntN(1000) == 0 {
				p.Data[i] = float32(math.NaN())
			}
		}
	}
	return p
}

// BenchmarkRenderLayer renders every tile of one layer of a 4096² plane;
// bytes/s is input plane bytes, so MB/s ÷ 4 = Mpix/s of input.
func BenchmarkRenderLayer(b *testing.B) {
	for _, nanBands := range []bool{false, true} {
		p := benchPlane(nanBands)
		for layer := 0; layer <= Layers(p.Width, p.Height); layer++ {
			name := fmt.Sprintf("nan=%v/layer=%d/mip=%d", nanBands, layer, Mip(layer, Layers(p.Width, p.Height)))
			b.Run(name, func(b *testing.B) {
				nx, ny := LayerTiles(layer, p.Width, p.Height)
				buf := make([]float32, Size*Size)
				b.SetBytes(int64(4 * len(p.Data)))
				for b.Loop() {
					for y := range ny {
						for x := range nx {
							buf, _, _ = Render(buf, p, Tile{x, y, layer})
						}
					}
				}
			})
		}
	}
}

func BenchmarkAppendUncompressed(b *testing.B) {
	p := benchPlane(true)
	tile := p.Data[:Size*Size]
	buf := make([]byte, 0, 4*len(tile))
	b.SetBytes(int64(4 * len(tile)))
	for b.Loop() {
		buf = AppendUncompressed(buf[:0], tile)
	}
}

func BenchmarkAppendNaNEncodings(b *testing.B) {
	p := benchPlane(true)
	tile := p.Data[:Size*Size]
	buf := make([]byte, 0, 4096)
	b.SetBytes(int64(4 * len(tile)))
	for b.Loop() {
		buf = AppendNaNEncodings(buf[:0], tile)
	}
}
