package fits

import (
	"errors"
	"os"
	"sync"
	"testing"
)

// cubeFile writes a W×H×D×S float32 cube (axes RA, DEC, FREQ, STOKES)
// holding cubeValue, and returns its bytes.
func cubeBytes(w, h, d, s int) []byte {
	vals := make([]float32, 0, w*h*d*s)
	for k := 0; k < s; k++ {
		for c := 0; c < d; c++ {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					vals = append(vals, cubeValue(x, y, c, k))
				}
			}
		}
	}
	cards := append(imageCards(true, -32, w, h, d, s),
		kv("CTYPE1", "RA---SIN"), kv("CTYPE2", "DEC--SIN"), kv("CTYPE3", "FREQ"), kv("CTYPE4", "STOKES"),
		kv("CRVAL4", 1.0), kv("CDELT4", 1.0), kv("CRPIX4", 1.0))
	return rawFITS(rawHDU{cards: cards, data: bigEndian(vals)})
}

// checkCube reads every plane and a few spectra of a cubeValue image.
func checkCube(t *testing.T, im *Image, w, h, d, s int) {
	t.Helper()
	l := im.Layout
	if l.Width != w || l.Height != h || l.Depth != d || l.Stokes != s {
		t.Fatalf("layout %+v, want %dx%dx%dx%d", l, w, h, d, s)
	}
	for k := 0; k < s; k++ {
		for c := 0; c < d; c++ {
			p, err := im.Plane(c, k)
			if err != nil {
				t.Fatal(err)
			}
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if got, want := p.At(x, y), cubeValue(x, y, c, k); got != want {
						t.Fatalf("plane(%d,%d) at (%d,%d) = %v, want %v", c, k, x, y, got, want)
					}
				}
			}
		}
	}
	if h > 1 { // a band of rows matches the whole plane's rows
		band := make([]float32, w*(h-1))
		if err := im.ReadRows(band, d-1, s-1, 1, h-1); err != nil {
			t.Fatal(err)
		}
		for y := 1; y < h; y++ {
			for x := 0; x < w; x++ {
				if got, want := band[(y-1)*w+x], cubeValue(x, y, d-1, s-1); got != want {
					t.Fatalf("ReadRows at (%d,%d) = %v, want %v", x, y, got, want)
				}
			}
		}
	}
	for _, px := range [][2]int{{0, 0}, {w - 1, h - 1}, {w / 2, h / 3}} {
		for k := 0; k < s; k++ {
			spec, err := im.Spectrum(px[0], px[1], k)
			if err != nil {
				t.Fatal(err)
			}
			for c, v := range spec {
				if want := cubeValue(px[0], px[1], c, k); v != want {
					t.Fatalf("spectrum(%v, %d)[%d] = %v, want %v", px, k, c, v, want)
				}
			}
			if len(spec) != d {
				t.Fatalf("spectrum length %d, want %d", len(spec), d)
			}
			if d > 1 { // a piece from channel 1 matches the whole
				part := make([]float32, d-1)
				if err := im.ReadSpectrum(part, px[0], px[1], k, 1); err != nil || part[0] != spec[1] {
					t.Fatalf("ReadSpectrum from 1 = %v, %v; want %v", part, err, spec[1:])
				}
			}
		}
	}
}

func TestCubePlanesAndSpectra(t *testing.T) {
	im := mustImage(t, mustOpen(t, writeTemp(t, "cube.fits", cubeBytes(5, 4, 3, 2))), "")
	checkCube(t, im, 5, 4, 3, 2)
	if want := []int{1, 2}; im.Layout.StokesValues[0] != want[0] || im.Layout.StokesValues[1] != want[1] {
		t.Errorf("StokesValues %v", im.Layout.StokesValues)
	}
}

// TestStridedPlane: the spectral axis is axis 1, so planes are strided.
func TestStridedPlane(t *testing.T) {
	const w, h, d = 5, 4, 3
	var vals []int16
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < d; c++ {
				vals = append(vals, int16(cubeValue(x, y, c, 0)))
			}
		}
	}
	cards := append(imageCards(true, 16, d, w, h), kv("CTYPE1", "FREQ"), kv("CTYPE2", "RA---SIN"), kv("CTYPE3", "DEC--SIN"))
	im := mustImage(t, mustOpen(t, writeTemp(t, "s.fits", rawFITS(rawHDU{cards: cards, data: bigEndian(vals)}))), "")
	checkCube(t, im, w, h, d, 1)
}

