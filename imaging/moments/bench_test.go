package moments

import (
	"context"
	"fmt"
	"os"
	"testing"

	"cartago/imaging/fits"
)

// BenchmarkMoments01 is moments 0 and 1 of a 512×512×100 cube held in
// memory (reading excluded).
func BenchmarkMoments01(b *testing.B) {
	c := genCube(512, 512, 100)
	coords := make([]float64, 100)
	for i := range coords {
		coords[i] = float64(i)
	}
	req := Request{Kinds: []Kind{Integrated, WeightedCoord}, To: 99, Coords: coords, Scale: 1, BandBytes: 32 << 20}
	b.SetBytes(4 * 512 * 512 * 100)
	for b.Loop() {
		if _, err := Compute(context.Background(), c, req, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// fileCube reads a FITS cube as moments.Compute does in the server.
type fileCube struct{ im *fits.Image }

func (f fileCube) Shape() (int, int, int) {
	return f.im.Layout.Width, f.im.Layout.Height, f.im.Layout.Depth
}

func (f fileCube) ReadRect(dst []float32, ch, x0, y0, w, rows int) error {
	return f.im.ReadRect(dst, ch, 0, x0, y0, w, rows)
}

// BenchmarkMomentsFile is moments 0 and 1 of the FITS cube named by
// CARTAGO_BENCH_MOMENTS_CUBE (scripts/bench-moments.sh writes one), read
// from the file: decoding included, as in the server.
func BenchmarkMomentsFile(b *testing.B) {
	path := os.Getenv("CARTAGO_BENCH_MOMENTS_CUBE")
	if path == "" {
		b.Skip("CARTAGO_BENCH_MOMENTS_CUBE is not set")
	}
	f, err := fits.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	im, err := f.Image("0")
	if err != nil {
		b.Fatal(err)
	}
	d := im.Layout.Depth
	coords := make([]float64, d)
	for i := range coords {
		coords[i] = float64(i)
	}
	for _, kinds := range [][]Kind{{Integrated}, {WeightedCoord}} {
		b.Run(fmt.Sprint(kinds[0]), func(b *testing.B) {
			req := Request{Kinds: kinds, To: d - 1, Coords: coords, Scale: 1, BandBytes: 32 << 20}
			b.SetBytes(4 * int64(im.Layout.Width*im.Layout.Height*d))
			for b.Loop() {
				if _, err := Compute(context.Background(), fileCube{im}, req, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
