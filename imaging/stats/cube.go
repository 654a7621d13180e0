package stats

import (
	"context"
	"fmt"
	"math"

	"cartago/imaging"
)

// Planes gives CubeHistogram the planes of one Stokes of a cube.
type Planes interface {
	// Shape returns the size of every plane and the number of planes
	// (channels).
	Shape() (width, height, depth int)
	// ReadRows decodes rows y0..y0+rows−1 of plane i into dst, which
	// holds width·rows values. It is called from several goroutines at
	// once, each with its own dst.
	ReadRows(dst []float32, i, y0, rows int) error
}

// Progress receives the fraction of a cube histogram done, in (0, 1):
// after each group of planes of the extrema pass (up to 0.5), h is nil;
// after each group of the counting pass, h is the histogram so far.
// h is only valid during the call; copy it (and its Bins) to keep it.
// Completion is signalled by CubeHistogram returning, never by a call
// with 1. Rate limiting (the reference sends at most one update every
// 2 s) is the callback's business.
type Progress func(done float64, h *Histogram)

// splitPlanes is the plane size from which one plane's work is split over
// cores; smaller planes are handed out whole, one per core.
const splitPlanes = 1 << 20

// CubeExtrema is what the first pass of a cube histogram learns: the
// minimum and maximum of every plane's non-NaN values (±Inf included),
// with their positions in the plane, as a Basic whose Count is 1 when
// the plane has such values and 0 otherwise. It does not depend on the
// histogram's bins or bounds, so callers may keep it (per file and
// Stokes) and pass it to CubeHistogram again, which then reads every
// plane once. Treat it as read-only.
type CubeExtrema []Basic

// CubeHistogram computes the histogram of all planes of a cube as the
// reference backend does for region −2 (Session::CalculateCubeHistogram):
// the extrema of every plane give the bounds (unless cfg fixes them),
// then a counting pass bins every plane into cfg's bins (AutoBins of one
// plane's size when automatic) over those shared bounds and sums the
// moments for the mean and standard deviation.
//
// ext, if not nil, must be the CubeExtrema of src (from CubeExtremaOf,
// or an earlier call's): the extrema pass is skipped and every plane is
// read once. Otherwise the extrema are found first, and the data is read
// twice: bins that are exactly the reference's need the cube's bounds
// before the first value is counted. A cube holding ±Inf needs a third
// pass for its finite bounds (rare).
//
// Planes are read in bands of whole rows (about 1 MiB): planes of
// splitPlanes values or more are split into bands processed on
// GOMAXPROCS goroutines, smaller planes are processed one per goroutine;
// either way the result is the same. progress, if not nil, is called
// after each group of planes.
//
// The returned statistics index pixels across the cube:
// plane·width·height + y·width + x.
//
// It returns ctx.Err() when cancelled, an error from src, or ErrMismatch
// if ext has the wrong length.
func CubeHistogram(ctx context.Context, src Planes, cfg Config, ext CubeExtrema, progress Progress) (Histogram, Basic, error) {
	width, height, n := src.Shape()
	if ext != nil && len(ext) != n {
		return Histogram{}, Basic{}, ErrMismatch
	}
	c := newCubePass(src, width, height, n)
	report := func(done int, h *Histogram) {
		if progress != nil && done < 2*n {
			progress(float64(done)/float64(2*n), h)
		}
	}
	if ext == nil {
		var err error
		if ext, err = c.extrema(ctx, func(done int) { report(done, nil) }); err != nil {
			return Histogram{}, Basic{}, err
		}
	}
	cube := c.merge(ext)
	if cube.Count > 0 && (isInf32(cube.Min) || isInf32(cube.Max)) {
		// ±Inf: the bounds come from the finite values, which the
		// extrema do not give. Rare, so a full statistics pass.
		full, err := c.statistics(ctx)
		if err != nil {
			return Histogram{}, Basic{}, err
		}
		return c.histogram(ctx, cfg, c.merge(full), false, report)
	}
	return c.histogram(ctx, cfg, cube, true, report)
}

