package hdf5

import (
	"fmt"
	"sync"
	"unsafe"
)

// Dataset is an n-dimensional array of numbers. It is safe for
// concurrent use.
type Dataset struct {
	f       *File
	addr    uint64
	Shape   []int
	dt      datatype
	layout  layout
	filters []filter
	maxDims []uint64 // from the dataspace; undef marks an unlimited dimension

	once  sync.Once
	index map[int64]chunkRef // chunk number (row-major over the chunk grid) → where
	err   error
}

// Dataset reads the object as a dataset of numbers.
func (o *Object) Dataset() (*Dataset, error) {
	d, err := o.dataset()
	if err != nil {
		return nil, fmt.Errorf("hdf5: %s: dataset at %#x: %w", o.f.path, o.addr, err)
	}
	return d, nil
}

func (o *Object) dataset() (*Dataset, error) {
	d := &Dataset{f: o.f, addr: o.addr}
	m, ok := o.find(msgDataspace)
	if !ok {
		return nil, fmt.Errorf("%w: no dataspace", ErrCorrupt)
	}
	ds, err := parseDataspace(m.data, o.f.lenSize)
	if err != nil {
		return nil, err
	}
	if _, err := ds.count(); err != nil {
		return nil, err
	}
	for _, n := range ds.dims {
		if n > 1<<40 {
			return nil, fmt.Errorf("%w: dimension %d", ErrCorrupt, n)
		}
		d.Shape = append(d.Shape, int(n))
	}
	d.maxDims = ds.max
	if m, ok = o.find(msgDatatype); !ok {
		return nil, fmt.Errorf("%w: no datatype", ErrCorrupt)
	}
	if d.dt, _, err = parseDatatype(m.data, 0); err != nil {
		return nil, err
	}
	if !d.dt.numeric() {
		return nil, fmt.Errorf("%w: dataset of class %d (numbers only)", ErrUnsupported, d.dt.class)
	}
	if _, ok := o.find(msgExternal); ok {
		return nil, fmt.Errorf("%w: external storage", ErrUnsupported)
	}
	if m, ok = o.find(msgLayout); !ok {
		return nil, fmt.Errorf("%w: no layout", ErrCorrupt)
	}
	if d.layout, err = o.f.parseLayout(m.data, len(d.Shape)); err != nil {
		return nil, err
	}
	if d.layout.class == layoutChunked && d.chunkBytes() > maxChunkBytes {
		return nil, fmt.Errorf("%w: chunks of %d bytes (at most %d)", ErrUnsupported, d.chunkBytes(), maxChunkBytes)
	}
	if m, ok := o.find(msgFilters); ok {
		if d.filters, err = o.f.parseFilters(m.data); err != nil {
			return nil, err
		}
	}
	return d, d.checkStorage()
}

// checkStorage checks that compact and contiguous data fit.
func (d *Dataset) checkStorage() error {
	n := uint64(d.elems()) * uint64(d.dt.size)
	switch d.layout.class {
	case layoutCompact:
		if uint64(len(d.layout.compact)) < n {
			return fmt.Errorf("%w: compact data of %d bytes for %d", ErrCorrupt, len(d.layout.compact), n)
		}
	case layoutContiguous:
		if d.layout.addr == undef {
			return nil // never written: reads give zeros
		}
		if d.layout.size < n || d.layout.addr+d.f.base > uint64(d.f.size) || n > uint64(d.f.size)-d.layout.addr-d.f.base {
			return fmt.Errorf("%w: contiguous data of %d bytes outside the file", ErrCorrupt, n)
		}
	}
	return nil
}

func (d *Dataset) elems() int64 {
	n := int64(1)
	for _, s := range d.Shape {
		n *= int64(s)
	}
	return n
}

// Float reports whether the elements are floating point.
func (d *Dataset) Float() bool { return d.dt.class == ClassFloat }

// ElemSize is the size of one element in the file.
func (d *Dataset) ElemSize() int { return d.dt.size }

// Chunk returns the chunk shape, nil unless chunked.
func (d *Dataset) Chunk() []int { return d.layout.chunk }

// ReadFloat32 reads the hyperslab at start of shape count, in row-major
// order, into dst (len = product of count).
func (d *Dataset) ReadFloat32(dst []float32, start, count []int) error {
	if d.dt.nativeFloat32() {
		// The file's bytes are dst's: read them in place, as h5py does.
		raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 4*len(dst))
		return d.readInto(start, count, len(dst), func(i int, src []byte) { copy(raw[4*i:], src) }, raw)
	}
	return d.read(start, count, len(dst), func(i int, src []byte) {
		d.dt.float32s(dst[i:i+len(src)/d.dt.size], src)
	})
}

// ReadFloat64 is ReadFloat32 into float64 values.
func (d *Dataset) ReadFloat64(dst []float64, start, count []int) error {
	return d.read(start, count, len(dst), func(i int, src []byte) {
		for k := 0; k < len(src)/d.dt.size; k++ {
			dst[i+k] = d.dt.float(src[k*d.dt.size:])
		}
	})
}

