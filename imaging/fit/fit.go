// Package fit fits 2-D elliptical Gaussians plus a constant background
// to an image, as CARTA's Image Fitting widget asks (the reference is
// carta-backend src/ImageFitter/ImageFitter.cc, which uses GSL's
// trust-region solver with a finite-difference Jacobian).
//
// Here the least-squares cost ½Σ(r/σ)² is minimised with gonum's
// optimize.Newton, given the analytic gradient Jᵀr and the Gauss–Newton
// Hessian JᵀJ: a Gauss–Newton method with a line search, whose Hessian
// gonum regularises (adds τI) when it is not positive definite, as
// Levenberg–Marquardt damps. Parameters are scaled so that the starting
// Hessian has a unit diagonal. Errors come from the covariance
// (JᵀJ)⁻¹ × reduced χ², as scipy's curve_fit reports them.
package fit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Gaussian is one component, in image pixels: centre, peak amplitude,
// full widths at half maximum along its major and minor axes, and the
// position angle in degrees of the major axis, counter-clockwise from +y
// (the ICD's GaussianComponent).
type Gaussian struct {
	X, Y, Amp, FWHMX, FWHMY, PA float64
}

// Params are the fitted quantities: components and background offset.
// Flat, they are 6 per component in Gaussian's field order, then the
// offset: the order of the ICD's fixed_params.
type Params struct {
	Components []Gaussian
	Offset     float64
}

// Image is the data to fit: Width×Height pixels whose (0,0) is pixel
// (X0, Y0) of the whole image, so centres are in whole-image pixels.
// NaN pixels (blanked, or outside the region) are not fitted.
type Image struct {
	Width, Height int
	X0, Y0        int
	Pixels        []float32
}

// Limits bound the work of one fit.
const (
	// MaxPixels bounds the pixels fitted (4096²); every iteration visits
	// each of them.
	MaxPixels = 1 << 24
	// MaxComponents bounds the Gaussians, so the Hessian stays small.
	MaxComponents = 20
	// MaxIterations is the reference's iteration limit (ImageFitter
	// _max_iter); reaching it still reports the results.
	MaxIterations = 200
	// MaxPassWork bounds the work of one Jacobian pass, pixels × free
	// parameters²: 4096² pixels with 3 components, or 20 components on
	// about 1000² pixels.
	MaxPassWork = 1 << 34
	// MaxRuntime bounds a fit's time; the client can stop it sooner.
	MaxRuntime = 5 * time.Minute
	// maxEvaluations bounds cost evaluations (line-search steps included).
	maxEvaluations = 10 * MaxIterations
)

// Errors of bad input; they wrap into messages for the client.
var (
	ErrInput      = errors.New("invalid fit request")
	ErrTooLarge   = errors.New("fit too large")
	ErrNoData     = errors.New("insufficient data points")
	ErrNotConverg = errors.New("fit did not converge")
)

// Request is what to fit.
type Request struct {
	Initial Params
	// Fixed has one flag per parameter (6 per component, then the
	// offset). Any other length fits every component parameter and keeps
	// the offset fixed, as the reference does.
	Fixed []bool
}

// Progress is told the fraction done after every iteration.
type Progress func(done float64)

// flat lays params out as the ICD's parameter vector.
func (p Params) flat() []float64 {
	out := make([]float64, 0, 6*len(p.Components)+1)
	for _, g := range p.Components {
		out = append(out, g.X, g.Y, g.Amp, g.FWHMX, g.FWHMY, g.PA)
	}
	return append(out, p.Offset)
}

// paramsOf is flat's inverse.
func paramsOf(v []float64) Params {
	n := (len(v) - 1) / 6
	p := Params{Components: make([]Gaussian, n), Offset: v[len(v)-1]}
	for i := range p.Components {
		c := v[6*i:]
		p.Components[i] = Gaussian{X: c[0], Y: c[1], Amp: c[2], FWHMX: c[3], FWHMY: c[4], PA: c[5]}
	}
	return p
}

// freeFlags returns which of the n parameters are fitted.
func freeFlags(fixed []bool, n int) []bool {
	free := make([]bool, n)
	for i := range free {
		if len(fixed) == n {
			free[i] = !fixed[i]
		} else {
			free[i] = i < n-1 // the reference's fallback: offset fixed
		}
	}
	return free
}

// free counts the parameters fitted.
func free(req Request) int {
	n := 0
	for _, f := range freeFlags(req.Fixed, 6*len(req.Initial.Components)+1) {
		if f {
			n++
		}
	}
	return n
}

// check validates the request and the image.
func check(img Image, req Request) error {
	n := len(req.Initial.Components)
	switch {
	case n == 0:
		return fmt.Errorf("%w: no Gaussian component", ErrInput)
	case n > MaxComponents:
		return fmt.Errorf("%w: %d components, at most %d", ErrTooLarge, n, MaxComponents)
	case img.Width > 0 && img.Height > 0 && img.Width*img.Height > MaxPixels:
		return fmt.Errorf("%w: %d×%d pixels, at most %d", ErrTooLarge, img.Width, img.Height, MaxPixels)
	case img.Width > 0 && img.Height > 0 && int64(img.Width)*int64(img.Height)*int64(free(req)*free(req)) > MaxPassWork:
		return fmt.Errorf("%w: %d×%d pixels with %d free parameters; fit a smaller region or fewer components",
			ErrTooLarge, img.Width, img.Height, free(req))
	case img.Width <= 0 || img.Height <= 0 || len(img.Pixels) != img.Width*img.Height:
		return fmt.Errorf("%w: image of %d×%d with %d pixels", ErrInput, img.Width, img.Height, len(img.Pixels))
	}
	for i, g := range req.Initial.Components {
		for _, v := range []float64{g.X, g.Y, g.Amp, g.FWHMX, g.FWHMY, g.PA} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				// All NaN is "Auto" (see Estimate); some NaN is a mistake.
				return fmt.Errorf("%w: component %d has no initial value", ErrInput, i+1)
			}
		}
		if g.FWHMX <= 0 || g.FWHMY <= 0 {
			return fmt.Errorf("%w: component %d: FWHM %g×%g must be positive", ErrInput, i+1, g.FWHMX, g.FWHMY)
		}
		if math.Abs(g.X) > 1e9 || math.Abs(g.Y) > 1e9 || g.FWHMX > 1e9 || g.FWHMY > 1e9 {
			return fmt.Errorf("%w: component %d: initial values %+v out of range", ErrInput, i+1, g)
		}
	}
	if math.IsInf(req.Initial.Offset, 0) {
		return fmt.Errorf("%w: background offset %g", ErrInput, req.Initial.Offset)
	}
	return nil
}

// Fit fits req's components to img. It stops with ctx.Err() when ctx is
// done. A fit that reaches MaxIterations still returns its result, with
// Result.IterationLimit set.
func Fit(ctx context.Context, img Image, req Request, progress Progress) (*Result, error) {
	if err := check(img, req); err != nil {
		return nil, err
	}
	if math.IsNaN(req.Initial.Offset) {
		req.Initial.Offset = 0 // as the reference
	}
	p, err := newProblem(img, req)
	if err != nil {
		return nil, err
	}
	return p.solve(ctx, progress)
}
