package hdf5

import (
	"bytes"
	"fmt"
)

// localHeap is a group's local heap data segment (link names).
type localHeap []byte

func (f *File) localHeap(addr uint64) (localHeap, error) {
	head, err := f.readMeta(addr, uint64(8+2*f.lenSize+f.offSize))
	if err != nil {
		return nil, err
	}
	b := f.buf(head)
	b.sig("HEAP")
	b.skip(4)
	size := b.length()
	b.length() // free list
	data := b.addr()
	if b.err != nil {
		return nil, b.err
	}
	return f.readMeta(data, size)
}

// name returns the NUL-terminated string at off.
func (h localHeap) name(off uint64) (string, error) {
	if off >= uint64(len(h)) {
		return "", fmt.Errorf("%w: heap offset %d outside %d bytes", ErrCorrupt, off, len(h))
	}
	s := h[off:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s), nil
}

// globalObject reads object index idx of the global heap collection
// at addr (variable-length data).
func (f *File) globalObject(addr uint64, idx uint32) ([]byte, error) {
	head, err := f.readMeta(addr, uint64(8+f.lenSize))
	if err != nil {
		return nil, err
	}
	b := f.buf(head)
	b.sig("GCOL")
	b.skip(4)
	size := b.length()
	if b.err != nil {
		return nil, b.err
	}
	data, err := f.readMeta(addr, size)
	if err != nil {
		return nil, err
	}
	b = f.buf(data)
	b.skip(len(head))
	for b.err == nil && len(data)-b.p >= 8+f.lenSize {
		i := b.u16()
		b.skip(6)
		n := b.length()
		if i == 0 || n > uint64(len(data)) {
			break
		}
		obj := b.bytes(int(n))
		if uint32(i) == idx && b.err == nil {
			return obj, nil
		}
		b.skip(int((8 - n%8) % 8))
	}
	if b.err != nil {
		return nil, b.err
	}
	return nil, fmt.Errorf("%w: global heap object %d not found", ErrCorrupt, idx)
}