// ReadInt64 is ReadFloat32 into int64 values.
func (d *Dataset) ReadInt64(dst []int64, start, count []int) error {
	return d.read(start, count, len(dst), func(i int, src []byte) {
		for k := 0; k < len(src)/d.dt.size; k++ {
			dst[i+k] = d.dt.int(src[k*d.dt.size:])
		}
	})
}

// read checks a hyperslab and hands runs of its elements, in file
// order, to emit with their index in the output.
func (d *Dataset) read(start, count []int, n int, emit func(i int, src []byte)) error {
	return d.readInto(start, count, n, emit, nil)
}

// readInto is read where contiguous runs may be read straight into
// direct, the output's bytes, when it is not nil.
func (d *Dataset) readInto(start, count []int, n int, emit func(i int, src []byte), direct []byte) error {
	if err := d.checkSlab(start, count, n); err != nil {
		return fmt.Errorf("hdf5: %s: %w", d.f.path, err)
	}
	if n == 0 {
		return nil
	}
	var err error
	switch d.layout.class {
	case layoutCompact:
		err = d.readFlat(start, count, func(off int64, b []byte) error {
			copy(b, d.layout.compact[off:])
			return nil
		}, emit, direct)
	case layoutContiguous:
		err = d.readFlat(start, count, d.readContiguous, emit, direct)
	default:
		err = d.readChunked(start, count, emit)
	}
	if err != nil {
		return fmt.Errorf("hdf5: %s: %w", d.f.path, err)
	}
	return nil
}

func (d *Dataset) checkSlab(start, count []int, n int) error {
	if len(start) != len(d.Shape) || len(count) != len(d.Shape) {
		return fmt.Errorf("%w: %d-D slab of a %d-D dataset", ErrOutOfRange, len(start), len(d.Shape))
	}
	want := 1
	for i, s := range d.Shape {
		if start[i] < 0 || count[i] < 0 || start[i] > s || count[i] > s-start[i] {
			return fmt.Errorf("%w: slab %v+%v of shape %v", ErrOutOfRange, start, count, d.Shape)
		}
		want *= count[i]
	}
	if want != n {
		return fmt.Errorf("%w: buffer of %d for %d values", ErrOutOfRange, n, want)
	}
	return nil
}

func (d *Dataset) readContiguous(off int64, b []byte) error {
	if d.layout.addr == undef {
		clear(b)
		return nil
	}
	return d.f.readInto(b, int64(d.layout.addr+d.f.base)+off)
}

// maxRun bounds one read of contiguous data.
const maxRun = 4 << 20

// readFlat reads a slab of row-major data through fetch(byte offset,
// buffer), merging rows that are contiguous in the file.
func (d *Dataset) readFlat(start, count []int, fetch func(int64, []byte) error, emit func(int, []byte), direct []byte) error {
	es := d.dt.size
	runLen, outer := runShape(d.Shape, count)
	strides := stridesOf(d.Shape)
	if direct != nil {
		return d.readFlatDirect(start, count, fetch, direct, runLen, outer, strides)
	}
	tmp := make([]byte, min(runLen*es, maxRun))
	idx := make([]int, outer)
	out := 0
	for {
		off := int64(0)
		for k := range len(d.Shape) {
			pos := start[k]
			if k < outer {
				pos += idx[k]
			}
			off += int64(pos) * strides[k]
		}
		for done := 0; done < runLen; {
			m := min(runLen-done, len(tmp)/es)
			b := tmp[:m*es]
			if err := fetch((off+int64(done))*int64(es), b); err != nil {
				return err
			}
			emit(out, b)
			out += m
			done += m
		}
		if !next(idx, count[:outer]) {
			return nil
		}
	}
}

// readFlatDirect is readFlat reading each run into its place in direct.
func (d *Dataset) readFlatDirect(start, count []int, fetch func(int64, []byte) error, direct []byte, runLen, outer int, strides []int64) error {
	es := d.dt.size
	idx := make([]int, outer)
	out := 0
	for {
		off := int64(0)
		for k := range len(d.Shape) {
			pos := start[k]
			if k < outer {
				pos += idx[k]
			}
			off += int64(pos) * strides[k]
		}
		if err := fetch(off*int64(es), direct[out*es:(out+runLen)*es]); err != nil {
			return err
		}
		out += runLen
		if !next(idx, count[:outer]) {
			return nil
		}
	}
}

// runShape returns the length of the longest contiguous run of a slab
// of count in shape and the number of outer dimensions iterated.
func runShape(shape, count []int) (int, int) {
	run, k := 1, len(shape)
	for k > 0 {
		k--
		run *= count[k]
		if count[k] != shape[k] {
			return run, k
		}
	}
	return run, 0
}

func stridesOf(shape []int) []int64 {
	s := make([]int64, len(shape))
	acc := int64(1)
	for k := len(shape) - 1; k >= 0; k-- {
		s[k] = acc
		acc *= int64(shape[k])
	}
	return s
}

// next advances a row-major index over count; false when done.
func next(idx, count []int) bool {
	for k := len(idx) - 1; k >= 0; k-- {
		idx[k]++
		if idx[k] < count[k] {
			return true
		}
		idx[k] = 0
	}
	return false
}
