// Package profile cuts the spatial and spectral profiles the frontend
// plots from planes and spectra.
package profile

import (
	"math"

	"cartago/imaging"
)

// Row returns p's values along row y for x in [start, end).
func Row(p imaging.Plane, y, start, end int) []float32 {
	out := make([]float32, end-start)
	copy(out, p.Data[y*p.Width+start:y*p.Width+end])
	return out
}

// Column returns p's values along column x for y in [start, end).
func Column(p imaging.Plane, x, start, end int) []float32 {
	out := make([]float32, end-start)
	for i := range out {
		out[i] = p.Data[(start+i)*p.Width+x]
	}
	return out
}

// Range clips a requested [start, end) to [0, n); end 0 (or both 0)
// means the whole axis, as the frontend sends it.
func Range(start, end, n int) (int, int) {
	if end <= 0 || end > n {
		end = n
	}
	start = max(0, min(start, end))
	return start, end
}

// Decimate shrinks a profile for a zoomed-out view the way the reference
// backend does without mipmaps: each window of 2·mip values becomes its
// minimum and maximum, in the order they occur, so peaks survive. NaN
// values are skipped; an all-NaN window gives two NaNs. mip < 2 returns
// values unchanged.
func Decimate(values []float32, mip int) []float32 {
	if mip < 2 {
		return values
	}
	win := 2 * mip
	out := make([]float32, 0, 2*((len(values)+win-1)/win))
	for i := 0; i < len(values); i += win {
		lo, hi := minMax(values[i:min(i+win, len(values))])
		out = append(out, lo, hi)
	}
	return out
}

// minMax returns the minimum and maximum of w in the order they occur.
func minMax(w []float32) (first, second float32) {
	iMin, iMax := -1, -1
	for i, v := range w {
		if v != v {
			continue
		}
		if iMin < 0 || v < w[iMin] {
			iMin = i
		}
		if iMax < 0 || v > w[iMax] {
			iMax = i
		}
	}
	if iMin < 0 {
		nan := float32(math.NaN())
		return nan, nan
	}
	if iMax < iMin {
		return w[iMax], w[iMin]
	}
	return w[iMin], w[iMax]
}
