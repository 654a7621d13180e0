package session

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"cartago/imaging/budget"
	"cartago/imaging/cache"
	"cartago/store"
)

// Config holds the process-wide settings handed to every session.
type Config struct {
	// IdleTimeout is how long a session whose socket dropped keeps its
	// images open, waiting for the same frontend to reconnect; after it
	// the memory is released and only the stored snapshot remains.
	// Default 15 s.
	IdleTimeout time.Duration
	// Store keeps session snapshots across restarts; nil keeps nothing.
	Store *store.Store
	// CheckpointInterval bounds how long a change waits before it is
	// committed to Store: a change is durable within one interval.
	// Default 50 ms.
	CheckpointInterval time.Duration
	// SessionTTL is how long a stored session that nobody uses is kept.
	// Default 7 days.
	SessionTTL time.Duration
	// RawTiles sends tiles uncompressed even when ZFP is asked for
	// (debugging, or comparing renderings).
	RawTiles bool
	// FeatureFlags is sent as server_feature_flags in REGISTER_VIEWER_ACK.
	FeatureFlags uint32
	// Platform is sent as platform_strings; see PlatformStrings.
	Platform map[string]string
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger
	// Folder confines file access; nil means the current directory.
	Folder *Folder
	// Memory is the server-wide budget that image planes, derived
	// planes and region masks are charged to; nil is unlimited.
	Memory *budget.Memory
	// CacheSize bounds the image data (decoded planes, histograms) kept
	// for reuse while no open image uses it; data in use is shared by
	// every session and counts too. 0 keeps nothing unused.
	CacheSize int64
	// Metrics counts resumes, tile and histogram latency and
	// checkpoints; nil counts nothing.
	Metrics Metrics
	// Claims shares live sessions with the other nodes of an etcd
	// store; nil on a single node.
	Claims Claims
}

// ErrNotOwner means a session id belongs to another access token.
var ErrNotOwner = errors.New("session belongs to another access token")

// Manager owns the live sessions of one server process.
// It is safe for concurrent use.
type Manager struct {
	cfg    Config
	log    *slog.Logger
	folder *Folder
	ckpt   *checkpointer // nil without a store
	stopBG context.CancelFunc
	reaper chan struct{} // closed when the reaper stopped; nil without a store
	lostBG chan struct{} // closed when watchLost stopped; nil without Claims
	ret    *osReturn     // returns the memory of closed images to the OS
	cache  *cache.Cache  // image data of every session, bounded by Config.CacheSize

	mu       sync.Mutex
	sessions map[uint32]*Session // guarded by mu
	closed   bool                // guarded by mu
}

// NewManager returns an empty manager; with a store it starts the
// checkpoint writer, which Close stops.
func NewManager(cfg Config) *Manager {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 15 * time.Second
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = 50 * time.Millisecond
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 7 * 24 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Metrics = metricsOrNone(cfg.Metrics)
	if cfg.Folder == nil {
		cfg.Folder, _ = NewFolder(".", "") // the working directory exists
	}
	m := &Manager{cfg: cfg, log: cfg.Logger, folder: cfg.Folder, sessions: make(map[uint32]*Session), ret: &osReturn{}}
	m.cache = cache.New(cache.Options{Size: cfg.CacheSize, Memory: cfg.Memory, Freed: func(n int64) {
		if n >= bigFree {
			m.ret.schedule()
		}
	}})
	if cfg.Store != nil {
		m.ckpt = startCheckpointer(cfg.Store, cfg.CheckpointInterval, cfg.Logger, cfg.Metrics)
		var ctx context.Context
		ctx, m.stopBG = context.WithCancel(context.Background())
		m.reaper = m.startReaper(ctx, cfg.SessionTTL)
		if cfg.Claims != nil {
			m.lostBG = make(chan struct{})
			go m.watchLost(ctx, m.lostBG)
		}
	}
	return m
}

// NewClient returns the handler for one new connection; owner is the
// hash of its access token (nil without access control).
func (m *Manager) NewClient(out Sender, remote string, owner []byte) *Client {
	return &Client{mgr: m, out: out, owner: owner, log: m.log.With("remote", remote)}
}

