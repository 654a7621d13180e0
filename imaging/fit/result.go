package fit

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Method names the solver in the log, where the reference names GSL's
// ("trust-region/levenberg-marquardt").
const Method = "gonum-newton/gauss-newton"

// Result is a finished fit.
type Result struct {
	Values Params
	// Errors are 1σ: √diag((JᵀJ)⁻¹ × Σr²/(n−p)), as curve_fit's; 0 for
	// fixed parameters, NaN when the covariance is singular or n = p.
	// The reference uses Condon's (1997) formulas with the MAD as noise
	// for the components (and the covariance only for the offset); we
	// differ on purpose, so errors follow from the fit itself.
	Errors Params
	Stats  Stats
	// IterationLimit is set when MaxIterations ended the fit (the
	// reference still reports such a fit).
	IterationLimit bool

	cov   []float64 // covariance of every parameter, flat ICD order, k×k
	img   Image
	fixed []bool
}

// Stats describe the run for the log.
type Stats struct {
	Components      int
	Pixels          int // fitted (not NaN)
	Free            int // fitted parameters
	Iterations      int
	FuncEvaluations int
	JacEvaluations  int
	Reason          string
	InitialCost     float64 // Σr² at the initial values
	FinalCost       float64 // Σr² at the result
	Cond            float64 // condition number of the Jacobian
}

// ResidualVariance is Σr²/(n−p).
func (s Stats) ResidualVariance() float64 {
	return s.FinalCost / float64(s.Pixels-s.Free)
}

// result gathers the values, errors and statistics at x.
func (p *problem) result(x []float64, st optimize.Stats, why string, limit bool) (*Result, error) {
	p.cacheX, p.cacheHasJ = nil, false
	ss, err := p.evaluate(x, len(p.free) > 0)
	if err != nil {
		return nil, err
	}
	if len(p.free) == 0 {
		p.ss0 = ss
	}
	all := p.params(x)
	k := len(all)
	res := &Result{Values: paramsOf(all), IterationLimit: limit, img: p.img, cov: make([]float64, k*k),
		fixed: make([]bool, k)}
	for i := range res.fixed {
		res.fixed[i] = p.slot[i] < 0
	}
	res.Stats = Stats{Components: len(res.Values.Components), Pixels: p.n, Free: len(p.free),
		Iterations: st.MajorIterations, FuncEvaluations: p.nf, JacEvaluations: p.nj, Reason: why,
		InitialCost: p.ss0, FinalCost: ss, Cond: math.NaN()}
	errs := make([]float64, k)
	if len(p.free) > 0 {
		res.Stats.Cond = p.covariance(res.cov, ss)
	}
	for i := range errs {
		errs[i] = math.Sqrt(res.cov[i*k+i])
	}
	res.Errors = paramsOf(errs)
	for i := range res.Values.Components {
		c := &res.Values.Components[i]
		c.FWHMX, c.FWHMY = math.Abs(c.FWHMX), math.Abs(c.FWHMY) // the model uses σ²
	}
	return res, nil
}

