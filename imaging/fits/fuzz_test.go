package fits

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Seeds for both fuzz targets also live in testdata/fuzz/<target>.
// Inputs are block-sized, so the default one-minute minimization of
// every new input stalls progress; run with -fuzzminimizetime=1x, e.g.
//
//	go test ./imaging/fits -run XXX -fuzz FuzzOpen -fuzzminimizetime=1x
func fuzzSeeds() [][]byte {
	return [][]byte{
		rawFITS(rawHDU{cards: imageCards(true, 16, 2, 2), data: bigEndian([]int16{1, 2, 3, 4})}),
		cubeBytes(3, 2, 2, 2),
		rawFITS(rawHDU{cards: append(imageCards(true, 8), "LONG    = 'abc&'", "CONTINUE  'def'", "HISTORY x")}),
		rawFITS(rawHDU{cards: imageCards(true, -32, 2, 2), noEnd: true}),
		rawFITS(rawHDU{cards: []string{kv("SIMPLE", true), kv("BITPIX", -64), kv("NAXIS", 2), kv("NAXIS1", 1),
			kv("NAXIS2", 1), "HIERARCH ESO DET CHIP = 5", "BAD     = 'unterminated", kv("BLANK", 0)}, data: make([]byte, 8)}),
		append(rawFITS(rawHDU{cards: imageCards(true, 8)}), rawFITS(rawHDU{cards: append(imageCards(false, 16, 2, 1, 1),
			kv("EXTNAME", "SCI"), kv("CTYPE3", "STOKES")), data: bigEndian([]int16{1, 2})})...),
	}
}

// FuzzParseHeader checks the header parser never panics and that a
// successful parse consumes whole blocks within the input.
func FuzzParseHeader(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseHeader(b)
		if err != nil {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrBadHeader) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if n <= 0 || n%BlockLen != 0 || n > len(b) {
			t.Fatalf("header length %d for %d input bytes", n, len(b))
		}
		for _, c := range h.Cards {
			if _, ok := h.Get(c.Name); !ok && c.Type != TypeNone {
				t.Fatalf("card %q not indexed", c.Name)
			}
		}
	})
}

// FuzzOpen opens arbitrary bytes as a file (plain and gzip) and reads
// every image; it must fail cleanly or read consistent data.
func FuzzOpen(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
		f.Add(gzipBytes(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "fuzz.fits")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := OpenOptions(path, Options{MaxGunzipBytes: 1 << 20})
		if err != nil {
			return
		}
		defer file.Close()
		for _, h := range file.HDUs() {
			if !h.IsImage() {
				continue
			}
			readAll(t, file, h)
		}
	})
}

// readAll reads the first and last plane and one spectrum of an HDU.
func readAll(t *testing.T, file *File, h *HDU) {
	im, err := file.Image(h.Key())
	if err != nil {
		t.Fatalf("IsImage but Image failed: %v", err)
	}
	l := im.Layout
	if _, err := im.Plane(l.Depth-1, l.Stokes-1); err != nil {
		t.Fatalf("Plane: %v", err)
	}
	s, err := im.Spectrum(l.Width-1, l.Height-1, 0)
	if err != nil || len(s) != l.Depth {
		t.Fatalf("Spectrum: %d values, %v", len(s), err)
	}
}

// TestWriteFuzzSeeds regenerates testdata/fuzz from fuzzSeeds when
// FITS_WRITE_SEEDS=1; otherwise it is skipped.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("FITS_WRITE_SEEDS") != "1" {
		t.Skip("set FITS_WRITE_SEEDS=1 to rewrite testdata/fuzz")
	}
	for _, target := range []string{"FuzzParseHeader", "FuzzOpen"} {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range fuzzSeeds() {
			if target == "FuzzOpen" {
				s = gzipBytes(s)
			} else if _, n, err := ParseHeader(s); err == nil {
				s = s[:n] // the header parser needs no data
			}
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
