package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// stats counts outcomes and keeps latencies per request kind. The run's
// length bounds what it keeps: one duration per completed request.
type stats struct {
	mu    sync.Mutex
	kinds map[string]*kindStats
}

type kindStats struct {
	ok, fail int
	lat      []time.Duration // of the successful requests
	lastErr  string          // of the last failure
}

func newStats() *stats { return &stats{kinds: map[string]*kindStats{}} }

func (s *stats) kind(k string) *kindStats {
	ks := s.kinds[k]
	if ks == nil {
		ks = &kindStats{}
		s.kinds[k] = ks
	}
	return ks
}

// done records a request of kind k that took d, failed with err unless
// it is nil.
func (s *stats) done(k string, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ks := s.kind(k)
	if err != nil {
		ks.fail++
		ks.lastErr = err.Error()
		return
	}
	ks.ok++
	ks.lat = append(ks.lat, d)
}

// counts returns ok and failed requests of kind k.
func (s *stats) counts(k string) (ok, fail int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ks := s.kind(k)
	return ks.ok, ks.fail
}

// quantile returns the q-quantile of sorted ds (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

// print writes one line per kind with counts and p50/p95/p99 in ms.
func (s *stats) print(w io.Writer, kinds []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kinds == nil {
		for k := range s.kinds {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
	}
	fmt.Fprintf(w, "  %-22s %8s %6s %9s %9s %9s\n", "kind", "ok", "fail", "p50 ms", "p95 ms", "p99 ms")
	for _, k := range kinds {
		ks, found := s.kinds[k]
		if !found {
			continue
		}
		lat := slices.Clone(ks.lat)
		slices.Sort(lat)
		fmt.Fprintf(w, "  %-22s %8d %6d %9s %9s %9s\n", k, ks.ok, ks.fail,
			ms(quantile(lat, .50)), ms(quantile(lat, .95)), ms(quantile(lat, .99)))
		if ks.fail > 0 {
			fmt.Fprintf(w, "  %-22s last failure: %s\n", "", clip(ks.lastErr, 110))
		}
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
