package sample

import (
	"context"
	"math"
	"runtime"

	"cartago/imaging"
	"cartago/imaging/fits"
)

// writePlanes renders n planes of size values, GOMAXPROCS at a time,
// and writes them in order. render must depend only on its arguments.
func writePlanes(ctx context.Context, e *fits.Encoder, n, size int, render func(i int, dst []float32)) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	bufs := make([][]float32, workers)
	for i := range bufs {
		bufs[i] = make([]float32, size)
	}
	for start := 0; start < n; start += workers {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := min(workers, n-start)
		_ = imaging.ForTasks(context.Background(), k, 1, func(_, j, _, _ int) { render(start+j, bufs[j]) })
		for j := range k {
			if err := e.WriteData(bufs[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// continuumPlane renders the field's sky at channel 0 plus noise.
func continuumPlane(f *field, seed, key uint64, dst []float32) {
	f.model(0, dst)
	addNoise(dst, f.w, f.noise, seed, key, 1)
}

// blankPatches sets NaN in a triangular corner (top right) and a
// circular hole, as masked regions look in real images.
func blankPatches(dst []float32, w, h int) {
	cx, cy := 0.25*float64(w), 0.7*float64(h)
	r := 0.06 * float64(min(w, h))
	nan := float32(math.NaN())
	for y := range h {
		for x := range w {
			fx, fy := float64(x), float64(y)
			corner := fx/float64(w)+fy/float64(h) > 1.75
			hole := (fx-cx)*(fx-cx)+(fy-cy)*(fy-cy) < r*r
			if corner || hole {
				dst[y*w+x] = nan
			}
		}
	}
}

// quantize converts physical values to int16 raw values for
// physical = zero + scale × raw; NaN becomes blank; out-of-range
// values are clipped.
func quantize(src []float32, scale, zero float64, blank int16) []int16 {
	out := make([]int16, len(src))
	for i, v := range src {
		if math.IsNaN(float64(v)) {
			out[i] = blank
			continue
		}
		r := math.Round((float64(v) - zero) / scale)
		out[i] = int16(max(-32767, min(32767, r)))
	}
	return out
}
