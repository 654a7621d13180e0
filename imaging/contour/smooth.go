package contour

import (
	"context"
	"image"
	"math"
	"slices"

	"cartago/imaging"
	"cartago/imaging/tiles"
)

// Smooth prepares plane p for tracing with the given smoothing mode and
// factor, as the reference's Frame::ContourImage does:
//
//   - NoSmoothing, or any mode with factor ≤ 1: p itself (not copied),
//     Scale 1, Offset 0.
//   - BlockAverage: the factor×factor block means of the finite values
//     (tiles.Downsample, the tile downsampling filter; its float64 sums
//     may differ from the reference's float32 ones in the last bit),
//     ceil(W/f)×ceil(H/f) pixels, Scale f, Offset 0.
//   - GaussianBlur: see Gaussian; Scale 1, Offset f−1.
//
// A Gaussian whose apron leaves no pixel gives an empty Field (no
// contours); the reference does not guard that case. It returns ErrBadMode
// for an unknown mode, ErrBadPlane for inconsistent plane data, or
// ctx.Err() if ctx ends first.
func Smooth(ctx context.Context, p imaging.Plane, mode Mode, factor int) (Field, error) {
	if err := checkPlane(p); err != nil {
		return Field{}, err
	}
	switch {
	case mode != NoSmoothing && mode != BlockAverage && mode != GaussianBlur:
		return Field{}, ErrBadMode
	case mode == NoSmoothing || factor <= 1:
		return Field{Plane: p, Scale: 1}, nil
	case mode == GaussianBlur:
		g, err := Gaussian(ctx, p, factor)
		return Field{Plane: g, Scale: 1, Offset: float64(factor - 1)}, err
	}
	if p.Width == 0 || p.Height == 0 {
		return Field{Scale: float64(factor)}, nil
	}
	data, w, h, err := tiles.Downsample(nil, p, image.Rect(0, 0, p.Width, p.Height), factor)
	if err != nil {
		return Field{}, err
	}
	return Field{Plane: imaging.Plane{Width: w, Height: h, Data: data}, Scale: float64(factor)}, nil
}

// Gaussian returns p convolved with the reference's smoothing kernel for
// factor f ≥ 2 (Smoothing.cc, GaussianSmooth): a separable Gaussian with
// σ = (f−1)/2 and 2(f−1)+1 taps, applied along rows and then along
// columns. Only the pixels whose whole window lies inside p are produced,
// so the result is (W−2(f−1))×(H−2(f−1)) and its pixel (i, j) is centred
// on p's pixel (i+f−1, j+f−1). Each pass renormalises the weights over
// the finite inputs of the window (NaN and ±Inf are skipped); a window
// with none gives NaN. Finally every output pixel whose centre pixel in p
// is NaN is set to NaN. Sums are float32, accumulated in the reference's
// order, so results match it bit for bit. (The reference's scalar path,
// used for the last dest_width mod SIMD_WIDTH columns only, skips NaN but
// not Inf; we skip Inf everywhere, as its SIMD path does.)
//
// Too small a plane gives an empty plane. Factors below 2 return a copy of
// p. It returns ErrBadPlane for inconsistent plane data, or ctx.Err().
func Gaussian(ctx context.Context, p imaging.Plane, f int) (imaging.Plane, error) {
	if err := checkPlane(p); err != nil {
		return imaging.Plane{}, err
	}
	r := f - 1
	if r < 1 {
		return imaging.Plane{Width: p.Width, Height: p.Height, Data: append([]float32(nil), p.Data[:p.Width*p.Height]...)}, nil
	}
	w, h := p.Width-2*r, p.Height-2*r
	if w <= 0 || h <= 0 {
		return imaging.Plane{}, nil
	}
	k := kernel(r)
	tmp := make([]float32, w*p.Height)
	blank := make([]bool, p.Height) // tmp row y has a non-finite value
	err := parallelRows(ctx, p.Height, func(y0, y1 int) {
		var s rowScratch
		for y := y0; y < y1; y++ {
			row := tmp[y*w : (y+1)*w]
			s.blurRow(row, p.Data[y*p.Width:(y+1)*p.Width], k)
			blank[y] = !allFinite(row)
		}
	})
	if err != nil {
		return imaging.Plane{}, err
	}
	out := make([]float32, w*h)
	err = parallelRows(ctx, h, func(y0, y1 int) {
		wsum := make([]float32, w)
		for y := y0; y < y1; y++ {
			o := out[y*w : (y+1)*w]
			blurColumns(o, wsum, tmp[y*w:(y+2*r+1)*w], w, k, !slices.Contains(blank[y:y+2*r+1], true))
			restoreNaN(o, p.Data[(y+r)*p.Width+r:])
		}
	})
	if err != nil {
		return imaging.Plane{}, err
	}
	return imaging.Plane{Width: w, Height: h, Data: out}, nil
}

