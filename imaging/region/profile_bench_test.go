package region

import (
	"context"
	"testing"

	"cartago/imaging/bench"
	"cartago/imaging/fits"
)

// fileCube reads Stokes 0 of a FITS cube, bands and rectangles included,
// as the session's planes do.
type fileCube struct{ im *fits.Image }

func (c fileCube) Shape() (int, int, int) {
	return c.im.Layout.Width, c.im.Layout.Height, c.im.Layout.Depth
}

func (c fileCube) ReadPlane(dst []float32, ch int) error { return c.im.ReadPlane(dst, ch, 0) }

func (c fileCube) ReadRows(dst []float32, ch, y0, rows int) error {
	return c.im.ReadRows(dst, ch, 0, y0, rows)
}

func (c fileCube) ReadRect(dst []float32, ch, x0, y0, w, rows int) error {
	return c.im.ReadRect(dst, ch, 0, x0, y0, w, rows)
}

// BenchmarkSpectralProfileFile is perf.md (f)'s region spectral profile:
// a 400×400 box through the 200 channels of the 1024×1024×200 cube, from
// the file (warm page cache). Compare with the reference's 636 ms there.
func BenchmarkSpectralProfileFile(b *testing.B) {
	path, err := bench.BigCube(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	f, err := fits.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	im, err := f.Image("")
	if err != nil {
		b.Fatal(err)
	}
	l := im.Layout
	m := mustMaskB(b, rect(float64(l.Width)/2, float64(l.Height)/2, 400, 400, 0), l.Width, l.Height)
	b.SetBytes(4 * m.Count() * int64(l.Depth))
	for b.Loop() {
		if _, err := SpectralProfile(context.Background(), fileCube{im}, m, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/profile")
}
