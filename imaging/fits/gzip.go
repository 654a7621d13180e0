package fits

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// DefaultMaxGunzipBytes is the default bound on the decompressed size of
// a gzip-compressed FITS file.
const DefaultMaxGunzipBytes = 2 << 30

// maxDeflateRatio bounds how much deflate can expand its input; it caps
// the buffer pre-allocated from the (untrusted) gzip size trailer.
const maxDeflateRatio = 1032

// isGzip reports whether f starts with the gzip magic bytes; it leaves
// the offset at 0.
func isGzip(f *os.File) (bool, error) {
	var magic [2]byte
	n, err := f.ReadAt(magic[:], 0)
	if err != nil && err != io.EOF {
		return false, err
	}
	return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b, nil
}

// gunzip decompresses f (of size bytes) into memory, failing with
// ErrTooLarge once the output exceeds limit bytes.
func gunzip(f *os.File, size, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrNotFITS, err)
	}
	defer zr.Close()
	buf := make([]byte, 0, sizeHint(f, size, limit))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return nil, fmt.Errorf("%w: decompressed data exceeds the %d-byte limit", ErrTooLarge, limit)
			}
			buf = grow(buf, limit+1)
		}
		n, err := zr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrTruncated, err)
		}
	}
	if int64(len(buf)) > limit {
		return nil, fmt.Errorf("%w: decompressed data exceeds the %d-byte limit", ErrTooLarge, limit)
	}
	return buf, nil
}

// sizeHint returns the buffer size to start with: the gzip ISIZE
// trailer (size mod 2^32) plus one byte so EOF is seen without
// growing, capped by the limit and by what deflate can expand to.
func sizeHint(f *os.File, size, limit int64) int64 {
	hint := int64(64 << 10)
	var trailer [4]byte
	if size >= 18 {
		if _, err := f.ReadAt(trailer[:], size-4); err == nil {
			hint = int64(binary.LittleEndian.Uint32(trailer[:])) + 1
		}
	}
	return max(1, min(hint, limit+1, size*maxDeflateRatio))
}

// grow doubles buf's capacity, never beyond capLimit.
func grow(buf []byte, capLimit int64) []byte {
	n := min(max(int64(cap(buf))*2, 64<<10), capLimit)
	nb := make([]byte, len(buf), n)
	copy(nb, buf)
	return nb
}
