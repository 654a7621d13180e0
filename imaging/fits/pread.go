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

// ReadRect decodes the rectangle of w columns from x0 and rows rows from
// y0 of a plane into dst, which must hold exactly w × rows values, row
// by row: the part of a plane a region needs. Of a mapped file it reads
// the rows' bytes with pread, a chunk of rows at a time, and decodes
// only the rectangle's columns.
func (im *Image) ReadRect(dst []float32, channel, stokes, x0, y0, w, rows int) error {
	W, h := im.Layout.Width, im.Layout.Height
	if x0 < 0 || y0 < 0 || w < 0 || rows < 0 || x0+w > W || y0+rows > h || len(dst) != w*rows {
		return im.errorf("%w: rectangle %d×%d at (%d, %d) of %d×%d with a buffer of %d values", ErrOutOfRange, w, rows, x0, y0, W, h, len(dst))
	}
	if err := im.checkPlane(channel, stokes); err != nil {
		return err
	}
	base := int64(channel)*im.sz + int64(stokes)*im.ss + int64(y0)*im.sy + int64(x0)*im.sx
	if w == 0 || rows == 0 {
		return nil
	}
	if im.sx == 1 && im.sy == int64(W) && !im.f.compressed && int64(W)*im.bpp <= preadChunk {
		return im.preadRect(dst, base, w, rows)
	}
	return im.withData(func(data []byte) {
		for y := range rows {
			off := base + int64(y)*im.sy
			row := dst[y*w : (y+1)*w]
			if im.sx == 1 {
				im.dec.run(row, data[off*im.bpp:])
				continue
			}
			for x := range row {
				row[x] = im.dec.at(data[(off+int64(x)*im.sx)*im.bpp:])
			}
		}
	})
}

// preadRect reads rows rows of w values, the first at value base of the
// data unit, a stride of Width apart, as many rows per pread as fit in a
// chunk.
func (im *Image) preadRect(dst []float32, base int64, w, rows int) error {
	im.f.mu.RLock()
	defer im.f.mu.RUnlock()
	osf := im.f.osf
	if im.f.closed || osf == nil {
		return im.errorf("%w", ErrClosed)
	}
	bp := preadBufs.Get().(*[]byte)
	defer preadBufs.Put(bp)
	stride := im.sy * im.bpp // bytes from one row to the next
	per := int64(len(*bp)) / stride
	if per*stride+int64(w)*im.bpp <= int64(len(*bp)) {
		per++ // the last row read needs only w values
	}
	for y := 0; y < rows; y += int(per) {
		k := min(int64(rows-y), per)
		n := (k-1)*stride + int64(w)*im.bpp
		buf := (*bp)[:n]
		if _, err := osf.ReadAt(buf, im.dataOff+(base+int64(y)*im.sy)*im.bpp); err != nil {
			if errors.Is(err, io.EOF) {
				return im.errorf("%w: file ends before the data read (truncated on disk?)", ErrTruncated)
			}
			return im.errorf("read data: %w", err)
		}
		for r := range int(k) {
			im.dec.run(dst[(y+r)*w:(y+r+1)*w], buf[int64(r)*stride:])
		}
	}
	return nil
}
