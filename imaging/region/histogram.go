package region

import (
	"context"
	"sync"

	"cartago/imaging"
	"cartago/imaging/stats"
)

// AutoBins returns the automatic bin count of a region histogram:
// stats.AutoBins of the mask's bounding box (RegionHandler::
// GetRegionHistogramData uses the region's lattice shape).
func AutoBins(m *Mask) int { return stats.AutoBins(m.box.Dx(), m.box.Dy()) }

// Histogram computes the histogram the reference backend sends for a
// region on one plane (RegionHandler::GetRegionHistogramData): the
// statistics of the region's finite pixels, then cfg's bins (AutoBins(m)
// when automatic) over cfg's bounds (the region's finite min and max
// unless fixed), with Mean and StdDev from those statistics; invalid
// bounds (no finite pixel, min = max) give the 1-bin [0, 0] placeholder.
// It also returns the statistics, which the caller may cache. Both
// passes run on GOMAXPROCS goroutines. It returns ErrMismatch,
// stats.ErrTooManyBins or ctx.Err().
func Histogram(ctx context.Context, p imaging.Plane, m *Mask, cfg stats.Config) (stats.Histogram, stats.Basic, error) {
	s, err := Compute(ctx, p, m)
	if err != nil {
		return stats.Histogram{}, stats.Basic{}, err
	}
	h, err := HistogramWithStats(ctx, p, m, cfg, s)
	return h, s, err
}

// HistogramWithStats is Histogram for a region whose statistics s on p
// are already known: it only counts.
func HistogramWithStats(ctx context.Context, p imaging.Plane, m *Mask, cfg stats.Config, s stats.Basic) (stats.Histogram, error) {
	if p.Width != m.imgW || p.Height != m.imgH || len(p.Data) < p.Width*p.Height {
		return stats.Histogram{}, ErrMismatch
	}
	n, lo, hi, err := cfg.Resolve(AutoBins(m), s)
	if err != nil {
		return stats.Histogram{}, err
	}
	h := stats.NewHistogram(n, lo, hi)
	h.SetStats(s)
	var mu sync.Mutex
	local := map[int]*stats.Histogram{}
	err = imaging.ForTasks(ctx, m.box.Dy(), rowsPerTask(m), func(w, _, lo, hi int) {
		mu.Lock()
		lh := local[w]
		if lh == nil {
			nh := stats.NewHistogram(h.NumBins, h.Min, h.Max)
			lh = &nh
			local[w] = lh
		}
		mu.Unlock()
		m.fill(lh, p.Data, p.Width, lo, hi)
	})
	if err != nil {
		return stats.Histogram{}, err
	}
	for _, lh := range local {
		if err := h.Add(*lh); err != nil {
			return stats.Histogram{}, err
		}
	}
	return h, nil
}

// fill counts the pixels of the mask's rows lo..hi−1 (relative to the
// box) of a whole plane into h.
func (m *Mask) fill(h *stats.Histogram, data []float32, width, lo, hi int) {
	for i := lo; i < hi; i++ {
		row := (m.box.Min.Y + i) * width
		for _, s := range m.spans[m.rows[i]:m.rows[i+1]] {
			h.Fill(data[row+int(s.X0) : row+int(s.X1)])
		}
	}
}

// EmptyHistogram is the histogram of a region that contains no pixel
// centre (ErrNoPixels), the reference's placeholder for a region it
// cannot apply to the image (RegionHandler::GetRegionHistogramData): one
// bin over [0, 0] counting 0, Mean and StdDev NaN.
func EmptyHistogram() stats.Histogram { return stats.NewHistogram(1, 0, 0) }
