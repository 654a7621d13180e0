package ws

import (
	"context"
	"net/http"
	"time"
)

// readyTimeout bounds the store probe behind /readyz; a probe of a
// healthy bbolt file takes microseconds.
const readyTimeout = 2 * time.Second

// health serves /healthz and /readyz, on the main listener (load
// balancers and Kubernetes probe the port they route to) and on the
// metrics listener. They need no token: they say only "ok" or "not
// ready", and open nothing. It reports whether it answered r.
func (s *Server) health(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case "/healthz": // the process is alive and serving HTTP
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	case "/readyz":
		if err := s.ready(r.Context()); err != nil {
			s.log.Warn("not ready", "err", err)
			http.Error(w, "not ready: session database unreachable", http.StatusServiceUnavailable)
			return true
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	default:
		return false
	}
	return true
}

// ready is nil when the session database answers a read transaction in
// time; without a database there is nothing to wait for.
func (s *Server) ready(ctx context.Context) error {
	if s.cfg.Store == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	return s.cfg.Store.Ready(ctx)
}

// MetricsHandler serves /metrics, /healthz and /readyz for the operators'
// listener (--metrics-listen); /metrics is not served on the main
// listener. Without Config.Metrics /metrics is 404.
func (s *Server) MetricsHandler() http.Handler {
	var metrics http.Handler
	if s.cfg.Metrics != nil {
		metrics = s.cfg.Metrics.handler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.health(w, r) {
			return
		}
		if r.URL.Path == "/metrics" && metrics != nil {
			metrics.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	})
}
