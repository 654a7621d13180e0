package fit

import (
	"context"
	"fmt"
	"math"
	"slices"

	"cartago/imaging"
)

// maxTasks bounds the row bands an evaluation is split into, and so the
// per-band accumulators (maxTasks × p² floats). The split does not
// depend on the core count, so sums, and results, are reproducible.
const maxTasks = 64

// problem is one fit being solved: the data, which parameters are free,
// and the scaling between the optimiser's variables and parameters.
type problem struct {
	img   Image
	init  []float64 // every parameter, ICD order; fixed ones keep these
	free  []int     // parameter index of each free variable
	slot  []int     // free variable of each parameter, or -1
	scale []float64 // parameter = variable × scale
	inv2  float64   // 1/σ², σ the noise estimate (weights, as the reference)
	n     int       // pixels that count (not NaN)
	rows  int       // rows per task
	tasks []accum   // one per task; reused by every evaluation

	// Set by every evaluation; read by the optimiser's callbacks.
	ctx        context.Context
	nf, nj     int     // cost and Jacobian evaluations
	ss0        float64 // Σr² at the initial values
	lastErr    error
	cacheX     []float64 // where cacheF/cacheG/cacheH were computed
	cacheF     float64
	cacheG     []float64
	cacheH     []float64 // p×p, row major
	cacheHasJ  bool
	cacheFOnly []float64 // where fOnly was computed
	fOnly      float64
}

// accum sums one task's share of an evaluation.
type accum struct {
	ss   float64   // Σr²
	grad []float64 // Σ -r·∂m/∂θ over free parameters
	hess []float64 // Σ ∂m/∂θ ∂m/∂θᵀ, upper triangle of p×p
	d    []float64 // scratch: ∂m/∂θ of every parameter at one pixel
	idx  []int     // scratch: free variables touched at one pixel
	val  []float64
}

func newProblem(img Image, req Request) (*problem, error) {
	init := req.Initial.flat()
	free := freeFlags(req.Fixed, len(init))
	p := &problem{img: img, init: init, slot: make([]int, len(init))}
	for i, f := range free {
		p.slot[i] = -1
		if f {
			p.slot[i] = len(p.free)
			p.free = append(p.free, i)
		}
	}
	noise, n := noiseOf(img.Pixels)
	p.n = n
	if n < len(p.free) || n == 0 {
		return nil, fmt.Errorf("%w: %d pixels for %d free parameters", ErrNoData, n, len(p.free))
	}
	p.inv2 = 1 / (noise * noise)
	h := img.Height
	p.rows = (h + maxTasks - 1) / maxTasks
	np := len(p.free)
	p.tasks = make([]accum, (h+p.rows-1)/p.rows)
	for i := range p.tasks {
		p.tasks[i] = accum{grad: make([]float64, np), hess: make([]float64, np*np), d: make([]float64, len(init)),
			idx: make([]int, 0, np), val: make([]float64, 0, np)}
	}
	p.scale = make([]float64, np)
	for i := range p.scale {
		p.scale[i] = 1
	}
	return p, nil
}

// noiseOf estimates the noise as the reference weights residuals: the
// median absolute deviation of the pixels that count. Data without
// spread (a noiseless model) falls back to its RMS, then to 1: σ only
// sets the weights' common scale.
func noiseOf(px []float32) (sigma float64, n int) {
	vals := make([]float64, 0, len(px))
	for _, v := range px {
		if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
			vals = append(vals, float64(v))
		}
	}
	n = len(vals)
	if n == 0 {
		return 1, 0
	}
	slices.Sort(vals)
	med := vals[n/2]
	var rms float64
	for i, v := range vals {
		rms += v * v
		vals[i] = math.Abs(v - med)
	}
	slices.Sort(vals)
	if mad := vals[n/2]; mad > 0 {
		return mad, n
	}
	if rms > 0 {
		return math.Sqrt(rms / float64(n)), n
	}
	return 1, n
}

// params turns optimiser variables into every parameter.
func (p *problem) params(x []float64) []float64 {
	out := slices.Clone(p.init)
	for i, k := range p.free {
		out[k] = x[i] * p.scale[i]
	}
	return out
}

// evaluate computes Σr² and, when jac, the gradient and Gauss–Newton
// Hessian of ½Σr² over the free parameters (unweighted, unscaled) into
// the task accumulators. It returns the summed Σr².
func (p *problem) evaluate(x []float64, jac bool) (float64, error) {
	all := p.params(x)
	par := paramsOf(all)
	shapes := make([]shape, len(par.Components))
	for k, g := range par.Components {
		shapes[k] = shapeOf(g)
	}
	img := p.img
	err := imaging.ForTasks(p.ctx, img.Height, p.rows, func(_, t, y0, y1 int) {
		a := &p.tasks[t]
		a.reset(jac)
		for y := y0; y < y1; y++ {
			row := img.Pixels[y*img.Width : (y+1)*img.Width]
			for x, v := range row {
				if math.IsNaN(float64(v)) {
					continue
				}
				a.pixel(p, shapes, par.Offset, float64(img.X0+x), float64(img.Y0+y), float64(v), jac)
			}
		}
	})
	if err != nil {
		return math.NaN(), err
	}
	var ss float64
	for i := range p.tasks {
		ss += p.tasks[i].ss
	}
	p.nf++ // every pass computes the cost
	if jac {
		p.nj++
	}
	return ss, nil
}

func (a *accum) reset(jac bool) {
	a.ss = 0
	if jac {
		clear(a.grad)
		clear(a.hess)
	}
}

// pixel adds one pixel's residual (and derivatives) to the sums.
func (a *accum) pixel(p *problem, shapes []shape, offset, x, y, v float64, jac bool) {
	m := offset
	a.idx, a.val = a.idx[:0], a.val[:0]
	for k := range shapes {
		var d []float64
		if jac {
			d = a.d[6*k : 6*k+6]
		}
		g, ok := shapes[k].at(x, y, d)
		if !ok {
			continue
		}
		m += g
		if jac {
			for j := range 6 {
				if s := p.slot[6*k+j]; s >= 0 {
					a.idx, a.val = append(a.idx, s), append(a.val, d[j])
				}
			}
		}
	}
	r := v - m
	a.ss += r * r
	if !jac {
		return
	}
	if s := p.slot[len(p.slot)-1]; s >= 0 {
		a.idx, a.val = append(a.idx, s), append(a.val, 1)
	}
	np := len(a.grad)
	for i, si := range a.idx {
		vi := a.val[i]
		a.grad[si] -= r * vi
		row := a.hess[si*np:]
		for j := i; j < len(a.idx); j++ {
			row[a.idx[j]] += vi * a.val[j]
		}
	}
}

// gather sums the tasks' gradients and Hessians, weighted and scaled to
// the optimiser's variables, into g and h (p×p, full).
func (p *problem) gather(g, h []float64) {
	np := len(p.free)
	clear(g)
	clear(h)
	for t := range p.tasks {
		a := &p.tasks[t]
		for i := range np {
			g[i] += a.grad[i]
			for j := i; j < np; j++ {
				h[i*np+j] += a.hess[i*np+j]
			}
		}
	}
	for i := range np {
		g[i] *= p.inv2 * p.scale[i]
		for j := i; j < np; j++ {
			v := h[i*np+j] * p.inv2 * p.scale[i] * p.scale[j]
			h[i*np+j], h[j*np+i] = v, v
		}
	}
}
