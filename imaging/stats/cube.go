package stats

import (
	"context"
	"fmt"

	"cartago/imaging"
)

// Planes gives CubeHistogram the planes of one Stokes of a cube.
type Planes interface {
	// Shape returns the size of every plane and the number of planes
	// (channels).
	Shape() (width, height, depth int)
	// ReadPlane decodes plane i into dst, which holds width·height
	// values. It is called from several goroutines at once, each with
	// its own dst.
	ReadPlane(dst []float32, i int) error
}

// Progress receives the fraction of a cube histogram done, in (0, 1):
// after each group of planes of the statistics pass (up to 0.5), h is
// nil; after each group of the counting pass, h is the histogram so far.
// h is only valid during the call; copy it (and its Bins) to keep it.
// Completion is signalled by CubeHistogram returning, never by a call
// with 1. Rate limiting (the reference sends at most one update every
// 2 s) is the callback's business.
type Progress func(done float64, h *Histogram)

// splitPlanes is the plane size from which one plane's work is split over
// cores; smaller planes are handed out whole, one per core, which keeps
// every core busy decoding (a FITS plane decodes on one core below it).
const splitPlanes = 1 << 20

// CubeHistogram computes the histogram of all planes of a cube as the
// reference backend does for region −2 (Session::CalculateCubeHistogram):
// a first pass merges the statistics of every plane, giving the bounds
// (unless cfg fixes them) and the mean and standard deviation; a second
// pass counts every plane into cfg's bins (AutoBins of one plane's size
// when automatic) over those shared bounds. The work runs on GOMAXPROCS
// goroutines: planes of splitPlanes values or more are split among
// them, smaller planes are processed one per goroutine; either way the
// result is the same. progress, if not nil, is called after each group
// of planes.
//
// stats, if not nil, must hold one entry per plane with statistics
// already known (for example cached per channel, positions within the
// plane); the first pass then reads no data.
//
// The returned statistics index pixels across the cube:
// plane·width·height + y·width + x.
//
// It returns ctx.Err() when cancelled, an error from src, or ErrMismatch
// if stats has the wrong length.
func CubeHistogram(ctx context.Context, src Planes, cfg Config, stats []Basic, progress Progress) (Histogram, Basic, error) {
	width, height, n := src.Shape()
	if stats != nil && len(stats) != n {
		return Histogram{}, Basic{}, ErrMismatch
	}
	c := newCubePass(src, width, height, n)
	report := func(done int, h *Histogram) {
		if progress != nil && done < 2*n {
			progress(float64(done)/float64(2*n), h)
		}
	}
	if stats != nil {
		return c.histogram(ctx, cfg, c.merge(stats), false, report)
	}
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
func (c *cubePass) histogram(ctx context.Context, cfg Config, s Basic, sums bool, report func(int, *Histogram)) (Histogram, Basic, error) {
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
func (c *cubePass) fillPlane(ctx context.Context, local [][]int32, w int, bn binner, data []float32, sums bool) (Basic, error) {
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
func (c *cubePass) taskLen() int {
	if c.workers > 1 {
		return max(c.size, 1)
	}
	return planeTaskLen(c.width, c.size)
}

// merge folds per-plane statistics, positions within their plane, into
// the cube's, positions across it.
func (c *cubePass) merge(planes []Basic) Basic {
	var cube Basic
	for i, s := range planes {
		s.MinIndex += i * c.size
		s.MaxIndex += i * c.size
		cube.Merge(s)
	}
	return cube.finish()
}

// cubePass hands the planes of a cube to goroutines, each decoding into
// its own buffer.
type cubePass struct {
	src                        Planes
	width, height, size, depth int
	workers                    int // planes processed at once; 1 splits each plane
	bufs                       [][]float32
}

func newCubePass(src Planes, width, height, depth int) *cubePass {
	c := &cubePass{src: src, width: width, height: height, size: width * height, depth: depth, workers: cubeWorkers(width*height, depth)}
	c.bufs = make([][]float32, c.workers)
	return c
}

// cubeWorkers is the number of planes a cube pass holds at once.
func cubeWorkers(size, depth int) int {
	if size < splitPlanes {
		return max(1, imaging.Workers(depth))
	}
	return 1
}

// CubeScratchBytes is the most memory CubeHistogram holds in plane
// buffers for a width×height×depth cube, for callers that charge it to
// a budget first.
func CubeScratchBytes(width, height, depth int) int64 {
	return 4 * int64(width) * int64(height) * int64(cubeWorkers(width*height, depth))
}

// run calls fn for every plane, c.workers planes at a time, and done with
// the number of planes finished after each group. fn gets the context
// of its task, which holds a compute slot: it must fan out with that one.
func (c *cubePass) run(ctx context.Context, fn func(ctx context.Context, worker, plane int, data []float32) error, done func(int)) error {
	errs := make([]error, c.workers)
	for first := 0; first < c.depth; first += c.workers {
		group := min(c.workers, c.depth-first)
		clear(errs)
		err := imaging.ForTasksCtx(ctx, group, 1, func(ctx context.Context, w, t, _, _ int) {
			if c.bufs[w] == nil {
				c.bufs[w] = make([]float32, c.size)
			}
			i := first + t
			if err := c.src.ReadPlane(c.bufs[w], i); err != nil {
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
func (c *cubePass) compute(ctx context.Context, data []float32) (Basic, error) {
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
