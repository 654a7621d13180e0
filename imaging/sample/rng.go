package sample

import (
	"context"
	"math/rand/v2"

	"cartago/imaging"
)

// rng returns a PCG generator for one independent stream. Streams are
// keyed by (file, purpose/plane, band) so content does not depend on the
// order or parallelism of rendering.
func rng(seed uint64, keys ...uint64) *rand.Rand {
	s := uint64(0x9e3779b97f4a7c15)
	for _, k := range keys {
		s = mix(s ^ k)
	}
	return rand.New(rand.NewPCG(seed, s))
}

// mix is the splitmix64 finalizer.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// bandRows is the height of a noise band; each band has its own stream.
const bandRows = 64

// addNoise adds Gaussian noise of the given sigma to a w-wide plane,
// band by band (in parallel for large planes). Stream keys are
// (keys..., band).
func addNoise(dst []float32, w int, sigma float64, seed uint64, keys ...uint64) {
	rows := len(dst) / w
	bands := (rows + bandRows - 1) / bandRows
	band := func(b int) {
		r := rng(seed, append(append([]uint64(nil), keys...), uint64(b))...)
		lo, hi := b*bandRows*w, min((b+1)*bandRows, rows)*w
		for i := lo; i < hi; i++ {
			dst[i] += float32(r.NormFloat64() * sigma)
		}
	}
	if len(dst) < 1<<20 {
		for b := range bands {
			band(b)
		}
		return
	}
	parallel(bands, band)
}

// parallel runs fn(0..n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, fn func(i int)) {
	_ = imaging.ForTasks(context.Background(), n, 1, func(_, i, _, _ int) { fn(i) })
}
