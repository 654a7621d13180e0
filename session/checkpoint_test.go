package session

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cartago/icd"
	"cartago/store"
)

// logSink is a slog.Handler that keeps every record, for tests that
// count log lines.
type logSink struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (l *logSink) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logSink) WithGroup(string) slog.Handler            { return l }

func (l *logSink) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

// count reports how many records of level start with msg.
func (l *logSink) count(level slog.Level, msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if r.Level == level && strings.HasPrefix(r.Message, msg) {
			n++
		}
	}
	return n
}

// attr returns attribute key of the last record of level starting with msg.
func (l *logSink) attr(level slog.Level, msg, key string) slog.Value {
	l.mu.Lock()
	defer l.mu.Unlock()
	var v slog.Value
	for _, r := range l.records {
		if r.Level == level && strings.HasPrefix(r.Message, msg) {
			r.Attrs(func(a slog.Attr) bool {
				if a.Key == key {
					v = a.Value
				}
				return true
			})
		}
	}
	return v
}

// openTestStore opens a real bbolt file in a temporary folder.
func openTestStore(t *testing.T) *store.Store {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// storedManager returns a manager on db whose checkpoints never come
// from the interval timer within a test: they land when the test says.
func storedManager(t *testing.T, db *store.Store, log *slog.Logger) *Manager {
	t.Helper()
	m := NewManager(Config{Store: db, CheckpointInterval: time.Hour, SessionTTL: time.Hour, Logger: log})
	t.Cleanup(func() { m.Close("test over") })
	return m
}

// commitNow makes the checkpoint writer commit what is dirty now.
func commitNow(t *testing.T, m *Manager) {
	t.Helper()
	if err := m.ckpt.do(t.Context(), func(*store.Tx) ([]*Session, error) { return nil, nil }); err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
}

func isStored(t *testing.T, db *store.Store, id uint32) bool {
	t.Helper()
	ok, err := db.Has(id)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// change sends a message that marks the session dirty (it fails: no
// image is open, but a failed handler may have changed state too).
func change(t *testing.T, c *Client) {
	t.Helper()
	handle(t, c, icd.EventType_SET_IMAGE_CHANNELS, 0, &icd.SetImageChannels{FileId: 9, Channel: 1})
}

func pickIDs(ids ...uint32) func(*store.Tx, func(uint32) bool) ([]uint32, error) {
	return func(*store.Tx, func(uint32) bool) ([]uint32, error) { return ids, nil }
}

// A purged live session whose handler marks it after the purge, with a
// checkpoint landing right after, must stay purged; a new session under
// the same id is stored as usual.
func TestPurgeOutlivesLateCheckpoint(t *testing.T) {
	db := openTestStore(t)
	m := storedManager(t, db, slog.New(slog.DiscardHandler))
	rec := &recorder{}
	c := m.NewClient(rec, "test", nil)
	handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
	id := c.SessionID()
	change(t, c)
	commitNow(t, m)
	if !isStored(t, db, id) {
		t.Fatal("session not checkpointed before the purge")
	}
	change(t, c) // pending when the purge comes

	ended, err := m.Purge(t.Context(), "purged by test", pickIDs(id))
	if err != nil || !slices.Equal(ended, []uint32{id}) || rec.closed != "purged by test" {
		t.Fatalf("purge: ended %v, %v; socket closed with %q", ended, err, rec.closed)
	}
	change(t, c) // the purged socket's read loop was still running
	commitNow(t, m)
	if isStored(t, db, id) {
		t.Fatal("a checkpoint after the purge wrote the purged session back")
	}

	c2 := m.NewClient(&recorder{}, "test", nil)
	handle(t, c2, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{SessionId: id})
	change(t, c2)
	change(t, c) // the old socket once more
	m.Close("test over")
	if !isStored(t, db, id) {
		t.Fatal("a new session under a purged id was not stored")
	}
}

// A purge that selects by activity keeps live sessions and ends none.
func TestPurgeKeepsWhatPickLeaves(t *testing.T) {
	db := openTestStore(t)
	m := storedManager(t, db, slog.New(slog.DiscardHandler))
	c := m.NewClient(&recorder{}, "test", nil)
	handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
	id := c.SessionID()
	stale := id + 1
	if err := db.Put(&store.Snapshot{SessionId: stale}); err != nil {
		t.Fatal(err)
	}
	var sawLive bool
	ended, err := m.Purge(t.Context(), "purged", func(tx *store.Tx, live func(uint32) bool) ([]uint32, error) {
		sawLive = live(id) && !live(stale)
		return []uint32{stale}, nil
	})
	if err != nil || len(ended) != 0 || !sawLive {
		t.Fatalf("purge: ended %v, %v; live seen right: %v", ended, err, sawLive)
	}
	if isStored(t, db, stale) || m.Len() != 1 {
		t.Fatalf("after purge: stale stored %v, %d live", isStored(t, db, stale), m.Len())
	}
}

// The reaper must leave the old snapshot of a live session in place,
// not delete it and write it back: a crash in between would lose the
// session. The interval timer never fires here, so a session deleted
// and marked for rewriting would still be missing when reap returns.
func TestReaperKeepsLiveSessions(t *testing.T) {
	db := openTestStore(t)
	m := storedManager(t, db, slog.New(slog.DiscardHandler))
	c := m.NewClient(&recorder{}, "test", nil)
	handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
	live := c.SessionID()
	stale, fresh := live+1, live+2
	old := time.Now().Add(-2 * time.Hour).UnixMilli()
	err := db.Put(&store.Snapshot{SessionId: live, LastActiveUnixMs: old},
		&store.Snapshot{SessionId: stale, LastActiveUnixMs: old},
		&store.Snapshot{SessionId: fresh, LastActiveUnixMs: time.Now().UnixMilli()})
	if err != nil {
		t.Fatal(err)
	}
	m.reap(t.Context(), time.Hour)
	if !isStored(t, db, live) {
		t.Fatal("reaper deleted the snapshot of a live session")
	}
	if isStored(t, db, stale) || !isStored(t, db, fresh) {
		t.Fatalf("reaper: stale stored %v, fresh stored %v", isStored(t, db, stale), isStored(t, db, fresh))
	}
}

// limitFileSize makes every write of this process beyond size bytes of
// a file fail with EFBIG, as a full disk would (Go ignores SIGXFSZ). It
// returns the function that lifts the limit, which also runs at cleanup.
// Test output is not affected: it goes to a pipe, which has no size.
func limitFileSize(t *testing.T, size int) func() {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = uint64(size)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	lift := func() {
		once.Do(func() {
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(lift)
	return lift
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A commit that fails (the file cannot grow: writes past its two meta
// pages fail) is retried on a timer without any new change, is logged at
// a limited rate, and succeeds once the file can grow again.
func TestFailedCommitRetriedWithoutNewChange(t *testing.T) {
	db := openTestStore(t)
	sink := &logSink{}
	m := NewManager(Config{Store: db, CheckpointInterval: 10 * time.Millisecond, Logger: slog.New(sink)})
	defer m.Close("test over")
	c := m.NewClient(&recorder{}, "test", nil)
	handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
	id := c.SessionID()

	lift := limitFileSize(t, 2*os.Getpagesize())
	start := time.Now()
	change(t, c) // the only change
	waitFor(t, "three failed commits", func() bool { return sink.count(slog.LevelDebug, "checkpoint failed") >= 3 })
	failing := time.Since(start)
	lines := sink.count(slog.LevelError, "checkpoints failing")
	if lines < 1 || lines > 1+int(failing/failureLogEvery) {
		t.Errorf("%d error lines for %d failures in %v", lines, sink.count(slog.LevelDebug, "checkpoint failed"), failing)
	}
	if isStored(t, db, id) {
		t.Fatal("commit succeeded although the file could not grow")
	}

	lift()
	waitFor(t, "the retried commit", func() bool { return isStored(t, db, id) })
	waitFor(t, "the recovery line", func() bool { return sink.count(slog.LevelInfo, "checkpoints succeed again") == 1 })
	if err := db.Check(); err != nil {
		t.Fatalf("bbolt check after failed commits: %v", err)
	}
}

func TestFailureLogRateLimited(t *testing.T) {
	sink := &logSink{}
	now := time.Unix(1000, 0)
	f := failureLog{log: slog.New(sink), every: time.Minute, now: func() time.Time { return now }}
	errors := func() int { return sink.count(slog.LevelError, "checkpoints failing") }
	for range 5 {
		f.failed(os.ErrPermission, 1, time.Second)
		now = now.Add(10 * time.Second)
	}
	if errors() != 1 || sink.count(slog.LevelDebug, "checkpoint failed") != 5 {
		t.Fatalf("5 failures in 50 s: %d error lines, %d debug", errors(), sink.count(slog.LevelDebug, "checkpoint failed"))
	}
	now = now.Add(20 * time.Second) // a minute after the first line
	f.failed(os.ErrPermission, 1, time.Second)
	if errors() != 2 || sink.attr(slog.LevelError, "checkpoints failing", "failures").Int64() != 5 {
		t.Fatalf("after a minute: %d error lines, last counting %v", errors(), sink.attr(slog.LevelError, "checkpoints failing", "failures"))
	}
	f.succeeded()
	f.succeeded()
	if sink.count(slog.LevelInfo, "checkpoints succeed again") != 1 || sink.attr(slog.LevelInfo, "checkpoints succeed", "failures").Int64() != 6 {
		t.Fatalf("recovery lines: %d", sink.count(slog.LevelInfo, "checkpoints succeed again"))
	}
	f.failed(os.ErrPermission, 1, time.Second) // a new run is reported at once
	if errors() != 3 {
		t.Fatalf("first failure of a new run: %d error lines", errors())
	}
}

// BenchmarkReap10k measures one TTL pass over 10,000 stored sessions
// with nothing to expire: registrations wait this long once an hour.
func BenchmarkReap10k(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "s.db"), store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UnixMilli()
	snaps := make([]*store.Snapshot, 0, 10_000)
	for i := range 10_000 {
		snaps = append(snaps, &store.Snapshot{SessionId: uint32(i + 1), LastActiveUnixMs: now,
			Images: []*store.Image{{FileId: 0, File: "cube.fits", Channel: 3}, {FileId: 1, File: "m51.fits"}}})
	}
	if err := db.Put(snaps...); err != nil {
		b.Fatal(err)
	}
	m := NewManager(Config{Store: db, CheckpointInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	defer m.Close("benchmark over")
	for b.Loop() {
		m.reap(b.Context(), time.Hour)
	}
}

// BenchmarkPurgeLive measures purging one live session through the
// checkpoint writer (fsync included): registrations wait this long.
func BenchmarkPurgeLive(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "s.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	m := NewManager(Config{Store: db, CheckpointInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	defer m.Close("benchmark over")
	for b.Loop() {
		c := m.NewClient(&recorder{}, "bench", nil)
		c.Handle(b.Context(), icd.Header{Type: icd.EventType_REGISTER_VIEWER, Version: icd.Version}, nil)
		c.session.markDirty()
		if _, err := m.Purge(b.Context(), "purged", pickIDs(c.SessionID())); err != nil {
			b.Fatal(err)
		}
	}
}
