package zfp

import (
	"encoding/binary"
	"math"
	"slices"
)

// Decoder decompresses streams made by Encode or by the zfp library in
// the same mode. The zero value is ready to use. A Decoder is not safe
// for concurrent use.
type Decoder struct {
	fblock [blockSize]float32
	iblock [blockSize]int32
	ublock [blockSize]uint32
}

// Decode appends the w×h array (row-major) coded in src at the given
// precision to dst and returns the extended slice, computing the same
// floats as zfp_decompress. It returns ErrBadSize for a negative
// dimension and ErrShortStream, with dst unchanged, if src ends before
// the last block. Bytes after the last block are ignored.
func (d *Decoder) Decode(dst []float32, src []byte, w, h, precision int) ([]float32, error) {
	if w < 0 || h < 0 {
		return dst, ErrBadSize
	}
	if w == 0 || h == 0 {
		return dst, nil
	}
	n := len(dst)
	dst = slices.Grow(dst, w*h)[:n+w*h]
	out := dst[n:]
	br := bitReader{buf: src}
	np := planes(clampPrecision(precision))
	for y := 0; y < h; y += 4 {
		for x := 0; x < w; x += 4 {
			d.decodeBlock(&br, np)
			if br.short {
				return dst[:n], ErrShortStream
			}
			d.scatter(out[y*w+x:], min(w-x, 4), min(h-y, 4), w)
		}
	}
	return dst, nil
}

// scatter copies the nx×ny top-left corner of d.fblock to p (row stride sy).
func (d *Decoder) scatter(p []float32, nx, ny, sy int) {
	for y := 0; y < ny; y++ {
		copy(p[y*sy:y*sy+nx], d.fblock[4*y:4*y+nx])
	}
}

// decodeBlock decodes one block into d.fblock (zfp's decode_block).
func (d *Decoder) decodeBlock(br *bitReader, np uint) {
	if br.read(1) == 0 {
		d.fblock = [blockSize]float32{}
		return
	}
	emax := int(br.read(ebits)) - ebias
	decodeInts(br, &d.ublock, np)
	for i, j := range perm {
		d.iblock[j] = fromNegabinary(d.ublock[i])
	}
	invXform(&d.iblock)
	// zfp's inv_cast: int to float, times 2^(emax−30) rounded to float32
	// (0 for the smallest exponents, as ldexpf gives).
	s := float32(math.Ldexp(1, emax-(intprec-2)))
	for i, v := range d.iblock {
		d.fblock[i] = float32(v) * s
	}
}

// decodeInts reads the top np bit planes into u (zfp's decode_ints).
func decodeInts(br *bitReader, u *[blockSize]uint32, np uint) {
	*u = [blockSize]uint32{}
	n := uint(0)
	for k := uint(intprec); k > intprec-np; {
		k--
		x := br.read(n)
		for n < blockSize && br.read(1) != 0 {
			for n < blockSize-1 && br.read(1) == 0 {
				n++
			}
			x |= 1 << n
			n++
		}
		for i := 0; x != 0; i, x = i+1, x>>1 {
			u[i] |= uint32(x&1) << k
		}
	}
}

// bitReader reads bits least significant first from 64-bit little-endian
// words. Reading past the end yields zeros and sets short.
type bitReader struct {
	buf   []byte
	acc   uint64 // unread bits of the current word, low end first
	n     uint   // unread bit count in acc
	short bool   // a read ran past the end of buf
}

// read returns the next n ≤ 64 bits.
func (r *bitReader) read(n uint) uint64 {
	if n <= r.n {
		v := r.acc & (1<<n - 1)
		if n == 64 {
			v = r.acc
		}
		r.acc >>= n
		r.n -= n
		return v
	}
	v := r.acc
	got := r.n
	var word uint64
	if len(r.buf) >= 8 {
		word = binary.LittleEndian.Uint64(r.buf)
		r.buf = r.buf[8:]
	} else {
		r.short = true
		r.buf = nil
	}
	rest := n - got // in [1, 64]
	v |= word << got
	if rest == 64 {
		r.acc, r.n = 0, 0
		return v
	}
	r.acc = word >> rest
	r.n = 64 - rest
	if n < 64 {
		v &= 1<<n - 1
	}
	return v
}