// CubeExtremaOf is the first pass of CubeHistogram on its own, for
// callers that keep its result; progress is told the fraction of planes
// done after each group.
func CubeExtremaOf(ctx context.Context, src Planes, progress func(done float64)) (CubeExtrema, error) {
	width, height, n := src.Shape()
	c := newCubePass(src, width, height, n)
	return c.extrema(ctx, func(done int) {
		if progress != nil && done < n {
			progress(float64(done) / float64(n))
		}
	})
}

// extrema finds every plane's extrema, band by band: the same Basic as
// extremaParallel over the whole plane with c.tlen.
func (c *cubePass) extrema(ctx context.Context, done func(int)) (CubeExtrema, error) {
	parts := make([]bandExtrema, c.depth*c.parts)
	err := c.run(ctx, func(_ context.Context, _, i, part int, data []float32) error {
		parts[i*c.parts+part] = extremaOfBand(data)
		return nil
	}, done)
	if err != nil {
		return nil, err
	}
	ext := make(CubeExtrema, c.depth)
	for i := range ext {
		ext[i] = c.mergeExtrema(parts[i*c.parts : (i+1)*c.parts])
	}
	return ext, nil
}

// bandExtrema is the minimum and maximum of one band's non-NaN values
// and their first positions in the band (−1 when absent).
type bandExtrema struct {
	mn, mx   float32
	imn, imx int
}

// extremaOfBand is extremaOf that also finds the positions: chunk by
// chunk with extremaOf's loop, then the first occurrence is looked up in
// the first chunk holding each extremum.
func extremaOfBand(c []float32) bandExtrema {
	e := bandExtrema{mn: float32(math.Inf(1)), mx: float32(math.Inf(-1)), imn: -1, imx: -1}
	cmn, cmx := -1, -1
	for off := 0; off < len(c); off += chunkLen {
		mn, mx := extremaOf(c[off:min(off+chunkLen, len(c))])
		if mn < e.mn {
			e.mn, cmn = mn, off
		}
		if mx > e.mx {
			e.mx, cmx = mx, off
		}
	}
	if cmn >= 0 {
		e.imn = cmn + locate(c[cmn:], e.mn)
	}
	if cmx >= 0 {
		e.imx = cmx + locate(c[cmx:], e.mx)
	}
	return e
}

// mergeExtrema folds the bands of one plane in order, exactly as
// extremaParallel folds its parts: a band's value replaces the plane's
// only if strictly beyond it, so positions are first occurrences.
func (c *cubePass) mergeExtrema(bands []bandExtrema) Basic {
	var b Basic
	inf := float32(math.Inf(1))
	b.Min, b.Max = inf, -inf
	tmn, tmx := -1, -1
	for t, p := range bands {
		if p.mn < b.Min {
			b.Min, tmn = p.mn, t
		}
		if p.mx > b.Max {
			b.Max, tmx = p.mx, t
		}
	}
	if tmn < 0 { // nothing but NaN (and maybe +Inf)
		return Basic{}
	}
	b.Count = 1
	b.MinIndex = tmn*c.tlen + bands[tmn].imn
	b.MaxIndex = b.MinIndex
	if tmx >= 0 { // else nothing but −Inf and NaN: Max stays −Inf
		b.MaxIndex = tmx*c.tlen + bands[tmx].imx
	}
	return b
}

