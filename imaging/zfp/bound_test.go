package zfp

import (
	"math"
	"testing"
)

// errorBound returns the largest error fixed precision p allows for the
// values of one block whose largest magnitude is fmax, as derived from
// zfp's FAQ (Q20, "relative error"): with emax = frexp exponent of fmax,
// coefficient truncation to p bit planes costs at most
// k(2)·2^(emax−1−p), k(2) = 125, after the inverse transform. On top of
// that come the block-floating-point cast and the lifting transform's
// rounding (a few units of 2^(emax−30)) and the decoder's float32
// rounding (half an ulp of values up to 4·fmax): 2^(emax−23) covers
// both, and 2^−149 the subnormal grid.
//
// Where fmax plus the bound passes FLT_MAX, a value may decode as ±Inf.
// Blocks with emax ≤ −98 are outside the bound: zfp's scale factor
// overflows (see the package doc), so they only promise values of the
// same tiny order, |error| < 2^−94.
func errorBound(fmax float32, p uint) float64 {
	if fmax == 0 {
		return 0
	}
	_, emax := math.Frexp(float64(fmax))
	emax = max(emax, 1-ebias)
	if emax <= -98 {
		return 0x1p-94
	}
	p = planes(p)
	return 125*math.Ldexp(1, emax-1-int(p)) + math.Ldexp(1, emax-23) + 0x1p-149
}

// checkBound fails t if any decoded value of a w×h array errs by more
// than its block's errorBound, and returns the largest error relative to
// the bound seen.
func checkBound(t testing.TB, orig, got []float32, w, h int, precision int) float64 {
	t.Helper()
	worst := 0.0
	p := clampPrecision(precision)
	for by := 0; by < h; by += 4 {
		for bx := 0; bx < w; bx += 4 {
			var fmax float32
			for y := by; y < min(by+4, h); y++ {
				for x := bx; x < min(bx+4, w); x++ {
					fmax = max(fmax, float32(math.Abs(float64(orig[y*w+x]))))
				}
			}
			bound := errorBound(fmax, p)
			for y := by; y < min(by+4, h); y++ {
				for x := bx; x < min(bx+4, w); x++ {
					i := y*w + x
					e := math.Abs(float64(got[i]) - float64(orig[i]))
					if math.IsInf(float64(got[i]), 0) && float64(fmax)+bound >= math.MaxFloat32 {
						continue // the bound reaches past FLT_MAX: overflow is allowed
					}
					if !(e <= bound) {
						t.Fatalf("p=%d value (%d,%d): %g decoded as %g, error %g > bound %g (block max %g)",
							precision, x, y, orig[i], got[i], e, bound, fmax)
					}
					if bound > 0 {
						worst = max(worst, e/bound)
					}
				}
			}
		}
	}
	return worst
}

// TestErrorBound round-trips the finite generators at every precision
// and checks the decoded values against errorBound.
func TestErrorBound(t *testing.T) {
	var enc Encoder
	var dec Decoder
	for _, gen := range []string{"noise", "smooth", "range", "blocks", "denorm", "tiny", "huge", "ramp", "const", "zero"} {
		worst := 0.0
		for p := 1; p <= 32; p++ {
			w, h := 67, 45
			data := generate(gen, w, h, uint64(p))
			stream := enc.Encode(nil, data, w, h, p)
			got, err := dec.Decode(nil, stream, w, h, p)
			if err != nil {
				t.Fatal(err)
			}
			worst = max(worst, checkBound(t, data, got, w, h, p))
		}
		t.Logf("%s: worst error %.3f of the bound", gen, worst)
	}
}
