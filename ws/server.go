package ws

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"cartago/imaging/budget"
	"cartago/session"
)

// Config holds the transport settings.
type Config struct {
	// FrontendFolder is the static frontend build; "" serves none.
	FrontendFolder string
	// AuthToken is required on websocket upgrades; "" disables the check
	// (--no-auth).
	AuthToken string
	// MaxMessageSize is the largest incoming message in bytes; a larger
	// one closes the connection with close code 1009. Default 256 MiB.
	MaxMessageSize int64
	// QueueLength bounds each connection's outgoing queue (messages).
	// Producers block while it is full. Default 256.
	QueueLength int
	// Memory is the server-wide memory budget; nil is unlimited.
	Memory *budget.Memory
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger
}

// Server serves HTTP and websocket connections for one session manager.
type Server struct {
	// Immutable after New.
	cfg      Config
	log      *slog.Logger
	sessions *session.Manager
	frontend *frontend
	upgrader websocket.Upgrader
	http     *http.Server

	ctx    context.Context // cancelled by Shutdown; parent of every connection
	cancel context.CancelFunc
	conns  sync.WaitGroup // one per running connection
}

// New returns a server; call Serve to accept connections.
func New(cfg Config, sessions *session.Manager) (*Server, error) {
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = 256 << 20
	}
	if cfg.QueueLength <= 0 {
		cfg.QueueLength = 256
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	fe, err := openFrontend(cfg.FrontendFolder)
	if err != nil {
		return nil, fmt.Errorf("frontend folder %q: %w", cfg.FrontendFolder, err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, sessions: sessions, frontend: fe}
	// The frontend is served from this origin; other origins are allowed
	// too because the token, not the origin, is the access control, and
	// scripts or a frontend on another port (socketUrl=) must connect.
	s.upgrader = websocket.Upgrader{
		CheckOrigin:       func(*http.Request) bool { return true },
		EnableCompression: true,
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// Serve accepts connections on l until Shutdown. Like net/http it always
// returns a non-nil error, http.ErrServerClosed after Shutdown.
func (s *Server) Serve(l net.Listener) error {
	return s.http.Serve(l)
}

// ServeHTTP routes websocket upgrades (on any path, as the frontend
// connects to its page URL) and everything else to the static frontend.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if websocket.IsWebSocketUpgrade(r) {
		s.serveWebsocket(w, r)
		return
	}
	s.frontend.ServeHTTP(w, r)
}

func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request) {
	if s.cfg.AuthToken != "" && !tokenMatches(requestToken(r), s.cfg.AuthToken) {
		s.log.Warn("websocket refused: bad token", "remote", r.RemoteAddr)
		http.Error(w, "invalid or missing access token", http.StatusUnauthorized)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has already answered with an HTTP error
	}
	log := s.log.With("remote", r.RemoteAddr)
	c := newConn(ws, log, s.cfg.MaxMessageSize, s.cfg.QueueLength)
	client := s.sessions.NewClient(c, r.RemoteAddr, s.owner(r))
	log.Info("websocket connected", "path", r.URL.Path)
	s.conns.Add(1)
	go func() {
		defer s.conns.Done()
		c.run(s.ctx, client)
	}()
}

// owner identifies who may resume a session: the hash of the token the
// upgrade presented, or nil without access control.
func (s *Server) owner(r *http.Request) []byte {
	if s.cfg.AuthToken == "" {
		return nil
	}
	h := sha256.Sum256([]byte(requestToken(r)))
	return h[:]
}

// Shutdown stops accepting, closes every connection after flushing its
// queue, and waits for them until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	s.cancel()
	done := make(chan struct{})
	go func() {
		s.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("connections still open: %w", ctx.Err()))
	}
	s.frontend.close()
	return err
}
