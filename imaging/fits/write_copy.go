package fits

import (
	"fmt"
	"io"
	"os"
)

// WriteImageRows appends columns x0..x0+w-1 of rows y0..y0+rows-1 of a
// plane of im to the current data unit, copying the stored bytes: no
// decoding, no buffer beyond the Encoder's own. It applies when im
// stores values as the data unit being written holds them (the same
// BITPIX, no BSCALE/BZERO scaling) and its rows are contiguous; ok is
// false, with nothing written, otherwise. It fails like WriteData, and
// with ErrOutOfRange for a box outside the plane.
func (e *Encoder) WriteImageRows(im *Image, channel, stokes, x0, y0, w, rows int) (ok bool, err error) {
	if e.err != nil {
		return false, e.err
	}
	if e.hdus == 0 || im.dec.bitpix != e.bitpix || im.dec.scaled || im.sx != 1 {
		return false, nil
	}
	l := im.Layout
	if x0 < 0 || y0 < 0 || w < 0 || rows < 0 || x0+w > l.Width || y0+rows > l.Height {
		return false, im.errorf("%w: box x [%d, %d) y [%d, %d) of %d×%d", ErrOutOfRange, x0, x0+w, y0, y0+rows, l.Width, l.Height)
	}
	if err := im.checkPlane(channel, stokes); err != nil {
		return false, err
	}
	n := int64(w) * int64(rows) * im.bpp
	if n > e.remain {
		return false, e.fail(fmt.Errorf("fits: write HDU %d: %w: %d bytes of data, only %d expected", e.hdus-1, ErrBadData, n, e.remain))
	}
	base := int64(channel)*im.sz + int64(stokes)*im.ss
	if x0 == 0 && w == l.Width && im.sy == int64(l.Width) {
		done, err := e.copyFromFile(im, (base+int64(y0)*im.sy)*im.bpp, n)
		if done || err != nil {
			return done, err
		}
	}
	var werr error
	err = im.withData(func(data []byte) {
		for y := y0; y < y0+rows && werr == nil; y++ {
			off := (base + int64(y)*im.sy + int64(x0)) * im.bpp
			_, werr = e.w.Write(data[off : off+int64(w)*im.bpp])
		}
	})
	if err == nil {
		err = werr
	}
	if err != nil {
		return false, e.fail(err)
	}
	e.remain -= n
	e.written += n
	return true, nil
}

// copyFromFile copies n bytes at data offset off of an uncompressed
// file from the file itself, which lets the kernel copy them between
// files (copy_file_range) instead of through this process's memory.
// done is false when the file on disk is no longer the one mapped (or
// cannot be opened): the caller copies from the mapping instead.
func (e *Encoder) copyFromFile(im *Image, off, n int64) (done bool, err error) {
	if im.f.compressed {
		return false, nil
	}
	src, err := OpenRegular(im.f.path)
	if err != nil {
		return false, nil
	}
	defer src.Close()
	if fi, err := src.Stat(); err != nil || !os.SameFile(fi, im.f.info) || fi.Size() != im.f.size {
		return false, nil
	}
	if _, err := src.Seek(im.dataOff+off, io.SeekStart); err != nil {
		return false, nil
	}
	m, err := e.w.ReadFrom(io.LimitReader(src, n))
	if err == nil && m != n {
		err = fmt.Errorf("%w: %d of %d bytes read from %s", ErrTruncated, m, n, im.f.path)
	}
	if err != nil {
		return false, e.fail(err)
	}
	e.remain -= n
	e.written += n
	return true, nil
}
