package fits

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The helpers below build FITS bytes by hand, independently of the
// package's Encoder, so reader tests do not trust the writer.

// rawHDU is one HDU as literal cards and raw data bytes.
type rawHDU struct {
	cards []string // without END; each padded to 80
	data  []byte
	noEnd bool // omit the END card
}

// rawFITS concatenates HDUs with standard padding.
func rawFITS(hdus ...rawHDU) []byte {
	var b bytes.Buffer
	for _, h := range hdus {
		for _, c := range h.cards {
			b.WriteString(fmt.Sprintf("%-80s", c))
		}
		if !h.noEnd {
			b.WriteString(fmt.Sprintf("%-80s", "END"))
		}
		for b.Len()%BlockLen != 0 {
			b.WriteByte(' ')
		}
		b.Write(h.data)
		for b.Len()%BlockLen != 0 {
			b.WriteByte(0)
		}
	}
	return b.Bytes()
}

// kv formats a fixed-format value card.
func kv(name string, value any) string {
	switch v := value.(type) {
	case string:
		return fmt.Sprintf("%-8s= '%-8s'", name, strings.ReplaceAll(v, "'", "''"))
	case bool:
		t := "F"
		if v {
			t = "T"
		}
		return fmt.Sprintf("%-8s= %20s", name, t)
	default:
		return fmt.Sprintf("%-8s= %20v", name, v)
	}
}

// imageCards returns the structural cards of an image HDU.
func imageCards(primary bool, bitpix int, naxis ...int) []string {
	var cs []string
	if primary {
		cs = append(cs, kv("SIMPLE", true))
	} else {
		cs = append(cs, kv("XTENSION", "IMAGE"))
	}
	cs = append(cs, kv("BITPIX", bitpix), kv("NAXIS", len(naxis)))
	for i, n := range naxis {
		cs = append(cs, kv(fmt.Sprintf("NAXIS%d", i+1), n))
	}
	if !primary {
		cs = append(cs, kv("PCOUNT", 0), kv("GCOUNT", 1))
	}
	return cs
}

// bigEndian encodes values of one Go type big-endian.
func bigEndian(values any) []byte {
	var b bytes.Buffer
	if err := binary.Write(&b, binary.BigEndian, values); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// writeTemp writes bytes to a file in a test temp dir.
func writeTemp(tb testing.TB, name string, b []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// gzipBytes compresses b.
func gzipBytes(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// mustOpen opens a file and closes it at the end of the test.
func mustOpen(tb testing.TB, path string) *File {
	tb.Helper()
	f, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

// mustImage returns the image for key.
func mustImage(tb testing.TB, f *File, key string) *Image {
	tb.Helper()
	im, err := f.Image(key)
	if err != nil {
		tb.Fatal(err)
	}
	return im
}

// sameFloats compares with NaN equal to NaN.
func sameFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(float64(a[i])) && math.IsNaN(float64(b[i]))) {
			return false
		}
	}
	return true
}

// cubeValue is the known formula of the test cubes.
func cubeValue(x, y, c, s int) float32 {
	return float32(x + 10*y + 100*c + 1000*s)
}
