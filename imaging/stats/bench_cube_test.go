package stats

import (
	"context"
	"testing"

	"cartago/imaging/bench"
	"cartago/imaging/fits"
)

func bigCube(b *testing.B) *fits.Image {
	b.Helper()
	path, err := bench.BigCube(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	f, err := fits.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	im, err := f.Image("")
	if err != nil {
		b.Fatal(err)
	}
	return im
}

// filePlanes reads Stokes 0 of a FITS cube, as the session does.
type filePlanes struct{ im *fits.Image }

func (p filePlanes) Shape() (int, int, int) {
	return p.im.Layout.Width, p.im.Layout.Height, p.im.Layout.Depth
}

func (p filePlanes) ReadRows(dst []float32, i, y0, rows int) error {
	return p.im.ReadRows(dst, i, 0, y0, rows)
}

// BenchmarkCubeHistogramFile is the cube histogram of perf.md (f)
// (1024×1024×200, automatic bins over the cube's range) from the file,
// warm page cache, as a session computes it the first time. Compare with
// the reference's 882 ms there.
func BenchmarkCubeHistogramFile(b *testing.B) {
	im := bigCube(b)
	b.SetBytes(4 * int64(im.Layout.Width*im.Layout.Height*im.Layout.Depth))
	for b.Loop() {
		if _, _, err := CubeHistogram(context.Background(), filePlanes{im}, Config{NumBins: AutoBinSize}, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCubeHistogramKnownExtrema is the same with the extrema of
// every plane known (kept from an earlier cube histogram of the file):
// one read of every plane.
func BenchmarkCubeHistogramKnownExtrema(b *testing.B) {
	im := bigCube(b)
	ext, err := CubeExtremaOf(context.Background(), filePlanes{im}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(4 * int64(im.Layout.Width*im.Layout.Height*im.Layout.Depth))
	for b.Loop() {
		if _, _, err := CubeHistogram(context.Background(), filePlanes{im}, Config{NumBins: AutoBinSize}, ext, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCubeDecode is the floor under BenchmarkCubeHistogramFile:
// decoding every plane once, nothing else.
func BenchmarkCubeDecode(b *testing.B) {
	im := bigCube(b)
	b.SetBytes(4 * int64(im.Layout.Width*im.Layout.Height*im.Layout.Depth))
	buf := make([]float32, im.Layout.Width*im.Layout.Height)
	for b.Loop() {
		for c := range im.Layout.Depth {
			if err := im.ReadPlane(buf, c, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCubeExtremaFile is the first pass of BenchmarkCubeHistogramFile
// on its own: decoding every plane and finding its extrema.
func BenchmarkCubeExtremaFile(b *testing.B) {
	im := bigCube(b)
	b.SetBytes(4 * int64(im.Layout.Width*im.Layout.Height*im.Layout.Depth))
	for b.Loop() {
		if _, err := CubeExtremaOf(context.Background(), filePlanes{im}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
