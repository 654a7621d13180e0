package zfp

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// Encoder compresses 2-D float32 arrays in zfp's fixed-precision mode.
// The zero value is ready to use. An Encoder is not safe for concurrent
// use; give each worker its own.
type Encoder struct {
	fblock [blockSize]float32
	iblock [blockSize]int32
	ublock [blockSize]uint32
}

// Encode appends the zfp stream of the w×h array data (row-major, x
// fastest, as zfp_field_2d(data, zfp_type_float, w, h)) compressed at
// the given precision to dst and returns the extended slice. The stream
// has no zfp header and is a whole number of 64-bit words. Precision 0
// means full precision, as in zfp_stream_set_precision.
//
// Encode allocates only if dst lacks MaxSize(w, h, precision) bytes of
// spare capacity. It panics if w or h is negative or data holds fewer
// than w·h values; an empty array appends nothing.
func (e *Encoder) Encode(dst []byte, data []float32, w, h, precision int) []byte {
	if w < 0 || h < 0 {
		panic(ErrBadSize)
	}
	if len(data) < w*h {
		panic("zfp: Encode data shorter than w*h")
	}
	if w == 0 || h == 0 {
		return dst
	}
	n := len(dst)
	dst = grow(dst, MaxSize(w, h, precision))
	bw := bitWriter{buf: dst[n:cap(dst)]}
	maxprec := clampPrecision(precision)
	for y := 0; y < h; y += 4 {
		for x := 0; x < w; x += 4 {
			if w-x >= 4 && h-y >= 4 {
				e.gather(data[y*w+x:], w)
			} else {
				e.gatherPartial(data[y*w+x:], min(w-x, 4), min(h-y, 4), w)
			}
			e.encodeBlock(&bw, maxprec)
		}
	}
	bw.flush()
	return dst[:n+bw.pos]
}

// grow returns dst with room for at least n more bytes past its length.
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	nd := make([]byte, len(dst), len(dst)+n)
	copy(nd, dst)
	return nd
}

// gather copies the 4×4 block at p (row stride sy) into e.fblock.
func (e *Encoder) gather(p []float32, sy int) {
	_ = p[3*sy+3]
	*(*[4]float32)(e.fblock[0:4]) = [4]float32(p[0:4])
	*(*[4]float32)(e.fblock[4:8]) = [4]float32(p[sy : sy+4])
	*(*[4]float32)(e.fblock[8:12]) = [4]float32(p[2*sy : 2*sy+4])
	*(*[4]float32)(e.fblock[12:16]) = [4]float32(p[3*sy : 3*sy+4])
}

// gatherPartial copies the nx×ny corner block at p into e.fblock and pads
// it to 4×4: each row first, then each column.
func (e *Encoder) gatherPartial(p []float32, nx, ny, sy int) {
	q := &e.fblock
	for y := 0; y < ny; y++ {
		copy(q[4*y:4*y+nx], p[y*sy:y*sy+nx])
		padRow(q, 4*y, nx, 1)
	}
	for x := 0; x < 4; x++ {
		padRow(q, x, ny, 4)
	}
}

// encodeBlock codes e.fblock (zfp's encode_block for floats).
func (e *Encoder) encodeBlock(bw *bitWriter, maxprec uint) {
	amax := absMax(&e.fblock)
	special := amax >= 0x7f800000 // NaN or ±Inf present
	var emax int
	if special {
		var nonzero bool
		if emax, nonzero = specialExponent(&e.fblock); !nonzero {
			bw.write(0, 1)
			return
		}
	} else {
		if amax == 0 {
			bw.write(0, 1) // all ±0
			return
		}
		// frexp exponent of the largest magnitude, clamped at 1−ebias
		// for subnormals: biased exponent − 126 (subnormals have 0).
		emax = int(amax>>23) - (ebias - 1)
	}
	// Biased exponent in bits 1..8, bit 0 set: the block is not zero.
	bw.write(uint64(2*(emax+ebias)+1), 1+ebits)
	if special {
		e.castSpecial(emax)
	} else {
		e.cast(emax)
	}
	fwdXform(&e.iblock)
	fwdOrder(&e.ublock, &e.iblock)
	encodeInts(bw, &e.ublock, planes(maxprec))
}

