package session

import (
	"context"
	"maps"
	"time"

	"cartago/store"
)

// reapEvery is how often stored sessions are checked against the TTL.
const reapEvery = time.Hour

// startReaper deletes stored sessions inactive for longer than ttl, at
// start and then every reapEvery, until ctx ends. Live sessions are kept
// whatever their stored age.
func (m *Manager) startReaper(ctx context.Context, ttl time.Duration) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer logRecovered(m.log, "session reaper")
		t := time.NewTicker(reapEvery)
		defer t.Stop()
		for {
			m.reap(ctx, ttl)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return done
}

// reap asks the checkpoint writer to delete the stored sessions inactive
// since now-ttl that are not live. A live session may have an old
// snapshot (nothing it changed since is stored), so it is left out of
// the deletion rather than deleted and written back, which a crash in
// between would lose. Registrations wait until the deletion is committed,
// so no session is restored from a snapshot being deleted.
func (m *Manager) reap(ctx context.Context, ttl time.Duration) {
	before := time.Now().Add(-ttl)
	var gone []uint32
	elsewhere, err := m.liveElsewhere()
	if err != nil {
		m.log.Warn("expiry skipped: the sessions live on other nodes are unknown", "err", err)
		return
	}
	m.mu.Lock()
	if m.closed { // Close took the sessions away: none looks live now
		m.mu.Unlock()
		return
	}
	live := maps.Clone(m.sessions) // the writer's copy; mu is held, so it stays true
	err = m.ckpt.do(ctx, func(tx *store.Tx) ([]*Session, error) {
		var err error
		gone, err = tx.DeleteInactiveSince(before, func(id uint32) bool { return live[id] != nil || elsewhere[id] })
		return nil, err
	})
	m.mu.Unlock()
	switch {
	case err != nil && ctx.Err() == nil:
		m.log.Error("expiring stored sessions", "err", err)
	case len(gone) > 0:
		m.log.Info("expired stored sessions", "count", len(gone), "ttl", ttl)
	}
}
