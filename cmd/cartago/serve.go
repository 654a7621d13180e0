package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"cartago/imaging/budget"
	"cartago/session"
	"cartago/store"
	"cartago/ws"
)

// shutdownTimeout bounds the graceful part of a SIGINT/SIGTERM shutdown.
const shutdownTimeout = 10 * time.Second

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:   "serve",
		Usage:  "serve the CARTA frontend and the websocket protocol",
		Flags:  allServeFlags(),
		Action: serveAction,
	}
}

func envVar(name string) []string { return []string{"CARTAGO_" + name} }

func serveFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "host", Value: "127.0.0.1", Usage: "interface to listen on", EnvVars: envVar("HOST")},
		&cli.IntFlag{Name: "port", Value: 3002, Usage: "TCP port (0 picks a free one)", EnvVars: envVar("PORT")},
		&cli.StringFlag{Name: "root", Value: ".", Usage: "top-level folder; all file access is confined to it", EnvVars: envVar("ROOT")},
		&cli.StringFlag{Name: "base", Value: "", Usage: "starting folder of the file browser, inside --root", EnvVars: envVar("BASE")},
		dbFlag(),
		&cli.StringFlag{Name: "frontend-folder", Value: "frontend", Usage: "static CARTA frontend build to serve", EnvVars: envVar("FRONTEND_FOLDER")},
		&cli.BoolFlag{Name: "no-frontend", Usage: "serve no frontend (protocol only)", EnvVars: envVar("NO_FRONTEND")},
		&cli.BoolFlag{Name: "no-api", Usage: "leave preferences, layouts, snippets and workspaces in each browser's storage instead of the session database", EnvVars: envVar("NO_API")},
		&cli.StringFlag{Name: "auth-token", Usage: "access token required on websocket connections (default: random)", EnvVars: envVar("AUTH_TOKEN")},
		&cli.BoolFlag{Name: "no-auth", Usage: "accept connections without a token (single-user laptop)", EnvVars: envVar("NO_AUTH")},
		&cli.StringSliceFlag{Name: "allowed-origins", Usage: "comma-separated browser origins (https://host:port) whose pages may connect, besides this server's own and loopback ones", EnvVars: envVar("ALLOWED_ORIGINS")},
		&cli.DurationFlag{Name: "idle-timeout", Value: 15 * time.Second, Usage: "how long a disconnected session keeps its images open", EnvVars: envVar("IDLE_TIMEOUT")},
		&cli.DurationFlag{Name: "checkpoint-interval", Value: 50 * time.Millisecond, Usage: "a session change is on disk within this interval", EnvVars: envVar("CHECKPOINT_INTERVAL")},
		&cli.DurationFlag{Name: "session-ttl", Value: 7 * 24 * time.Hour, Usage: "how long an unused stored session is kept", EnvVars: envVar("SESSION_TTL")},
		&cli.BoolFlag{Name: "no-tile-compression", Usage: "send tiles uncompressed even when the frontend asks for ZFP", EnvVars: envVar("NO_TILE_COMPRESSION")},
		&cli.Int64Flag{Name: "max-message-size", Value: ws.DefaultMaxMessageSize, Usage: "largest incoming message in bytes, after decompression; larger closes the connection", EnvVars: envVar("MAX_MESSAGE_SIZE")},
		&cli.StringFlag{Name: "memory-limit", Usage: "memory for images, caches and large messages, as 8GiB, 512MiB or bytes; 0 = unlimited (default " +
			defaultLimitText() + ")", EnvVars: envVar("MEMORY_LIMIT")},
		&cli.StringFlag{Name: "cache-size", Usage: "image data kept for reuse once no session uses it, as 2GiB or bytes; 0 = none (default a quarter of --memory-limit, " +
			budget.Bytes(defaultUnlimitedCache) + " when unlimited)", EnvVars: envVar("CACHE_SIZE")},
		&cli.StringFlag{Name: "metrics-listen", Usage: "address (host:port) serving Prometheus /metrics, /healthz and /readyz for operators; default none. /healthz and /readyz are also on the main port", EnvVars: envVar("METRICS_LISTEN")},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: envVar("LOG_LEVEL")},
	}, storeFlags()...) // store_flags.go
}

// allServeFlags are serve's flags with those of compat.go.
func allServeFlags() []cli.Flag { return append(serveFlags(), compatServeFlags()...) }

// defaultDBPath puts the database in the user's state folder, as
// $XDG_STATE_HOME/cartago/sessions.db (default ~/.local/state/...).
func defaultDBPath() string {
	if dir := os.Getenv("XDG_STATE_HOME"); dir != "" {
		return dir + "/cartago/sessions.db"
	}
	if home, err := os.UserHomeDir(); err == nil {
		return home + "/.local/state/cartago/sessions.db"
	}
	return "cartago-sessions.db"
}

func serveAction(c *cli.Context) error {
	opts, err := optionsFromCLI(c)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, opts, c.App.Writer)
}

// serveOptions is the validated configuration of one server process.
type serveOptions struct {
	addr       string
	folder     *session.Folder
	dbPath     string
	frontend   string // "" = none
	token      string // "" = no access control
	idle       time.Duration
	checkpoint time.Duration
	ttl        time.Duration
	noAuth     bool
	noAPI      bool     // --no-api
	origins    []string // --allowed-origins
	maxMessage int64
	rawTiles   bool
	memory     int64  // --memory-limit in bytes; 0 = unlimited
	cacheSize  int64  // --cache-size in bytes
	metrics    string // --metrics-listen; "" = none
	log        *slog.Logger
	compat     compatOptions // the reference's flags (compat_serve.go)
}

