package session

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"
	"time"

	"cartago/icd"
	"cartago/store"
	"cartago/store/etcdtest"
)

// A snapshot too large for etcd is left out of the commit with an error
// line and a count, and the rest of the batch commits: two sessions
// change together, the one with a (made up) 300-byte owner exceeds a
// request size of 120 bytes beyond etcd's framing, the other fits.
func TestCheckpointRefusesTooLargeSnapshotOnEtcd(t *testing.T) {
	c := etcdtest.Start(t, 1)
	db, err := store.OpenEtcd(store.EtcdConfig{Endpoints: c.Endpoints(), Prefix: "/refuse/",
		MaxRequestBytes: 16<<10 + 120, CompressAbove: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sink := &logSink{}
	met := &countingMetrics{resumes: map[string]int{}}
	m := NewManager(Config{Store: db, CheckpointInterval: time.Hour, SessionTTL: time.Hour, Logger: slog.New(sink), Metrics: met})
	t.Cleanup(func() { m.Close("test over") })
	small := registerOwned(t, m, nil).SessionId
	large := registerOwned(t, m, bytes.Repeat([]byte{7}, 300)).SessionId
	m.mu.Lock()
	for _, s := range m.sessions {
		m.ckpt.mark(s)
	}
	m.mu.Unlock()
	commitNow(t, m)
	if !isStored(t, db, small) {
		t.Fatal("the small snapshot was not committed with the refused one")
	}
	if _, err := db.Get(large); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the large snapshot: %v", err)
	}
	met.mu.Lock()
	refused := met.refused
	met.mu.Unlock()
	if refused != 1 {
		t.Fatalf("%d refusals counted, want 1", refused)
	}
	if n := sink.count(slog.LevelError, "session snapshot refused by the store"); n != 1 {
		t.Fatalf("%d error lines about the refusal, want 1", n)
	}
}

// registerOwned registers a new session for owner through a pipe.
func registerOwned(t *testing.T, m *Manager, owner []byte) *icd.RegisterViewerAck {
	t.Helper()
	p := &pipe{t: t, wake: make(chan struct{}, 1)}
	p.client = m.NewClient(p, "pipe", owner)
	t.Cleanup(p.client.Close)
	sendMsg(t, p, icd.EventType_REGISTER_VIEWER, icd.Version, 1, &icd.RegisterViewer{ClientFeatureFlags: 5})
	return expect(t, p, icd.EventType_REGISTER_VIEWER_ACK, &icd.RegisterViewerAck{})
}
