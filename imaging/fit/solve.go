package fit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Stop reasons of our own, next to gonum's (the reference's log names
// GSL's: small step size, small gradient, exceeded max iterations).
var (
	smallDecrease = optimize.NewStatus("small predicted decrease", false, nil)
	stopped       = optimize.NewStatus("cancelled", true, nil)
)

// Convergence: the Newton decrement (the decrease of χ²/2 a full
// Gauss–Newton step predicts) below decrementRel of the cost, or the
// cost not improving by costRel over costIters iterations.
const (
	decrementRel = 1e-10
	costRel      = 1e-12
	costIters    = 5
)

// solve minimises the cost from the initial values.
func (p *problem) solve(ctx context.Context, progress Progress) (res *Result, err error) {
	p.ctx = ctx
	if len(p.free) == 0 {
		return p.result(nil, optimize.Stats{}, "all parameters fixed", false)
	}
	x0 := make([]float64, len(p.free))
	for i, k := range p.free {
		x0[i] = p.init[k]
	}
	if err := p.setScale(x0); err != nil {
		return nil, err
	}
	defer func() {
		// gonum panics on states it cannot continue from (a line search
		// started uphill); that is a failed fit, not a crashed server.
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("%w: optimiser stopped: %v", ErrNotConverg, r)
		}
	}()
	prob := optimize.Problem{Func: p.cost, Grad: p.grad, Hess: p.hess, Status: p.status}
	settings := &optimize.Settings{
		Converger:       &converger{p: p},
		MajorIterations: MaxIterations,
		FuncEvaluations: maxEvaluations,
		Runtime:         MaxRuntime,
		Recorder:        recorder(progress),
	}
	method := &optimize.Newton{Linesearcher: &optimize.Backtracking{}, GradStopThreshold: math.NaN()}
	out, err := optimize.Minimize(prob, x0, settings, method)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if p.lastErr != nil {
		return nil, p.lastErr
	}
	if out == nil {
		return nil, fmt.Errorf("%w: %v", ErrNotConverg, err)
	}
	why := reason(out.Status)
	switch {
	case errors.Is(err, optimize.ErrNoProgress):
		// The line search cannot lower the cost along the Gauss–Newton
		// step: converged to rounding (GSL's "small step size").
		why = "small step size"
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrNotConverg, err)
	}
	switch out.Status {
	case smallDecrease, optimize.FunctionConvergence, optimize.GradientThreshold, optimize.IterationLimit:
	case optimize.RuntimeLimit:
		return nil, fmt.Errorf("%w within %v", ErrNotConverg, MaxRuntime)
	default:
		if why != "small step size" {
			return nil, fmt.Errorf("%w: %s", ErrNotConverg, out.Status)
		}
	}
	return p.result(out.X, out.Stats, why, out.Status == optimize.IterationLimit)
}

// reason names a stop as the log says it.
func reason(s optimize.Status) string {
	switch s {
	case optimize.FunctionConvergence:
		return "small change in cost"
	case optimize.GradientThreshold:
		return "small gradient"
	case optimize.IterationLimit:
		return "exceeded max number of iterations"
	}
	return s.String()
}

// setScale scales every variable so that the starting Hessian has a unit
// diagonal, which makes gonum's regularisation (τI) and thresholds
// meaningful whatever the parameters' units.
func (p *problem) setScale(x0 []float64) error {
	ss, err := p.evaluate(x0, true)
	if err != nil {
		return err
	}
	p.ss0 = ss
	np := len(p.free)
	g, h := make([]float64, np), make([]float64, np*np)
	p.gather(g, h)
	for i := range np {
		if d := h[i*np+i]; d > 0 && !math.IsInf(d, 0) {
			p.scale[i] = 1 / math.Sqrt(d)
		}
		x0[i] /= p.scale[i]
	}
	return nil
}

func (p *problem) status() (optimize.Status, error) {
	if err := p.ctx.Err(); err != nil {
		return stopped, err
	}
	if p.lastErr != nil {
		return optimize.Failure, p.lastErr
	}
	return optimize.NotTerminated, nil
}

