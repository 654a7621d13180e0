package fits

import (
	"context"
	"fmt"
	"runtime/debug"

	"cartago/imaging"
)

// Image reads the data of one image HDU. It is safe for concurrent use
// and valid until its File is closed; afterwards reads fail with
// ErrClosed.
type Image struct {
	*HDU
	f   *File
	dec decoder
	bpp int64
	// Element strides of the render, depth and Stokes axes (0 when the
	// axis is absent).
	sx, sy, sz, ss int64
}

// newImage prepares reads from an HDU for which IsImage is true.
func newImage(f *File, h *HDU) *Image {
	im := &Image{HDU: h, f: f, dec: newDecoder(h)}
	im.bpp = int64(im.dec.bytesPer())
	strides := make([]int64, len(h.Naxis))
	s := int64(1)
	for i, n := range h.Naxis {
		strides[i] = s
		s *= int64(n)
	}
	stride := func(axis int) int64 {
		if axis == 0 {
			return 0
		}
		return strides[axis-1]
	}
	a := h.Layout.Axes
	im.sx, im.sy, im.sz, im.ss = stride(a.SpatialX), stride(a.SpatialY), stride(a.Depth), stride(a.Stokes)
	return im
}

// Plane decodes the 2-D plane at a channel (index along the depth axis,
// 0-based) and a Stokes index (0-based, not a Stokes code) into a new
// Plane of Width × Height float32 values: scaling applied, BLANK and
// IEEE NaN as NaN. Degenerate extra axes are read at index 0. It fails
// with ErrOutOfRange or ErrClosed.
func (im *Image) Plane(channel, stokes int) (imaging.Plane, error) {
	p := imaging.Plane{Width: im.Layout.Width, Height: im.Layout.Height}
	p.Data = make([]float32, p.Width*p.Height)
	if err := im.ReadPlane(p.Data, channel, stokes); err != nil {
		return imaging.Plane{}, err
	}
	return p, nil
}

// ReadPlane is Plane decoding into dst, which must hold exactly
// Width × Height values; it allocates nothing.
func (im *Image) ReadPlane(dst []float32, channel, stokes int) error {
	w, h := im.Layout.Width, im.Layout.Height
	if len(dst) != w*h {
		return im.errorf("%w: plane buffer has %d values, want %d×%d", ErrOutOfRange, len(dst), w, h)
	}
	if err := im.checkPlane(channel, stokes); err != nil {
		return err
	}
	base := int64(channel)*im.sz + int64(stokes)*im.ss
	return im.withData(func(data []byte) {
		if im.sx == 1 && im.sy == int64(w) {
			im.decodeParallel(dst, data[base*im.bpp:])
			return
		}
		im.readStrided(dst, data, base)
	})
}

// parallelDecode is the plane size from which decoding is split over
// cores: a 4096² plane decodes in about half the time on two.
const parallelDecode = 1 << 20

// decodeParallel decodes len(dst) contiguous values from src, split over
// cores for large planes.
func (im *Image) decodeParallel(dst []float32, src []byte) {
	if len(dst) < parallelDecode {
		im.dec.run(dst, src)
		return
	}
	chunk := parallelDecode / 4
	bpp := int(im.bpp)
	_ = imaging.ForTasks(context.Background(), len(dst), chunk, func(_, _, lo, hi int) {
		im.dec.run(dst[lo:hi], src[lo*bpp:])
	})
}

// ReadRows decodes rows y0..y0+rows-1 of a plane into dst, which must
// hold exactly Width × rows values: a band of a plane, for work that
// needs only some rows (a region's bounding box).
func (im *Image) ReadRows(dst []float32, channel, stokes, y0, rows int) error {
	w, h := im.Layout.Width, im.Layout.Height
	if y0 < 0 || rows < 0 || y0+rows > h || len(dst) != w*rows {
		return im.errorf("%w: rows [%d, %d) of %d with a buffer of %d values", ErrOutOfRange, y0, y0+rows, h, len(dst))
	}
	if err := im.checkPlane(channel, stokes); err != nil {
		return err
	}
	base := int64(channel)*im.sz + int64(stokes)*im.ss + int64(y0)*im.sy
	return im.withData(func(data []byte) { im.readRows(dst, data, base, rows) })
}

