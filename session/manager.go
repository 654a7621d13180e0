package session

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Config holds the process-wide settings handed to every session.
type Config struct {
	// IdleTimeout is how long a session whose socket dropped stays in
	// memory, waiting for the same frontend to reconnect. Default 15 s.
	IdleTimeout time.Duration
	// FeatureFlags is sent as server_feature_flags in REGISTER_VIEWER_ACK.
	FeatureFlags uint32
	// Platform is sent as platform_strings; see PlatformStrings.
	Platform map[string]string
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger
	// Folder confines file access; nil means the current directory.
	Folder *Folder
}

// Manager owns the live sessions of one server process.
// It is safe for concurrent use.
type Manager struct {
	cfg    Config
	log    *slog.Logger
	folder *Folder

	mu       sync.Mutex
	sessions map[uint32]*Session // guarded by mu
	closed   bool                // guarded by mu
}

// NewManager returns an empty manager.
func NewManager(cfg Config) *Manager {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 15 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Folder == nil {
		cfg.Folder, _ = NewFolder(".", "") // the working directory exists
	}
	return &Manager{cfg: cfg, log: cfg.Logger, folder: cfg.Folder, sessions: make(map[uint32]*Session)}
}

// NewClient returns the handler for one new connection.
func (m *Manager) NewClient(out Sender, remote string) *Client {
	return &Client{mgr: m, out: out, log: m.log.With("remote", remote)}
}

// Len reports the number of sessions held in memory.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sessions)
}

// Close detaches and forgets every session; clients still connected are
// closed with reason. Later registrations fail.
func (m *Manager) Close(reason string) {
	m.mu.Lock()
	sessions := m.sessions
	m.sessions = make(map[uint32]*Session)
	m.closed = true
	m.mu.Unlock()
	for _, s := range sessions {
		s.stopTimer()
		if c := s.attached(); c != nil {
			c.out.Close(reason)
		}
		s.closeFrame(-1)
	}
}

// attach binds c to the session with id (0 = a new one) and reports
// whether the id was already known to this process. A client already
// attached elsewhere is closed: the newest socket wins.
func (m *Manager) attach(c *Client, id uint32) (s *Session, known bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, false, fmt.Errorf("server is shutting down")
	}
	if id == 0 {
		if id, err = m.freshID(); err != nil {
			return nil, false, err
		}
	}
	s, known = m.sessions[id]
	if !known {
		s = newSession(id, m.log)
		m.sessions[id] = s
	}
	if old := s.swapClient(c); old != nil && old != c {
		old.out.Close(fmt.Sprintf("session %d taken over by another connection", id))
	}
	s.stopTimer()
	return s, known, nil
}

// detach unbinds c from its session and starts the idle timer that
// releases the session's memory unless the frontend comes back.
func (m *Manager) detach(c *Client, s *Session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !s.releaseClient(c) {
		return
	}
	s.startTimer(m.cfg.IdleTimeout, func() { m.expire(s) })
}

// expire forgets s if it is still detached.
func (m *Manager) expire(s *Session) {
	m.mu.Lock()
	gone := s.attached() == nil && m.sessions[s.ID] == s
	if gone {
		delete(m.sessions, s.ID)
	}
	m.mu.Unlock()
	if gone { // closing waits for image work, so not under mu
		s.closeFrame(-1)
		m.log.Info("session released after idle timeout", "session", s.ID)
	}
}

// freshID draws random non-zero ids until one is unused. Random rather
// than sequential so a restarted server does not hand out ids that
// reconnecting frontends still hold. Caller holds mu.
func (m *Manager) freshID() (uint32, error) {
	var b [4]byte
	for range 64 {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("session id: %w", err)
		}
		id := binary.LittleEndian.Uint32(b[:])
		if _, used := m.sessions[id]; id != 0 && !used {
			return id, nil
		}
	}
	return 0, fmt.Errorf("session id: no free id after 64 draws")
}
