package stats

import (
	"context"
	"fmt"

	"cartago/imaging"
)

// The cube histogram as it was before it read planes in bands (commit
// 9d3f075, whole planes, reading ReadRows of all rows instead of
// ReadPlane): the oracle the band version must equal bit for bit.

func twoPassCube(ctx context.Context, src Planes, cfg Config) (Histogram, Basic, error) {
	width, height, n := src.Shape()
	c := newOldPass(src, width, height, n)
	report := func(int, *Histogram) {}
	// The first pass needs only the bounds: the counting pass sums the
	// moments as it bins, which costs less than a full statistics pass.
	ext := make([]Basic, n)
	err := c.run(ctx, func(ctx context.Context, _, i int, data []float32) error {
		var err error
		ext[i], err = extremaParallel(ctx, data, c.taskLen())
		return err
	}, func(done int) { report(done, nil) })
	if err != nil {
		return Histogram{}, Basic{}, err
	}
	cube := c.merge(ext)
	if cube.Count > 0 && (isInf32(cube.Min) || isInf32(cube.Max)) {
		// ±Inf: the bounds come from the finite values, which the
		// extrema do not give. Rare, so a full statistics pass.
		full := make([]Basic, n)
		err := c.run(ctx, func(ctx context.Context, _, i int, data []float32) error {
			var err error
			full[i], err = c.compute(ctx, data)
			return err
		}, func(int) {})
		if err != nil {
			return Histogram{}, Basic{}, err
		}
		return c.histogram(ctx, cfg, c.merge(full), false, report)
	}
	return c.histogram(ctx, cfg, cube, true, report)
}

// histogram is the counting pass over the bounds s gives. With sums, s
// holds only the extrema and the pass also sums the moments, which it
// returns with them; else s is returned as it is.
func (c *oldPass) histogram(ctx context.Context, cfg Config, s Basic, sums bool, report func(int, *Histogram)) (Histogram, Basic, error) {
	nb, lo, hi, err := cfg.Resolve(AutoBins(c.width, c.height), s)
	if err != nil {
		return Histogram{}, Basic{}, err
	}
	if c.depth == 0 || c.size == 0 {
		nb, lo, hi = 1, 0, 0
	}
	h := NewHistogram(nb, lo, hi)
	bn := newBinner(h)
	local := make([][]int32, max(c.workers, imaging.Workers(c.size)))
	for w := range local {
		local[w] = make([]int32, nb)
	}
	moments := make([]Basic, c.depth)
	var acc Basic // the moments of planes 0..merged−1
	merged := 0
	// stats returns the statistics of planes 0..done−1 (all of s without
	// sums); groups of planes finish in order.
	stats := func(done int) Basic {
		if !sums {
			return s
		}
		for ; merged < done; merged++ {
			acc.addPart(moments[merged])
		}
		out := acc
		out.Min, out.Max, out.MinIndex, out.MaxIndex = s.Min, s.Max, s.MinIndex, s.MaxIndex
		return out.finish()
	}
	err = c.run(ctx, func(ctx context.Context, w, i int, data []float32) error {
		var err error
		moments[i], err = c.fillPlane(ctx, local, w, bn, data, sums)
		return err
	}, func(done int) {
		for _, bins := range local {
			addSaturating(h.Bins, bins) // one plane each: no overflow before this
			clear(bins)
		}
		h.SetStats(stats(done))
		report(c.depth+done, &h)
	})
	if err != nil {
		return Histogram{}, Basic{}, err
	}
	s = stats(c.depth)
	h.SetStats(s)
	return h, s, nil
}

// fillPlane bins one plane and returns its moments when sums. A plane of
// its own (c.workers > 1) is binned into local[w]; a large plane is split
// over the goroutines, each binning into its own local bins.
func (c *oldPass) fillPlane(ctx context.Context, local [][]int32, w int, bn binner, data []float32, sums bool) (Basic, error) {
	tlen := c.taskLen()
	parts := make([]Basic, (len(data)+tlen-1)/tlen)
	err := imaging.ForTasks(ctx, len(data), tlen, func(tw, t, lo, hi int) {
		bins := local[max(w, tw)] // w > 0 only when the plane is not split
		if sums {
			parts[t] = accumulateFill(bins, bn, data[lo:hi])
		} else {
			bn.fill(bins, data[lo:hi])
		}
	})
	var b Basic
	for _, p := range parts {
		b.addPart(p)
	}
	return b, err
}

// taskLen is the length of the parts of one plane: the whole plane when
// planes are processed one per goroutine.
func (c *oldPass) taskLen() int {
	if c.workers > 1 {
		return max(c.size, 1)
	}
	return planeTaskLen(c.width, c.size)
}

// merge folds per-plane statistics, positions within their plane, into
// the cube's, positions across it.
func (c *oldPass) merge(planes []Basic) Basic {
	var cube Basic
	for i, s := range planes {
		s.MinIndex += i * c.size
		s.MaxIndex += i * c.size
		cube.Merge(s)
	}
	return cube.finish()
}

// oldPass hands the planes of a cube to goroutines, each decoding into
// its own buffer.
type oldPass struct {
	src                        Planes
	width, height, size, depth int
	workers                    int // planes processed at once; 1 splits each plane
	bufs                       [][]float32
}

func newOldPass(src Planes, width, height, depth int) *oldPass {
	c := &oldPass{src: src, width: width, height: height, size: width * height, depth: depth, workers: cubeWorkers(width*height, depth)}
	c.bufs = make([][]float32, c.workers)
	return c
}

// run calls fn for every plane, c.workers planes at a time, and done with
// the number of planes finished after each group. fn gets the context
// of its task, which holds a compute slot: it must fan out with that one.
func (c *oldPass) run(ctx context.Context, fn func(ctx context.Context, worker, plane int, data []float32) error, done func(int)) error {
	errs := make([]error, c.workers)
	for first := 0; first < c.depth; first += c.workers {
		group := min(c.workers, c.depth-first)
		clear(errs)
		err := imaging.ForTasksCtx(ctx, group, 1, func(ctx context.Context, w, t, _, _ int) {
			if c.bufs[w] == nil {
				c.bufs[w] = make([]float32, c.size)
			}
			i := first + t
			if err := c.src.ReadRows(c.bufs[w], i, 0, c.height); err != nil {
				errs[t] = fmt.Errorf("cube histogram, plane %d: %w", i, err)
				return
			}
			errs[t] = fn(ctx, w, i, c.bufs[w])
		})
		if err != nil {
			return err
		}
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		done(first + group)
	}
	return nil
}

// compute returns one plane's statistics, split over cores for large
// planes; the chunks, and so the result, are the same either way.
func (c *oldPass) compute(ctx context.Context, data []float32) (Basic, error) {
	tlen := planeTaskLen(c.width, c.size)
	if c.workers == 1 {
		return computeParallel(ctx, data, tlen)
	}
	var b Basic
	for lo := 0; lo < len(data); lo += tlen {
		b.Merge(accumulate(data[lo:min(lo+tlen, len(data))], nil, lo))
	}
	return b.finish(), nil
}
