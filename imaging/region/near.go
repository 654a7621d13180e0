package region

import "math"

// This file holds casacore's float comparisons (casa/BasicMath/Math.cc)
// and the float32 helpers the mask code uses to reproduce casacore's
// arithmetic. Products are wrapped in float32() wherever they feed an
// addition so that the compiler cannot fuse them into FMA instructions
// (the Go spec allows fusion only without an explicit conversion).

// nearTol is casacore's default tolerance for near and nearAbs on Float.
const nearTol = 1e-5

// flt32Min is FLT_MIN, the smallest normal float32.
const flt32Min = 0x1p-126

// near is casacore's near(Float, Float, 1e-5): relative closeness, with
// zero only near denormals.
func near(a, b float32) bool {
	if a == b {
		return true
	}
	if a == 0 {
		return math.Abs(float64(b)) <= (1+nearTol)*flt32Min
	}
	if b == 0 {
		return math.Abs(float64(a)) <= (1+nearTol)*flt32Min
	}
	if (0 < a) != (0 < b) {
		return false
	}
	return float64(abs32(a-b)) <= nearTol*math.Max(float64(abs32(a)), float64(abs32(b)))
}

// nearDouble is casacore's near(Double, Double) with tolerance 1e-5 (as
// called with a Float and a Double).
func nearDouble(a, b float64) bool {
	if a == b {
		return true
	}
	if a == 0 {
		return math.Abs(b) <= (1+nearTol)*0x1p-1022
	}
	if b == 0 {
		return math.Abs(a) <= (1+nearTol)*0x1p-1022
	}
	if (0 < a) != (0 < b) {
		return false
	}
	return math.Abs(a-b) <= nearTol*math.Max(math.Abs(a), math.Abs(b))
}

// isNear is LCPolygon::_isNear: absolute tolerance 1e-5 when either
// value is zero, else relative.
func isNear(a, b float32) bool {
	if a == 0 || b == 0 {
		return nearTol >= float64(abs32(b-a))
	}
	return near(a, b)
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// sqrt32 is sqrtf (rounding the float64 root to float32 is exact).
func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }
