package ws

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"cartago/icd"
	"cartago/imaging/tiles"
	"cartago/session"
	"cartago/store"
)

// metricsServer is a real server on loopback with a real bbolt store,
// its metrics listener on a second loopback port.
type metricsServer struct {
	*testServer
	db      *store.Store
	metrics string // address of the metrics listener
}

func startMetricsServer(t *testing.T) *metricsServer {
	t.Helper()
	return startMetricsServerHooks(t, nil)
}

// startMetricsServerHooks is startMetricsServer with test hooks.
func startMetricsServerHooks(t *testing.T, hooks *testHooks) *metricsServer {
	t.Helper()
	root := t.TempDir()
	writeCube(t, filepath.Join(root, "cube.fits"))
	folder, err := session.NewFolder(root, "")
	must(t, err)
	db, err := store.Open(filepath.Join(t.TempDir(), "sessions.db"), store.Options{NoSync: true})
	must(t, err)
	t.Cleanup(func() { db.Close() }) // closing twice is harmless
	met := NewMetrics()
	ts := startServerWith(t, Config{AuthToken: testToken, Store: db, Metrics: met, hooks: hooks},
		session.Config{Folder: folder, Store: db, Metrics: met})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ops := &http.Server{Handler: ts.srv.MetricsHandler()}
	errc := make(chan error, 1)
	go func() { errc <- ops.Serve(l) }()
	t.Cleanup(func() {
		ops.Close()
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("metrics serve: %v", err)
		}
	})
	return &metricsServer{testServer: ts, db: db, metrics: l.Addr().String()}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, string(body)
}

// scrape parses /metrics with the Prometheus text parser.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	must(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	must(t, err)
	return fams
}

// value returns the value of the sample of name whose labels include
// want (nil: the only sample); a histogram gives its sample count.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	fam := fams[name]
	if fam == nil {
		t.Fatalf("metric %s missing", name)
	}
next:
	for _, m := range fam.Metric {
		for _, lp := range m.Label {
			if v, ok := want[lp.GetName()]; ok && v != lp.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("metric %s has no sample with labels %v", name, want)
	return 0
}

func byType(t icd.EventType) map[string]string { return map[string]string{"type": t.String()} }

// waitValue polls the metric until it reaches want (counters move
// after the message that caused them is written, so the client may see
// it first).
func waitValue(t *testing.T, addr, name string, labels map[string]string, want float64) map[string]*dto.MetricFamily {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		fams := scrape(t, addr)
		if fam := fams[name]; fam != nil && value(t, fams, name, labels) == want {
			return fams
		}
		if time.Now().After(deadline) {
			got := -1.0
			if fams[name] != nil {
				got = value(t, fams, name, labels)
			}
			t.Fatalf("%s%v = %g, want %g", name, labels, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMetricsCountAProtocolSession(t *testing.T) {
	ms := startMetricsServer(t)
	fams := scrape(t, ms.metrics)
	if got := value(t, fams, "cartago_connections", nil); got != 0 {
		t.Fatalf("connections before any = %g", got)
	}
	c := ms.dial(t, testToken)
	register(t, c, 0)
	openCube(t, c, 0) // OPEN_FILE_ACK and the image histogram
	req := []int32{tiles.Encode(0, 0, 1), tiles.Encode(1, 0, 1)}
	sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, 30, 6, &icd.AddRequiredTiles{FileId: 0, Tiles: req, CompressionType: icd.CompressionType_NONE})
	readTileGroup(t, c, 0, 0)

	fams = waitValue(t, ms.metrics, "cartago_tile_latency_seconds", nil, 1)
	for _, w := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"cartago_connections", nil, 1},
		{"cartago_live_sessions", nil, 1},
		{"cartago_messages_in_total", byType(icd.EventType_REGISTER_VIEWER), 1},
		{"cartago_messages_in_total", byType(icd.EventType_OPEN_FILE), 1},
		{"cartago_messages_in_total", byType(icd.EventType_ADD_REQUIRED_TILES), 1},
		{"cartago_messages_out_total", byType(icd.EventType_REGISTER_VIEWER_ACK), 1},
		{"cartago_messages_out_total", byType(icd.EventType_OPEN_FILE_ACK), 1},
		{"cartago_messages_out_total", byType(icd.EventType_REGION_HISTOGRAM_DATA), 1},
		{"cartago_messages_out_total", byType(icd.EventType_RASTER_TILE_SYNC), 2},
		{"cartago_messages_out_total", byType(icd.EventType_RASTER_TILE_DATA), 2},
		{"cartago_histogram_latency_seconds", nil, 1},
		{"cartago_resumes_total", map[string]string{"outcome": "live"}, 0},
	} {
		if got := value(t, fams, w.name, w.labels); got != w.want {
			t.Errorf("%s%v = %g, want %g", w.name, w.labels, got, w.want)
		}
	}
	// Two raw float32 tiles of a 300×200 image at layer 1 (150×100
	// pixels in all) alone are 60,000 bytes.
	if got := value(t, fams, "cartago_bytes_out_total", nil); got < 60000 {
		t.Errorf("bytes out = %g, less than the two raw tiles", got)
	}
	if got := value(t, fams, "cartago_store_size_bytes", nil); got <= 0 {
		t.Errorf("store size = %g", got)
	}
	// The session is committed within the checkpoint interval.
	waitValue(t, ms.metrics, "cartago_stored_sessions", nil, 1)
	if got := value(t, scrape(t, ms.metrics), "cartago_checkpoint_commit_seconds", nil); got < 1 {
		t.Errorf("checkpoint commits = %g, want at least one", got)
	}
	c.Close()
	waitValue(t, ms.metrics, "cartago_connections", nil, 0)
}

func TestMetricsCountResumeOutcomes(t *testing.T) {
	ms := startMetricsServer(t)
	c := ms.dial(t, testToken)
	id := register(t, c, 0).SessionId
	c.Close()
	c = ms.dial(t, testToken)
	register(t, c, id) // still in memory
	register(t, ms.dial(t, testToken), 4242)
	waitValue(t, ms.metrics, "cartago_resumes_total", map[string]string{"outcome": "live"}, 1)
	waitValue(t, ms.metrics, "cartago_resumes_total", map[string]string{"outcome": "unknown"}, 1)
}

func TestHealthAndReadiness(t *testing.T) {
	ms := startMetricsServer(t)
	for _, addr := range []string{ms.addr, ms.metrics} {
		// No token: they say nothing and open nothing.
		if code, body := httpGet(t, "http://"+addr+"/healthz"); code != http.StatusOK || body != "ok\n" {
			t.Errorf("%s /healthz = %d %q", addr, code, body)
		}
		if code, _ := httpGet(t, "http://"+addr+"/readyz"); code != http.StatusOK {
			t.Errorf("%s /readyz = %d with a working store", addr, code)
		}
	}
	if n := ms.mgr.Len(); n != 0 {
		t.Errorf("probes opened %d sessions", n)
	}
	if got := value(t, scrape(t, ms.metrics), "cartago_connections", nil); got != 0 {
		t.Errorf("probes counted %g connections", got)
	}
	// /metrics is for the operators' listener only.
	if code, body := httpGet(t, "http://"+ms.addr+"/metrics"); code == http.StatusOK {
		t.Errorf("main listener served /metrics: %.80q", body)
	}
	must(t, ms.db.Close())
	for _, addr := range []string{ms.addr, ms.metrics} {
		if code, _ := httpGet(t, "http://"+addr+"/readyz"); code != http.StatusServiceUnavailable {
			t.Errorf("%s /readyz = %d with the store closed, want 503", addr, code)
		}
		if code, _ := httpGet(t, "http://"+addr+"/healthz"); code != http.StatusOK {
			t.Errorf("%s /healthz = %d with the store closed: the process is alive", addr, code)
		}
	}
}

// A server without Metrics (tests that do not care) still serves the
// probes and counts nothing.
func TestNilMetrics(t *testing.T) {
	ts := startServer(t, Config{AuthToken: testToken})
	c := ts.dial(t, testToken)
	register(t, c, 0)
	if code, _ := httpGet(t, "http://"+ts.addr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz without a store = %d", code)
	}
	rec := httptest.NewRecorder()
	ts.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("/metrics without Metrics = %d", rec.Code)
	}
}
