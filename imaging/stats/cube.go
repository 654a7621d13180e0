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
	// Plane returns plane i. The caller only reads it and does not keep
	// it after the next call.
	Plane(ctx context.Context, i int) (imaging.Plane, error)
}

// Progress receives the fraction of a cube histogram done, in (0, 1):
// after each plane of the statistics pass (up to 0.5), h is nil; after
// each plane of the counting pass, h is the histogram so far. h is only
// valid during the call; copy it (and its Bins) to keep it. Completion is
// signalled by CubeHistogram returning, never by a call with 1. Rate
// limiting (the reference sends at most one update every 2 s) is the
// callback's business.
type Progress func(done float64, h *Histogram)

// CubeHistogram computes the histogram of all planes of a cube as the
// reference backend does for region −2 (Session::CalculateCubeHistogram):
// a first pass merges the statistics of every plane, giving the bounds
// (unless cfg fixes them) and the mean and standard deviation; a second
// pass counts every plane into cfg's bins (AutoBins of one plane's size
// when automatic) over those shared bounds. Each plane is processed on
// GOMAXPROCS goroutines. progress, if not nil, is called after each
// plane.
//
// stats, if not nil, must hold one entry per plane with statistics
// already known (for example cached per channel, positions within the
// plane); the first pass then reads no data.
//
// The returned statistics index pixels across the cube:
// plane·width·height + y·width + x.
//
// It returns ctx.Err() when cancelled, an error from src, or ErrMismatch
// if a plane does not have the size Shape gives or stats has the wrong
// length.
func CubeHistogram(ctx context.Context, src Planes, cfg Config, stats []Basic, progress Progress) (Histogram, Basic, error) {
	width, height, n := src.Shape()
	if stats != nil && len(stats) != n {
		return Histogram{}, Basic{}, ErrMismatch
	}
	size := width * height
	total := float64(2 * n)
	report := func(done int, h *Histogram) {
		if progress != nil && done < 2*n {
			progress(float64(done)/total, h)
		}
	}

	var cube Basic
	for i := range n {
		var s Basic
		if stats != nil {
			s = stats[i]
		} else {
			p, err := readPlane(ctx, src, i, width, height)
			if err != nil {
				return Histogram{}, Basic{}, err
			}
			if s, err = computeParallel(ctx, p.Data[:size], planeTaskLen(width, size)); err != nil {
				return Histogram{}, Basic{}, err
			}
		}
		s.MinIndex += i * size
		s.MaxIndex += i * size
		cube.Merge(s)
		report(i+1, nil)
	}
	cube = cube.finish()

	nb, lo, hi, err := cfg.Resolve(AutoBins(width, height), cube)
	if err != nil {
		return Histogram{}, Basic{}, err
	}
	if n == 0 || size == 0 {
		nb, lo, hi = 1, 0, 0
	}
	h := NewHistogram(nb, lo, hi)
	h.SetStats(cube)
	for i := range n {
		p, err := readPlane(ctx, src, i, width, height)
		if err != nil {
			return Histogram{}, Basic{}, err
		}
		if err := h.fillParallel(ctx, p.Data[:size], planeTaskLen(width, size)); err != nil {
			return Histogram{}, Basic{}, err
		}
		report(n+i+1, &h)
	}
	return h, cube, nil
}

// readPlane reads plane i and checks its size.
func readPlane(ctx context.Context, src Planes, i, width, height int) (imaging.Plane, error) {
	p, err := src.Plane(ctx, i)
	if err != nil {
		return imaging.Plane{}, fmt.Errorf("cube histogram, plane %d: %w", i, err)
	}
	if p.Width != width || p.Height != height || len(p.Data) < width*height {
		return imaging.Plane{}, fmt.Errorf("cube histogram, plane %d is %d×%d: %w", i, p.Width, p.Height, ErrMismatch)
	}
	return p, nil
}
