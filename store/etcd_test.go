package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"cartago/store/etcdtest"
)

// testCluster is the cluster of TestEtcdBackend while it runs.
var (
	testClusterMu sync.Mutex
	testCluster   *etcdtest.Cluster
	testPrefixes  int
)

func onEtcd(t *testing.T) bool { return strings.HasPrefix(t.Name(), "TestEtcdBackend/") }

// openEtcdTemp opens a store under a prefix of its own on the cluster
// of TestEtcdBackend.
func openEtcdTemp(t *testing.T, cfg EtcdConfig) *Store {
	t.Helper()
	testClusterMu.Lock()
	c := testCluster
	testPrefixes++
	n := testPrefixes
	testClusterMu.Unlock()
	if c == nil {
		t.Fatal("no etcd cluster: run under TestEtcdBackend")
	}
	cfg.Endpoints = c.Endpoints()
	cfg.Prefix = fmt.Sprintf("/test%d/", n)
	s, err := OpenEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestEtcdBackend runs the store's tests against a 3-member etcd
// cluster, each under its own prefix, and then the tests of what only
// etcd does.
func TestEtcdBackend(t *testing.T) {
	c := etcdtest.Start(t, 3)
	testClusterMu.Lock()
	testCluster = c
	testClusterMu.Unlock()
	t.Cleanup(func() {
		testClusterMu.Lock()
		testCluster = nil
		testClusterMu.Unlock()
	})
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"StoreMatchesModel", TestStoreMatchesModel},
		{"CorruptSnapshotReported", TestCorruptSnapshotReported},
		{"PreferencesPerOwnerAndAtomic", TestPreferencesPerOwnerAndAtomic},
		{"ObjectsPutDeleteLimit", TestObjectsPutDeleteLimit},
		{"WorkspacesKeepIDAndListNewestFirst", TestWorkspacesKeepIDAndListNewestFirst},
		{"WorkspaceLimits", TestWorkspaceLimits},
		{"ShareWorkspace", TestShareWorkspace},
		{"CorruptWorkspaceReported", TestCorruptWorkspaceReported},
		{"UserDataNewerSchemaRefused", TestUserDataNewerSchemaRefused},
		{"PurgeUserData", TestPurgeUserData},
		{"TokenAndCount", testEtcdTokenAndCount},
		{"CompressesAndRefuses", testEtcdCompressesAndRefuses},
		{"SplitsLargeCommits", testEtcdSplitsLargeCommits},
		{"ConcurrentWritersLoseNothing", testEtcdConcurrentWriters},
		{"NewerSchemaRefused", testEtcdNewerSchemaRefused},
		{"EmptyPrefixReadOnly", testEtcdEmptyPrefixReadOnly},
		{"ClaimsMoveBetweenNodes", testEtcdClaims},
	} {
		t.Run(tc.name, tc.fn)
	}
	// Last: it stops members.
	t.Run("MemberStoppedDuringCheckpoints", testEtcdMemberStopped)
}

func testEtcdTokenAndCount(t *testing.T) {
	s := openEtcdTemp(t, EtcdConfig{})
	if tok, err := s.KeepToken("tok"); tok != "tok" || err != nil {
		t.Fatalf("keep token = %q, %v", tok, err)
	}
	if tok, err := s.KeepToken("other"); tok != "tok" || err != nil { // as a second node starting
		t.Fatalf("keep a second token = %q, %v; want the first", tok, err)
	}
	if tok, err := s.Token(); tok != "tok" || err != nil {
		t.Fatalf("token = %q, %v", tok, err)
	}
	must(t, s.Put(&Snapshot{SessionId: 1}, &Snapshot{SessionId: 2}))
	if n, err := s.Count(); n != 2 || err != nil {
		t.Fatalf("count = %d, %v; want 2", n, err)
	}
	if n, err := s.Size(); n <= 0 || err != nil {
		t.Fatalf("size = %d, %v", n, err)
	}
	must(t, s.Ready(t.Context()))
	must(t, s.Check())
	// Another store on the same prefix sees it all: nothing is kept in
	// the process.
	other, err := OpenEtcd(EtcdConfig{Endpoints: testCluster.Endpoints(), Prefix: s.be.(*etcdBackend).cfg.Prefix, ReadOnly: true})
	must(t, err)
	defer other.Close()
	if tok, _ := other.Token(); tok != "tok" {
		t.Fatalf("token from another client = %q", tok)
	}
	if list, err := other.List(); len(list) != 2 || err != nil {
		t.Fatalf("list from another client: %d, %v", len(list), err)
	}
}

// rawValue reads key's stored bytes directly.
func rawValue(t *testing.T, s *Store, id uint32) []byte {
	t.Helper()
	be := s.be.(*etcdBackend)
	resp, err := be.cli.Get(t.Context(), be.sessionsPrefix()+escapeName(key(id)))
	must(t, err)
	if len(resp.Kvs) != 1 {
		t.Fatalf("session %d: %d keys", id, len(resp.Kvs))
	}
	return resp.Kvs[0].Value
}