// CacheStats reports the counters of the server-wide image cache.
func (m *Manager) CacheStats() cache.Stats { return m.cache.Stats() }

// Len reports the number of sessions held in memory.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sessions)
}

// Close commits pending checkpoints, then detaches and forgets every
// session; clients still connected are closed with reason. Later
// registrations fail.
func (m *Manager) Close(reason string) {
	m.mu.Lock()
	sessions := m.sessions
	m.sessions = make(map[uint32]*Session)
	m.closed = true
	m.mu.Unlock()
	if m.ckpt != nil {
		m.stopBG()
		<-m.reaper
		if m.lostBG != nil {
			<-m.lostBG
		}
		m.ckpt.stop() // before images close, so snapshots still list them
	}
	for _, s := range sessions {
		endSession(s, reason)
	}
	m.ret.stop()
}

// attachKind says where the session a client registered for came from.
type attachKind int

const (
	attachNew     attachKind = iota // id 0: a fresh session
	attachLive                      // the session was in memory
	attachStored                    // rebuilt from its snapshot
	attachUnknown                   // an id nobody knows: started empty
)

// attach binds c to the session with id (0 = a new one). A client
// already attached elsewhere is closed: the newest socket wins.
func (m *Manager) attach(c *Client, id uint32) (*Session, attachKind, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, 0, fmt.Errorf("server is shutting down")
	}
	s, kind, err := m.find(c, id)
	if err != nil {
		return nil, 0, err
	}
	m.sessions[s.ID] = s
	if old := s.swapClient(c); old != nil && old != c {
		old.out.Close(takeoverReason(s.ID))
	}
	s.stopTimer()
	return s, kind, nil
}

// find returns the session for id, creating or restoring it. Caller
// holds mu.
func (m *Manager) find(c *Client, id uint32) (*Session, attachKind, error) {
	if id == 0 {
		id, err := m.freshID()
		if err != nil {
			return nil, 0, err
		}
		if err := m.claim(id); err != nil {
			return nil, 0, err
		}
		return newSession(id, c.owner, m), attachNew, nil
	}
	if s, ok := m.sessions[id]; ok {
		if !bytes.Equal(s.owner, c.owner) {
			return nil, 0, ErrNotOwner
		}
		return s, attachLive, nil
	}
	if m.cfg.Claims != nil && m.cfg.Store != nil {
		// Another owner's id is refused before claiming it, which
		// would close that owner's socket on its node.
		if snap, err := m.cfg.Store.Get(id); err == nil && !bytes.Equal(snap.Owner, c.owner) {
			return nil, 0, ErrNotOwner
		}
	}
	// Claimed before the snapshot is read: its former node may have
	// written it a moment ago, and writes it no more once it sees the
	// claim.
	if err := m.claim(id); err != nil {
		return nil, 0, err
	}
	s, kind, err := m.findStored(c, id)
	if err != nil {
		m.release(id)
	}
	return s, kind, err
}

// findStored restores session id from the store, or starts it empty.
// Caller holds mu.
func (m *Manager) findStored(c *Client, id uint32) (*Session, attachKind, error) {
	if m.cfg.Store != nil {
		snap, err := m.cfg.Store.Get(id)
		switch {
		case err == nil && !bytes.Equal(snap.Owner, c.owner):
			return nil, 0, ErrNotOwner
		case err == nil:
			return restoreSession(snap, m), attachStored, nil
		case !errors.Is(err, store.ErrNotFound):
			m.log.Error("reading stored session", "session", id, "err", err)
			return nil, 0, fmt.Errorf("session %d could not be read from the database", id)
		}
	}
	return newSession(id, c.owner, m), attachUnknown, nil
}

// detach unbinds c from its session and starts the idle timer that
// releases the session's memory unless the frontend comes back.
func (m *Manager) detach(c *Client, s *Session) {
	m.mu.Lock()
	if !s.releaseClient(c) {
		m.mu.Unlock()
		return
	}
	s.startTimer(m.cfg.IdleTimeout, func() { m.expire(s) })
	m.mu.Unlock()
	s.dropPlanes()
}

