package session

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"cartago/icd"
)

// countingMetrics records what the session reports.
type countingMetrics struct {
	mu          sync.Mutex
	resumes     map[string]int
	checkpoints int
	failures    int
	refused     int
}

func (m *countingMetrics) Resume(o string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.resumes[o]++
}
func (m *countingMetrics) TileGroup(time.Duration) {}
func (m *countingMetrics) Histogram(time.Duration) {}
func (m *countingMetrics) CheckpointRefused(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refused += n
}
func (m *countingMetrics) Checkpoint(_ time.Duration, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checkpoints++
	if err != nil {
		m.failures++
	}
}

func registerOn(t *testing.T, m *Manager, id uint32) *icd.RegisterViewerAck {
	t.Helper()
	p := &pipe{t: t, wake: make(chan struct{}, 1)}
	p.client = m.NewClient(p, "pipe", nil)
	t.Cleanup(p.client.Close)
	sendMsg(t, p, icd.EventType_REGISTER_VIEWER, icd.Version, 1, &icd.RegisterViewer{SessionId: id, ClientFeatureFlags: 5})
	return expect(t, p, icd.EventType_REGISTER_VIEWER_ACK, &icd.RegisterViewerAck{})
}

// A session resumed from the database after a restart counts as stored,
// an id nobody knows as unknown, a new session as neither; each commit
// is reported, and a commit on a closed database as a failure.
func TestMetricsResumeOutcomesAndCheckpoints(t *testing.T) {
	db := openTestStore(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	met := &countingMetrics{resumes: map[string]int{}}
	first := NewManager(Config{Store: db, CheckpointInterval: time.Hour, Logger: log, Metrics: met})
	id := registerOn(t, first, 0).SessionId
	first.mu.Lock()
	s := first.sessions[id]
	first.mu.Unlock()
	first.ckpt.mark(s) // a new session is stored on its first change
	commitNow(t, first)
	first.Close("restart")

	second := NewManager(Config{Store: db, CheckpointInterval: time.Hour, Logger: log, Metrics: met})
	t.Cleanup(func() { second.Close("test over") })
	if ack := registerOn(t, second, id); ack.SessionType != icd.SessionType_RESUMED {
		t.Fatalf("ack %+v", ack)
	}
	registerOn(t, second, id+1000)
	met.mu.Lock()
	got, commits := met.resumes, met.checkpoints
	met.mu.Unlock()
	if len(got) != 2 || got[ResumeStored] != 1 || got[ResumeUnknown] != 1 {
		t.Errorf("resumes %v, want one stored and one unknown", got)
	}
	if commits < 1 {
		t.Errorf("%d checkpoints reported, want at least one", commits)
	}
	must(t, db.Close())
	if err := second.ckpt.do(t.Context(), nil); err == nil {
		t.Fatal("a commit on a closed database succeeded")
	}
	met.mu.Lock()
	defer met.mu.Unlock()
	if met.failures < 1 {
		t.Errorf("the failed commit was not reported")
	}
}
