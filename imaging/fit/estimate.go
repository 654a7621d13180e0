package fit

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// halfMaxMoment is the intensity-weighted second moment, in σ², of a
// 2-D Gaussian along one of its axes over the pixels above half its
// peak: (1/2)∫q e^{-q/2} / ∫e^{-q/2} over q ≤ 2 ln 2, which is 1 − ln 2.
var halfMaxMoment = 1 - math.Ln2

// Estimate guesses initial values of n components when the client asks
// for them ("Auto" in the frontend's widget; the reference generates
// them too). The background is the median of the pixels; then, n times,
// the pixel farthest from it is a peak, the connected pixels above half
// its height give the centre, widths and angle from their
// intensity-weighted moments, and that Gaussian is subtracted before
// the next. It may find fewer than n when nothing is left.
func Estimate(img Image, n int) (Params, error) {
	if n <= 0 || n > MaxComponents {
		return Params{}, fmt.Errorf("%w: %d components to estimate", ErrInput, n)
	}
	if img.Width <= 0 || img.Height <= 0 || img.Width*img.Height > MaxPixels || len(img.Pixels) != img.Width*img.Height {
		return Params{}, fmt.Errorf("%w: image of %d×%d with %d pixels", ErrInput, img.Width, img.Height, len(img.Pixels))
	}
	var finite []float32
	for _, v := range img.Pixels {
		if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
			finite = append(finite, v)
		}
	}
	if len(finite) == 0 {
		return Params{}, fmt.Errorf("%w: no finite pixel", ErrNoData)
	}
	slices.Sort(finite)
	bg := float64(finite[len(finite)/2])
	finite = nil
	// The residual so far; NaN where the data are not finite.
	res := make([]float32, len(img.Pixels))
	for i, v := range img.Pixels {
		res[i] = float32(float64(v) - bg)
		if math.IsInf(float64(v), 0) {
			res[i] = float32(math.NaN())
		}
	}
	p := Params{Offset: bg}
	seen := make([]bool, len(res)) // the blob's pixels, reused for each peak
	for range n {
		clear(seen)
		g, ok := peakGaussian(img, res, seen)
		if !ok {
			break
		}
		p.Components = append(p.Components, g)
		s := shapeOf(g)
		for y := range img.Height {
			for x := range img.Width {
				if v, ok := s.at(float64(img.X0+x), float64(img.Y0+y), nil); ok {
					res[y*img.Width+x] -= float32(v)
				}
			}
		}
	}
	if len(p.Components) == 0 {
		return Params{}, fmt.Errorf("%w: no peak above the background", ErrNoData)
	}
	return p, nil
}

// peakGaussian estimates the Gaussian of the largest |res| pixel from
// the moments of its connected half-maximum blob.
func peakGaussian(img Image, res []float32, seen []bool) (Gaussian, bool) {
	best, peak := -1, 0.0
	for i, v := range res {
		if a := math.Abs(float64(v)); a > peak {
			best, peak = i, a
		}
	}
	if best < 0 {
		return Gaussian{}, false
	}
	amp := float64(res[best])
	sign := math.Copysign(1, amp)
	var sw, sx, sy, sxx, syy, sxy float64
	seen[best] = true
	queue := []int{best} // the blob's edge; bounded by the image's pixels
	for len(queue) > 0 {
		i := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		w := sign * float64(res[i])
		x, y := float64(i%img.Width), float64(i/img.Width)
		sw, sx, sy = sw+w, sx+w*x, sy+w*y
		sxx, syy, sxy = sxx+w*x*x, syy+w*y*y, sxy+w*x*y
		for _, j := range neighbours(i, img.Width, img.Height) {
			if !seen[j] && sign*float64(res[j]) >= math.Abs(amp)/2 {
				seen[j] = true
				queue = append(queue, j)
			}
		}
	}
	mx, my := sx/sw, sy/sw
	cxx, cyy, cxy := sxx/sw-mx*mx, syy/sw-my*my, sxy/sw-mx*my
	// Eigen-decomposition of the 2×2 moment matrix.
	tr, det := cxx+cyy, cxx*cyy-cxy*cxy
	disc := math.Sqrt(math.Max(tr*tr/4-det, 0))
	l1, l2 := tr/2+disc, tr/2-disc
	phi := 0.5 * math.Atan2(2*cxy, cxx-cyy) // the major axis from +x
	// A blob of one or two pixels has no width to measure: one pixel.
	fw := func(l float64) float64 { return math.Max(fwhmPerSigma*math.Sqrt(math.Max(l, 0)/halfMaxMoment), 1) }
	pa := math.Mod(phi*180/math.Pi+90+360, 180) // PA = θ + 90°, θ the major axis from +x
	return Gaussian{X: mx + float64(img.X0), Y: my + float64(img.Y0), Amp: amp, FWHMX: fw(l1), FWHMY: fw(l2), PA: pa}, true
}

func neighbours(i, w, h int) []int {
	x, y := i%w, i/w
	out := make([]int, 0, 4)
	if x > 0 {
		out = append(out, i-1)
	}
	if x < w-1 {
		out = append(out, i+1)
	}
	if y > 0 {
		out = append(out, i-w)
	}
	if y < h-1 {
		out = append(out, i+w)
	}
	return out
}

// EstimateLog is the part of the log that names generated initial
// values, before "Gaussian fitting with": frontend 6.0.0 reads the
// numbers of its "= value (" lines back into its widget, six per
// component (ImageFittingStore.setGeneratedInitVal).
func EstimateLog(p Params, unit string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Generated initial values of %d component(s)\n", len(p.Components))
	for i, g := range p.Components {
		fmt.Fprintf(&b, "Component #%d:\n", i+1)
		fmt.Fprintf(&b, "Center X        = %.6f (px)\n", g.X)
		fmt.Fprintf(&b, "Center Y        = %.6f (px)\n", g.Y)
		fmt.Fprintf(&b, "Amplitude       = %.6f (%s)\n", g.Amp, unit)
		fmt.Fprintf(&b, "FWHM Major Axis = %.6f (px)\n", g.FWHMX)
		fmt.Fprintf(&b, "FWHM Minor Axis = %.6f (px)\n", g.FWHMY)
		fmt.Fprintf(&b, "P.A.            = %.6f (deg)\n", g.PA)
	}
	return b.String() + "\n"
}
