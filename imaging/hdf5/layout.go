package hdf5

import (
	"fmt"
)

// Storage layouts and chunk indices.
const (
	layoutCompact    = 0
	layoutContiguous = 1
	layoutChunked    = 2

	indexBtree1   = 0 // layout version 3
	indexSingle   = 1
	indexImplicit = 2
	indexFixed    = 3
	indexExtArr   = 4
	indexBtree2   = 5
)

// layout is a parsed data layout message.
type layout struct {
	class    int
	addr     uint64 // contiguous data, chunk index or single chunk
	size     uint64 // contiguous size; single filtered chunk size
	compact  []byte
	chunk    []int // chunk dims (without the element size)
	index    int
	mask     uint32 // filter mask of a single filtered chunk
	pageBits int    // fixed array
}

func (f *File) parseLayout(data []byte, rank int) (layout, error) {
	b := f.buf(data)
	v := b.u8()
	if v != 3 && v != 4 {
		return layout{}, fmt.Errorf("%w: data layout version %d", ErrUnsupported, v)
	}
	l := layout{class: int(b.u8())}
	switch l.class {
	case layoutCompact:
		n := int(b.u16())
		l.compact = b.bytes(n)
	case layoutContiguous:
		l.addr, l.size = b.addr(), b.length()
	case layoutChunked:
		if v == 3 {
			return l, f.chunkedV3(b, &l, rank)
		}
		return l, f.chunkedV4(b, &l, rank)
	default:
		return l, fmt.Errorf("%w: layout class %d", ErrUnsupported, l.class)
	}
	return l, b.err
}

func (f *File) chunkedV3(b *buf, l *layout, rank int) error {
	dims := int(b.u8())
	l.addr = b.addr()
	for range dims {
		l.chunk = append(l.chunk, int(b.u32()))
	}
	l.index = indexBtree1
	return l.checkChunk(b.err, rank)
}

func (f *File) chunkedV4(b *buf, l *layout, rank int) error {
	flags := b.u8()
	dims := int(b.u8())
	enc := int(b.u8())
	for range dims {
		l.chunk = append(l.chunk, int(b.uN(enc)))
	}
	l.index = int(b.u8())
	switch l.index {
	case indexSingle:
		if flags&0x02 != 0 {
			l.size = b.length()
			l.mask = b.u32()
		}
	case indexImplicit:
	case indexFixed:
		l.pageBits = int(b.u8())
	case indexExtArr:
		b.skip(5) // creation parameters, repeated in the array's header
	case indexBtree2:
		b.skip(6) // node size, split and merge percentages, repeated in the tree's header
	default:
		return fmt.Errorf("%w: chunk index type %d", ErrUnsupported, l.index)
	}
	l.addr = b.addr()
	return l.checkChunk(b.err, rank)
}

// checkChunk drops the element-size dimension and checks the rest.
func (l *layout) checkChunk(err error, rank int) error {
	if err != nil {
		return err
	}
	if len(l.chunk) != rank+1 {
		return fmt.Errorf("%w: %d chunk dimensions for rank %d", ErrCorrupt, len(l.chunk), rank)
	}
	l.chunk = l.chunk[:rank]
	n := 1
	for _, c := range l.chunk {
		if c <= 0 || c > 1<<30 || n > (1<<31)/c {
			return fmt.Errorf("%w: chunk dimensions %v", ErrCorrupt, l.chunk)
		}
		n *= c
	}
	return nil
}

// filter is one filter of a pipeline.
type filter struct {
	id       uint16
	optional bool
	params   []uint32
}

// Filters this package applies.
const (
	filterDeflate    = 1
	filterShuffle    = 2
	filterFletcher32 = 3
)

func (f *File) parseFilters(data []byte) ([]filter, error) {
	b := f.buf(data)
	v := b.u8()
	n := int(b.u8())
	if v == 1 {
		b.skip(6)
	} else if v != 2 {
		return nil, fmt.Errorf("%w: filter pipeline version %d", ErrUnsupported, v)
	}
	var out []filter
	for range n {
		var fl filter
		fl.id = b.u16()
		nameLen := 0
		if v == 1 || fl.id >= 256 {
			nameLen = int(b.u16())
		}
		fl.optional = b.u16()&1 != 0
		nvals := int(b.u16())
		if v == 1 {
			nameLen = (nameLen + 7) &^ 7
		}
		b.skip(nameLen)
		for range nvals {
			fl.params = append(fl.params, b.u32())
		}
		if v == 1 && nvals%2 == 1 {
			b.skip(4)
		}
		if b.err != nil {
			return nil, b.err
		}
		switch fl.id {
		case filterDeflate, filterShuffle, filterFletcher32:
		default:
			return nil, fmt.Errorf("%w: filter %d (only deflate, shuffle and Fletcher-32 are read)", ErrUnsupported, fl.id)
		}
		out = append(out, fl)
	}
	return out, nil
}