// cost is χ²/2 with the reference's weights 1/σ².
func (p *problem) cost(x []float64) float64 {
	if slices.Equal(x, p.cacheX) {
		return p.cacheF
	}
	if slices.Equal(x, p.cacheFOnly) {
		return p.fOnly
	}
	ss, err := p.evaluate(x, false)
	if err != nil {
		p.lastErr = err
		return math.NaN()
	}
	f := p.finite(0.5 * ss * p.inv2)
	p.cacheFOnly, p.fOnly = slices.Clone(x), f
	return f
}

// finite makes an overflowed cost +Inf, which a line search backs off.
func (p *problem) finite(f float64) float64 {
	if math.IsNaN(f) {
		return math.Inf(1)
	}
	return f
}

// derivs computes cost, gradient and Hessian at x once for both callbacks.
func (p *problem) derivs(x []float64) {
	if slices.Equal(x, p.cacheX) && p.cacheHasJ {
		return
	}
	np := len(p.free)
	if p.cacheG == nil {
		p.cacheG, p.cacheH = make([]float64, np), make([]float64, np*np)
	}
	ss, err := p.evaluate(x, true)
	if err != nil {
		p.lastErr = err
	}
	p.gather(p.cacheG, p.cacheH)
	p.cacheX, p.cacheF, p.cacheHasJ = slices.Clone(x), p.finite(0.5*ss*p.inv2), true
	for i, v := range p.cacheG {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			p.cacheG[i] = 0 // a component collapsed to nothing: no pull
		}
	}
	for i, v := range p.cacheH {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			p.cacheH[i] = 0
		}
	}
}

func (p *problem) grad(g, x []float64) {
	p.derivs(x)
	copy(g, p.cacheG)
}

func (p *problem) hess(h *mat.SymDense, x []float64) {
	p.derivs(x)
	np := len(p.free)
	for i := range np {
		for j := i; j < np; j++ {
			h.SetSym(i, j, p.cacheH[i*np+j])
		}
	}
}

// converger stops once a Gauss–Newton step predicts a negligible
// decrease, or the cost stops improving. gonum hands it no Hessian; the
// problem's cache holds the one at the location.
type converger struct {
	p  *problem
	fc optimize.FunctionConverge
}

func (c *converger) Init(dim int) {
	c.fc = optimize.FunctionConverge{Relative: costRel, Iterations: costIters}
	c.fc.Init(dim)
}

func (c *converger) Converged(loc *optimize.Location) optimize.Status {
	if s := c.fc.Converged(loc); s != optimize.NotTerminated {
		return s
	}
	if dec, ok := c.p.decrement(loc.X); ok && dec <= decrementRel*math.Max(loc.F, 1e-300) {
		return smallDecrease
	}
	return optimize.NotTerminated
}

// decrement is gᵀH⁻¹g/2 at x, if x was the last point differentiated.
func (p *problem) decrement(x []float64) (float64, bool) {
	if !p.cacheHasJ || !slices.Equal(x, p.cacheX) {
		return 0, false
	}
	np := len(p.free)
	var ch mat.Cholesky
	if !ch.Factorize(mat.NewSymDense(np, slices.Clone(p.cacheH))) {
		return 0, false
	}
	g := mat.NewVecDense(np, slices.Clone(p.cacheG))
	var step mat.VecDense
	if err := ch.SolveVecTo(&step, g); err != nil {
		return 0, false
	}
	dec := mat.Dot(g, &step) / 2
	return dec, dec >= 0
}

// recorder reports progress after every iteration as the reference
// does: (iteration+1)/(max+2), the 2 for preparing and for the results.
type recorder Progress

func (r recorder) Init() error { return nil }

func (r recorder) Record(_ *optimize.Location, op optimize.Operation, s *optimize.Stats) error {
	if r != nil && op == optimize.MajorIteration {
		r(float64(s.MajorIterations+1) / (MaxIterations + 2))
	}
	return nil
}
