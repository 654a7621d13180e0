package ws

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"cartago/store"
)

// The HTTP API frontend 6.0.0 uses for what it would otherwise keep in
// one browser's localStorage: preferences, layouts, snippets and
// workspaces (its ApiService: getPreferences, setPreferences,
// clearPreferences, getLayouts, setLayout, clearLayout, getSnippets,
// setSnippet, clearSnippet, getWorkspaceList, getWorkspace,
// setWorkspace, clearWorkspace, getSharedWorkspaceKey). /config names
// it as apiAddress "api"; paths and replies follow the reference backend
// (CARTAvis/carta-backend src/HttpServer/HttpServer.cc, RegisterRoutes):
//
//	GET    api/database/preferences          {success, preferences: {...}}
//	PUT    api/database/preferences          body {key: value, ...}
//	DELETE api/database/preferences          body {keys: [...]}
//	GET    api/database/layouts              {success, layouts: {name: layout}}
//	PUT    api/database/layout               body {layoutName, layout}
//	DELETE api/database/layout               body {layoutName}
//	GET    api/database/snippets             {success, snippets: {name: snippet}}
//	PUT    api/database/snippet              body {snippetName, snippet}
//	DELETE api/database/snippet              body {snippetName}
//	GET    api/database/list/workspaces      {success, workspaces: [{name, date}]}
//	GET    api/database/workspace/{name}     {success, workspace: {...}}
//	GET    api/database/workspace/key/{key}  {success, workspace: {...}}
//	PUT    api/database/workspace            body {workspaceName, workspace}
//	DELETE api/database/workspace            body {workspaceName}
//	POST   api/database/share/workspace/{id} {success, shareKey}
//
// Writes answer {success: true}. Every failure is a 4xx or 5xx with
// {success: false, message}; the frontend only looks at success.
// Authentication is the websocket's (cookie, bearer header, query
// token), and everything is kept per owner, the hash of the token, as
// sessions are. Unlike the reference (403), a missing or wrong token is
// 401.

// apiPrefix is where the API is served: "api" relative to the page,
// which the frontend loads from "/" (a reverse proxy strips its prefix).
const apiPrefix = "/api/"

// api serves the HTTP API from a session database.
type api struct {
	// Immutable after newAPI.
	srv *Server
	db  *store.Store
	mux *http.ServeMux
	now func() time.Time
}

func newAPI(srv *Server, db *store.Store) *api {
	a := &api{srv: srv, db: db, mux: http.NewServeMux(), now: time.Now}
	routes := map[string]http.HandlerFunc{
		"GET /api/database/preferences":           a.getPreferences,
		"PUT /api/database/preferences":           a.putPreferences,
		"DELETE /api/database/preferences":        a.deletePreferences,
		"GET /api/database/layouts":               a.getObjects(store.Layouts),
		"PUT /api/database/layout":                a.putObject(store.Layouts),
		"DELETE /api/database/layout":             a.deleteObject(store.Layouts),
		"GET /api/database/snippets":              a.getObjects(store.Snippets),
		"PUT /api/database/snippet":               a.putObject(store.Snippets),
		"DELETE /api/database/snippet":            a.deleteObject(store.Snippets),
		"GET /api/database/list/workspaces":       a.listWorkspaces,
		"GET /api/database/workspace/{name}":      a.getWorkspace,
		"GET /api/database/workspace/key/{key}":   a.getSharedWorkspace,
		"PUT /api/database/workspace":             a.putWorkspace,
		"DELETE /api/database/workspace":          a.deleteWorkspace,
		"POST /api/database/share/workspace/{id}": a.shareWorkspace,
	}
	for pattern, h := range routes {
		a.mux.HandleFunc(pattern, h)
	}
	a.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		replyError(w, http.StatusNotFound, "no such API call: "+r.Method+" "+r.URL.Path)
	})
	return a
}

// ServeHTTP checks the caller, then dispatches.
func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && !a.srv.originAllowed(r) {
		// A page of another site may not change a user's data through
		// the cookie the browser would attach.
		a.srv.log.Warn("API call refused: origin not allowed (--allowed-origins)", "origin", r.Header.Get("Origin"), "path", r.URL.Path)
		replyError(w, http.StatusForbidden, "origin not allowed")
		return
	}
	if !a.hostAllowed(r) {
		a.srv.log.Warn("API call refused: Host is a name and there is no token (--no-auth)", "host", r.Host, "path", r.URL.Path)
		replyError(w, http.StatusForbidden, "without an access token the API answers only requests to an IP address or localhost (or an --allowed-origins host)")
		return
	}
	if a.srv.cfg.AuthToken != "" && !tokenMatches(requestToken(r), a.srv.cfg.AuthToken) {
		replyError(w, http.StatusUnauthorized, "invalid or missing access token")
		return
	}
	a.mux.ServeHTTP(w, r)
}

// hostAllowed guards a --no-auth server against DNS rebinding: a page
// of another site whose name an attacker points at our address reads
// the API as its own origin (its GETs carry no Origin header), so
// without a token only requests naming an IP address, localhost or an
// --allowed-origins host are answered. With a token the page cannot
// authenticate anyway.
func (a *api) hostAllowed(r *http.Request) bool {
	if a.srv.cfg.AuthToken != "" {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	return isAddress(host) || a.srv.origins["http://"+strings.ToLower(r.Host)] || a.srv.origins["https://"+strings.ToLower(r.Host)]
}

// isAPI reports whether r is an API call.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, apiPrefix) }

// reply writes a successful answer: {"success": true} plus fields.
func reply(w http.ResponseWriter, fields map[string]any) {
	body := map[string]any{"success": true}
	for k, v := range fields {
		body[k] = v
	}
	writeJSON(w, http.StatusOK, body)
}

// replyError writes a failure the frontend recognizes (success false)
// and a person can read.
func replyError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"success": false, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"success":false,"message":"encoding the reply failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// replyStoreError maps a store error to a status: unknown entries 404,
// limits 409 (the body was fine, the owner has too much), anything else
// 500 and logged.
func (a *api) replyStoreError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNoEntry):
		replyError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, store.ErrTooMany):
		replyError(w, http.StatusConflict, err.Error())
	default:
		a.srv.log.Error("API call failed", "method", r.Method, "path", r.URL.Path, "err", err)
		replyError(w, http.StatusInternalServerError, "the session database failed: "+err.Error())
	}
}
