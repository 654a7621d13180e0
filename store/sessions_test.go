package store

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestStoreMatchesModel runs random sequences of put, get, delete and
// expiry against the store and an in-memory map and compares them.
func TestStoreMatchesModel(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	s := openTemp(t)
	model := map[uint32]*Snapshot{}
	for step := range 2000 {
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
			if err := s.Put(batch...); err != nil {
				t.Fatalf("step %d put: %v", step, err)
			}
		case op < 7:
			got, err := s.Get(id)
			want, ok := model[id]
			if !ok {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("step %d get %d: %v, want ErrNotFound", step, id, err)
				}
				continue
			}
			want.Version = SnapshotVersion
			if err != nil || !proto.Equal(got, want) {
				t.Fatalf("step %d get %d = %v, %v; want %v", step, id, got, err, want)
			}
		case op < 8:
			n, err := s.Delete(id)
			_, existed := model[id]
			if err != nil || (n == 1) != existed {
				t.Fatalf("step %d delete %d: n=%d err=%v, existed %v", step, id, n, err, existed)
			}
			delete(model, id)
		case op < 9:
			cut := int64(rng.IntN(1000))
			gone, err := s.DeleteInactiveSince(time.UnixMilli(cut))
			var want []uint32
			for mid, snap := range model {
				if snap.LastActiveUnixMs < cut {
					want = append(want, mid)
					delete(model, mid)
				}
			}
			slices.Sort(want)
			if err != nil || !slices.Equal(gone, want) {
				t.Fatalf("step %d expire before %d: %v %v, want %v", step, cut, gone, err, want)
			}
		default:
			list, err := s.List()
			if err != nil || len(list) != len(model) {
				t.Fatalf("step %d list: %d snapshots, %v; want %d", step, len(list), err, len(model))
			}
		}
	}
	if err := s.Check(); err != nil {
		t.Fatalf("bbolt check: %v", err)
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
	s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSessions).Put(key(2), []byte{0xff, 0xff}) })
	list, err := s.List()
	if len(list) != 2 || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("list with a bad value: %d snapshots, %v", len(list), err)
	}
	if _, err := s.Get(2); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("get bad value: %v", err)
	}
}
