package session

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"cartago/imaging/budget"
	"cartago/imaging/cache"
	"cartago/imaging/fits"
)

// checkImageFits refuses an image whose plane cannot fit in the budget
// even once the cache evicted everything unused. Nothing is charged
// here: the plane is charged by the cache when first decoded, once for
// every frame sharing it (a gzip file's bytes were charged by the open).
// A refusal names the image and --memory-limit.
func checkImageFits(mem *budget.Memory, c *cache.Cache, px pixels, name string) error {
	st := mem.Stats()
	if st.Limit == 0 || c.Has(px.key(0, 0, "plane")) {
		return nil
	}
	need, free := px.planeBytes(), st.Limit-st.Used+c.Unused()
	if need <= free {
		return nil
	}
	l := px.layout
	return fmt.Errorf("%w: image %s (%d×%d plane) needs %s, %s of %s free (--memory-limit)",
		budget.ErrOverBudget, name, l.Width, l.Height, budget.Bytes(need), budget.Bytes(max(free, 0)), budget.Bytes(st.Limit))
}

// openOptions bounds a gzip file's decompressed bytes by what the budget
// has free, so an image that cannot be charged is not inflated first.
func openOptions(mem *budget.Memory) fits.Options {
	st := mem.Stats()
	if st.Limit == 0 {
		return fits.Options{}
	}
	return fits.Options{MaxGunzipBytes: min(fits.DefaultMaxGunzipBytes, max(st.Limit-st.Used, 1))}
}

// explainOpen names --memory-limit when a gzip file could not be
// inflated within what the budget had free (see openOptions).
func explainOpen(err error, mem *budget.Memory) error {
	if st := mem.Stats(); errors.Is(err, fits.ErrTooLarge) && st.Limit > 0 {
		return fmt.Errorf("%w (%s of %s free under --memory-limit)", err, budget.Bytes(max(st.Limit-st.Used, 0)), budget.Bytes(st.Limit))
	}
	return err
}

// Returning freed heap to the OS: a closed image's plane is garbage, but
// an idle server allocates nothing, so no collection runs and the Go
// runtime keeps the pages (the forced collection every two minutes and
// the background scavenger return them only slowly). giveBack collects
// and returns them, coalescing a burst of closes into one call.
const (
	returnDelay = 50 * time.Millisecond // gathers the closes of one burst
	returnEvery = time.Second           // at most one full collection per interval
)

// osReturn schedules debug.FreeOSMemory after images close. Its one
// pending timer bounds it; safe for concurrent use.
type osReturn struct {
	free func() // debug.FreeOSMemory when nil; tests count calls

	mu     sync.Mutex
	timer  *time.Timer // guarded by mu; the pending return, nil when none
	last   time.Time   // guarded by mu; when the last return started
	closed bool        // guarded by mu; no more returns after stop
}

// schedule asks for a return soon; a pending one covers this request.
func (r *osReturn) schedule() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer != nil || r.closed {
		return
	}
	r.timer = time.AfterFunc(max(returnDelay, returnEvery-time.Since(r.last)), r.run)
}

func (r *osReturn) run() {
	r.mu.Lock()
	r.timer, r.last = nil, time.Now() // closes from now on schedule the next return
	r.mu.Unlock()
	if r.free != nil {
		r.free()
		return
	}
	debug.FreeOSMemory()
}

// stop cancels a pending return.
func (r *osReturn) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
}

// bigFree is the size of freed memory from which returning it to the OS
// is worth a full collection.
const bigFree = 16 << 20
