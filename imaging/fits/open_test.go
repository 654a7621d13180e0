package fits

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	nan  = float32(math.NaN())
	inf  = float32(math.Inf(1))
	ninf = float32(math.Inf(-1))
)

// TestOpenBitpix decodes a 2×2 image per BITPIX; the expected physical
// values are worked out by hand from the raw values and the scaling.
func TestOpenBitpix(t *testing.T) {
	tests := []struct {
		name   string
		bitpix int
		extra  []string
		raw    any
		want   []float32
	}{
		{"uint8 scaled with BLANK", 8, []string{kv("BSCALE", 2.0), kv("BZERO", -1.0), kv("BLANK", 7)},
			[]uint8{0, 1, 255, 7}, []float32{-1, 1, 509, nan}},
		{"int16 scaled with BLANK", 16, []string{kv("BSCALE", 0.5), kv("BZERO", 10.0), kv("BLANK", -32768)},
			[]int16{1000, -32768, 0, -1}, []float32{510, nan, 10, 9.5}},
		{"int16 as unsigned (BZERO 32768)", 16, []string{kv("BZERO", 32768)},
			[]int16{-32768, 32767, 0, -1}, []float32{0, 65535, 32768, 32767}},
		{"int16 BLANK out of range ignored", 16, []string{kv("BLANK", 99999)},
			[]int16{1, 2, 3, 4}, []float32{1, 2, 3, 4}},
		{"int32 scaled with BLANK", 32, []string{"BSCALE  =                1D-3", kv("BLANK", -2147483648)},
			[]int32{123456, -2147483648, -5, 7}, []float32{123.456, nan, -0.005, 0.007}},
		{"int64 with BLANK", 64, []string{kv("BLANK", 9)},
			[]int64{1 << 40, -3, 9, 0}, []float32{1099511627776, -3, nan, 0}},
		{"float32 keeps NaN, BLANK ignored", -32, []string{kv("BLANK", 0)},
			[]float32{1.5, nan, ninf, 0}, []float32{1.5, nan, ninf, 0}},
		{"float32 scaled", -32, []string{kv("BSCALE", 2.0), kv("BZERO", 1.0)},
			[]float32{1, 2, nan, 0}, []float32{3, 5, nan, 1}},
		{"float64", -64, nil,
			[]float64{1e300, 2.5, math.NaN(), -1e-3}, []float32{inf, 2.5, nan, -0.001}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cards := append(imageCards(true, tt.bitpix, 2, 2), tt.extra...)
			path := writeTemp(t, "img.fits", rawFITS(rawHDU{cards: cards, data: bigEndian(tt.raw)}))
			im := mustImage(t, mustOpen(t, path), "")
			p, err := im.Plane(0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if p.Width != 2 || p.Height != 2 || !sameFloats(p.Data, tt.want) {
				t.Errorf("plane %dx%d %v, want 2x2 %v", p.Width, p.Height, p.Data, tt.want)
			}
			spec, err := im.Spectrum(1, 1, 0)
			if err != nil || !sameFloats(spec, tt.want[3:]) {
				t.Errorf("spectrum %v, %v; want %v", spec, err, tt.want[3:])
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	good := rawFITS(rawHDU{cards: imageCards(true, -32, 4, 4), data: bigEndian(make([]float32, 16))})
	withCards := func(data []byte, cards ...string) []byte { return rawFITS(rawHDU{cards: cards, data: data}) }
	tiny := bigEndian(make([]float32, 4))
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty file", nil, ErrNotFITS},
		{"text file", []byte(strings.Repeat("hello world\n", 400)), ErrNotFITS},
		{"short text file", []byte("hello"), ErrNotFITS},
		{"short FITS start", good[:100], ErrTruncated},
		{"SIMPLE = F", withCards(tiny, append([]string{kv("SIMPLE", false)}, imageCards(true, -32, 2, 2)[1:]...)...), ErrNotFITS},
		{"first card not SIMPLE", withCards(tiny, append([]string{kv("BITPIX", -32), kv("SIMPLE", true)}, imageCards(true, -32, 2, 2)[2:]...)...), ErrNotFITS},
		{"truncated data", good[:BlockLen+10], ErrTruncated},
		{"lying NAXIS", withCards(tiny, imageCards(true, -32, 1000, 1000)...), ErrTruncated},
		{"missing END", rawFITS(rawHDU{cards: imageCards(true, -32, 2, 2), data: bigEndian([]float32{1, 2, 3, 4}), noEnd: true}), ErrBadHeader},
		{"header without END at EOF", rawFITS(rawHDU{cards: imageCards(true, -32, 2, 2), noEnd: true}), ErrTruncated},
		{"bad BITPIX", withCards(tiny, imageCards(true, 12, 2, 2)...), ErrBadHeader},
		{"missing BITPIX", withCards(tiny, kv("SIMPLE", true), kv("NAXIS", 2), kv("NAXIS1", 2), kv("NAXIS2", 2)), ErrBadHeader},
		{"string NAXIS", withCards(tiny, kv("SIMPLE", true), kv("BITPIX", 8), kv("NAXIS", "2")), ErrBadHeader},
		{"NAXIS over 999", withCards(tiny, kv("SIMPLE", true), kv("BITPIX", 8), kv("NAXIS", 1000)), ErrBadHeader},
		{"negative NAXIS1", withCards(tiny, imageCards(true, -32, -2, 2)...), ErrBadHeader},
		{"missing NAXIS2", withCards(tiny, imageCards(true, -32, 2, 2)[:4]...), ErrBadHeader},
		{"NAXISn product overflows", withCards(tiny, imageCards(true, -64, 4000000000, 4000000000, 4000000000)...), ErrBadHeader},
		{"truncated extension header", append(append([]byte{}, good...), []byte(kv("XTENSION", "IMAGE"))...), ErrTruncated},
		{"lying extension", append(append([]byte{}, good...), rawFITS(rawHDU{cards: imageCards(false, 16, 100, 100), data: tiny})...), ErrTruncated},
		{"bad PCOUNT", append(append([]byte{}, good...), rawFITS(rawHDU{cards: append(imageCards(false, 8, 2, 2)[:5], kv("PCOUNT", -1))})...), ErrBadHeader},
		{"gzip garbage", []byte{0x1f, 0x8b, 1, 2, 3}, ErrNotFITS},
		{"gzip truncated", gzipBytes(good)[:60], ErrTruncated},
		{"gzip of text", gzipBytes([]byte(strings.Repeat("x", 3000))), ErrNotFITS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "bad.fits", tt.in)
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatalf("Open succeeded, want %v", tt.want)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestOpenNotAFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Open(dir) = %v, want ErrNotRegular", err)
	}
	if _, err := Open(filepath.Join(dir, "missing.fits")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want fs.ErrNotExist", err)
	}
}

// TestTrailingBytes: bytes after the last HDU that are not an
// extension (zero fill, special records) are ignored, and a missing
// final padding is tolerated.
func TestTrailingBytes(t *testing.T) {
	good := rawFITS(rawHDU{cards: imageCards(true, 16, 3, 1), data: bigEndian([]int16{1, 2, 3})})
	for name, b := range map[string][]byte{
		"zero block": append(append([]byte{}, good...), make([]byte, BlockLen)...),
		"junk":       append(append([]byte{}, good...), []byte("garbage")...),
		"no padding": good[:BlockLen+6],
	} {
		t.Run(name, func(t *testing.T) {
			f := mustOpen(t, writeTemp(t, "t.fits", b))
			if len(f.HDUs()) != 1 {
				t.Fatalf("%d HDUs, want 1", len(f.HDUs()))
			}
			p, err := mustImage(t, f, "0").Plane(0, 0)
			if err != nil || !sameFloats(p.Data, []float32{1, 2, 3}) {
				t.Errorf("plane %v, %v", p.Data, err)
			}
		})
	}
}

func TestFileAccessors(t *testing.T) {
	b := rawFITS(rawHDU{cards: imageCards(true, 8, 2, 2), data: []byte{1, 2, 3, 4}})
	path := writeTemp(t, "a.fits", b)
	f := mustOpen(t, path)
	if f.Path() != path || f.Size() != int64(len(b)) || f.Compressed() {
		t.Errorf("Path %q Size %d Compressed %v", f.Path(), f.Size(), f.Compressed())
	}
	if h := f.HDUs()[0]; h.DataLen() != 4 || h.Kind != KindImage || h.Bitpix != 8 {
		t.Errorf("HDU 0: DataLen %d Kind %v Bitpix %d", h.DataLen(), h.Kind, h.Bitpix)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	// The mapping stays readable after the file is unlinked.
	if p, err := mustImage(t, f, "").Plane(0, 0); err != nil || !sameFloats(p.Data, []float32{1, 2, 3, 4}) {
		t.Errorf("plane after unlink %v, %v", p.Data, err)
	}
}