// kernel returns the 2r+1 Gaussian weights exp(−x²/2σ²)/σ, σ = r/2, as
// the reference's MakeKernel computes them (float64, stored as float32).
func kernel(r int) []float32 {
	sigma := float64(float32(r) / 2)
	k := make([]float32, 2*r+1)
	for j := 0; j <= r; j++ {
		x := float64(j)
		v := float32(math.Exp(-0.5*x*x/(sigma*sigma)) / sigma)
		k[r+j], k[r-j] = v, v
	}
	return k
}

// rowScratch holds blurRow's buffers, reused across the rows of a band.
type rowScratch struct {
	clean []float32
	bad   []int // indices of the non-finite values of the row
}

// blurRow sets dst[x] to the finite-renormalised convolution of src[x :
// x+len(k)] with k. It accumulates tap by tap along the row, so the
// iterations are independent, with non-finite inputs replaced by 0
// (adding +0 leaves a sum unchanged); windows without a non-finite value
// share one weight sum, the others get theirs. Per pixel the sums are the
// reference's, in its order. The explicit float32 conversions keep the
// compiler from fusing multiply and add.
func (s *rowScratch) blurRow(dst, src, k []float32) {
	s.clean, s.bad = grow(s.clean, len(src)), s.bad[:0]
	for i, v := range src {
		if v-v == 0 {
			s.clean[i] = v
		} else {
			s.clean[i] = 0
			s.bad = append(s.bad, i)
		}
	}
	clear(dst)
	for t, kt := range k {
		for x, v := range s.clean[t : t+len(dst)] {
			dst[x] += float32(v * kt)
		}
	}
	var full float32
	for _, kt := range k {
		full += kt
	}
	// Windows touching bad index i are x in [i−len(k)+1, i].
	next := 0
	for _, i := range s.bad {
		a, b := max(next, i-len(k)+1), min(i, len(dst)-1)
		if a > b {
			continue
		}
		for x := next; x < a; x++ {
			dst[x] /= full
		}
		for x := a; x <= b; x++ {
			var ws float32
			for t, v := range src[x : x+len(k)] {
				if v-v == 0 {
					ws += k[t]
				}
			}
			dst[x] = ratio(dst[x], ws)
		}
		next = b + 1
	}
	for x := next; x < len(dst); x++ {
		dst[x] /= full
	}
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// blurColumns sets o[x] to the finite-renormalised convolution of column x
// of the len(k) rows of src (each w wide) with k, accumulating row by row
// so memory is read sequentially; wsum is scratch of length w. If finite,
// src has no NaN or Inf and every column shares one weight sum.
func blurColumns(o, wsum, src []float32, w int, k []float32, finite bool) {
	clear(o)
	if finite {
		var full float32
		for t, kt := range k {
			for x, v := range src[t*w : (t+1)*w] {
				o[x] += float32(v * kt)
			}
			full += kt
		}
		for x := range o {
			o[x] /= full
		}
		return
	}
	clear(wsum)
	for t, kt := range k {
		for x, v := range src[t*w : (t+1)*w] {
			if v-v == 0 {
				o[x] += float32(v * kt)
				wsum[x] += kt
			}
		}
	}
	for x := range o {
		o[x] = ratio(o[x], wsum[x])
	}
}

func allFinite(a []float32) bool {
	for _, v := range a {
		if v-v != 0 {
			return false
		}
	}
	return true
}

func ratio(s, w float32) float32 {
	if w == 0 {
		return float32(math.NaN())
	}
	return s / w
}

// restoreNaN blanks o[i] wherever the centre pixel src[i] is NaN.
func restoreNaN(o, src []float32) {
	for i := range o {
		if src[i] != src[i] {
			o[i] = float32(math.NaN())
		}
	}
}

// parallelRows runs fn over [0, n) split into bands of at most 64 rows
// (so that cancellation is noticed quickly) on up to GOMAXPROCS
// goroutines, and returns ctx.Err() if ctx ended before or during the
// work.
func parallelRows(ctx context.Context, n int, fn func(y0, y1 int)) error {
	const band = 64
	return imaging.ForTasks(ctx, n, band, func(_, _, y0, y1 int) { fn(y0, y1) })
}