func optionsFromCLI(c *cli.Context) (serveOptions, error) {
	log, err := newLogger(c.String("log-level"))
	if err != nil {
		return serveOptions{}, err
	}
	dirs, err := session.NewFolder(c.String("root"), c.String("base"))
	if err != nil {
		return serveOptions{}, fmt.Errorf("--root/--base: %w", err)
	}
	o := serveOptions{
		addr:       net.JoinHostPort(c.String("host"), fmt.Sprint(c.Int("port"))),
		folder:     dirs,
		dbPath:     c.String("db"),
		idle:       c.Duration("idle-timeout"),
		checkpoint: c.Duration("checkpoint-interval"),
		ttl:        c.Duration("session-ttl"),
		noAuth:     c.Bool("no-auth"),
		noAPI:      c.Bool("no-api"),
		origins:    c.StringSlice("allowed-origins"),
		maxMessage: c.Int64("max-message-size"),
		rawTiles:   c.Bool("no-tile-compression"),
		metrics:    c.String("metrics-listen"),
		log:        log,
	}
	if o.memory, err = memoryLimit(c.String("memory-limit")); err != nil {
		return o, err
	}
	if o.cacheSize, err = cacheSize(c.String("cache-size"), o.memory); err != nil {
		return o, err
	}
	if !c.Bool("no-frontend") {
		o.frontend = c.String("frontend-folder")
	}
	switch {
	case c.Bool("no-auth") && c.IsSet("auth-token"):
		return o, errors.New("--no-auth and --auth-token exclude each other")
	case c.String("auth-token") != "":
		o.token = c.String("auth-token")
	}
	if err := compatFromCLI(c, &o); err != nil {
		return o, err
	}
	if o.idle <= 0 || o.maxMessage <= 0 || o.checkpoint <= 0 || o.ttl <= 0 {
		return o, errors.New("--idle-timeout, --checkpoint-interval, --session-ttl and --max-message-size must be positive")
	}
	return o, nil
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

// accessToken is --auth-token, or else the token generated by an earlier
// run on this database, or else a new one that is kept for later runs:
// a frontend left open across a restart still holds it in its URL.
func accessToken(db *store.Store, o serveOptions) (string, error) {
	if o.noAuth || o.token != "" {
		return o.token, nil
	}
	tok, err := db.Token()
	if err != nil || tok != "" {
		return tok, err
	}
	return db.KeepToken(randomToken())
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on Linux
	return hex.EncodeToString(b[:])
}

// serve runs the server until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, o serveOptions, stdout io.Writer) error {
	db, err := openStore(ctx, o.dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if o.token, err = accessToken(db, o); err != nil {
		return err
	}
	mem := newBudget(o.memory)
	var met *ws.Metrics // nil without --metrics-listen: nothing counts
	var smet session.Metrics
	if o.metrics != "" {
		met = ws.NewMetrics()
		smet = met
	}
	claims, stopClaims, err := startClaims(ctx, db, o.addr, o.log)
	if err != nil {
		return err
	}
	defer stopClaims() // after sessions.Close, before db.Close
	sessions := session.NewManager(session.Config{
		Claims:             claims,
		Metrics:            smet,
		Memory:             mem,
		CacheSize:          o.cacheSize,
		Store:              db,
		CheckpointInterval: o.checkpoint,
		SessionTTL:         o.ttl,
		IdleTimeout:        o.idle,
		RawTiles:           o.rawTiles,
		Platform:           o.compat.platform(),
		Logger:             o.log,
		Folder:             o.folder,
	})
	// The admin socket lets `cartago sessions` reach this database while
	// it is locked; without it the server still works.
	if storeFrom(ctx).etcd {
		// etcd serves the admin commands directly (store_flags.go).
	} else if admin, err := startAdmin(db, sessions, o.log); err != nil {
		o.log.Warn("sessions commands cannot reach this server", "err", err)
	} else {
		defer admin.Close() // after sessions.Close, before db.Close
	}
	var userData *store.Store // the frontend's HTTP API; nil keeps it in the browser
	if !o.noAPI {
		userData = db
	}
	srv, err := ws.New(ws.Config{
		UserData:       userData,
		FrontendFolder: o.frontend,
		AuthToken:      o.token,
		AllowedOrigins: o.origins,
		MaxMessageSize: o.maxMessage,
		Memory:         mem,
		Logger:         o.log,
		Store:          db,
		Metrics:        met,
		URLPrefix:      o.compat.prefix,
		Owner:          o.compat.owner(o.folder),
	}, sessions)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	o.log.Info("serving", "addr", l.Addr().String(), "root", o.folder.Root(), "base", o.folder.Base(),
		"frontend", o.frontend, "db", db.Path(), "memory_limit", limitText(o.memory), "cache_size", budget.Bytes(o.cacheSize))
	fmt.Fprintf(stdout, "cartago %s is ready; open %s\n", versionString(), pageURL(l.Addr(), o.compat.prefix, o.token))

	if o.metrics != "" {
		ops, err := startMetrics(o.metrics, srv, o.log)
		if err != nil {
			l.Close()
			sessions.Close("server stopped")
			return err
		}
		defer ops.Close() // after the main server's shutdown
	}
	ctx, stopIdle := context.WithCancel(ctx)
	defer stopIdle()
	go exitWhenIdle(ctx, stopIdle, srv, o.compat, o.log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		sessions.Close("server stopped")
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	o.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	sessions.Close("server shutting down")
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	return err
}

// pageURL is the address to open in a browser. An unspecified listen
// address is shown as loopback, which always reaches it.
func pageURL(addr net.Addr, prefix, token string) string {
	tcp := addr.(*net.TCPAddr)
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	u := fmt.Sprintf("http://%s%s/", net.JoinHostPort(host, fmt.Sprint(tcp.Port)), prefix)
	if token != "" {
		u += "?token=" + token
	}
	return u
}