func bigSnapshot(id uint32, n int, random bool) *Snapshot {
	data := bytes.Repeat([]byte("region "), n/7+1)[:n]
	if random { // text (protobuf strings are UTF-8) that compresses to 3/4
		raw := make([]byte, n*3/4)
		rand.Read(raw)
		data = []byte(base64.StdEncoding.EncodeToString(raw))
	}
	return &Snapshot{SessionId: id, Images: []*Image{{File: "f.fits", Directory: string(data)}}}
}

func testEtcdCompressesAndRefuses(t *testing.T) {
	s := openEtcdTemp(t, EtcdConfig{CompressAbove: 1 << 10})
	small := &Snapshot{SessionId: 1, LastActiveUnixMs: 5}
	large := bigSnapshot(2, 4<<20, false) // 4 MiB that compresses well
	huge := bigSnapshot(3, 3<<20, true)   // 3 MiB that compresses to 2.25
	var refused []Refusal
	must(t, s.Update(func(tx *Tx) error {
		err := tx.Put(small, large, huge)
		refused = tx.Refused()
		return err
	}))
	if len(refused) != 1 || refused[0].ID != 3 || !errors.Is(refused[0].Err, ErrTooLarge) {
		t.Fatalf("refused = %+v, want session 3 too large", refused)
	}
	if v := rawValue(t, s, 1); v[0] != markPlain {
		t.Errorf("small snapshot stored with marker %q", v[0])
	}
	if v := rawValue(t, s, 2); v[0] != markZstd || len(v) > 1<<20 {
		t.Errorf("large snapshot stored with marker %q, %d bytes", v[0], len(v))
	}
	got, err := s.Get(2)
	must(t, err)
	if got.Images[0].Directory != large.Images[0].Directory {
		t.Fatal("compressed snapshot read back differently")
	}
	if _, err := s.Get(3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("refused snapshot: %v", err)
	}
	// A refused snapshot keeps the session's earlier one.
	must(t, s.Put(&Snapshot{SessionId: 3, LastActiveUnixMs: 9}))
	must(t, s.Put(huge))
	if got, err := s.Get(3); err != nil || got.LastActiveUnixMs != 9 {
		t.Fatalf("after a refusal: %v, %v", got, err)
	}
}

func testEtcdSplitsLargeCommits(t *testing.T) {
	s := openEtcdTemp(t, EtcdConfig{})
	var many []*Snapshot
	for id := range uint32(300) { // more than 128 operations
		many = append(many, &Snapshot{SessionId: id, LastActiveUnixMs: int64(id)})
	}
	must(t, s.Put(many...))
	// Four of 900 KiB each (675 compressed): more than one request's
	// 1.5 MiB.
	var big []*Snapshot
	for id := uint32(1000); id < 1004; id++ {
		big = append(big, bigSnapshot(id, 900<<10, true))
	}
	must(t, s.Put(big...))
	// Deletions beyond one transaction, with puts, in one Update.
	must(t, s.Update(func(tx *Tx) error {
		gone, err := tx.DeleteInactiveSince(time.UnixMilli(200), nil)
		if len(gone) != 200+4 { // the big ones have no activity time
			return fmt.Errorf("expired %d", len(gone))
		}
		return errors.Join(err, tx.Put(&Snapshot{SessionId: 5000}))
	}))
	if n, err := s.Count(); n != 101 || err != nil {
		t.Fatalf("count = %d, %v; want 101", n, err)
	}
}