// absMax returns the largest magnitude in q as float32 bits (NaN and
// ±Inf compare above every finite value). The reduction is a tree, not a
// chain, so the comparisons can run side by side.
func absMax(q *[blockSize]float32) uint32 {
	const abs = 0x7fffffff
	f := func(i int) uint32 { return math.Float32bits(q[i]) & abs }
	a := max(max(f(0), f(1)), max(f(2), f(3)))
	b := max(max(f(4), f(5)), max(f(6), f(7)))
	c := max(max(f(8), f(9)), max(f(10), f(11)))
	d := max(max(f(12), f(13)), max(f(14), f(15)))
	return max(max(a, b), max(c, d))
}

// cast is zfp's fwd_cast: scale by 2^(30−emax) in float32 and truncate.
// Below emax −97 the scale overflows to +Inf in C, and every product
// (±Inf, or NaN for zeros) converts to INT32_MIN on x86-64.
func (e *Encoder) cast(emax int) {
	if emax < -97 {
		for i := range e.iblock {
			e.iblock[i] = math.MinInt32
		}
		return
	}
	s := math.Float32frombits(uint32(intprec-2-emax+ebias) << 23)
	for i, v := range e.fblock {
		e.iblock[i] = int32(v * s)
	}
}

// specialExponent is zfp's exponent_block for a block holding NaN or
// ±Inf, as the C library computes it on x86-64 with glibc: NaN never wins
// the float comparison for the maximum, and frexpf(±Inf) gives exponent
// 0. It reports false if the maximum stays 0 (only NaN and zeros): such
// a block codes as all zeros.
func specialExponent(q *[blockSize]float32) (emax int, nonzero bool) {
	var fmax float32
	for _, v := range q {
		if a := float32(math.Abs(float64(v))); fmax < a {
			fmax = a
		}
	}
	if fmax == 0 {
		return 0, false
	}
	if math.IsInf(float64(fmax), 0) {
		return 0, true
	}
	_, emax = math.Frexp(float64(fmax))
	return max(emax, 1-ebias), true
}

// castSpecial is cast for a block holding NaN or ±Inf: NaN, ±Inf and
// out-of-range products convert to INT32_MIN, as cvttss2si does.
func (e *Encoder) castSpecial(emax int) {
	s := float32(math.Ldexp(1, intprec-2-emax))
	for i, v := range e.fblock {
		e.iblock[i] = toInt32(v * s)
	}
}

// toInt32 converts like x86-64's cvttss2si: truncation, with INT32_MIN
// for NaN and anything out of range.
func toInt32(v float32) int32 {
	if v != v || v >= 1<<31 || v < -(1<<31) {
		return math.MinInt32
	}
	return int32(v)
}

// encodeInts codes the top np bit planes of the negabinary coefficients
// u, most significant first (zfp's encode_ints with no bit budget). Each
// plane k is: bits k of the n coefficients already significant, verbatim;
// then, while coefficients remain, a group-test bit (any one left?) and,
// if set, the bits up to and including the next one, the last
// coefficient's one being implied.
func encodeInts(bw *bitWriter, u *[blockSize]uint32, np uint) {
	var all uint32
	for _, v := range u {
		all |= v
	}
	kmin := intprec - np
	// Planes above the highest set bit are empty; with no coefficient
	// significant yet each codes as a single 0 group-test bit.
	top := uint(bits.Len32(all)) // planes [top, 32) are zero
	k := uint(intprec)
	if top < k {
		skip := k - max(top, kmin)
		bw.write(0, skip)
		k -= skip
	}
	if k <= kmin {
		return
	}
	var t planeTiles
	t.build(u, kmin, k)
	n := 0 // coefficients significant so far
	for k > kmin {
		k--
		x := t.plane(k)
		if n == blockSize {
			bw.write(x, blockSize)
			continue
		}
		code, ln, adv := groupCode(x>>n, n)
		bw.write(x&(1<<n-1)|code<<n, uint(n)+ln)
		n += adv
	}
}

