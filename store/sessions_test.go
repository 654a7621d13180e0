package store

import (
	"errors"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
)

// openTemp opens an empty store: a bbolt file, or under
// TestEtcdBackend a fresh prefix of its cluster.
func openTemp(t *testing.T) *Store {
	t.Helper()
	if onEtcd(t) {
		return openEtcdTemp(t, EtcdConfig{})
	}
	s, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestStoreMatchesModel runs random sequences of put, get, delete and
// expiry (with and without sessions to keep) against the store and an
// in-memory map and compares them, directly and inside transactions,
// some of which are abandoned and must change nothing.
func TestStoreMatchesModel(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	s := openTemp(t)
	model := map[uint32]*Snapshot{}
	steps := 2000
	if onEtcd(t) {
		steps = 300 // a few round trips each
	}
	for step := range steps {
		switch op := rng.IntN(12); {
		case op < 10:
			modelStep(t, rng, step, s, model)
		case op < 11:
			list, err := s.List()
			ids := make([]uint32, 0, len(list))
			for _, snap := range list {
				ids = append(ids, snap.SessionId)
			}
			if want := slices.Sorted(maps.Keys(model)); err != nil || !slices.Equal(ids, want) {
				t.Fatalf("step %d list: %v, %v; want %v", step, ids, err, want)
			}
		default:
			model = modelTransaction(t, rng, step, s, model)
		}
	}
	if err := s.Check(); err != nil {
		t.Fatalf("bbolt check: %v", err)
	}
}

// sessionWriter is what Store and Tx both offer, so the model test runs
// the same operations directly and inside transactions.
type sessionWriter interface {
	Put(snaps ...*Snapshot) error
	Get(id uint32) (*Snapshot, error)
	Delete(ids ...uint32) (int, error)
	DeleteInactiveSince(t time.Time, keep func(id uint32) bool) ([]uint32, error)
}

var errAbandon = errors.New("transaction abandoned")

// modelTransaction runs a few operations in one transaction and returns
// the model after it: changed when it committed, as before when not.
func modelTransaction(t *testing.T, rng *rand.Rand, step int, s *Store, model map[uint32]*Snapshot) map[uint32]*Snapshot {
	t.Helper()
	trial := maps.Clone(model)
	abandon := rng.IntN(3) == 0
	err := s.Update(func(tx *Tx) error {
		for range 1 + rng.IntN(6) {
			modelStep(t, rng, step, tx, trial)
		}
		if abandon {
			return errAbandon
		}
		return nil
	})
	switch {
	case abandon && !errors.Is(err, errAbandon):
		t.Fatalf("step %d: abandoned transaction returned %v", step, err)
	case !abandon && err != nil:
		t.Fatalf("step %d: transaction: %v", step, err)
	case !abandon:
		return trial
	}
	return model
}

// modelStep runs one random operation on w and on model and checks that
// they agree.
func modelStep(t *testing.T, rng *rand.Rand, step int, w sessionWriter, model map[uint32]*Snapshot) {
	t.Helper()
	id := uint32(rng.IntN(40))
	switch op := rng.IntN(10); {
	case op < 4: // put one or a batch
		var batch []*Snapshot
		for range 1 + rng.IntN(3) {
			snap := &Snapshot{SessionId: id, LastActiveUnixMs: int64(rng.IntN(1000)),
				Images: []*Image{{FileId: int32(rng.IntN(5)), File: "f.fits", Channel: int32(step)}}}
			batch = append(batch, snap)
			model[id] = proto.CloneOf(snap)
			id = uint32(rng.IntN(40))
		}
		if err := w.Put(batch...); err != nil {
			t.Fatalf("step %d put: %v", step, err)
		}
	case op < 7:
		got, err := w.Get(id)
		want, ok := model[id]
		if !ok {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("step %d get %d: %v, want ErrNotFound", step, id, err)
			}
			return
		}
		want = proto.CloneOf(want)
		want.Version = SnapshotVersion
		if err != nil || !proto.Equal(got, want) {
			t.Fatalf("step %d get %d = %v, %v; want %v", step, id, got, err, want)
		}
	case op < 8:
		n, err := w.Delete(id)
		_, existed := model[id]
		if err != nil || (n == 1) != existed {
			t.Fatalf("step %d delete %d: n=%d err=%v, existed %v", step, id, n, err, existed)
		}
		delete(model, id)
	default:
		modelExpire(t, rng, step, w, model)
	}
}

// modelExpire deletes what is inactive since a random time, keeping a
// random set of ids (or none), as the TTL reaper does with live sessions.
func modelExpire(t *testing.T, rng *rand.Rand, step int, w sessionWriter, model map[uint32]*Snapshot) {
	t.Helper()
	cut := int64(rng.IntN(1000))
	var keep func(uint32) bool
	if rng.IntN(2) == 0 {
		kept := map[uint32]bool{}
		for range rng.IntN(20) {
			kept[uint32(rng.IntN(40))] = true
		}
		keep = func(id uint32) bool { return kept[id] }
	}
	gone, err := w.DeleteInactiveSince(time.UnixMilli(cut), keep)
	var want []uint32
	for id, snap := range model {
		if snap.LastActiveUnixMs < cut && (keep == nil || !keep(id)) {
			want = append(want, id)
			delete(model, id)
		}
	}
	slices.Sort(want)
	if err != nil || !slices.Equal(gone, want) {
		t.Fatalf("step %d expire before %d: %v %v, want %v", step, cut, gone, err, want)
	}
}

func TestTokenKeptAcrossOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tok, _ := s.Token(); tok != "" {
		t.Fatalf("new database has token %q", tok)
	}
	if err := s.SetToken("abc"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if tok, _ := s.Token(); tok != "abc" {
		t.Fatalf("token after reopen %q", tok)
	}
}

func TestReadOnlyOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	if _, err := Open(path, Options{ReadOnly: true}); err == nil {
		t.Fatal("read-only open of a missing file succeeded")
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Put(&Snapshot{SessionId: 5})
	// A read-only open fails fast while the writer holds the file.
	if _, err := Open(path, Options{ReadOnly: true, LockTimeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("read-only open beside a writer: %v", err)
	}
	s.Close()
	r1, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	if ok, _ := r1.Has(5); !ok {
		t.Fatal("snapshot missing in read-only view")
	}
}

func TestCorruptSnapshotReported(t *testing.T) {
	s := openTemp(t)
	s.Put(&Snapshot{SessionId: 1}, &Snapshot{SessionId: 3})
	s.be.update(func(tx bucket) error { return tx.Bucket(bucketSessions).Put(key(2), []byte{0xff, 0xff}) })
	list, err := s.List()
	if len(list) != 2 || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("list with a bad value: %d snapshots, %v", len(list), err)
	}
	if _, err := s.Get(2); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("get bad value: %v", err)
	}
}