// readStrided decodes a plane whose render axes are not axes 1 and 2.
func (im *Image) readStrided(dst []float32, data []byte, base int64) {
	im.readRows(dst, data, base, im.Layout.Height)
}

// readRows decodes rows rows of Width values each, the first at offset
// base (in values) of data, row by row with the image's strides.
func (im *Image) readRows(dst []float32, data []byte, base int64, rows int) {
	w := im.Layout.Width
	for y := range rows {
		row := dst[y*w : (y+1)*w]
		off := base + int64(y)*im.sy
		if im.sx == 1 {
			im.dec.run(row, data[off*im.bpp:])
			continue
		}
		for x := range row {
			row[x] = im.dec.at(data[(off+int64(x)*im.sx)*im.bpp:])
		}
	}
}

// Spectrum returns the values along the depth axis at pixel (x, y) for
// a Stokes index (0-based); its length is Layout.Depth. It fails with
// ErrOutOfRange or ErrClosed.
func (im *Image) Spectrum(x, y, stokes int) ([]float32, error) {
	out := make([]float32, im.Layout.Depth)
	if err := im.ReadSpectrum(out, x, y, stokes, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadSpectrum fills dst with the values along the depth axis at pixel
// (x, y) for a Stokes index, starting at channel from, so long spectra can
// be read in pieces. from+len(dst) must not exceed Layout.Depth.
func (im *Image) ReadSpectrum(dst []float32, x, y, stokes, from int) error {
	l := im.Layout
	if x < 0 || x >= l.Width || y < 0 || y >= l.Height {
		return im.errorf("%w: pixel (%d, %d) outside %d×%d", ErrOutOfRange, x, y, l.Width, l.Height)
	}
	if err := im.checkPlane(0, stokes); err != nil {
		return err
	}
	if from < 0 || from+len(dst) > l.Depth {
		return im.errorf("%w: channels [%d, %d) outside [0, %d)", ErrOutOfRange, from, from+len(dst), l.Depth)
	}
	base := int64(x)*im.sx + int64(y)*im.sy + int64(stokes)*im.ss + int64(from)*im.sz
	return im.withData(func(data []byte) {
		for c := range dst {
			dst[c] = im.dec.at(data[(base+int64(c)*im.sz)*im.bpp:])
		}
	})
}

// checkPlane validates a channel and a Stokes index.
func (im *Image) checkPlane(channel, stokes int) error {
	l := im.Layout
	if channel < 0 || channel >= l.Depth {
		return im.errorf("%w: channel %d outside [0, %d)", ErrOutOfRange, channel, l.Depth)
	}
	if stokes < 0 || stokes >= l.Stokes {
		return im.errorf("%w: Stokes index %d outside [0, %d)", ErrOutOfRange, stokes, l.Stokes)
	}
	return nil
}

// withData runs fn on the data unit while holding the file open. A
// memory fault (the file was truncated after mapping) becomes an
// ErrTruncated error instead of crashing the process.
func (im *Image) withData(fn func(data []byte)) (err error) {
	im.f.mu.RLock()
	defer im.f.mu.RUnlock()
	if im.f.closed {
		return im.errorf("%w", ErrClosed)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			fault, ok := r.(interface{ Addr() uintptr })
			if !ok {
				panic(r)
			}
			err = im.errorf("%w: memory fault at %#x reading data (file truncated on disk?)", ErrTruncated, fault.Addr())
		}
	}()
	fn(im.f.data[im.dataOff : im.dataOff+im.dataLen])
	return nil
}

// errorf formats an error naming the file and HDU.
func (im *Image) errorf(format string, args ...any) error {
	return fmt.Errorf("fits: %s: HDU %s: %w", im.f.path, im.Key(), fmt.Errorf(format, args...))
}