// statistics returns every plane's full statistics, as compute would
// over the whole plane.
func (c *cubePass) statistics(ctx context.Context) ([]Basic, error) {
	parts := make([]Basic, c.depth*c.parts)
	err := c.run(ctx, func(_ context.Context, _, i, part int, data []float32) error {
		lo := part * c.tlen
		if c.workers == 1 { // bands are the parts of computeParallel
			parts[i*c.parts+part] = accumulate(data, nil, lo)
			return nil
		}
		// A whole plane, summed in planeTaskLen parts as compute does.
		var b Basic
		sub := planeTaskLen(c.width, c.size)
		for l := 0; l < len(data); l += sub {
			b.Merge(accumulate(data[l:min(l+sub, len(data))], nil, lo+l))
		}
		parts[i*c.parts+part] = b
		return nil
	}, func(int) {})
	if err != nil {
		return nil, err
	}
	full := make([]Basic, c.depth)
	for i := range full {
		var b Basic
		for _, p := range parts[i*c.parts : (i+1)*c.parts] {
			b.Merge(p)
		}
		full[i] = b.finish()
	}
	return full, nil
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
	local := make([][]int32, len(c.bufs))
	for w := range local {
		local[w] = make([]int32, nb)
	}
	parts := make([]Basic, c.depth*c.parts)
	var acc Basic // the moments of planes 0..merged−1
	merged := 0
	// stats returns the statistics of planes 0..done−1 (all of s without
	// sums); groups of planes finish in order.
	stats := func(done int) Basic {
		if !sums {
			return s
		}
		for ; merged < done; merged++ {
			var b Basic
			for _, p := range parts[merged*c.parts : (merged+1)*c.parts] {
				b.addPart(p)
			}
			acc.addPart(b)
		}
		out := acc
		out.Min, out.Max, out.MinIndex, out.MaxIndex = s.Min, s.Max, s.MinIndex, s.MaxIndex
		return out.finish()
	}
	err = c.run(ctx, func(_ context.Context, w, i, part int, data []float32) error {
		if sums {
			parts[i*c.parts+part] = accumulateFill(local[w], bn, data)
		} else {
			bn.fill(local[w], data)
		}
		return nil
	}, func(done int) {
		for _, bins := range local {
			addSaturating(h.Bins, bins) // a group of planes each: no overflow before this
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

// cubePass hands the bands of a cube's planes to goroutines, each
// decoding into its own buffer.
type cubePass struct {
	src                        Planes
	width, height, size, depth int
	workers                    int // planes processed at once; 1 splits each plane into bands
	tlen                       int // values per band: whole rows, the whole plane when workers > 1
	parts                      int // bands per plane
	bufs                       [][]float32
}

func newCubePass(src Planes, width, height, depth int) *cubePass {
	c := &cubePass{src: src, width: width, height: height, size: width * height, depth: depth, workers: cubeWorkers(width*height, depth)}
	c.tlen = cubeBandLen(width, c.size, c.workers)
	c.parts = (c.size + c.tlen - 1) / c.tlen
	c.bufs = make([][]float32, imaging.Workers(max(c.workers*c.parts, 1)))
	return c
}

// cubeWorkers is the number of planes a cube pass holds at once.
func cubeWorkers(size, depth int) int {
	if size < splitPlanes {
		return max(1, imaging.Workers(depth))
	}
	return 1
}

// cubeBandLen is the length of the bands of one plane: the whole plane
// when planes are processed one per goroutine.
func cubeBandLen(width, size, workers int) int {
	if workers > 1 || size == 0 {
		return max(size, 1)
	}
	return planeTaskLen(width, size)
}

// CubeScratchBytes is the most memory CubeHistogram holds in band
// buffers for a width×height×depth cube, for callers that charge it to
// a budget first.
func CubeScratchBytes(width, height, depth int) int64 {
	size := width * height
	workers := cubeWorkers(size, depth)
	tlen := cubeBandLen(width, size, workers)
	parts := (size + tlen - 1) / tlen
	return 4 * int64(tlen) * int64(imaging.Workers(max(workers*parts, 1)))
}

// run calls fn for every band of every plane, c.workers planes at a time
// (all their bands at once), and done with the number of planes finished
// after each group. worker indexes per-goroutine state.
func (c *cubePass) run(ctx context.Context, fn func(ctx context.Context, worker, plane, part int, data []float32) error, done func(int)) error {
	if c.size == 0 {
		return ctx.Err()
	}
	errs := make([]error, c.workers*c.parts)
	for first := 0; first < c.depth; first += c.workers {
		group := min(c.workers, c.depth-first)
		clear(errs)
		err := imaging.ForTasksCtx(ctx, group*c.parts, 1, func(ctx context.Context, w, t, _, _ int) {
			i, part := first+t/c.parts, t%c.parts
			lo := part * c.tlen
			hi := min(lo+c.tlen, c.size)
			if c.bufs[w] == nil {
				c.bufs[w] = make([]float32, c.tlen)
			}
			buf := c.bufs[w][:hi-lo]
			if err := c.src.ReadRows(buf, i, lo/c.width, (hi-lo)/c.width); err != nil {
				errs[t] = fmt.Errorf("cube histogram, plane %d: %w", i, err)
				return
			}
			errs[t] = fn(ctx, w, i, part, buf)
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
