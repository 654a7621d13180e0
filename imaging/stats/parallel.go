package stats

import (
	"context"

	"cartago/imaging"
)

// taskLen is the number of values one parallel task handles (about 1 MiB
// of float32); ctx is checked before each task. Plane functions round it
// to whole rows.
const taskLen = 1 << 18

// planeTaskLen splits one plane of a cube into at least two tasks per
// worker (of whole rows), so a plane smaller than taskLen still uses
// every core; cube passes go plane by plane.
func planeTaskLen(width, size int) int {
	parts := 2 * imaging.Workers(size)
	rows := max(1, (size/max(width, 1)+parts-1)/parts)
	return min(rowTaskLen(width), rows*max(width, 1))
}

// rowTaskLen returns a task length of whole rows of width values close to
// taskLen.
func rowTaskLen(width int) int {
	if width <= 0 {
		return taskLen
	}
	return max(1, taskLen/width) * width
}

// ComputeParallel is Compute spread over GOMAXPROCS goroutines. The
// result does not depend on the number of goroutines: parts are merged
// in index order. It returns ctx.Err() if ctx is cancelled first.
func ComputeParallel(ctx context.Context, data []float32) (Basic, error) {
	return computeParallel(ctx, data, taskLen)
}

func computeParallel(ctx context.Context, data []float32, tlen int) (Basic, error) {
	parts := make([]Basic, (len(data)+tlen-1)/tlen)
	err := imaging.ForTasks(ctx, len(data), tlen, func(_, t, lo, hi int) {
		parts[t] = accumulate(data[lo:hi], nil, lo)
	})
	if err != nil {
		return Basic{}, err
	}
	var b Basic
	for _, p := range parts {
		b.Merge(p)
	}
	return b.finish(), nil
}

// FillParallel is Fill spread over GOMAXPROCS goroutines, each counting
// into its own bins; the counts are then added to h's, saturating at
// math.MaxInt32. On cancellation h is left unchanged and ctx.Err() is
// returned.
func (h *Histogram) FillParallel(ctx context.Context, data []float32) error {
	return h.fillParallel(ctx, data, taskLen)
}

func (h *Histogram) fillParallel(ctx context.Context, data []float32, tlen int) error {
	b := newBinner(*h)
	nb := len(h.Bins)
	workers := imaging.Workers((len(data) + tlen - 1) / tlen)
	local := make([]int32, max(workers, 1)*nb)
	err := imaging.ForTasks(ctx, len(data), tlen, func(w, _, lo, hi int) {
		b.fill(local[w*nb:(w+1)*nb], data[lo:hi])
	})
	if err != nil {
		return err
	}
	for w := range workers {
		addSaturating(h.Bins, local[w*nb:(w+1)*nb])
	}
	return nil
}

// PlaneHistogram computes the histogram the reference backend sends for
// the image (region −1) or for one channel: the statistics of the plane's
// finite pixels, then cfg's bins (AutoBins(Width, Height) when automatic)
// over cfg's bounds (the finite min and max unless fixed), with Mean and
// StdDev from those statistics. It reads the plane twice — min/max, then
// counts and sums together — on GOMAXPROCS goroutines, checking ctx
// every few rows. It also returns the statistics, which the
// caller may cache (the reference does, per channel). It returns
// ErrMismatch if p.Data is shorter than Width×Height, ErrTooManyBins, or
// ctx.Err().
func PlaneHistogram(ctx context.Context, p imaging.Plane, cfg Config) (Histogram, Basic, error) {
	if len(p.Data) < p.Width*p.Height {
		return Histogram{}, Basic{}, ErrMismatch
	}
	return planeHistogram(ctx, p.Data[:p.Width*p.Height], AutoBins(p.Width, p.Height), cfg, rowTaskLen(p.Width))
}

// HistogramWithStats is PlaneHistogram for a plane whose statistics s
// are already known (for example cached from an earlier call): it skips
// the statistics pass.
func HistogramWithStats(ctx context.Context, p imaging.Plane, cfg Config, s Basic) (Histogram, error) {
	if len(p.Data) < p.Width*p.Height {
		return Histogram{}, ErrMismatch
	}
	data := p.Data[:p.Width*p.Height]
	n, lo, hi, err := cfg.Resolve(AutoBins(p.Width, p.Height), s)
	if err != nil {
		return Histogram{}, err
	}
	if len(data) == 0 { // the reference's placeholder, even with fixed bounds
		n, lo, hi = 1, 0, 0
	}
	h := NewHistogram(n, lo, hi)
	h.SetStats(s)
	if err := h.fillParallel(ctx, data, rowTaskLen(p.Width)); err != nil {
		return Histogram{}, err
	}
	return h, nil
}
