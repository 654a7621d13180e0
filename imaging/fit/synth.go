package fit

import "math/rand/v2"

// Synthesize draws p on a w×h image whose (0,0) is whole-image pixel
// (0,0), plus Gaussian noise of rms noise from a PCG seeded with seed:
// the data of tests, browser tests and scripts/fit-check.sh.
func Synthesize(w, h int, p Params, noise float64, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	shapes := make([]shape, len(p.Components))
	for k, g := range p.Components {
		shapes[k] = shapeOf(g)
	}
	out := make([]float32, w*h)
	for y := range h {
		for x := range w {
			out[y*w+x] = float32(modelAt(shapes, p.Offset, float64(x), float64(y)) + noise*rng.NormFloat64())
		}
	}
	return out
}
