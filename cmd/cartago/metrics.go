package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"cartago/ws"
)

// startMetrics serves srv's /metrics, /healthz and /readyz on addr
// (--metrics-listen), a listener of their own so that operators can keep
// it off the network users reach. Close stops it.
func startMetrics(addr string, srv *ws.Server, log *slog.Logger) (*http.Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	ops := &http.Server{Handler: srv.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second}
	log.Info("serving metrics", "addr", l.Addr().String())
	go func() {
		if err := ops.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	return ops, nil
}
