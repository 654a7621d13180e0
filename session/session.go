package session

import (
	"sync"
	"time"
)

// Session is the state of one frontend session. It outlives its socket:
// a reconnecting frontend re-attaches to it by id.
type Session struct {
	// Immutable after newSession.
	ID      uint32
	Created time.Time

	mu     sync.Mutex
	client *Client     // guarded by mu; nil while detached
	timer  *time.Timer // guarded by mu; idle release timer while detached
}

func newSession(id uint32) *Session {
	return &Session{ID: id, Created: time.Now()}
}

func (s *Session) attached() *Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

// swapClient attaches c and returns the client it replaced.
func (s *Session) swapClient(c *Client) *Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.client
	s.client = c
	return old
}

// releaseClient detaches c if it is still the attached client.
func (s *Session) releaseClient(c *Client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != c {
		return false
	}
	s.client = nil
	return true
}

func (s *Session) startTimer(d time.Duration, f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timer = time.AfterFunc(d, f)
}

func (s *Session) stopTimer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}
