package hdf5

import (
	"encoding/binary"
	"fmt"
)

// undef is the undefined address (all bits set).
const undef = ^uint64(0)

// buf parses a structure from bytes; reading past the end sets err
// and returns zeros, so parsers check err once at the end.
type buf struct {
	b       []byte
	p       int
	err     error
	offSize int // size of offsets (addresses) in bytes
	lenSize int // size of lengths in bytes
}

func (f *File) buf(b []byte) *buf { return &buf{b: b, offSize: f.offSize, lenSize: f.lenSize} }

func (b *buf) need(n int) bool {
	if b.err != nil {
		return false
	}
	if n < 0 || b.p+n > len(b.b) {
		b.err = fmt.Errorf("%w: structure ends early (%d bytes wanted at %d of %d)", ErrCorrupt, n, b.p, len(b.b))
		return false
	}
	return true
}

func (b *buf) bytes(n int) []byte {
	if !b.need(n) {
		return nil
	}
	out := b.b[b.p : b.p+n]
	b.p += n
	return out
}

func (b *buf) skip(n int) { b.bytes(n) }

func (b *buf) u8() uint8 {
	if !b.need(1) {
		return 0
	}
	b.p++
	return b.b[b.p-1]
}

func (b *buf) u16() uint16 { return uint16(b.uN(2)) }
func (b *buf) u32() uint32 { return uint32(b.uN(4)) }
func (b *buf) u64() uint64 { return b.uN(8) }

// uN reads an n-byte little-endian unsigned integer (n ≤ 8).
func (b *buf) uN(n int) uint64 {
	if n > 8 {
		b.err = fmt.Errorf("%w: %d-byte integer", ErrUnsupported, n)
		return 0
	}
	s := b.bytes(n)
	var v uint64
	for i := len(s) - 1; i >= 0; i-- {
		v = v<<8 | uint64(s[i])
	}
	return v
}

// addr reads an address; all ones stays undef whatever the size.
func (b *buf) addr() uint64 {
	v := b.uN(b.offSize)
	if b.offSize < 8 && v == 1<<(8*b.offSize)-1 {
		return undef
	}
	return v
}

func (b *buf) length() uint64 { return b.uN(b.lenSize) }

func (b *buf) sig(s string) {
	got := b.bytes(len(s))
	if b.err == nil && string(got) != s {
		b.err = fmt.Errorf("%w: signature %q where %q expected", ErrCorrupt, got, s)
	}
}

func (b *buf) rest() []byte { return b.bytes(len(b.b) - b.p) }

// le16 etc. decode without bounds bookkeeping, for checked slices.
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// bytesFor is the number of bytes that hold values up to max.
func bytesFor(max uint64) int {
	n := 1
	for max > 0xff {
		max >>= 8
		n++
	}
	return n
}
