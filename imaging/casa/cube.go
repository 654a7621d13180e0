package casa

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// cubeReader reads boxes of a hypercube from its data file, one tile at
// a time; it holds no tile between calls.
type cubeReader struct {
	c     *hypercube
	f     *os.File
	order binary.ByteOrder
	tiles []int // tiles per axis
}

func openCube(c *hypercube, path string) (*cubeReader, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, fmt.Errorf("casa: tile data: %w", err)
	}
	r := &cubeReader{c: c, f: f, order: binary.LittleEndian}
	if c.bigEndian {
		r.order = binary.BigEndian
	}
	ntiles := int64(1)
	for i, s := range c.shape {
		n := (s + c.tile[i] - 1) / c.tile[i]
		r.tiles = append(r.tiles, n)
		ntiles *= int64(n)
		if ntiles > 1<<40 {
			f.Close()
			return nil, fmt.Errorf("%w: %v tiles", ErrFormat, r.tiles)
		}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("casa: tile data: %w", err)
	}
	if need := c.offset + ntiles*c.tileBytes(); fi.Size() < need {
		f.Close()
		return nil, fmt.Errorf("%w: %s holds %d bytes, the hypercube needs %d", ErrFormat, path, fi.Size(), need)
	}
	return r, nil
}

func (r *cubeReader) close() error { return r.f.Close() }

// checkBox validates a box against the cube.
func (r *cubeReader) checkBox(start, count []int) error {
	if len(start) != len(r.c.shape) || len(count) != len(r.c.shape) {
		return fmt.Errorf("%w: box of %d axes in a cube of %d", ErrOutOfRange, len(start), len(r.c.shape))
	}
	for i, s := range r.c.shape {
		if start[i] < 0 || count[i] < 1 || start[i] > s-count[i] {
			return fmt.Errorf("%w: axis %d pixels %d+%d of %d", ErrOutOfRange, i+1, start[i], count[i], s)
		}
	}
	return nil
}

// eachTile calls fn with every tile the box touches: its first pixel,
// and the part of it inside the box (lo inclusive, hi exclusive).
func (r *cubeReader) eachTile(start, count []int, fn func(nr int64, origin, lo, hi []int) error) error {
	n := len(start)
	t0, t1, t := make([]int, n), make([]int, n), make([]int, n)
	for i := range start {
		t0[i], t1[i] = start[i]/r.c.tile[i], (start[i]+count[i]-1)/r.c.tile[i]
	}
	copy(t, t0)
	origin, lo, hi := make([]int, n), make([]int, n), make([]int, n)
	for {
		nr, stride := int64(0), int64(1)
		for i := range t {
			nr += int64(t[i]) * stride
			stride *= int64(r.tiles[i])
			origin[i] = t[i] * r.c.tile[i]
			lo[i] = max(start[i], origin[i])
			hi[i] = min(start[i]+count[i], origin[i]+r.c.tile[i])
		}
		if err := fn(nr, origin, lo, hi); err != nil {
			return err
		}
		i := 0
		for ; i < n; i++ {
			if t[i] < t1[i] {
				t[i]++
				break
			}
			t[i] = t0[i]
		}
		if i == n {
			return nil
		}
	}
}

// span is the part of a tile holding the pixels lo..hi (exclusive) of
// it: in Fortran order the first lies at the lo corner and the last at
// the hi corner, so a read of one plane of a deep tile reads that plane
// only. It returns the byte range [from, to) within the tile.
func (r *cubeReader) span(origin, lo, hi []int) (from, to int64) {
	first, last, stride := int64(0), int64(0), int64(1)
	for i := range lo {
		first += int64(lo[i]-origin[i]) * stride
		last += int64(hi[i]-1-origin[i]) * stride
		stride *= int64(r.c.tile[i])
	}
	if r.c.typ == tpBool {
		return first / 8, last/8 + 1
	}
	size := int64(r.c.pixelBytes())
	return first * size, (last + 1) * size
}

