package session

import (
	"context"
	"fmt"
	"time"

	"cartago/store"
)

// Claims records which node serves each live session when several nodes
// share one store (etcd; store.Holder implements it). Nil on a single
// node.
type Claims interface {
	// Claim makes this node the holder of id, taking it from another
	// node; it returns the previous holder.
	Claim(ctx context.Context, id uint32) (prev string, err error)
	// Release gives up the claim unless another node holds it now.
	Release(ctx context.Context, id uint32) error
	// Lost delivers the sessions another node took over, whose claim
	// went, or that were purged; the manager reads it until Close.
	Lost() <-chan store.Loss
	Node() string
	// Holders returns the node holding each live session.
	Holders() (map[uint32]string, error)
}

// liveElsewhere returns the sessions live on any node (nil on a single
// node), which expiry keeps like this node's own.
func (m *Manager) liveElsewhere() (map[uint32]bool, error) {
	if m.cfg.Claims == nil {
		return nil, nil
	}
	holders, err := m.cfg.Claims.Holders()
	out := make(map[uint32]bool, len(holders))
	for id := range holders {
		out[id] = true
	}
	return out, err
}

// claimTimeout bounds one claim or release; a registration that cannot
// claim its session fails rather than serve it from two nodes.
const claimTimeout = 5 * time.Second

// takeoverReason is what the socket of a session taken over by another
// connection, on this node or another, is closed with.
func takeoverReason(id uint32) string {
	return fmt.Sprintf("session %d taken over by another connection", id)
}

// claim takes id for this node before it is restored or started, so
// that the snapshot read afterwards is the last one its former node
// wrote before it learnt of the takeover. Caller holds mu.
func (m *Manager) claim(id uint32) error {
	if m.cfg.Claims == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), claimTimeout)
	defer cancel()
	prev, err := m.cfg.Claims.Claim(ctx, id)
	if err != nil {
		m.log.Error("claiming session", "session", id, "err", err)
		return fmt.Errorf("session %d could not be claimed in the store", id)
	}
	if prev != "" && prev != m.cfg.Claims.Node() {
		m.log.Info("session taken over from another node", "session", id, "node", prev)
	}
	return nil
}

// release gives up the claim on a session no longer in memory.
func (m *Manager) release(id uint32) {
	if m.cfg.Claims == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), claimTimeout)
	defer cancel()
	if err := m.cfg.Claims.Release(ctx, id); err != nil {
		m.log.Warn("releasing session claim", "session", id, "err", err)
	}
}

// watchLost ends the sessions another node took over: the socket closes
// with the same reason as a takeover on this node, and the session is
// never written again by this node (its new node writes it now).
func (m *Manager) watchLost(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-ctx.Done():
			return
		case l := <-m.cfg.Claims.Lost():
			m.lose(ctx, l)
		}
	}
}

func (m *Manager) lose(ctx context.Context, l store.Loss) {
	m.mu.Lock()
	s := m.sessions[l.ID]
	if s != nil {
		delete(m.sessions, l.ID)
	}
	m.mu.Unlock()
	if s == nil {
		return
	}
	if m.ckpt != nil {
		// Through the writer, which owns the purged flag: no commit
		// after this one writes s. A purged session's snapshot goes in
		// the same commit (the purge deleted it, but a checkpoint may
		// have written it again since).
		err := m.ckpt.do(ctx, func(tx *store.Tx) ([]*Session, error) {
			if l.Purged {
				if _, err := tx.Delete(l.ID); err != nil {
					return nil, err
				}
			}
			return []*Session{s}, nil
		})
		if err != nil {
			m.log.Error("forgetting a session this node lost", "session", l.ID, "purged", l.Purged, "err", err)
			s.purged.Store(true) // nothing must write it any more
		}
	}
	reason := takeoverReason(l.ID)
	if l.Purged {
		reason = "session purged by the administrator" // as cmd/cartago says it
	}
	m.log.Info("session ended: "+reason, "session", l.ID)
	endSession(s, reason)
	m.ret.schedule()
}
