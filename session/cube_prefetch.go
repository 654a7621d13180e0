package session

import (
	"context"
	"errors"
	"sync"

	"cartago/imaging/budget"
)

// Prefetched cube extrema. A cube histogram must know the extrema of
// every plane before it counts the first value (bins exactly the
// reference's need the cube's bounds), so asked cold it reads the cube
// twice. Once an image with channels has sent its first histogram, its
// frame finds the per-plane extrema of the current Stokes in the
// background, at bulk priority (interactive work takes the cores first,
// a band of about 1 MiB at a time), and keeps them — a reference into
// the server's cache, 64 bytes a plane — until it closes. A cube
// histogram asked afterwards reads every plane once; asked meanwhile, it
// waits for that pass instead of starting its own (single-flight). The
// read also warms the page cache for channel switches and spectra.
//
// Only cubes of at least prefetchMinBytes (smaller ones read twice in a
// few ms) and at most prefetchMaxBytes (a pass over a bigger one costs
// seconds of disk on every open, for a histogram few users ask for)
// are prefetched. The pass maps the cube's pages, which then count in
// the server's RSS as file pages (shared with the page cache, and the
// kernel's to reclaim), as after any whole-cube computation.
var prefetchMinBytes, prefetchMaxBytes int64 = 32 << 20, 2 << 30

// cubePrefetch is a frame's prefetch of cube extrema: the goroutine, and
// then the reference it holds.
type cubePrefetch struct {
	cancel context.CancelFunc // nil until started
	done   chan struct{}      // closed when the goroutine returned

	mu      sync.Mutex
	release func() // the cache reference held; nil if none
}

// prefetchCubeExtrema starts the prefetch for Stokes st once per frame,
// if the cube qualifies. Worker only.
func (f *frame) prefetchCubeExtrema(st int) {
	l := f.layout
	size := 4 * int64(l.Width) * int64(l.Height) * int64(l.Depth)
	if f.extrema.cancel != nil || l.Depth < 2 || size < prefetchMinBytes || size > prefetchMaxBytes {
		return
	}
	ctx, cancel := context.WithCancel(budget.WithPriority(f.work.ctx, budget.Bulk))
	p := &f.extrema
	p.cancel, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		defer f.recovered(ctx, "cube extrema")
		_, release, err := f.cubeExtrema(ctx, st, nil)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, budget.ErrOverBudget) {
				f.log.Warn("cube extrema", "stokes", st, "err", err)
			}
			return
		}
		p.mu.Lock()
		p.release = release
		p.mu.Unlock()
	}()
}

// wait blocks until the prefetch, if started, has returned; for tests.
func (p *cubePrefetch) wait() {
	if p.done != nil {
		<-p.done
	}
}

// stop cancels the prefetch, waits for it and releases what it holds.
// Close, after the worker stopped.
func (p *cubePrefetch) stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.release != nil {
		p.release()
		p.release = nil
	}
}
