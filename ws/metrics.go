package ws

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"cartago/icd"
	"cartago/imaging/budget"
	"cartago/session"
	"cartago/store"
)

// Metrics holds the server's Prometheus collectors in a registry of its
// own (not the global default), so servers in one test process do not
// share counters. A nil *Metrics is valid and counts nothing; it also
// serves as session.Metrics (NewMetrics' value is passed to
// session.Config.Metrics by cmd/cartago).
type Metrics struct {
	reg         *prometheus.Registry
	connections prometheus.Gauge
	msgsIn      *prometheus.CounterVec // by event type
	msgsOut     *prometheus.CounterVec // by event type
	bytesOut    prometheus.Counter
	drops       *prometheus.CounterVec // by outgoing policy class
	slowCloses  prometheus.Counter
	resumes     *prometheus.CounterVec // by outcome
	tiles       prometheus.Histogram
	histograms  prometheus.Histogram
	checkpoints prometheus.Histogram
	ckptFails   prometheus.Counter
	ckptRefused prometheus.Counter
}

// latencyBuckets spans 1 ms to about 16 s: a cached tile group takes
// milliseconds, a cold plane of a large cube seconds.
var latencyBuckets = prometheus.ExponentialBuckets(0.001, 2, 15)

// NewMetrics returns the collectors, registered with the Go runtime and
// process collectors; New adds the gauges that read the server's state.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg:         prometheus.NewRegistry(),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{Name: "cartago_connections", Help: "Open websocket connections."}),
		msgsIn:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cartago_messages_in_total", Help: "ICD messages received, by event type."}, []string{"type"}),
		msgsOut:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cartago_messages_out_total", Help: "ICD messages written to sockets, by event type."}, []string{"type"}),
		bytesOut: prometheus.NewCounter(prometheus.CounterOpts{Name: "cartago_bytes_out_total",
			Help: "Bytes of ICD messages written to sockets, before permessage-deflate (the websocket library does not report compressed sizes)."}),
		drops: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cartago_queue_drops_total",
			Help: "Outgoing messages dropped as superseded from a full queue, by class."}, []string{"class"}),
		slowCloses: prometheus.NewCounter(prometheus.CounterOpts{Name: "cartago_slow_consumer_closes_total",
			Help: "Connections closed because the peer did not read within the write timeout."}),
		resumes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cartago_resumes_total",
			Help: "REGISTER_VIEWER with a session id, by outcome (live, stored, unknown, refused)."}, []string{"outcome"}),
		tiles: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "cartago_tile_latency_seconds",
			Help: "From ADD_REQUIRED_TILES to the end of its tile group queued for sending.", Buckets: latencyBuckets}),
		histograms: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "cartago_histogram_latency_seconds",
			Help: "From the start of an image histogram's work to REGION_HISTOGRAM_DATA queued for sending.", Buckets: latencyBuckets}),
		checkpoints: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "cartago_checkpoint_commit_seconds",
			Help: "Duration of one group commit of session snapshots.", Buckets: latencyBuckets}),
		ckptFails: prometheus.NewCounter(prometheus.CounterOpts{Name: "cartago_checkpoint_failures_total", Help: "Group commits that failed."}),
		ckptRefused: prometheus.NewCounter(prometheus.CounterOpts{Name: "cartago_checkpoint_refused_total",
			Help: "Session snapshots left out of a commit because the store cannot hold them (larger than an etcd request even compressed); the session keeps its earlier snapshot."}),
	}
	for _, r := range []string{session.ResumeLive, session.ResumeStored, session.ResumeUnknown, session.ResumeRefused} {
		m.resumes.WithLabelValues(r) // every outcome appears at 0
	}
	m.reg.MustRegister(m.connections, m.msgsIn, m.msgsOut, m.bytesOut, m.drops, m.slowCloses, m.resumes,
		m.tiles, m.histograms, m.checkpoints, m.ckptFails, m.ckptRefused,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// watch registers the gauges read at scrape time from the server's
// state: cheap reads of counters the parts keep anyway.
func (m *Metrics) watch(sessions *session.Manager, st *store.Store, mem *budget.Memory) {
	gauge := func(name, help string, f func() float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	counter := func(name, help string, f func() float64) {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
	}
	if sessions != nil {
		gauge("cartago_live_sessions", "Sessions held in memory (attached or waiting for a reconnect).", func() float64 { return float64(sessions.Len()) })
		gauge("cartago_cache_bytes", "Bytes of image data in the shared cache.", func() float64 { return float64(sessions.CacheStats().Bytes) })
		counter("cartago_cache_hits_total", "Shared cache requests served from a loaded or loading entry.", func() float64 {
			s := sessions.CacheStats()
			return float64(s.Hits + s.Waits)
		})
		counter("cartago_cache_misses_total", "Shared cache requests that computed the value.", func() float64 { return float64(sessions.CacheStats().Loads) })
	}
	gauge("cartago_memory_budget_used_bytes", "Bytes charged to the server-wide memory budget.", func() float64 { return float64(mem.Stats().Used) })
	gauge("cartago_memory_budget_limit_bytes", "The memory budget's limit; 0 is unlimited.", func() float64 { return float64(mem.Stats().Limit) })
	if st != nil {
		// -1 when the store cannot be read: a gauge has no "unknown".
		gauge("cartago_stored_sessions", "Sessions in the database.", func() float64 {
			n, err := st.Count()
			if err != nil {
				return -1
			}
			return float64(n)
		})
		gauge("cartago_store_size_bytes", "Size of the database file.", func() float64 {
			n, err := st.Size()
			if err != nil {
				return -1
			}
			return float64(n)
		})
	}
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

func (m *Metrics) connected(delta float64) {
	if m != nil {
		m.connections.Add(delta)
	}
}

func (m *Metrics) received(t icd.EventType) {
	if m != nil {
		m.msgsIn.WithLabelValues(t.String()).Inc()
	}
}

func (m *Metrics) sent(t icd.EventType, n int) {
	if m != nil {
		m.msgsOut.WithLabelValues(t.String()).Inc()
		m.bytesOut.Add(float64(n))
	}
}

func (m *Metrics) dropped(class string) {
	if m != nil {
		m.drops.WithLabelValues(class).Inc()
	}
}

func (m *Metrics) slowClose() {
	if m != nil {
		m.slowCloses.Inc()
	}
}

// Resume implements session.Metrics.
func (m *Metrics) Resume(outcome string) {
	if m != nil {
		m.resumes.WithLabelValues(outcome).Inc()
	}
}

// TileGroup implements session.Metrics.
func (m *Metrics) TileGroup(d time.Duration) {
	if m != nil {
		m.tiles.Observe(d.Seconds())
	}
}

// Histogram implements session.Metrics.
func (m *Metrics) Histogram(d time.Duration) {
	if m != nil {
		m.histograms.Observe(d.Seconds())
	}
}

// Checkpoint implements session.Metrics.
func (m *Metrics) Checkpoint(d time.Duration, err error) {
	if m != nil {
		m.checkpoints.Observe(d.Seconds())
		if err != nil {
			m.ckptFails.Inc()
		}
	}
}

// CheckpointRefused implements session.Metrics.
func (m *Metrics) CheckpointRefused(n int) {
	if m != nil {
		m.ckptRefused.Add(float64(n))
	}
}
