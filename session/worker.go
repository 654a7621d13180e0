package session

import (
	"context"
	"slices"
	"sync"

	"cartago/imaging/budget"
)

// jobKind decides how a new job treats queued and running ones.
type jobKind int

const (
	// jobChannel changes channel/Stokes: it cancels everything tied to the
	// old plane (tiles, cursor work) and drops queued tile jobs.
	jobChannel jobKind = iota
	// jobTiles sends one tile group; tile jobs queue behind each other,
	// since the frontend asks only for tiles it lacks.
	jobTiles
	// jobCursor answers the latest cursor; it replaces a queued cursor
	// job and cancels a running one.
	jobCursor
	// jobData sends data for a requirement change; it just queues.
	jobData
	// jobLatest replaces a queued job with the same key and cancels a
	// running one: only the newest request for that key matters. A
	// running job with the same key and a non-empty equal sig is the same
	// request in progress: it is not restarted, and the new one queues
	// behind it. (Dropping the new one instead would leave it unanswered
	// when the running job had sent its final message already.)
	jobLatest
	// jobRefresh answers a requirement with the current data. It
	// replaces a queued job with the same key (which would send the same)
	// and leaves a running one alone, so every request is answered and a
	// flood of them costs one queued job per key.
	jobRefresh
)

// maxQueuedJobs bounds a worker's queue. Work is coalesced (tiles into one
// set per encoding, one job per requirement key, one cursor job, one
// channel change), so only a flood of distinct keys (channel-map blocks,
// thousands of regions) reaches it; then the oldest queued job that is not
// a channel change is dropped and counted in worker.dropped.
const maxQueuedJobs = 1024

type job struct {
	kind  jobKind
	key   string // jobLatest, jobRefresh: what the job is about
	sig   string // jobLatest: the request's content, "" if not comparable
	run   func(ctx context.Context)
	tiles *tileSet      // jobTiles of ADD_REQUIRED_TILES: ids still wanted
	done  chan struct{} // if set, closed once the job ran or was dropped
	// startsBulk marks a job that only starts (or answers from the
	// result of) bulk work, such as a cube histogram: it does not count
	// as a user interacting, so the bulk work it starts may use every
	// core while nobody else interacts.
	startsBulk bool
}

func (j job) finish() {
	if j.done != nil {
		close(j.done)
	}
}

// worker runs one frame's jobs in order on one goroutine.
type worker struct {
	ctx    context.Context // ends when the frame closes
	cancel context.CancelFunc
	done   chan struct{}
	poke   chan struct{} // capacity 1: "the queue changed"

	onPanic func(ctx context.Context) // immutable; deferred around each job
	prio    budget.Priority           // immutable; compute priority of the jobs

	mu        sync.Mutex
	queue     []job              // guarded by mu; at most maxQueuedJobs
	running   jobKind            // guarded by mu; valid while runCancel != nil
	runKey    string             // guarded by mu; key of the running job
	runSig    string             // guarded by mu; sig of the running job
	runCancel context.CancelFunc // guarded by mu; cancels the running job
	dropped   int                // guarded by mu; jobs dropped by the bound
}

// startWorker starts a worker of interactive jobs; onPanic, if set, is
// deferred around each job and must recover.
func startWorker(onPanic func(ctx context.Context)) *worker {
	return startWorkerAt(budget.Interactive, onPanic)
}

// startWorkerAt is startWorker for jobs that compute at priority prio
// (see budget.Compute).
func startWorkerAt(prio budget.Priority, onPanic func(ctx context.Context)) *worker {
	ctx, cancel := context.WithCancel(context.Background())
	w := &worker{ctx: ctx, cancel: cancel, done: make(chan struct{}), poke: make(chan struct{}, 1), onPanic: onPanic, prio: prio}
	go w.loop()
	return w
}

// stop cancels running work and waits for the goroutine.
func (w *worker) stop() {
	w.cancel()
	<-w.done
}

