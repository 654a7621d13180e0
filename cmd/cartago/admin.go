package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"cartago/session"
	"cartago/store"
)

// The admin socket: while `serve` holds the database (bbolt locks the
// file), `cartago sessions ...` reaches it through a small HTTP/JSON API
// on a unix socket next to the file, mode 0600, so only the user who
// runs the server can use it.
//
//	GET  /v1/ping           adminInfo
//	GET  /v1/sessions       []sessionRow, live sessions included
//	GET  /v1/sessions/{id}  adminSnapshot; 404 for an unknown id
//	POST /v1/purge          purgeRequest -> purgeResult; ends live sessions
//	POST /v1/import         importRequest -> importResult; 409 for an id in use
//	/v1/userdata...         `cartago workspaces` (workspaces_admin.go)
const (
	// adminShutdownTimeout bounds how long Close waits for requests.
	adminShutdownTimeout = 5 * time.Second
	// staleDialTimeout is how long start-up waits for an existing socket
	// to answer before calling it stale.
	staleDialTimeout = 500 * time.Millisecond
)

// adminSocketPath is where a server using dbPath listens for admin
// commands.
func adminSocketPath(dbPath string) string { return dbPath + ".sock" }

// adminInfo answers /v1/ping.
type adminInfo struct {
	DB      string `json:"db"`
	Version string `json:"version"`
	PID     int    `json:"pid"`
}

// adminSnapshot answers /v1/sessions/{id}. Snapshot is the stored
// protobuf (base64 in JSON), absent for a live session that has no
// checkpoint yet.
type adminSnapshot struct {
	Live     bool   `json:"live"`
	Snapshot []byte `json:"snapshot,omitempty"`
}

// adminServer serves the admin API of one `serve` process. It only reads
// the database; purges go to the session manager, whose checkpoint
// writer is the one writer of a running server.
type adminServer struct {
	// Immutable after startAdmin.
	db     *store.Store
	mgr    *session.Manager
	log    *slog.Logger
	srv    *http.Server
	served chan struct{} // closed when Serve returned
}

// startAdmin listens on the admin socket of db and serves it until
// Close.
func startAdmin(db *store.Store, mgr *session.Manager, log *slog.Logger) (*adminServer, error) {
	path := adminSocketPath(db.Path())
	ln, err := listenAdmin(path, log)
	if err != nil {
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	a := &adminServer{db: db, mgr: mgr, log: log, served: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/ping", a.handlePing)
	mux.HandleFunc("GET /v1/sessions", a.handleList)
	mux.HandleFunc("GET /v1/sessions/{id}", a.handleGet)
	mux.HandleFunc("POST /v1/purge", a.handlePurge)
	mux.HandleFunc("POST /v1/import", a.handleImport) // sessions_import_admin.go
	registerUserDataRoutes(mux, db)                   // workspaces_admin.go
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 30 * time.Second}
	go func() {
		defer close(a.served)
		if err := a.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin socket stopped", "err", err)
		}
	}()
	log.Info("admin socket", "path", path)
	return a, nil
}

// listenAdmin listens on path with mode 0600. A socket file left by a
// killed server is removed when nothing answers on it; anything else at
// path is left alone and reported.
func listenAdmin(path string, log *slog.Logger) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, errors.New("a file that is not a socket is in the way; move it aside")
		}
		if c, err := net.DialTimeout("unix", path, staleDialTimeout); err == nil {
			c.Close()
			return nil, errors.New("another process answers on it")
		}
		log.Info("removing stale admin socket", "path", path)
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil // closing it removes the file
}

// Close stops serving and removes the socket. Call it before the store
// is closed.
func (a *adminServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), adminShutdownTimeout)
	defer cancel()
	if err := a.srv.Shutdown(ctx); err != nil {
		a.srv.Close()
	}
	<-a.served
}

func (a *adminServer) handlePing(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, adminInfo{DB: a.db.Path(), Version: versionString(), PID: os.Getpid()})
}

func (a *adminServer) handleList(w http.ResponseWriter, _ *http.Request) {
	snaps, err := a.db.List()
	if err != nil && len(snaps) == 0 {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if err != nil { // some values did not decode: list the others
		a.log.Warn("admin list: unreadable sessions", "err", err)
	}
	writeJSON(w, http.StatusOK, sessionRows(snaps, a.mgr.Live()))
}

func (a *adminServer) handleGet(w http.ResponseWriter, r *http.Request) {
	id, err := parseSessionID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	var resp adminSnapshot
	snap, err := a.db.Get(id)
	if err == nil {
		resp.Snapshot, err = marshalSnapshot(snap)
	}
	live := isLive(a.mgr, id)
	switch {
	case errors.Is(err, store.ErrNotFound) && !live:
		writeError(w, http.StatusNotFound, err)
		return
	case err != nil && !errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	resp.Live = live
	writeJSON(w, http.StatusOK, resp)
}

func (a *adminServer) handlePurge(w http.ResponseWriter, r *http.Request) {
	var req purgeRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("purge request: %w", err))
		return
	}
	res, err := purgeServed(r.Context(), a.mgr, req)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	a.log.Info("sessions purged", "count", len(res.Purged), "ended", len(res.Ended))
	writeJSON(w, http.StatusOK, res)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client is gone if this fails
}

// adminErrorBody is the body of every non-2xx answer.
type adminErrorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, adminErrorBody{Error: err.Error()})
}

// isLive reports whether the manager holds session id.
func isLive(mgr *session.Manager, id uint32) bool {
	return slices.Contains(mgr.Live(), id)
}
