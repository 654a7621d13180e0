package catalog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
)

// gzipMagic starts every gzip stream. The catalog dialog lists
// "*.fits.gz" files (as the reference, which opens them through cfitsio),
// so they must open too.
var gzipMagic = []byte{0x1f, 0x8b}

// isGzip reports whether head starts a gzip stream.
func isGzip(head []byte) bool { return bytes.HasPrefix(head, gzipMagic) }

// gunzipHead returns the first n decompressed bytes of a gzip file, for
// sniffing; errors give what could be read.
func gunzipHead(f io.Reader, n int) []byte {
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil
	}
	defer zr.Close()
	head := make([]byte, n)
	k, _ := io.ReadFull(zr, head)
	return head[:k]
}

// gunzipAll decompresses a whole gzip file into memory, charged to its
// own meter (the caller releases it once the table is parsed): the
// decompressed file may not exceed the per-catalog limit, so a small
// file that inflates hugely is refused before it is all in memory.
func gunzipAll(f *os.File, m *meter) ([]byte, error) {
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrBadFile, err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	chunk := make([]byte, 1<<20)
	for {
		n, err := zr.Read(chunk)
		if n > 0 {
			if err := m.need(int64(buf.Len() + n)); err != nil {
				return nil, err
			}
			buf.Write(chunk[:n])
		}
		switch {
		case err == io.EOF:
			return buf.Bytes(), nil
		case err != nil:
			return nil, fmt.Errorf("%w: gzip: %v", ErrBadFile, err)
		}
	}
}