// testEtcdConcurrentWriters has two clients add to one preferences
// object at once: the revision guards make every update see the last.
func testEtcdConcurrentWriters(t *testing.T) {
	a := openEtcdTemp(t, EtcdConfig{})
	b, err := OpenEtcd(EtcdConfig{Endpoints: testCluster.Endpoints(), Prefix: a.be.(*etcdBackend).cfg.Prefix})
	must(t, err)
	defer b.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			errs <- s.UpdatePreferences(alice, func(cur []byte) ([]byte, error) {
				m := map[string]int{}
				if cur != nil {
					if err := json.Unmarshal(cur, &m); err != nil {
						return nil, err
					}
				}
				m[fmt.Sprint(i)] = i
				return json.Marshal(m)
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	p, err := a.Preferences(alice)
	must(t, err)
	m := map[string]int{}
	must(t, json.Unmarshal(p, &m))
	if len(m) != 16 {
		t.Fatalf("%d of 16 concurrent updates kept", len(m))
	}
}

func testEtcdEmptyPrefixReadOnly(t *testing.T) {
	_, err := OpenEtcd(EtcdConfig{Endpoints: testCluster.Endpoints(), Prefix: "/nothing-here/", ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), "--etcd-prefix") {
		t.Fatalf("read-only open of an empty prefix: %v; want a hint at --etcd-prefix", err)
	}
}

func testEtcdNewerSchemaRefused(t *testing.T) {
	s := openEtcdTemp(t, EtcdConfig{})
	must(t, s.be.update(func(tx bucket) error {
		return tx.Bucket(bucketMeta).Put(keySchema, []byte{0, 0, 0, SchemaVersion + 1})
	}))
	_, err := OpenEtcd(EtcdConfig{Endpoints: testCluster.Endpoints(), Prefix: s.be.(*etcdBackend).cfg.Prefix})
	if !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("open newer: %v", err)
	}
}

// testEtcdMemberStopped writes checkpoints while a member stops: every
// write acknowledged is there afterwards, and writing goes on with two
// members. With one left (no quorum) the store is not ready.
func testEtcdMemberStopped(t *testing.T) {
	s := openEtcdTemp(t, EtcdConfig{OpTimeout: 5 * time.Second})
	acked := map[uint32]int64{}
	afterStop := 0
	for round := range 60 {
		if round == 20 {
			testCluster.Stop(0)
		}
		var batch []*Snapshot
		for id := range uint32(20) {
			batch = append(batch, &Snapshot{SessionId: id, LastActiveUnixMs: int64(round)})
		}
		if err := s.Put(batch...); err != nil {
			t.Logf("round %d: %v", round, err) // not acknowledged: may be lost
			continue
		}
		for _, snap := range batch {
			acked[snap.SessionId] = snap.LastActiveUnixMs
		}
		if round >= 20 {
			afterStop++
		}
	}
	if afterStop < 30 {
		t.Fatalf("only %d of 40 checkpoints after the stop committed", afterStop)
	}
	list, err := s.List()
	must(t, err)
	for _, snap := range list {
		if snap.LastActiveUnixMs != acked[snap.SessionId] {
			t.Errorf("session %d: stored round %d, acknowledged %d", snap.SessionId, snap.LastActiveUnixMs, acked[snap.SessionId])
		}
	}
	if len(list) != len(acked) {
		t.Fatalf("%d sessions stored, %d acknowledged", len(list), len(acked))
	}
	testCluster.Stop(1)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err == nil {
		t.Fatal("ready with one member of three")
	}
}

// testEtcdClaims has two nodes claim sessions: a claim by the other node
// is reported lost to the first, LiveHolders names the holder, and a
// closed holder's claims go with its lease.
func testEtcdClaims(t *testing.T) {
	s := openEtcdTemp(t, EtcdConfig{})
	a, err := s.NewHolder("a", 2*time.Second, slog.Default())
	must(t, err)
	b, err := s.NewHolder("b", 2*time.Second, slog.Default())
	must(t, err)
	defer b.Close()
	for _, id := range []uint32{1, 2} {
		if prev, err := a.Claim(t.Context(), id); prev != "" || err != nil {
			t.Fatalf("claim %d: %q, %v", id, prev, err)
		}
	}
	// Claiming again what one holds is no loss.
	if prev, err := a.Claim(t.Context(), 1); prev != "a" || err != nil {
		t.Fatalf("reclaim: %q, %v", prev, err)
	}
	if prev, err := b.Claim(t.Context(), 1); prev != "a" || err != nil {
		t.Fatalf("takeover: %q, %v", prev, err)
	}
	select {
	case l := <-a.Lost():
		if l.ID != 1 || l.Purged {
			t.Fatalf("lost %+v, want session 1 taken over", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("takeover not reported to the former holder")
	}
	holders, err := s.LiveHolders()
	if err != nil || holders[1] != "b" || holders[2] != "a" || len(holders) != 2 {
		t.Fatalf("holders = %v, %v", holders, err)
	}
	must(t, a.Close())
	holders, err = s.LiveHolders()
	if err != nil || len(holders) != 1 || holders[1] != "b" {
		t.Fatalf("after a closed: holders = %v, %v", holders, err)
	}
	select {
	case l := <-b.Lost():
		t.Fatalf("b lost %+v", l)
	default:
	}
	// A purge mark ends b's claim as purged, and the session is no
	// longer listed live.
	must(t, s.MarkPurged(1))
	select {
	case l := <-b.Lost():
		if l.ID != 1 || !l.Purged {
			t.Fatalf("lost %+v, want session 1 purged", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("purge not reported to the holder")
	}
	if holders, _ := s.LiveHolders(); len(holders) != 0 {
		t.Fatalf("holders after the purge: %v", holders)
	}
	if _, err := b.Claim(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	// A release by a node that no longer holds the session keeps the
	// holder's claim (b claimed it again).
	must(t, a.Release(t.Context(), 1))
	if holders, _ := s.LiveHolders(); holders[1] != "b" {
		t.Fatalf("release by a former holder took b's claim: %v", holders)
	}
}
