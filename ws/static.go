package ws

import (
	"errors"
	"net/http"
	"os"
	"path"
	"strings"
)

// frontend serves the static build of the CARTA frontend. Files are opened
// through an os.Root, so neither ".." nor a symlink can reach outside the
// folder.
type frontend struct {
	root *os.Root // nil when no frontend is served
}

func openFrontend(dir string) (*frontend, error) {
	if dir == "" {
		return &frontend{}, nil
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if _, err := root.Stat("index.html"); err != nil {
		root.Close()
		return nil, errors.New("frontend folder has no index.html (run scripts/fetch-frontend.sh)")
	}
	return &frontend{root: root}, nil
}

func (f *frontend) close() {
	if f.root != nil {
		f.root.Close()
	}
}

// ServeHTTP serves a file of the build, or /config; withAPI says
// whether the server answers the HTTP API (api.go).
func (f *frontend) ServeHTTP(w http.ResponseWriter, r *http.Request, withAPI bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == "/config" {
		serveConfig(w, withAPI)
		return
	}
	if f.root == nil {
		http.Error(w, "this server runs without a frontend (--no-frontend)", http.StatusNotImplemented)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	file, err := f.root.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil || info.IsDir() {
		http.NotFound(w, r) // no directory listings
		return
	}
	if name == "index.html" {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, info.ModTime(), file)
}

// serveConfig answers the frontend's runtime-config request. With the
// API, apiAddress is "api": the frontend prefixes it to its API paths
// and axios resolves the result against the page URL, so behind a
// reverse proxy under /some/prefix/ the calls go to /some/prefix/api/...
// (the reference answers "<url prefix>/api", which needs the prefix
// configured). The frontend fetches this from its page folder
// ("<page dir>/config"). Without the API the object is empty and the
// frontend keeps preferences, layouts and workspaces in localStorage.
func serveConfig(w http.ResponseWriter, withAPI bool) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	body := "{}\n"
	if withAPI {
		body = `{"apiAddress":"api"}` + "\n"
	}
	_, _ = w.Write([]byte(body))
}