// readTile reads bytes [from, to) of tile nr into the same range of buf.
func (r *cubeReader) readTile(buf []byte, nr, from, to int64) error {
	off := r.c.offset + nr*int64(len(buf)) + from
	if _, err := r.f.ReadAt(buf[from:to], off); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("casa: read tile %d: %w", nr, err)
	}
	return nil
}

// eachRun calls fn for every run of pixels along axis 0 in the part
// lo..hi of a tile at origin: the run's pixel index in the tile and in
// the box, and its length.
func (r *cubeReader) eachRun(start, count, origin, lo, hi []int, fn func(inTile, inBox, n int)) {
	n := len(lo)
	p := make([]int, n)
	copy(p, lo)
	run := hi[0] - lo[0]
	for {
		it, ib, st, sb := 0, 0, 1, 1
		for i := range p {
			it += (p[i] - origin[i]) * st
			ib += (p[i] - start[i]) * sb
			st *= r.c.tile[i]
			sb *= count[i]
		}
		fn(it, ib, run)
		i := 1
		for ; i < n; i++ {
			if p[i]+1 < hi[i] {
				p[i]++
				break
			}
			p[i] = lo[i]
		}
		if i >= n {
			return
		}
	}
}

// readFloats fills dst (the box in Fortran order) with the pixels, as
// float32: float64 pixels are rounded.
func (r *cubeReader) readFloats(dst []float32, start, count []int) error {
	if err := r.checkBox(start, count); err != nil {
		return err
	}
	if len(dst) < product(count) {
		return fmt.Errorf("%w: buffer of %d for a box of %d", ErrOutOfRange, len(dst), product(count))
	}
	size := r.c.pixelBytes()
	if r.c.typ != tpFloat && r.c.typ != tpDouble {
		return fmt.Errorf("%w: pixels of data type %s", ErrUnsupported, typeName(r.c.typ))
	}
	buf := make([]byte, r.c.tileBytes())
	return r.eachTile(start, count, func(nr int64, origin, lo, hi []int) error {
		from, to := r.span(origin, lo, hi)
		if err := r.readTile(buf, nr, from, to); err != nil {
			return err
		}
		r.eachRun(start, count, origin, lo, hi, func(it, ib, n int) {
			src, out := buf[it*size:(it+n)*size], dst[ib:ib+n]
			if size == 4 {
				for k := range out {
					out[k] = math.Float32frombits(r.order.Uint32(src[4*k:]))
				}
				return
			}
			for k := range out {
				out[k] = float32(math.Float64frombits(r.order.Uint64(src[8*k:])))
			}
		})
		return nil
	})
}

// applyMask sets the pixels of dst whose mask bit is false to NaN.
func (r *cubeReader) applyMask(dst []float32, start, count []int) error {
	if err := r.checkBox(start, count); err != nil {
		return err
	}
	if r.c.typ != tpBool {
		return fmt.Errorf("%w: mask of data type %s", ErrUnsupported, typeName(r.c.typ))
	}
	buf := make([]byte, r.c.tileBytes())
	nan := float32(math.NaN())
	return r.eachTile(start, count, func(nr int64, origin, lo, hi []int) error {
		from, to := r.span(origin, lo, hi)
		if err := r.readTile(buf, nr, from, to); err != nil {
			return err
		}
		r.eachRun(start, count, origin, lo, hi, func(it, ib, n int) {
			for k := 0; k < n; k++ {
				if bit := it + k; buf[bit>>3]&(1<<(bit&7)) == 0 {
					dst[ib+k] = nan
				}
			}
		})
		return nil
	})
}

// typeName names a pixel type for errors.
func typeName(t dataType) string {
	names := map[dataType]string{tpBool: "Bool", tpFloat: "Float", tpDouble: "Double", tpComplex: "Complex",
		tpDComplex: "DComplex", tpInt: "Int", tpShort: "Short", tpUChar: "uChar", tpInt64: "Int64"}
	if s, ok := names[t]; ok {
		return s
	}
	return fmt.Sprintf("#%d", t)
}

// openRegular opens a file of the table, refusing symbolic links and
// anything but regular files: casacore writes neither, and a link could
// lead reads outside the folder the server is confined to.
func openRegular(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrUnsupported, path)
	}
	return os.Open(path)
}
