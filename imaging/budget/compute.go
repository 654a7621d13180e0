package budget

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Compute limits how many goroutines of the whole server compute at once.
//
// Design. A Compute is a semaphore of slots (GOMAXPROCS by default, one
// per core). Fan-outs (imaging.ForTasks) claim one slot per task and give
// it back after the task, so long work yields between tasks. A released
// slot goes to the oldest Interactive waiter, else to the oldest Bulk
// one. While interactive work has been seen in the last interactiveWindow
// (a slot claimed, or Note), bulk work holds at most all slots but one
// (when there are two or more): that core stays free for interactive
// work and for the goroutines that carry it (socket reads and writes,
// handlers, cursor jobs), which would otherwise wait for the scheduler to
// preempt a bulk task at every hop. When nobody interacts, bulk work
// uses every slot. So interactive work (cursor, tiles, plane statistics)
// waits at most for one running task to end however many bulk jobs
// (cube histograms, region spectra, contours, animation) run in other
// sessions, which share what is left. Interactive work can starve bulk
// work, but it comes in bursts. (ws.BenchmarkContention: with 10 sessions
// of bulk work on 2 cores, cursor p95 went from about 2 s to under 1 ms.)
//
// The priority travels in the context (WithPriority). Work under a
// context without one waits for nothing: its caller computes unclaimed
// and its helpers take only slots free to bulk work, so code outside the
// session (tools, tests) needs no set-up.
//
// Deadlock freedom rests on one rule: a goroutine that holds a slot never
// waits for another. The task's context records that it holds one
// (Held); a fan-out started from it (nested) runs its tasks on the slot
// it already has and adds helpers only for slots free at that moment
// (TryClaim). Waiting goroutines hold nothing, and every holder finishes
// without waiting, so slots always come back. Work that may block for
// long inside a task (a send to a slow client) runs Unheld.
type Compute struct {
	mu      sync.Mutex
	slots   int                // immutable
	free    int                // guarded by mu
	bulk    int                // guarded by mu; slots held by Bulk work
	waiting [2][]chan struct{} // guarded by mu; per Priority, oldest first; one entry per goroutine waiting in Acquire
	seen    time.Time          // guarded by mu; interactive work was last seen
	window  time.Duration      // immutable but for tests; how long seen keeps a slot from bulk work
}

// Priority says which waiters a released slot goes to first.
type Priority int8

const (
	// Interactive is work a user waits for: cursor values and profiles,
	// tiles of the current view, channel changes, statistics and
	// histograms of the current plane or a small region.
	Interactive Priority = iota
	// Bulk is long work that may yield to interactive work: cube
	// histograms, region spectral profiles, contours, animation.
	Bulk
)

func (p Priority) String() string {
	if p == Bulk {
		return "bulk"
	}
	return "interactive"
}

// interactiveWindow is how long after interactive work was last seen one
// slot stays reserved for it.
const interactiveWindow = 2 * time.Second

// NewCompute returns a limiter of slots slots (at least one).
func NewCompute(slots int) *Compute {
	slots = max(slots, 1)
	return &Compute{slots: slots, free: slots, window: interactiveWindow}
}

// DefaultCompute is the process-wide limiter, one slot per core at start.
var DefaultCompute = NewCompute(runtime.GOMAXPROCS(0))

// Acquire waits for a slot, served after earlier waiters of its priority
// and of higher ones. It returns ctx.Err() if ctx ends first.
func (c *Compute) Acquire(ctx context.Context, p Priority) error {
	c.mu.Lock()
	if len(c.waiting[Interactive]) == 0 && c.takeLocked(p) {
		c.mu.Unlock()
		return nil
	}
	if p == Interactive {
		c.seen = time.Now()
	}
	ready := make(chan struct{})
	c.waiting[p] = append(c.waiting[p], ready)
	c.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
	}
	c.mu.Lock()
	select {
	case <-ready: // granted meanwhile: pass it on
		c.mu.Unlock()
		c.Release(p)
	default:
		q := c.waiting[p]
		for i, w := range q {
			if w == ready {
				c.waiting[p] = append(q[:i], q[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
	}
	return ctx.Err()
}

// TryAcquire takes a slot for work of priority p if one is free to it,
// without waiting.
func (c *Compute) TryAcquire(p Priority) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiting[Interactive]) == 0 && c.takeLocked(p)
}

// takeLocked takes a free slot if p may have it. Caller holds mu.
func (c *Compute) takeLocked(p Priority) bool {
	if c.free == 0 {
		return false
	}
	if p == Interactive {
		c.seen = time.Now()
	} else {
		limit := c.slots
		if c.slots > 1 && time.Since(c.seen) < c.window {
			limit-- // keep one for interactive work
		}
		if c.bulk >= limit {
			return false
		}
		c.bulk++
	}
	c.free--
	return true
}

// Note records interactive work that claims no slot (a cursor job), so
// that one slot stays free of bulk work for what follows.
func (c *Compute) Note() {
	c.mu.Lock()
	c.seen = time.Now()
	c.mu.Unlock()
}

// Release returns a slot taken at priority p, handing it to the first
// waiter that may have it, interactive ones first.
func (c *Compute) Release(p Priority) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.free++
	if p == Bulk {
		c.bulk--
	}
	for wp, q := range c.waiting {
		if len(q) > 0 && c.takeLocked(Priority(wp)) {
			close(q[0])
			q[0] = nil
			c.waiting[wp] = q[1:]
			return
		}
	}
}

