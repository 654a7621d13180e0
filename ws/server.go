package ws

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"cartago/imaging/budget"
	"cartago/session"
	"cartago/store"
)

// Config holds the transport settings.
type Config struct {
	// FrontendFolder is the static frontend build; "" serves none.
	FrontendFolder string
	// AuthToken is required on websocket upgrades; "" disables the check
	// (--no-auth).
	AuthToken string
	// AllowedOrigins lists the browser origins ("https://host:port"),
	// besides the server's own and loopback ones, whose pages may open
	// a websocket (--allowed-origins). Requests without an Origin
	// header (scripts) are always allowed; the token still applies.
	AllowedOrigins []string
	// MaxMessageSize is the largest incoming message in bytes (after
	// decompression); a larger one closes the connection with close
	// code 1009. Default DefaultMaxMessageSize.
	MaxMessageSize int64
	// QueueLength bounds each connection's outgoing queue (messages).
	// Default 256.
	QueueLength int
	// QueueBytes bounds each connection's queued outgoing bytes; over it
	// the policy in outbox.go drops superseded stream data or makes
	// producers wait. Default DefaultQueueBytes.
	QueueBytes int64
	// Memory is the server-wide budget that incoming messages (while
	// read and until handled) and queued outgoing messages are charged
	// to; nil is unlimited. A message the budget cannot hold closes its
	// connection with close code 1013 (try again later).
	Memory *budget.Memory
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger
	// UserData, when set, serves the frontend's HTTP API for
	// preferences, layouts, snippets and workspaces from this database
	// (api.go), and /config names it; nil leaves them in the browser.
	UserData *store.Store
	// Store is the session database that /readyz probes and the
	// metrics measure; nil is always ready.
	Store *store.Store
	// Metrics counts connections, messages and the outgoing policy and
	// reads the gauges (metrics.go); nil counts nothing.
	Metrics *Metrics
	// URLPrefix, when not "", is the path everything is served under
	// (frontend, /config, /api, websockets), as "/carta" (prefix.go);
	// requests outside it get 404, except /healthz and /readyz.
	URLPrefix string
	// Owner, when set, is the owner of every connection that passes the
	// token check, instead of the hash of its token: a per-user server
	// under carta-controller gets a new token at every start, and its
	// user's sessions must still resume.
	Owner []byte

	hooks *testHooks // tests only
}

// DefaultMaxMessageSize is the default Config.MaxMessageSize. The
// largest messages frontend 6.0.0 sends are RESUME_SESSION (every open
// image that is not spatially matched, with all its regions and contour
// levels), EXPORT_REGION (region styles) and SET_REGION with a large
// polygon; its IMPORT_REGION carries no file contents. Measured with our
// icd types (msgsize_test.go): 8 images × 2,000 regions 1.2 MiB; the
// extremes, 32 images × 10,000 regions (a quarter of them 16-point
// polygons) 24.1 MiB and 4 images × 2,000 regions with 500 polygons of
// 1,000 points 23.1 MiB; one SET_REGION polygon of 100,000 points
// 1.1 MiB. 64 MiB leaves 2.6× over the extremes (which the frontend
// itself can barely draw) and 50× over heavy ordinary use, and is a
// quarter of the old 256 MiB that a hostile compressed message could make
// the server inflate. The memory budget bounds all connections together.
const DefaultMaxMessageSize = 64 << 20

// DefaultQueueBytes is the default Config.QueueBytes: a full view of
// uncompressed 256×256 float32 tiles (about 30 × 256 KiB) plus room for
// profiles and histograms.
const DefaultQueueBytes = 16 << 20

// Server serves HTTP and websocket connections for one session manager.
type Server struct {
	// Immutable after New.
	cfg      Config
	log      *slog.Logger
	sessions *session.Manager
	frontend *frontend
	upgrader websocket.Upgrader
	http     *http.Server
	origins  map[string]bool // --allowed-origins, normalized
	api      *api            // nil without Config.UserData
	live     atomic.Int64    // open websocket connections (Connections)
	accepted atomic.Int64    // websocket connections ever accepted (Accepted)

	ctx      context.Context // cancelled by Shutdown; parent of every connection
	cancel   context.CancelFunc
	conns    sync.WaitGroup // one per running connection
	connMu   sync.Mutex
	shutdown bool // guarded by connMu; set once Shutdown began
}