// covariance fills cov (every parameter) with (JᵀJ)⁻¹ × Σr²/(n−p) from
// the Hessian of the last evaluation, and returns cond(J).
func (p *problem) covariance(cov []float64, ss float64) float64 {
	np, k := len(p.free), len(p.init)
	g, h := make([]float64, np), make([]float64, np*np)
	p.gather(g, h)
	// Back to parameter units and unweighted: JᵀJ = S⁻¹ H S⁻¹ / w.
	jtj := mat.NewSymDense(np, nil)
	for i := range np {
		for j := i; j < np; j++ {
			jtj.SetSym(i, j, h[i*np+j]/(p.scale[i]*p.scale[j]*p.inv2))
		}
	}
	var ch mat.Cholesky
	var inv mat.SymDense
	ok := ch.Factorize(jtj) && ch.InverseTo(&inv) == nil && p.n > np
	rv := ss / float64(p.n-np)
	for i := range k * k {
		cov[i] = 0
	}
	for a, i := range p.free {
		for b, j := range p.free {
			v := math.NaN()
			if ok {
				v = inv.At(a, b) * rv
			}
			cov[i*k+j] = v
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(jtj, false) {
		return math.NaN()
	}
	vals := eig.Values(nil)
	if vals[0] <= 0 {
		return math.Inf(1)
	}
	return math.Sqrt(vals[len(vals)-1] / vals[0])
}

// Flux is the integrated flux of component i and its error, for data in
// Jy/beam (beamPixels: the beam's area in pixels, πab/(4 ln 2)) or
// Jy/pixel (beamPixels 1): the Gaussian's volume over the beam's, as
// the reference's ImageFitter::CalculateErrors. Its error propagates the
// covariance of amplitude and widths (the reference uses Condon's
// formulas instead, as for its parameter errors).
func (r *Result) Flux(i int, beamPixels float64) (flux, err float64) {
	g := r.Values.Components[i]
	flux = math.Pi / (4 * math.Ln2) * g.Amp * g.FWHMX * g.FWHMY / beamPixels
	k := len(r.fixed)
	idx := []int{6*i + 2, 6*i + 3, 6*i + 4}
	d := []float64{flux / g.Amp, flux / g.FWHMX, flux / g.FWHMY}
	var v float64
	for a, pa := range idx {
		for b, pb := range idx {
			v += d[a] * d[b] * r.cov[pa*k+pb]
		}
	}
	return flux, math.Sqrt(v)
}

// Images are the model and residual of the fit over its image.
func (r *Result) Images() (model, residual []float32) {
	return Images(r.img, r.Values)
}

// Images are the model (offset plus components) and the residual (data
// minus model) of p over img, NaN where the data are NaN: the
// reference's ImageFitter::CalculateImageData.
func Images(img Image, p Params) (model, residual []float32) {
	shapes := make([]shape, len(p.Components))
	for k, g := range p.Components {
		shapes[k] = shapeOf(g)
	}
	model, residual = make([]float32, len(img.Pixels)), make([]float32, len(img.Pixels))
	nan := float32(math.NaN())
	for y := range img.Height {
		for x := range img.Width {
			i := y*img.Width + x
			v := img.Pixels[i]
			if math.IsNaN(float64(v)) {
				model[i], residual[i] = nan, nan
				continue
			}
			m := modelAt(shapes, p.Offset, float64(img.X0+x), float64(img.Y0+y))
			model[i], residual[i] = float32(m), float32(float64(v)-m)
		}
	}
	return model, residual
}

// Log is the text of FittingResponse.log: the reference's lines
// (ImageFitter::GetLog), with our solver's numbers.
func (r *Result) Log() string {
	s := r.Stats
	var b strings.Builder
	fmt.Fprintf(&b, "Gaussian fitting with %d component(s)\n", s.Components)
	fmt.Fprintf(&b, "summary from method '%s':\n", Method)
	fmt.Fprintf(&b, "number of iterations = %d\n", s.Iterations)
	fmt.Fprintf(&b, "function evaluations = %d\n", s.FuncEvaluations)
	fmt.Fprintf(&b, "Jacobian evaluations = %d\n", s.JacEvaluations)
	fmt.Fprintf(&b, "reason for stopping  = %s\n", s.Reason)
	fmt.Fprintf(&b, "initial |f(x)|       = %.12e\n", math.Sqrt(s.InitialCost))
	fmt.Fprintf(&b, "final |f(x)|         = %.12e\n", math.Sqrt(s.FinalCost))
	fmt.Fprintf(&b, "initial cost         = %.12e\n", s.InitialCost)
	fmt.Fprintf(&b, "final cost           = %.12e\n", s.FinalCost)
	fmt.Fprintf(&b, "residual variance    = %.12e\n", s.ResidualVariance())
	fmt.Fprintf(&b, "final cond(J)        = %.12e\n", s.Cond)
	return b.String()
}
