package session

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"cartago/store"
)

const (
	// retryMin and retryMax bound the delay before a failed commit is
	// tried again: it doubles from retryMin with every failure in a row.
	retryMin = 50 * time.Millisecond
	retryMax = 5 * time.Second
	// failureLogEvery is how often a run of failed commits is logged at
	// error level, after its first failure.
	failureLogEvery = 30 * time.Second
)

// errWriterStopped answers requests made after the writer stopped.
var errWriterStopped = errors.New("session store writer stopped")

// checkpointer is the only writer of the store while a server runs.
// Handlers only mark a session dirty (a map insert); one goroutine builds
// the snapshots and commits them all in one transaction at most every
// interval, so a change is durable within one interval (plus the commit's
// own fsync) of being made and the request path never waits for the disk.
// Purges and expiry are requests to the same goroutine, committed in one
// transaction with the pending snapshots, so nothing a checkpoint writes
// can bring back what they delete. A failed commit keeps the sessions
// dirty and is retried with backoff.
type checkpointer struct {
	// Immutable after startCheckpointer.
	store  *store.Store
	every  time.Duration
	log    *slog.Logger
	met    Metrics
	cancel context.CancelFunc
	done   chan struct{}  // closed when run returned
	poke   chan struct{}  // capacity 1: "something is dirty"
	reqs   chan *writeReq // unbuffered: taken only when the writer runs it

	// Owned by run.
	fails failureLog

	mu    sync.Mutex
	dirty map[*Session]struct{} // guarded by mu; at most the sessions in memory and those just released
}

// writeReq asks the writer to run apply in its next transaction.
type writeReq struct {
	ctx context.Context
	// apply runs inside the write transaction, after the pending
	// snapshots are put. It returns the sessions it deleted for good:
	// once committed they are never written again.
	apply func(tx *store.Tx) (purged []*Session, err error)
	done  chan error // capacity 1: the outcome
}

func startCheckpointer(st *store.Store, every time.Duration, log *slog.Logger, met Metrics) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{store: st, every: every, log: log, met: met, cancel: cancel, done: make(chan struct{}),
		poke: make(chan struct{}, 1), reqs: make(chan *writeReq), dirty: make(map[*Session]struct{}),
		fails: failureLog{log: log, every: failureLogEvery, now: time.Now}}
	go c.run(ctx)
	return c
}