// expire releases s if it is still detached; its snapshot stays stored.
func (m *Manager) expire(s *Session) {
	m.mu.Lock()
	gone := s.attached() == nil && m.sessions[s.ID] == s
	if gone {
		delete(m.sessions, s.ID)
	}
	m.mu.Unlock()
	if gone { // closing waits for image work, so not under mu
		m.release(s.ID)
		s.release()
		m.ret.schedule() // its masks and buffers too, with the other expiries of a burst
		m.log.Info("session released after idle timeout", "session", s.ID)
	}
}

// Purge deletes stored sessions and ends the live ones among them. It is
// one request to the checkpoint writer: pick runs inside its write
// transaction, told which ids are live sessions, and returns the ids to
// purge; their snapshots are deleted in the same commit as the pending
// checkpoints, and no later checkpoint writes a purged session again.
// Registrations wait until the purge is committed, so a purged id is not
// restored from its snapshot meanwhile. The live sessions purged are then
// closed with reason; Purge returns their ids in pick's order. pick must
// be quick and must not call the Manager.
func (m *Manager) Purge(ctx context.Context, reason string, pick func(tx *store.Tx, live func(id uint32) bool) ([]uint32, error)) ([]uint32, error) {
	if m.ckpt == nil {
		return nil, errors.New("purge: no session database")
	}
	ending, err := m.deletePicked(ctx, pick)
	if err != nil {
		return nil, fmt.Errorf("purge: %w", err)
	}
	ended := make([]uint32, 0, len(ending))
	for _, s := range ending { // closing waits for image work, so not under mu
		endSession(s, reason)
		ended = append(ended, s.ID)
	}
	if len(ended) > 0 {
		m.ret.schedule() // give the purged sessions' memory back
	}
	return ended, nil
}

// deletePicked runs Purge's request to the writer holding mu, and
// forgets the live sessions it purged once that is committed.
func (m *Manager) deletePicked(ctx context.Context, pick func(tx *store.Tx, live func(id uint32) bool) ([]uint32, error)) ([]*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("server is shutting down")
	}
	live := maps.Clone(m.sessions) // the writer's copy; mu is held, so it stays true
	var ending []*Session
	err := m.ckpt.do(ctx, func(tx *store.Tx) ([]*Session, error) {
		ids, err := pick(tx, func(id uint32) bool { return live[id] != nil })
		if err != nil {
			return nil, err
		}
		if _, err := tx.Delete(ids...); err != nil {
			return nil, err
		}
		ending = liveAmong(live, ids)
		return ending, nil
	})
	if err != nil {
		return nil, err
	}
	for _, s := range ending {
		delete(m.sessions, s.ID)
	}
	return ending, nil
}

// endSession closes the socket of s, if attached, with reason and
// releases its images. s is no longer in the manager.
func endSession(s *Session, reason string) {
	s.stopTimer()
	if c := s.attached(); c != nil {
		c.out.Close(reason)
	}
	s.release()
}

// liveAmong returns the sessions of live among ids, each once, in the
// order of ids.
func liveAmong(live map[uint32]*Session, ids []uint32) []*Session {
	var out []*Session
	seen := make(map[uint32]bool, len(ids))
	for _, id := range ids {
		if s := live[id]; s != nil && !seen[id] {
			seen[id] = true
			out = append(out, s)
		}
	}
	return out
}

// Live reports the ids of the sessions in memory.
func (m *Manager) Live() []uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]uint32, 0, len(m.sessions))
	for id := range m.sessions {
		ids = append(ids, id)
	}
	return ids
}

// freshID draws random non-zero ids until one is used neither in memory
// nor in the store. Random rather than sequential so a restarted server
// does not hand out ids that reconnecting frontends still hold. Caller
// holds mu.
func (m *Manager) freshID() (uint32, error) {
	var b [4]byte
	for range 64 {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("session id: %w", err)
		}
		id := binary.LittleEndian.Uint32(b[:])
		if _, used := m.sessions[id]; id == 0 || used {
			continue
		}
		if m.cfg.Store != nil {
			if stored, err := m.cfg.Store.Has(id); err != nil || stored {
				continue
			}
		}
		return id, nil
	}
	return 0, fmt.Errorf("session id: no free id after 64 draws")
}