// ComputeStats is a snapshot of a limiter.
type ComputeStats struct {
	Free, Bulk int    // slots free, slots held by bulk work
	Waiting    [2]int // by Priority
}

// Stats reports the free slots and the waiters.
func (c *Compute) Stats() ComputeStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return ComputeStats{Free: c.free, Bulk: c.bulk, Waiting: [2]int{len(c.waiting[Interactive]), len(c.waiting[Bulk])}}
}

type computeKey struct{}

// computeCtx is what a context says about compute slots.
type computeCtx struct {
	c    *Compute
	p    Priority
	held bool // the goroutine working under this context holds a slot
}

// computeOf reads ctx; without a priority it names DefaultCompute and
// Bulk, which TryClaim uses: work of unknown kind gets no reserved slot.
func computeOf(ctx context.Context) (computeCtx, bool) {
	v, ok := ctx.Value(computeKey{}).(computeCtx)
	if !ok {
		v.c, v.p = DefaultCompute, Bulk
	}
	return v, ok
}

// WithPriority returns ctx whose fan-outs claim slots at priority p, of
// the limiter ctx already names or else DefaultCompute.
func WithPriority(ctx context.Context, p Priority) context.Context {
	v, _ := computeOf(ctx)
	v.p, v.held = p, false
	return context.WithValue(ctx, computeKey{}, v)
}

// WithCompute is WithPriority on limiter c (tests, a server with its
// own limit).
func WithCompute(ctx context.Context, c *Compute, p Priority) context.Context {
	return context.WithValue(ctx, computeKey{}, computeCtx{c: c, p: p})
}

// Held reports whether work under ctx already holds a slot.
func Held(ctx context.Context) bool {
	v, _ := computeOf(ctx)
	return v.held
}

// Waits reports whether a goroutine working under ctx waits for slots:
// ctx has a priority and holds none. Otherwise it computes on what it
// has (a held slot, or no limit) and claims extra slots only if free.
func Waits(ctx context.Context) bool {
	v, ok := computeOf(ctx)
	return ok && !v.held
}

func noop() {}

// NoteInteractive records interactive work under ctx (see Compute.Note)
// when ctx has Interactive priority.
func NoteInteractive(ctx context.Context) {
	if v, ok := computeOf(ctx); ok && v.p == Interactive {
		v.c.Note()
	}
}

// Holding returns ctx marked as held: work under it holds a slot (of
// ctx's limiter, at ctx's priority), so its fan-outs never wait.
func Holding(ctx context.Context) context.Context {
	v, _ := computeOf(ctx)
	v.held = true
	return context.WithValue(ctx, computeKey{}, v)
}

// Claim waits for a slot for one task under ctx and returns its
// release; claimed says a slot was taken, so the task must run under
// Holding(ctx). When ctx does not wait (see Waits) it claims nothing and
// returns at once with a no-op release: waiting while holding a slot
// could deadlock. It fails only with ctx.Err().
func Claim(ctx context.Context) (release func(), claimed bool, err error) {
	v, ok := computeOf(ctx)
	if !ok || v.held {
		return noop, false, nil
	}
	if err := v.c.Acquire(ctx, v.p); err != nil {
		return noop, false, err
	}
	return func() { v.c.Release(v.p) }, true, nil
}

// Unheld runs fn, which may block (a send to a slow client), without the
// slot work under ctx holds: the slot is released first and claimed
// again after, holding nothing meanwhile. Only for tasks of a fan-out
// that is not itself inside a task (a goroutine waiting for the fan-out
// while holding a slot would wait for one in turn).
func Unheld(ctx context.Context, fn func()) {
	v, _ := computeOf(ctx)
	if !v.held {
		fn()
		return
	}
	v.c.Release(v.p)
	defer func() { _ = v.c.Acquire(context.Background(), v.p) }()
	fn()
}

// TryClaim is a claim for an extra goroutine of a fan-out that must not
// wait: it takes a free slot of ctx's limiter (DefaultCompute if none)
// or reports false.
func TryClaim(ctx context.Context) (release func(), ok bool) {
	v, _ := computeOf(ctx)
	if !v.c.TryAcquire(v.p) {
		return noop, false
	}
	return func() { v.c.Release(v.p) }, true
}
