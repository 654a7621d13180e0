package hdf5

import (
	"fmt"
	"math/bits"
)

// lookup3 is Bob Jenkins' lookup3 hash (hashlittle, initial value 0),
// the checksum of HDF5's newer metadata structures.
func lookup3(k []byte) uint32 {
	a := 0xdeadbeef + uint32(len(k))
	b, c := a, a
	for len(k) > 12 {
		a += le32(k)
		b += le32(k[4:])
		c += le32(k[8:])
		a, b, c = mix3(a, b, c)
		k = k[12:]
	}
	if len(k) == 0 {
		return c
	}
	var tail [12]byte // the last block, zero-padded
	copy(tail[:], k)
	a += le32(tail[:])
	b += le32(tail[4:])
	c += le32(tail[8:])
	return final3(a, b, c)
}

func mix3(a, b, c uint32) (uint32, uint32, uint32) {
	a -= c
	a ^= bits.RotateLeft32(c, 4)
	c += b
	b -= a
	b ^= bits.RotateLeft32(a, 6)
	a += c
	c -= b
	c ^= bits.RotateLeft32(b, 8)
	b += a
	a -= c
	a ^= bits.RotateLeft32(c, 16)
	c += b
	b -= a
	b ^= bits.RotateLeft32(a, 19)
	a += c
	c -= b
	c ^= bits.RotateLeft32(b, 4)
	b += a
	return a, b, c
}

func final3(a, b, c uint32) uint32 {
	c ^= b
	c -= bits.RotateLeft32(b, 14)
	a ^= c
	a -= bits.RotateLeft32(c, 11)
	b ^= a
	b -= bits.RotateLeft32(a, 25)
	c ^= b
	c -= bits.RotateLeft32(b, 16)
	a ^= c
	a -= bits.RotateLeft32(c, 4)
	b ^= a
	b -= bits.RotateLeft32(a, 14)
	c ^= b
	c -= bits.RotateLeft32(b, 24)
	return c
}

// checksum verifies a structure whose last four bytes are the lookup3
// checksum of the others.
func checksum(data []byte, what string) error {
	n := len(data) - 4
	if n < 0 {
		return fmt.Errorf("%w: %s too short for its checksum", ErrCorrupt, what)
	}
	if got, want := le32(data[n:]), lookup3(data[:n]); got != want {
		return fmt.Errorf("%w: %s checksum %#08x, computed %#08x", ErrCorrupt, what, got, want)
	}
	return nil
}
