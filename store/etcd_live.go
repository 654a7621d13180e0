package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Live sessions across nodes (etcd only). A node claims each session it
// serves by writing <prefix>live/<id as 8 hex digits> = its name under
// its lease: the key says who holds the session, and it goes when the
// node stops answering etcd for the lease's TTL. A claim by another node
// overwrites the key; the holder watching its keys learns that it lost
// the session (Holder.Lost).

// ErrNoNodes means the store is a bbolt file: there is one node.
var ErrNoNodes = errors.New("store: live session claims need etcd")

func liveKey(prefix string, id uint32) string { return fmt.Sprintf("%slive/%08x", prefix, id) }

// Holder keeps one node's claims. Its goroutines (lease keep-alive and
// watch) end with Close.
type Holder struct {
	store  *Store
	cli    *clientv3.Client
	prefix string
	node   string
	ttl    time.Duration
	log    *slog.Logger
	lost   chan Loss // capacity lostBuffer; see Lost
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	lease clientv3.LeaseID
	// held maps the ids claimed and not released to the revision of
	// the claim (math.MaxInt64 while it is being made): older events
	// of a key say nothing about the claim.
	held map[uint32]int64 // guarded by mu
}

// lostBuffer bounds the lost notices waiting for the session manager;
// beyond it the watch waits.
const lostBuffer = 256

// NewHolder grants node a lease of ttl and starts keeping it alive and
// watching the claims.
func (s *Store) NewHolder(node string, ttl time.Duration, log *slog.Logger) (*Holder, error) {
	be, ok := s.be.(*etcdBackend)
	if !ok {
		return nil, ErrNoNodes
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Holder{store: s, cli: be.cli, prefix: be.cfg.Prefix, node: node, ttl: ttl, log: log, lost: make(chan Loss, lostBuffer),
		cancel: cancel, done: make(chan struct{}), held: map[uint32]int64{}}
	ka, err := h.grant(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	// The watch starts at the current revision, before any claim.
	w := h.cli.Watch(ctx, h.prefix+"live/", clientv3.WithPrefix())
	go h.run(ctx, ka, w)
	return h, nil
}

// grant takes a new lease and keeps it alive.
func (h *Holder) grant(ctx context.Context) (<-chan *clientv3.LeaseKeepAliveResponse, error) {
	gctx, cancel := context.WithTimeout(ctx, h.ttl)
	defer cancel()
	l, err := h.cli.Grant(gctx, int64(max(h.ttl/time.Second, 1)))
	if err != nil {
		return nil, fmt.Errorf("etcd lease: %w", err)
	}
	ka, err := h.cli.KeepAlive(ctx, l.ID)
	if err != nil {
		return nil, fmt.Errorf("etcd lease keep-alive: %w", err)
	}
	h.mu.Lock()
	h.lease = l.ID
	h.mu.Unlock()
	return ka, nil
}

func (h *Holder) run(ctx context.Context, ka <-chan *clientv3.LeaseKeepAliveResponse, w clientv3.WatchChan) {
	defer close(h.done)
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-ka:
			if ok {
				continue
			}
			// The lease expired (etcd unreachable for its TTL): its keys
			// are gone, so are the sessions (the watch reports them). A
			// new lease serves the next claims.
			ka = h.regrant(ctx)
		case resp, ok := <-w:
			if !ok {
				if ctx.Err() != nil {
					return
				}
				w = h.cli.Watch(ctx, h.prefix+"live/", clientv3.WithPrefix())
				continue
			}
			for _, ev := range resp.Events {
				h.event(ctx, ev)
			}
		}
	}
}

func (h *Holder) regrant(ctx context.Context) <-chan *clientv3.LeaseKeepAliveResponse {
	for ctx.Err() == nil {
		ka, err := h.grant(ctx)
		if err == nil {
			return ka
		}
		h.log.Warn("etcd lease lost; retrying", "err", err)
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
	}
	return nil
}

// event reports a held session whose key another node overwrote, or
// that went (lease expiry, purge).
func (h *Holder) event(ctx context.Context, ev *clientv3.Event) {
	id, ok := parseLiveKey(h.prefix, string(ev.Kv.Key))
	if !ok || (ev.Type == clientv3.EventTypePut && string(ev.Kv.Value) == h.node) {
		return
	}
	h.mu.Lock()
	rev, held := h.held[id]
	held = held && ev.Kv.ModRevision > rev
	if held {
		delete(h.held, id)
	}
	h.mu.Unlock()
	if !held {
		return
	}
	loss := Loss{ID: id, Purged: ev.Type == clientv3.EventTypePut && len(ev.Kv.Value) == 0}
	select {
	case h.lost <- loss:
	case <-ctx.Done():
	}
}

