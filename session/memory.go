package session

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"cartago/imaging/budget"
	"cartago/imaging/fits"
)

// chargeImage charges the budget with what an open image holds for its
// lifetime: its decoded plane (made on first use) and, for a gzip file,
// the decompressed bytes. A refusal names the image and --memory-limit.
func chargeImage(mem *budget.Memory, file *fits.File, img *fits.Image, name string) (*budget.Charge, error) {
	l := img.Layout
	n := 4 * int64(l.Width) * int64(l.Height)
	if file.Compressed() {
		for _, h := range file.HDUs() {
			n += h.DataLen()
		}
	}
	return mem.Take(n, fmt.Sprintf("image %s (%d×%d plane)", name, l.Width, l.Height))
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
