package zfp

// Format constants for float32 (zfp's traitsf.h and codec.h).
const (
	ebits     = 8          // bits of the biased common exponent
	ebias     = 127        // exponent bias, (1 << (ebits-1)) - 1
	intprec   = 32         // bits per integer coefficient
	nbmask    = 0xaaaaaaaa // negabinary mask
	blockSize = 16         // values in a 4×4 block
	// maxPrec is zfp's ZFP_MAX_PREC: the precision asked for by 0 and the
	// ceiling of larger requests. For float32 only 32 planes exist, so any
	// precision of 32 or more codes all of them.
	maxPrec = 64
)

// perm orders the coefficients of a 4×4 block by total sequency i+j, then
// by i²+j² (zfp's perm_2); entries index the block as x + 4y.
var perm = [blockSize]uint8{0, 1, 4, 5, 2, 8, 6, 9, 3, 12, 10, 7, 13, 11, 14, 15}

// clampPrecision maps a requested precision to the number of bit planes
// zfp_stream_set_precision stores: 0 (or less) means the maximum, larger
// requests are capped at the maximum.
func clampPrecision(precision int) uint {
	if precision <= 0 || precision > maxPrec {
		return maxPrec
	}
	return uint(precision)
}

// planes returns how many bit planes of the 32 a block codes.
func planes(maxprec uint) uint {
	return min(maxprec, intprec)
}

// MaxSize returns the largest stream, in bytes, that Encode can produce
// for a w×h array at the given precision: every block at its worst case
// of 9 exponent bits plus 16·p+15 coefficient bits, rounded up to whole
// 64-bit words. It returns 0 if w or h is not positive.
func MaxSize(w, h, precision int) int {
	if w <= 0 || h <= 0 {
		return 0
	}
	blocks := ((w + 3) / 4) * ((h + 3) / 4)
	bitsPerBlock := 1 + ebits + blockSize - 1 + blockSize*int(planes(clampPrecision(precision)))
	return (blocks*bitsPerBlock + 63) / 64 * 8
}

// fwdLift is zfp's forward decorrelating lifting step on four values;
// the exact order of the integer operations is part of the format.
func fwdLift(x, y, z, w int32) (int32, int32, int32, int32) {
	x += w
	x >>= 1
	w -= x
	z += y
	z >>= 1
	y -= z
	x += z
	x >>= 1
	z -= x
	w += y
	w >>= 1
	y -= w
	w += y >> 1
	y -= w >> 1
	return x, y, z, w
}

// invLift undoes fwdLift (up to the rounding fwdLift's shifts lose).
func invLift(x, y, z, w int32) (int32, int32, int32, int32) {
	y += w >> 1
	w -= y >> 1
	y += w
	w <<= 1
	w -= y
	z += x
	x <<= 1
	x -= z
	y += z
	z <<= 1
	z -= y
	w += x
	x <<= 1
	x -= w
	return x, y, z, w
}

// fwdXform is the 2-D forward transform of a block stored x + 4y: rows
// (along x), then columns. Written out so every index is a constant.
func fwdXform(p *[blockSize]int32) {
	p[0], p[1], p[2], p[3] = fwdLift(p[0], p[1], p[2], p[3])
	p[4], p[5], p[6], p[7] = fwdLift(p[4], p[5], p[6], p[7])
	p[8], p[9], p[10], p[11] = fwdLift(p[8], p[9], p[10], p[11])
	p[12], p[13], p[14], p[15] = fwdLift(p[12], p[13], p[14], p[15])
	p[0], p[4], p[8], p[12] = fwdLift(p[0], p[4], p[8], p[12])
	p[1], p[5], p[9], p[13] = fwdLift(p[1], p[5], p[9], p[13])
	p[2], p[6], p[10], p[14] = fwdLift(p[2], p[6], p[10], p[14])
	p[3], p[7], p[11], p[15] = fwdLift(p[3], p[7], p[11], p[15])
}

// invXform is the 2-D inverse transform: columns, then rows.
func invXform(p *[blockSize]int32) {
	p[0], p[4], p[8], p[12] = invLift(p[0], p[4], p[8], p[12])
	p[1], p[5], p[9], p[13] = invLift(p[1], p[5], p[9], p[13])
	p[2], p[6], p[10], p[14] = invLift(p[2], p[6], p[10], p[14])
	p[3], p[7], p[11], p[15] = invLift(p[3], p[7], p[11], p[15])
	p[0], p[1], p[2], p[3] = invLift(p[0], p[1], p[2], p[3])
	p[4], p[5], p[6], p[7] = invLift(p[4], p[5], p[6], p[7])
	p[8], p[9], p[10], p[11] = invLift(p[8], p[9], p[10], p[11])
	p[12], p[13], p[14], p[15] = invLift(p[12], p[13], p[14], p[15])
}

// negabinary maps a two's complement integer to zfp's negabinary code.
func negabinary(x int32) uint32 { return (uint32(x) + nbmask) ^ nbmask }

// fromNegabinary inverts negabinary.
func fromNegabinary(u uint32) int32 { return int32((u ^ nbmask) - nbmask) }

// fwdOrder stores the coefficients of p in perm order as negabinary.
func fwdOrder(u *[blockSize]uint32, p *[blockSize]int32) {
	u[0], u[1], u[2], u[3] = negabinary(p[0]), negabinary(p[1]), negabinary(p[4]), negabinary(p[5])
	u[4], u[5], u[6], u[7] = negabinary(p[2]), negabinary(p[8]), negabinary(p[6]), negabinary(p[9])
	u[8], u[9], u[10], u[11] = negabinary(p[3]), negabinary(p[12]), negabinary(p[10]), negabinary(p[7])
	u[12], u[13], u[14], u[15] = negabinary(p[13]), negabinary(p[11]), negabinary(p[14]), negabinary(p[15])
}

// padRow fills the unused tail of a partial row or column of n values
// (1 ≤ n ≤ 3) at stride s starting at i, as zfp's pad_block does.
func padRow(q *[blockSize]float32, i, n, s int) {
	switch n {
	case 1:
		q[i+s] = q[i]
		q[i+2*s] = q[i+s]
		q[i+3*s] = q[i]
	case 2:
		q[i+2*s] = q[i+s]
		q[i+3*s] = q[i]
	case 3:
		q[i+3*s] = q[i]
	}
}
