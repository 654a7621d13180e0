package zfp

import (
	"fmt"
	"math"
)

// Test arrays come from named generators seeded by an integer, so golden
// files store only streams. Generators use integer arithmetic and exact
// float conversions (no math.Sin, no fused multiply-add), so every
// platform builds the same bits.

// rng is splitmix64.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a value in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// gaussish returns an approximately normal deviate with σ ≈ 1 in units of
// 2^-20: the sum of four uniform 20-bit integers, centred (Irwin–Hall).
func (r *rng) gaussish() int64 {
	var s int64
	for range 4 {
		s += int64(r.next() >> 44)
	}
	return s - 2<<20
}

// scaled returns v·2^e as float32, exactly when v fits in 24 bits.
func scaled(v int64, e int) float32 {
	return float32(math.Ldexp(float64(v), e))
}

// generate builds a w×h test array; it panics on an unknown generator.
func generate(gen string, w, h int, seed uint64) []float32 {
	r := rng(seed)
	d := make([]float32, w*h)
	fill := func(f func(x, y int) float32) {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				d[y*w+x] = f(x, y)
			}
		}
	}
	switch gen {
	case "noise": // Gaussian-like noise, σ ≈ 1.7 mJy-ish scale
		fill(func(x, y int) float32 { return scaled(r.gaussish(), -30) })
	case "smooth": // smooth sky: a few bumps on a gradient, plus 1% noise
		fill(func(x, y int) float32 { return smooth(x, y, seed) + scaled(r.gaussish(), -27) })
	case "range": // no NaN, magnitudes from 2^-100 to 2^100 at random
		fill(func(x, y int) float32 {
			m := int64(r.next()>>40) | 1
			if r.next()&1 == 1 {
				m = -m
			}
			return scaled(m, r.intn(201)-100-24)
		})
	case "blocks": // each 4×4 block a different regime, to mix block kinds
		fill(func(x, y int) float32 { return blockRegime(x/4+7*(y/4), r.next(), seed) })
	case "const":
		fill(func(x, y int) float32 { return 3.25 })
	case "zero":
		fill(func(x, y int) float32 {
			if r.next()&1 == 1 {
				return float32(math.Copysign(0, -1))
			}
			return 0
		})
	case "denorm": // subnormals only
		fill(func(x, y int) float32 { return math.Float32frombits(uint32(r.next()>>41) | uint32(r.next()&1)<<31) })
	case "tiny": // normal values below 2^-98: zfp's scale factor overflows
		fill(func(x, y int) float32 { return scaled(int64(r.next()>>40)-1<<23, -130) })
	case "huge": // near FLT_MAX: emax 128, the largest biased exponent
		fill(func(x, y int) float32 { return scaled(int64(r.next()>>40)-1<<23, 104) })
	case "special": // noise with NaN, ±Inf and −0 sprinkled in
		fill(func(x, y int) float32 {
			switch r.intn(8) {
			case 0:
				return float32(math.NaN())
			case 1:
				return float32(math.Inf(1 - 2*r.intn(2)))
			case 2:
				return float32(math.Copysign(0, -1))
			}
			return scaled(r.gaussish(), -20)
		})
	case "ramp": // integers 0..w*h-1: exercises exact low planes
		fill(func(x, y int) float32 { return float32(y*w + x) })
	default:
		panic(fmt.Sprintf("unknown generator %q", gen))
	}
	return d
}

// smooth is a gradient plus three rational bumps, computed in integers.
func smooth(x, y int, seed uint64) float32 {
	v := int64(x*37-y*23) << 8
	cx := [3]int64{40, 180, 100 + int64(seed%50)}
	cy := [3]int64{60, 150, 220}
	for i := range cx {
		dx, dy := int64(x)-cx[i], int64(y)-cy[i]
		v += (int64(1) << 36) / (1<<12 + dx*dx*16 + dy*dy*16)
	}
	return scaled(v, -24)
}

// blockRegime picks a value for block number b from a regime fixed by b.
func blockRegime(b int, u, seed uint64) float32 {
	m := int64(u>>40) - 1<<23
	switch (b + int(seed)) % 9 {
	case 0:
		return 0
	case 1:
		return math.Float32frombits(uint32(u >> 41)) // subnormal
	case 2:
		return scaled(m, -130) // tiny
	case 3:
		return scaled(m, 104) // huge
	case 4:
		return 1.5
	case 5:
		return scaled(m, -97-23) // emax −97: the last finite scale
	case 6:
		return scaled(m, -98-23) // emax −98: the first overflowing scale
	case 7:
		return scaled(m|1, int(u%64)-40) // wide range within the block
	}
	return scaled(m, -23)
}