// New returns a server; call Serve to accept connections.
func New(cfg Config, sessions *session.Manager) (*Server, error) {
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.QueueLength <= 0 {
		cfg.QueueLength = 256
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = DefaultQueueBytes
	}
	origins, err := parseOrigins(cfg.AllowedOrigins)
	if err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	fe, err := openFrontend(cfg.FrontendFolder)
	if err != nil {
		return nil, fmt.Errorf("frontend folder %q: %w", cfg.FrontendFolder, err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, sessions: sessions, frontend: fe, origins: origins}
	// serveWebsocket checks the origin itself (originAllowed) so that a
	// refusal is logged and answered with 403.
	s.upgrader = websocket.Upgrader{
		CheckOrigin:       func(*http.Request) bool { return true },
		EnableCompression: true,
	}
	if cfg.UserData != nil {
		s.api = newAPI(s, cfg.UserData)
	}
	if cfg.Metrics != nil {
		cfg.Metrics.watch(sessions, cfg.Store, cfg.Memory)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	handler, err := withPrefix(cfg.URLPrefix, s)
	if err != nil {
		return nil, err
	}
	s.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
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
	if s.health(w, r) {
		return
	}
	if s.api != nil && isAPI(r) {
		s.api.ServeHTTP(w, r)
		return
	}
	s.frontend.ServeHTTP(w, r, s.api != nil)
}

func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request) {
	if !s.originAllowed(r) {
		s.log.Warn("websocket refused: origin not allowed (--allowed-origins)", "origin", r.Header.Get("Origin"), "host", r.Host, "remote", r.RemoteAddr)
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
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
	c := newConn(ws, log, s.cfg)
	client := s.sessions.NewClient(c, r.RemoteAddr, s.owner(r))
	log.Info("websocket connected", "path", r.URL.Path)
	if !s.track() {
		c.Close("server shutting down")
		ws.Close()
		return
	}
	s.cfg.Metrics.connected(1)
	s.live.Add(1)
	s.accepted.Add(1)
	go func() {
		defer s.conns.Done()
		defer s.cfg.Metrics.connected(-1)
		defer s.live.Add(-1)
		// run recovers in each of its goroutines; this is the last
		// line: a panic ends this connection, never the server.
		defer func() {
			if p := recover(); p != nil {
				log.Error("connection panic", "panic", p, "stack", string(debug.Stack()))
				c.Close(reasonInternal)
				ws.Close()
			}
		}()
		c.run(s.ctx, client)
	}()
}

// track counts a new connection in conns unless Shutdown has begun.
// An upgraded connection is no longer an HTTP request that
// http.Server.Shutdown waits for, so without this a connection upgraded
// during shutdown could start after conns.Wait began.
func (s *Server) track() bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.shutdown {
		return false
	}
	s.conns.Add(1)
	return true
}

// owner identifies who may resume a session: the hash of the token the
// upgrade presented, or nil without access control.
func (s *Server) owner(r *http.Request) []byte {
	if s.cfg.AuthToken == "" {
		return nil
	}
	if s.cfg.Owner != nil {
		return s.cfg.Owner
	}
	h := sha256.Sum256([]byte(requestToken(r)))
	return h[:]
}

// Connections is the number of open websocket connections.
func (s *Server) Connections() int { return int(s.live.Load()) }

// Accepted is the number of websocket connections accepted so far; with
// Connections it tells whether anyone came and went between two looks.
func (s *Server) Accepted() int64 { return s.accepted.Load() }

// Shutdown stops accepting, closes every connection after flushing its
// queue, and waits for them until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	s.connMu.Lock()
	s.shutdown = true // no connection is added after this
	s.connMu.Unlock()
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
