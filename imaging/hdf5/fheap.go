package hdf5

import (
	"fmt"
	"math/bits"
)

// fractalHeap is the header of a fractal heap (dense links and
// attributes), enough to find managed and tiny objects.
type fractalHeap struct {
	f          *File
	addr       uint64
	idLen      int
	filtered   bool
	checksums  bool // direct blocks end their header with a checksum
	width      int
	startSize  uint64
	maxDirect  uint64
	maxHeapBit int // log2 of the heap's maximum size
	root       uint64
	rootRows   int
	lenBytes   int // size of an object's length in heap IDs
}

func (f *File) fractalHeap(addr uint64) (*fractalHeap, error) {
	data, err := f.readUpTo(addr, 4+1+2+2+1+4+12*f.lenSize+3*f.offSize+2+2+2+2+64)
	if err != nil {
		return nil, err
	}
	b := f.buf(data)
	b.sig("FRHP")
	if v := b.u8(); v != 0 && b.err == nil {
		return nil, fmt.Errorf("%w: fractal heap version %d", ErrUnsupported, v)
	}
	h := &fractalHeap{f: f, addr: addr}
	h.idLen = int(b.u16())
	h.filtered = b.u16() != 0
	h.checksums = b.u8()&0x02 != 0
	maxMan := uint64(b.u32())
	b.length()            // next huge id
	b.addr()              // huge object B-tree
	b.length()            // free space
	b.addr()              // free-space manager
	b.skip(8 * f.lenSize) // managed space, allocated, iterator, counts and sizes
	h.width = int(b.u16())
	h.startSize = b.length()
	h.maxDirect = b.length()
	h.maxHeapBit = int(b.u16())
	b.u16() // starting rows
	h.root = b.addr()
	h.rootRows = int(b.u16())
	if b.err != nil {
		return nil, b.err
	}
	if h.filtered {
		return nil, fmt.Errorf("%w: filtered fractal heap", ErrUnsupported)
	}
	if h.width <= 0 || h.width > 1<<16 || !pow2(h.startSize) || !pow2(h.maxDirect) || h.maxDirect < h.startSize ||
		h.maxHeapBit <= 0 || h.maxHeapBit > 64 || h.idLen < 2 || h.idLen > 64 {
		return nil, fmt.Errorf("%w: fractal heap parameters", ErrCorrupt)
	}
	h.lenBytes = min((bits.Len64(h.maxDirect)-1+7)/8, (bits.Len64(maxMan)-1)/8+1)
	return h, nil
}

func pow2(v uint64) bool { return v > 0 && v&(v-1) == 0 }

// offBytes is the size of a heap offset in IDs and block headers.
func (h *fractalHeap) offBytes() int { return (h.maxHeapBit + 7) / 8 }

// blockSize is the size of the blocks in row r.
func (h *fractalHeap) blockSize(r int) uint64 {
	if r == 0 {
		return h.startSize
	}
	return h.startSize << (r - 1)
}

// maxDirectRows is the number of rows of direct blocks.
func (h *fractalHeap) maxDirectRows() int {
	return bits.Len64(h.maxDirect) - bits.Len64(h.startSize) + 2
}

// get returns the object a heap ID names.
func (h *fractalHeap) get(id []byte) ([]byte, error) {
	if len(id) < 1 {
		return nil, fmt.Errorf("%w: empty heap id", ErrCorrupt)
	}
	switch (id[0] >> 4) & 3 {
	case 0:
		b := h.f.buf(id[1:])
		off := b.uN(h.offBytes())
		n := b.uN(h.lenBytes)
		if b.err != nil {
			return nil, b.err
		}
		return h.managed(off, n)
	case 2:
		n := int(id[0]&0x0f) + 1
		if 1+n > len(id) {
			return nil, fmt.Errorf("%w: tiny heap object", ErrCorrupt)
		}
		return id[1 : 1+n], nil
	}
	return nil, fmt.Errorf("%w: huge fractal heap objects", ErrUnsupported)
}

// managed finds the direct block holding heap offset off.
func (h *fractalHeap) managed(off, n uint64) ([]byte, error) {
	if h.rootRows == 0 {
		return h.fromDirect(h.root, h.startSize, 0, off, n)
	}
	return h.fromIndirect(h.root, h.rootRows, 0, off, n, 0)
}

// fromDirect reads n bytes at heap offset off of the direct block at
// addr of the given size starting at heap offset start.
func (h *fractalHeap) fromDirect(addr, size, start, off, n uint64) ([]byte, error) {
	if off < start || n > size || off-start > size-n {
		return nil, fmt.Errorf("%w: heap object at %d+%d outside its block", ErrCorrupt, off, n)
	}
	head := 5 + h.f.offSize + h.offBytes()
	if h.checksums {
		head += 4
	}
	if off-start < uint64(head) {
		return nil, fmt.Errorf("%w: heap object inside a block header", ErrCorrupt)
	}
	sig, err := h.f.readMeta(addr, 4)
	if err != nil {
		return nil, err
	}
	if string(sig) != "FHDB" {
		return nil, fmt.Errorf("%w: no direct block at %#x", ErrCorrupt, addr)
	}
	return h.f.readMeta(addr+(off-start), n)
}

// fromIndirect walks the indirect block at addr with rows rows whose
// first byte is heap offset start.
func (h *fractalHeap) fromIndirect(addr uint64, rows int, start, off, n uint64, depth int) ([]byte, error) {
	if depth > maxDepth || rows > 64 {
		return nil, fmt.Errorf("%w: fractal heap too deep", ErrCorrupt)
	}
	dRows := min(rows, h.maxDirectRows())
	entries := rows * h.width
	size := uint64(5+h.f.offSize+h.offBytes()) + uint64(entries)*uint64(h.f.offSize) + 4
	data, err := h.f.readMeta(addr, size)
	if err != nil {
		return nil, err
	}
	b := h.f.buf(data)
	b.sig("FHIB")
	b.skip(1 + h.f.offSize + h.offBytes())
	pos := start
	for r := 0; r < rows; r++ {
		bs := h.blockSize(r)
		for c := 0; c < h.width; c++ {
			child := b.addr()
			if b.err != nil {
				return nil, b.err
			}
			if off >= pos && off < pos+bs {
				if child == undef {
					return nil, fmt.Errorf("%w: heap object in an unallocated block", ErrCorrupt)
				}
				if r < dRows {
					return h.fromDirect(child, bs, pos, off, n)
				}
				childRows := bits.Len64(bs) - bits.Len64(h.startSize*uint64(h.width)) + 1
				return h.fromIndirect(child, childRows, pos, off, n, depth+1)
			}
			pos += bs
		}
	}
	return nil, fmt.Errorf("%w: heap offset %d beyond the heap", ErrCorrupt, off)
}