// mark queues s for the next commit. Safe for concurrent use; cheap.
// A purged session is not written again.
func (c *checkpointer) mark(s *Session) {
	if s.purged.Load() {
		return
	}
	c.mu.Lock()
	c.dirty[s] = struct{}{}
	c.mu.Unlock()
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// do runs apply in the writer's next transaction, together with the
// pending snapshots, and returns the outcome. It waits until ctx ends for
// the writer to take the request; once taken, the request is answered
// within one commit whatever ctx does, so the caller knows what happened.
func (c *checkpointer) do(ctx context.Context, apply func(tx *store.Tx) ([]*Session, error)) error {
	r := &writeReq{ctx: ctx, apply: apply, done: make(chan error, 1)}
	select {
	case c.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return errWriterStopped
	}
	select {
	case err := <-r.done:
		return err
	case <-c.done: // the writer died of a panic
		return errWriterStopped
	}
}

// stop commits what is dirty and ends the goroutine.
func (c *checkpointer) stop() {
	c.cancel()
	<-c.done
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	defer logRecovered(c.log, "checkpoint writer")
	timer := time.NewTimer(retryMax)
	timer.Stop()
	armed := false            // timer runs: for the interval, or a retry
	var backoff time.Duration // delay of the next retry; 0 after a success
	for {
		var r *writeReq
		select {
		case <-ctx.Done():
			if n, err := c.commit(nil); err != nil {
				c.log.Error("last checkpoint failed; recent changes are lost", "sessions", n, "err", err)
			}
			return
		case <-c.poke:
			// Gather changes for one interval, then commit them together;
			// a retry already due is not brought forward.
			if !armed {
				timer.Reset(c.every)
				armed = true
			}
			continue
		case <-timer.C:
			armed = false
		case r = <-c.reqs:
			if err := r.ctx.Err(); err != nil {
				r.done <- err
				continue
			}
		}
		n, err := c.commit(r)
		if r != nil {
			r.done <- err
		}
		switch {
		case err == nil && n == 0 && r == nil: // nothing was dirty: no news
			continue
		case err == nil:
			backoff = 0
			c.fails.succeeded()
			continue
		}
		backoff = min(max(2*backoff, retryMin), retryMax)
		c.fails.failed(err, n, backoff)
		timer.Reset(backoff)
		armed = true
	}
}

// commit puts every dirty session and runs r (if any) in one
// transaction. On failure the sessions stay dirty. It returns how many
// snapshots it tried to write.
func (c *checkpointer) commit(r *writeReq) (int, error) {
	batch := c.take()
	if len(batch) == 0 && r == nil {
		return 0, nil
	}
	snaps := make([]*store.Snapshot, 0, len(batch))
	for s := range batch {
		snaps = append(snaps, s.snapshot())
	}
	var purged []*Session
	var refused []store.Refusal
	start := time.Now()
	err := c.store.Update(func(tx *store.Tx) error {
		if err := tx.Put(snaps...); err != nil {
			return err
		}
		refused = tx.Refused()
		if r == nil {
			return nil
		}
		var err error
		purged, err = r.apply(tx)
		return err
	})
	c.met.Checkpoint(time.Since(start), err)
	if err != nil {
		c.requeue(batch)
		return len(snaps), err
	}
	c.forget(purged)
	c.refused(refused)
	c.log.Debug("checkpoint", "sessions", len(snaps), "request", r != nil,
		"ms", float64(time.Since(start).Microseconds())/1000)
	return len(snaps), nil
}

// refused logs and counts the snapshots the store could not hold. They
// are not retried: the session keeps its earlier snapshot until it
// changes again (and is smaller).
func (c *checkpointer) refused(refused []store.Refusal) {
	if len(refused) == 0 {
		return
	}
	c.met.CheckpointRefused(len(refused))
	for _, r := range refused {
		c.log.Error("session snapshot refused by the store; its earlier snapshot stays, recent changes are not durable",
			"session", r.ID, "bytes", r.Bytes, "err", r.Err)
	}
}

// take empties the dirty set and returns what was in it, purged
// sessions left out.
func (c *checkpointer) take() map[*Session]struct{} {
	c.mu.Lock()
	batch := c.dirty
	c.dirty = make(map[*Session]struct{})
	c.mu.Unlock()
	for s := range batch {
		// A mark may have raced with the purge; the flag is set by
		// this goroutine, so the check here is exact.
		if s.purged.Load() {
			delete(batch, s)
		}
	}
	return batch
}

// requeue marks batch dirty again after a failed commit.
func (c *checkpointer) requeue(batch map[*Session]struct{}) {
	c.mu.Lock()
	for s := range batch {
		c.dirty[s] = struct{}{}
	}
	c.mu.Unlock()
}

// forget flags sessions whose snapshots a committed request deleted, so
// that no later mark or commit writes them again.
func (c *checkpointer) forget(purged []*Session) {
	for _, s := range purged {
		s.purged.Store(true)
	}
	c.mu.Lock()
	for _, s := range purged {
		delete(c.dirty, s)
	}
	c.mu.Unlock()
}

// failureLog reports a run of failed commits at a limited rate: every
// failure at debug level, the first one at error level at once, then at
// most one error line per every with the number of failures since the
// previous line, and one line when a commit succeeds again.
type failureLog struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	failing  int       // failures in a row; 0 while commits succeed
	unlogged int       // failures since the last error line
	last     time.Time // when the last error line was written
}

func (f *failureLog) failed(err error, sessions int, retry time.Duration) {
	f.failing++
	f.unlogged++
	f.log.Debug("checkpoint failed", "sessions", sessions, "retry_in", retry, "err", err)
	now := f.now()
	if f.failing > 1 && now.Sub(f.last) < f.every {
		return
	}
	f.log.Error("checkpoints failing; changes stay in memory and are retried", "failures", f.unlogged,
		"sessions", sessions, "retry_in", retry, "err", err)
	f.last = now
	f.unlogged = 0
}

func (f *failureLog) succeeded() {
	if f.failing == 0 {
		return
	}
	f.log.Info("checkpoints succeed again", "failures", f.failing)
	f.failing, f.unlogged = 0, 0
}