// TestRowStridedPlane: axes RA, FREQ, DEC; rows are contiguous but
// not adjacent.
func TestRowStridedPlane(t *testing.T) {
	const w, h, d = 5, 4, 3
	var vals []float64
	for y := 0; y < h; y++ {
		for c := 0; c < d; c++ {
			for x := 0; x < w; x++ {
				vals = append(vals, float64(cubeValue(x, y, c, 0)))
			}
		}
	}
	cards := append(imageCards(true, -64, w, d, h), kv("CTYPE1", "RA---SIN"), kv("CTYPE2", "FREQ"), kv("CTYPE3", "DEC--SIN"))
	im := mustImage(t, mustOpen(t, writeTemp(t, "r.fits", rawFITS(rawHDU{cards: cards, data: bigEndian(vals)}))), "")
	checkCube(t, im, w, h, d, 1)
}

func TestGzip(t *testing.T) {
	raw := cubeBytes(5, 4, 3, 2)
	path := writeTemp(t, "cube.fits.gz", gzipBytes(raw))
	f := mustOpen(t, path)
	if !f.Compressed() {
		t.Error("Compressed() = false")
	}
	checkCube(t, mustImage(t, f, "0"), 5, 4, 3, 2)

	_, err := OpenOptions(path, Options{MaxGunzipBytes: int64(len(raw)) - 1})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: err = %v, want ErrTooLarge", err)
	}
	f2, err := OpenOptions(path, Options{MaxGunzipBytes: int64(len(raw))})
	if err != nil {
		t.Fatalf("exactly at the limit: %v", err)
	}
	f2.Close()
}

func TestReadErrors(t *testing.T) {
	f := mustOpen(t, writeTemp(t, "cube.fits", cubeBytes(5, 4, 3, 2)))
	im := mustImage(t, f, "")
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"channel -1", func() error { _, err := im.Plane(-1, 0); return err }()},
		{"channel 3", func() error { _, err := im.Plane(3, 0); return err }()},
		{"stokes 2", func() error { _, err := im.Plane(0, 2); return err }()},
		{"spectrum x", func() error { _, err := im.Spectrum(5, 0, 0); return err }()},
		{"spectrum y", func() error { _, err := im.Spectrum(0, -1, 0); return err }()},
		{"spectrum stokes", func() error { _, err := im.Spectrum(0, 0, 9); return err }()},
		{"short buffer", im.ReadPlane(make([]float32, 3), 0, 0)},
		{"rows past the end", im.ReadRows(make([]float32, 5*2), 0, 0, 3, 2)},
		{"rows with a short buffer", im.ReadRows(make([]float32, 3), 0, 0, 0, 1)},
		{"spectrum range past the end", im.ReadSpectrum(make([]float32, 2), 0, 0, 0, 2)},
		{"spectrum range before 0", im.ReadSpectrum(make([]float32, 1), 0, 0, 0, -1)},
	} {
		if !errors.Is(tc.err, ErrOutOfRange) {
			t.Errorf("%s: err = %v, want ErrOutOfRange", tc.name, tc.err)
		}
	}
}

func TestClose(t *testing.T) {
	f, err := Open(writeTemp(t, "cube.fits", cubeBytes(5, 4, 3, 2)))
	if err != nil {
		t.Fatal(err)
	}
	im := mustImage(t, f, "")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := im.Plane(0, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Plane after Close: %v, want ErrClosed", err)
	}
	if _, err := im.Spectrum(0, 0, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Spectrum after Close: %v, want ErrClosed", err)
	}
}

// TestConcurrentReads runs readers against Close; run with -race.
func TestConcurrentReads(t *testing.T) {
	f, err := Open(writeTemp(t, "cube.fits", cubeBytes(16, 8, 6, 2)))
	if err != nil {
		t.Fatal(err)
	}
	im := mustImage(t, f, "")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]float32, 16*8)
			for i := 0; i < 200; i++ {
				err := im.ReadPlane(buf, i%6, g%2)
				if err == nil && buf[1] != cubeValue(1, 0, i%6, g%2) {
					t.Errorf("bad value %v", buf[1])
					return
				}
				if _, err2 := im.Spectrum(i%16, i%8, g%2); err != nil || err2 != nil {
					if !errors.Is(err, ErrClosed) && !errors.Is(err2, ErrClosed) {
						t.Errorf("read: %v, %v", err, err2)
					}
					return
				}
			}
		}()
	}
	f.Close()
	wg.Wait()
}

// TestFileTruncatedAfterOpen: shrinking a mapped file makes reads fail
// with ErrTruncated rather than crash with SIGBUS.
func TestFileTruncatedAfterOpen(t *testing.T) {
	path := writeTemp(t, "cube.fits", cubeBytes(64, 64, 4, 1))
	im := mustImage(t, mustOpen(t, path), "")
	if err := os.Truncate(path, BlockLen); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Plane(3, 0); !errors.Is(err, ErrTruncated) {
		t.Errorf("Plane on truncated file: %v, want ErrTruncated", err)
	}
}