// groupCode codes the bits r of coefficients n.. of one plane (n < 16)
// the way encode_ints's group tests do, without a branch per bit. There,
// while ones remain, a 1 is written, then r's bits up to and including
// the next one; then a closing 0, unless the last coefficient was
// reached, whose one is left implied. That is a leading 1, then r with a
// 1 inserted after each one, cut after the last one, whose inserted bit
// becomes the closing 0. It returns the code, its length and how many
// coefficients became significant; r = 0 gives a single 0 bit.
func groupCode(r uint64, n int) (code uint64, ln uint, adv int) {
	lo, hi := expand[r&0xff], expand[r>>8&0xff]
	e := uint64(lo&0xffff) | uint64(hi&0xffff)<<(lo>>16&63)
	last := bits.Len64(r) - 1 // −1 for r = 0
	// Bits before the closing 0: last + ones + 1. If the last one is the
	// last coefficient's (n+last+1 = 16), it is implied and no group test
	// follows: one bit less kept, two less written.
	implied := (n + last + 1) >> 4
	keep := last + int(lo>>16+hi>>16) - 15 - implied
	return (1 | e<<1) & (1<<(uint(keep)&63) - 1), uint(keep + 1 - implied), last + 1
}

// expand[v] holds in its low 16 bits the 8-bit value v, least
// significant bit first, with a 1 inserted after each one (1 becomes 11,
// 0 stays 0), and above them its length, 8 + ones(v).
var expand = func() (t [256]uint32) {
	for v := range t {
		pos := 0
		for b := 0; b < 8; b++ {
			if v>>b&1 == 1 {
				t[v] |= 3 << pos
				pos += 2
			} else {
				pos++
			}
		}
		t[v] |= uint32(pos) << 16
	}
	return t
}()

// planeTiles holds the coefficients as 8×8 bit tiles: tile 2c+g has in
// byte r the bits 8c..8c+7 of coefficient 8g+r, so that one bit plane of
// eight coefficients is a shift, a mask and a multiply away.
type planeTiles [8]uint64

// build fills the tiles covering bit planes [lo, hi).
func (t *planeTiles) build(u *[blockSize]uint32, lo, hi uint) {
	for c := lo / 8; c < (hi+7)/8; c++ {
		s := 8 * c
		t[2*c] = uint64(uint8(u[0]>>s)) | uint64(uint8(u[1]>>s))<<8 |
			uint64(uint8(u[2]>>s))<<16 | uint64(uint8(u[3]>>s))<<24 |
			uint64(uint8(u[4]>>s))<<32 | uint64(uint8(u[5]>>s))<<40 |
			uint64(uint8(u[6]>>s))<<48 | uint64(uint8(u[7]>>s))<<56
		t[2*c+1] = uint64(uint8(u[8]>>s)) | uint64(uint8(u[9]>>s))<<8 |
			uint64(uint8(u[10]>>s))<<16 | uint64(uint8(u[11]>>s))<<24 |
			uint64(uint8(u[12]>>s))<<32 | uint64(uint8(u[13]>>s))<<40 |
			uint64(uint8(u[14]>>s))<<48 | uint64(uint8(u[15]>>s))<<56
	}
}

// plane gathers bit k of each coefficient into bit i of the result. The
// multiply moves bit 8r of the masked tile to bit 56+r: the partial
// products all land on distinct bits, so no carry disturbs the top byte.
func (t *planeTiles) plane(k uint) uint64 {
	const lsbs, gather = 0x0101010101010101, 0x0102040810204080
	c, b := k/8&3, k%8
	lo := (t[2*c] >> b & lsbs) * gather >> 56
	hi := (t[2*c+1] >> b & lsbs) * gather >> 56
	return lo | hi<<8
}

// bitWriter appends bits, least significant first, to 64-bit words
// stored little-endian in buf, which the caller sizes for the worst case.
type bitWriter struct {
	acc uint64 // pending bits, the low n of which are valid
	n   uint   // pending bit count, < 64
	buf []byte
	pos int // bytes of buf written
}

// write appends the low n bits of v (n < 64; v has no bits above them).
func (w *bitWriter) write(v uint64, n uint) {
	w.acc |= v << (w.n & 63)
	w.n += n
	if w.n >= 64 {
		w.n -= 64
		binary.LittleEndian.PutUint64(w.buf[w.pos:], w.acc)
		w.pos += 8
		// n - w.n = 64 - old w.n is in [1, 63] since n < 64.
		w.acc = v >> ((n - w.n) & 63)
	}
}

// flush writes the pending bits padded with zeros to a whole word
// (zfp's stream_flush).
func (w *bitWriter) flush() {
	if w.n > 0 {
		binary.LittleEndian.PutUint64(w.buf[w.pos:], w.acc)
		w.pos += 8
		w.acc, w.n = 0, 0
	}
}
