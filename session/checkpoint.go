package session

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"cartago/store"
)

// checkpointer writes the snapshots of changed sessions. Handlers only
// mark a session dirty (a map insert); one goroutine builds the
// snapshots and commits them all in one transaction at most every
// interval, so a change is durable within one interval (plus the commit's
// own fsync) of being made and the request path never waits for the disk.
type checkpointer struct {
	// Immutable after startCheckpointer.
	store  *store.Store
	every  time.Duration
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
	poke   chan struct{} // capacity 1: "something is dirty"

	mu    sync.Mutex
	dirty map[*Session]struct{} // guarded by mu
}

func startCheckpointer(st *store.Store, every time.Duration, log *slog.Logger) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{store: st, every: every, log: log, cancel: cancel, done: make(chan struct{}),
		poke: make(chan struct{}, 1), dirty: make(map[*Session]struct{})}
	go c.run(ctx)
	return c
}

// mark queues s for the next commit. Safe for concurrent use; cheap.
func (c *checkpointer) mark(s *Session) {
	c.mu.Lock()
	c.dirty[s] = struct{}{}
	c.mu.Unlock()
	select {
	case c.poke <- struct{}{}:
	default:
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
	timer := time.NewTimer(c.every)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			c.flush()
			return
		case <-c.poke:
		}
		// Gather changes for one interval, then commit them together.
		timer.Reset(c.every)
		select {
		case <-ctx.Done():
			c.flush()
			return
		case <-timer.C:
		}
		c.flush()
	}
}

// flush commits every dirty session. On failure the sessions stay dirty
// and are retried with the next change or at shutdown.
func (c *checkpointer) flush() {
	c.mu.Lock()
	batch := c.dirty
	c.dirty = make(map[*Session]struct{})
	c.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	snaps := make([]*store.Snapshot, 0, len(batch))
	for s := range batch {
		snaps = append(snaps, s.snapshot())
	}
	start := time.Now()
	if err := c.store.Put(snaps...); err != nil {
		c.log.Error("checkpoint failed; will retry", "sessions", len(snaps), "err", err)
		c.mu.Lock()
		for s := range batch {
			c.dirty[s] = struct{}{}
		}
		c.mu.Unlock()
		return
	}
	c.log.Debug("checkpoint", "sessions", len(snaps), "ms", float64(time.Since(start).Microseconds())/1000)
}
