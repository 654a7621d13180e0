package session

import (
	"context"
	"slices"
	"time"
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
		t := time.NewTicker(reapEvery)
		defer t.Stop()
		for {
			m.reap(ttl)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return done
}

func (m *Manager) reap(ttl time.Duration) {
	gone, err := m.cfg.Store.DeleteInactiveSince(time.Now().Add(-ttl), nil)
	if err != nil {
		m.log.Error("expiring stored sessions", "err", err)
		return
	}
	live := m.Live()
	var restore []uint32
	for _, id := range gone {
		if slices.Contains(live, id) {
			restore = append(restore, id)
		}
	}
	// A live session idle in the store is still in use: write it back.
	m.mu.Lock()
	for _, id := range restore {
		if s := m.sessions[id]; s != nil {
			s.markDirty()
		}
	}
	m.mu.Unlock()
	if n := len(gone) - len(restore); n > 0 {
		m.log.Info("expired stored sessions", "count", n, "ttl", ttl)
	}
}
