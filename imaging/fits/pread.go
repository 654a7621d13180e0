package fits

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"

	"cartago/imaging"
)

// Contiguous data (whole planes, bands of rows) of a mapped file is read
// with pread into a small buffer and decoded from there rather than
// decoded from the mapping: on the virtual machines we run on, touching
// a large mapping page by page costs TLB misses and refaults that the
// kernel's copy from its page cache does not, about 3× the time of a
// plane read (see imaging/stats BenchmarkCubeDecode and perf.md).

// preadChunk is how many bytes one pread reads: small enough to stay in
// the core's cache while it is decoded.
const preadChunk = 256 << 10

// preadBufs holds the chunk buffers; at most one per goroutine reading
// at once, so its size is bounded by the readers (GOMAXPROCS-bound
// tasks), and the pool drops idle ones at garbage collection.
var preadBufs = sync.Pool{New: func() any { b := make([]byte, preadChunk); return &b }}

// readContiguous decodes len(dst) contiguous values starting at value
// base of the data unit from the file, split over cores for large reads
// like decodeParallel. ok is false for a gzip file, whose data lives in
// memory: decode it there.
func (im *Image) readContiguous(dst []float32, base int64) (ok bool, err error) {
	if im.f.compressed {
		return false, nil
	}
	im.f.mu.RLock()
	defer im.f.mu.RUnlock()
	osf := im.f.osf
	if im.f.closed || osf == nil {
		return true, im.errorf("%w", ErrClosed)
	}
	start := im.dataOff + base*im.bpp
	if len(dst) < parallelDecode {
		return true, im.preadDecode(osf, dst, start)
	}
	tlen := parallelDecode / 4
	errs := make([]error, (len(dst)+tlen-1)/tlen)
	_ = imaging.ForTasks(context.Background(), len(dst), tlen, func(_, t, lo, hi int) {
		errs[t] = im.preadDecode(osf, dst[lo:hi], start+int64(lo)*im.bpp)
	})
	return true, errors.Join(errs...)
}

// preadDecode reads and decodes len(dst) values from file offset off,
// one chunk at a time.
func (im *Image) preadDecode(osf *os.File, dst []float32, off int64) error {
	bp := preadBufs.Get().(*[]byte)
	defer preadBufs.Put(bp)
	per := int(im.bpp)
	step := preadChunk / per
	for lo := 0; lo < len(dst); lo += step {
		hi := min(lo+step, len(dst))
		buf := (*bp)[:(hi-lo)*per]
		if _, err := osf.ReadAt(buf, off+int64(lo*per)); err != nil {
			if errors.Is(err, io.EOF) {
				return im.errorf("%w: file ends before the data read (truncated on disk?)", ErrTruncated)
			}
			return im.errorf("read data: %w", err)
		}
		im.dec.run(dst[lo:hi], buf)
	}
	return nil
}