// Loss is a session a node no longer holds.
type Loss struct {
	ID uint32
	// Purged means an administrator purged the session (MarkPurged):
	// its node deletes the snapshot in its own writer, after which it
	// writes the session no more. Otherwise another node took the
	// session over, or the claim went with the lease.
	Purged bool
}

func parseLiveKey(prefix, key string) (uint32, bool) {
	hex, ok := strings.CutPrefix(key, prefix+"live/")
	var id uint32
	if !ok || len(hex) != 8 {
		return 0, false
	}
	if _, err := fmt.Sscanf(hex, "%08x", &id); err != nil {
		return 0, false
	}
	return id, true
}

// Claim makes this node the holder of session id, in one transaction
// that returns the previous holder ("" for none).
func (h *Holder) Claim(ctx context.Context, id uint32) (string, error) {
	key := liveKey(h.prefix, id)
	h.mu.Lock()
	lease := h.lease
	h.held[id] = math.MaxInt64 // before the put: the watch must not report it lost
	h.mu.Unlock()
	resp, err := h.cli.Txn(ctx).Then(clientv3.OpGet(key), clientv3.OpPut(key, h.node, clientv3.WithLease(lease))).Commit()
	if err != nil {
		h.mu.Lock()
		delete(h.held, id)
		h.mu.Unlock()
		return "", fmt.Errorf("claim session %d: %w", id, err)
	}
	h.mu.Lock()
	if h.held[id] == math.MaxInt64 {
		h.held[id] = resp.Header.Revision
	}
	h.mu.Unlock()
	prev := ""
	if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) == 1 {
		prev = string(kvs[0].Value)
	}
	return prev, nil
}

// Release gives up the claim on id, unless another node holds it now.
func (h *Holder) Release(ctx context.Context, id uint32) error {
	h.mu.Lock()
	delete(h.held, id)
	h.mu.Unlock()
	key := liveKey(h.prefix, id)
	_, err := h.cli.Txn(ctx).If(clientv3.Compare(clientv3.Value(key), "=", h.node)).Then(clientv3.OpDelete(key)).Commit()
	return err
}

// Lost delivers the sessions this node held and no longer does. The
// receiver must keep reading.
func (h *Holder) Lost() <-chan Loss { return h.lost }

// Holders returns which node holds each live session.
func (h *Holder) Holders() (map[uint32]string, error) { return h.store.LiveHolders() }

// Node is this holder's node name.
func (h *Holder) Node() string { return h.node }

// Close stops the goroutines and revokes the lease: the claims go at
// once, so other nodes see the sessions as not live.
func (h *Holder) Close() error {
	h.cancel()
	<-h.done
	h.mu.Lock()
	lease := h.lease
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), h.ttl)
	defer cancel()
	_, err := h.cli.Revoke(ctx, lease)
	return err
}

// LiveHolders returns which node holds each live session (etcd only).
func (s *Store) LiveHolders() (map[uint32]string, error) {
	be, ok := s.be.(*etcdBackend)
	if !ok {
		return nil, ErrNoNodes
	}
	ctx, cancel := context.WithTimeout(context.Background(), be.cfg.OpTimeout)
	defer cancel()
	resp, err := be.cli.Get(ctx, be.cfg.Prefix+"live/", clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("etcd live sessions: %w", err)
	}
	out := map[uint32]string{}
	for _, kv := range resp.Kvs {
		if id, ok := parseLiveKey(be.cfg.Prefix, string(kv.Key)); ok && len(kv.Value) > 0 { // empty: purged
			out[id] = string(kv.Value)
		}
	}
	return out, nil
}

// purgeMarkTTL is how long a purge mark stays: long enough for the
// holding node to see it, then it goes with its lease.
const purgeMarkTTL = 60 // seconds

// MarkPurged tells the nodes holding ids live that an administrator
// purged them: the claim is replaced by an empty value (under a lease of
// its own), and the holder ends the session and deletes its snapshot in
// its checkpoint writer, so that no later checkpoint brings it back.
func (s *Store) MarkPurged(ids ...uint32) error {
	be, ok := s.be.(*etcdBackend)
	if !ok || len(ids) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), be.cfg.OpTimeout)
	defer cancel()
	l, err := be.cli.Grant(ctx, purgeMarkTTL)
	if err != nil {
		return fmt.Errorf("etcd purge marks: %w", err)
	}
	for chunk := range slices.Chunk(ids, be.cfg.MaxTxnOps) {
		var ops []clientv3.Op
		for _, id := range chunk {
			ops = append(ops, clientv3.OpPut(liveKey(be.cfg.Prefix, id), "", clientv3.WithLease(l.ID)))
		}
		if _, err := be.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
			return fmt.Errorf("etcd purge marks: %w", err)
		}
	}
	return nil
}