// add queues j with the policy of its kind.
func (w *worker) add(j job) {
	w.mu.Lock()
	if !w.admit(j) {
		w.mu.Unlock()
		j.finish()
		return
	}
	w.queue = append(w.queue, j)
	w.trim()
	w.mu.Unlock()
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// admit applies j's policy to the queued and running jobs and reports
// whether j still needs to be queued. Caller holds mu.
func (w *worker) admit(j job) bool {
	switch j.kind {
	case jobChannel:
		w.queue = dropKinds(w.queue, jobTiles, jobChannel, jobCursor)
		w.cancelRunning(jobTiles, jobChannel, jobCursor)
	case jobTiles:
		return j.tiles == nil || !w.mergeTiles(j.tiles)
	case jobCursor:
		w.queue = dropKinds(w.queue, jobCursor)
		w.cancelRunning(jobCursor)
	case jobLatest:
		w.dropKey(jobLatest, j.key)
		if w.runCancel != nil && w.running == jobLatest && w.runKey == j.key {
			if j.sig == "" || j.sig != w.runSig {
				w.runCancel()
			}
		}
	case jobRefresh:
		w.dropKey(jobRefresh, j.key)
	}
	return true
}

// mergeTiles adds the tiles of a new request to a queued request of the
// same encoding, if there is one. Caller holds mu.
func (w *worker) mergeTiles(set *tileSet) bool {
	for i := len(w.queue) - 1; i >= 0; i-- {
		if q := w.queue[i].tiles; q != nil && q.compression == set.compression && q.quality == set.quality {
			q.add(set.ids)
			return true
		}
	}
	return false
}

// dropKey drops queued jobs of kind with key. Caller holds mu.
func (w *worker) dropKey(kind jobKind, key string) {
	w.queue = slices.DeleteFunc(w.queue, func(q job) bool {
		stale := q.kind == kind && q.key == key
		if stale {
			q.finish()
		}
		return stale
	})
}

// trim enforces maxQueuedJobs, dropping the oldest jobs that are not
// channel changes. Caller holds mu.
func (w *worker) trim() {
	for len(w.queue) > maxQueuedJobs {
		i := max(0, slices.IndexFunc(w.queue, func(q job) bool { return q.kind != jobChannel }))
		w.queue[i].finish()
		w.queue = slices.Delete(w.queue, i, i+1)
		w.dropped++
	}
}

// droppedJobs reports how many jobs the queue bound dropped so far.
func (w *worker) droppedJobs() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// addWait queues j and returns a channel closed when it has run or was
// dropped.
func (w *worker) addWait(j job) <-chan struct{} {
	j.done = make(chan struct{})
	w.add(j)
	return j.done
}

// removeTiles drops ids from tile jobs that have not started; a running
// group already announced its tile count and is left alone.
func (w *worker) removeTiles(ids []int32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, j := range w.queue {
		if j.tiles != nil {
			j.tiles.remove(ids)
		}
	}
}

// cancelRunning cancels the running job if it is of one of kinds.
// Caller holds mu.
func (w *worker) cancelRunning(kinds ...jobKind) {
	if w.runCancel == nil {
		return
	}
	for _, k := range kinds {
		if w.running == k {
			w.runCancel()
			return
		}
	}
}

func dropKinds(q []job, kinds ...jobKind) []job {
	out := q[:0]
	for _, j := range q {
		if slices.Contains(kinds, j.kind) {
			j.finish()
			continue
		}
		out = append(out, j)
	}
	return out
}

func (w *worker) loop() {
	defer close(w.done)
	defer func() { // jobs left when the frame closed will never run
		w.mu.Lock()
		for _, j := range w.queue {
			j.finish()
		}
		w.queue = nil
		w.mu.Unlock()
	}()
	for {
		j, ctx, ok := w.next()
		if !ok {
			return
		}
		w.runJob(ctx, j)
		j.finish()
		w.mu.Lock()
		w.runCancel()
		w.runCancel = nil
		w.mu.Unlock()
	}
}

// runJob runs j at the worker's priority, turning a panic (also one
// raised again from a fan-out goroutine) into onPanic's report.
func (w *worker) runJob(ctx context.Context, j job) {
	if w.onPanic != nil {
		defer w.onPanic(ctx)
	}
	ctx = budget.WithPriority(ctx, w.prio)
	if !j.startsBulk {
		budget.NoteInteractive(ctx) // keeps a core from bulk work while a user works
	}
	j.run(ctx)
}

// next waits for a job and marks it running.
func (w *worker) next() (job, context.Context, bool) {
	for {
		if w.ctx.Err() != nil {
			return job{}, nil, false
		}
		w.mu.Lock()
		if len(w.queue) > 0 {
			j := w.queue[0]
			w.queue = w.queue[1:]
			ctx, cancel := context.WithCancel(w.ctx)
			w.running, w.runKey, w.runSig, w.runCancel = j.kind, j.key, j.sig, cancel
			w.mu.Unlock()
			return j, ctx, true
		}
		w.mu.Unlock()
		select {
		case <-w.poke:
		case <-w.ctx.Done():
			return job{}, nil, false
		}
	}
}
