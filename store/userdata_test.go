package store

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

var (
	alice = []byte("alice-owner-hash")
	bob   = []byte("bob-owner-hash")
)

var roomy = WorkspaceLimits{Count: 100, Bytes: 1 << 20}

func TestPreferencesPerOwnerAndAtomic(t *testing.T) {
	s := openTemp(t)
	if p, err := s.Preferences(alice); p != nil || err != nil {
		t.Fatalf("fresh: %q, %v", p, err)
	}
	set := func(owner []byte, v string) {
		t.Helper()
		if err := s.UpdatePreferences(owner, func([]byte) ([]byte, error) { return []byte(v), nil }); err != nil {
			t.Fatal(err)
		}
	}
	set(alice, `{"a":1}`)
	set(nil, `{"local":true}`)
	// A failing update changes nothing.
	boom := errors.New("boom")
	if err := s.UpdatePreferences(alice, func(cur []byte) ([]byte, error) {
		if string(cur) != `{"a":1}` {
			t.Errorf("update saw %q", cur)
		}
		return nil, boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failing update: %v", err)
	}
	for _, c := range []struct {
		owner []byte
		want  string
	}{{alice, `{"a":1}`}, {nil, `{"local":true}`}, {bob, ""}} {
		if p, err := s.Preferences(c.owner); string(p) != c.want || err != nil {
			t.Errorf("owner %q: %q, %v; want %q", c.owner, p, err, c.want)
		}
	}
}

func TestObjectsPutDeleteLimit(t *testing.T) {
	s := openTemp(t)
	must(t, s.PutObject(alice, Layouts, "one", []byte(`{"x":1}`), 2))
	must(t, s.PutObject(alice, Layouts, "two", []byte(`{"x":2}`), 2))
	if err := s.PutObject(alice, Layouts, "three", []byte(`{}`), 2); !errors.Is(err, ErrTooMany) {
		t.Fatalf("third layout over a limit of 2: %v", err)
	}
	must(t, s.PutObject(alice, Layouts, "two", []byte(`{"x":22}`), 2)) // replacing is no new entry
	must(t, s.PutObject(alice, Snippets, "one", []byte(`{"code":""}`), 2))
	got, err := s.Objects(alice, Layouts)
	if err != nil || len(got) != 2 || string(got["two"]) != `{"x":22}` {
		t.Fatalf("layouts: %q, %v", got, err)
	}
	if got, _ := s.Objects(bob, Layouts); len(got) != 0 {
		t.Fatalf("bob sees %q", got)
	}
	must(t, s.DeleteObject(alice, Layouts, "one"))
	if err := s.DeleteObject(alice, Layouts, "one"); !errors.Is(err, ErrNoEntry) {
		t.Fatalf("second delete: %v", err)
	}
	if err := s.DeleteObject(bob, Layouts, "two"); !errors.Is(err, ErrNoEntry) {
		t.Fatalf("bob deleted alice's layout: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestWorkspacesKeepIDAndListNewestFirst(t *testing.T) {
	s := openTemp(t)
	t0 := time.UnixMilli(1_700_000_000_000)
	first, err := s.PutWorkspace(alice, "w1", []byte(`{"files":[]}`), t0, roomy)
	must(t, err)
	_, err = s.PutWorkspace(alice, "w2", []byte(`{}`), t0.Add(time.Minute), roomy)
	must(t, err)
	again, err := s.PutWorkspace(alice, "w1", []byte(`{"files":[1]}`), t0.Add(2*time.Minute), roomy)
	must(t, err)
	if again.ID != first.ID || len(first.ID) != 32 {
		t.Fatalf("id changed on save: %q then %q", first.ID, again.ID)
	}
	list, err := s.Workspaces(alice)
	if err != nil || len(list) != 2 || list[0].Name != "w1" || list[1].Name != "w2" {
		t.Fatalf("list: %+v, %v", list, err)
	}
	w, err := s.Workspace(alice, "w1")
	if err != nil || string(w.Data) != `{"files":[1]}` || !w.Date.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("get: %+v, %v", w, err)
	}
	if _, err := s.Workspace(bob, "w1"); !errors.Is(err, ErrNoEntry) {
		t.Fatalf("bob reads alice's workspace: %v", err)
	}
	if list, _ := s.Workspaces(bob); len(list) != 0 {
		t.Fatalf("bob lists %+v", list)
	}
}

func TestWorkspaceLimits(t *testing.T) {
	s := openTemp(t)
	lim := WorkspaceLimits{Count: 2, Bytes: 10}
	_, err := s.PutWorkspace(alice, "a", []byte(`{"x":1}`), time.Now(), lim) // 7 bytes
	must(t, err)
	if _, err := s.PutWorkspace(alice, "b", []byte(`{"y":1}`), time.Now(), lim); !errors.Is(err, ErrTooMany) {
		t.Fatalf("14 bytes over a 10-byte limit: %v", err)
	}
	_, err = s.PutWorkspace(alice, "a", []byte(`{"x":12}`), time.Now(), lim) // replacing counts once
	must(t, err)
	_, err = s.PutWorkspace(alice, "b", []byte(`{}`), time.Now(), lim)
	must(t, err)
	if _, err := s.PutWorkspace(alice, "c", []byte(`{}`), time.Now(), lim); !errors.Is(err, ErrTooMany) {
		t.Fatalf("third workspace over a limit of 2: %v", err)
	}
	if list, _ := s.Workspaces(alice); len(list) != 2 {
		t.Fatalf("refused puts left %d workspaces", len(list))
	}
}

func TestShareWorkspace(t *testing.T) {
	s := openTemp(t)
	info, err := s.PutWorkspace(alice, "shared", []byte(`{"files":[]}`), time.Now(), roomy)
	must(t, err)
	if _, err := s.ShareWorkspace(bob, info.ID); !errors.Is(err, ErrNoEntry) {
		t.Fatalf("bob shared alice's workspace: %v", err)
	}
	key, err := s.ShareWorkspace(alice, info.ID)
	must(t, err)
	if again, _ := s.ShareWorkspace(alice, info.ID); again != key {
		t.Fatalf("second share gave another key: %q, %q", key, again)
	}
	w, err := s.SharedWorkspace(key)
	if err != nil || w.Name != "shared" || string(w.Owner) != string(alice) || w.ShareKey != key {
		t.Fatalf("shared: %+v, %v", w, err)
	}
	// Saving again keeps the key; deleting ends it.
	_, err = s.PutWorkspace(alice, "shared", []byte(`{"files":[2]}`), time.Now(), roomy)
	must(t, err)
	if w, err := s.SharedWorkspace(key); err != nil || string(w.Data) != `{"files":[2]}` {
		t.Fatalf("shared after save: %+v, %v", w, err)
	}
	must(t, s.DeleteWorkspace(alice, "shared"))
	if _, err := s.SharedWorkspace(key); !errors.Is(err, ErrNoEntry) {
		t.Fatalf("deleted workspace still shared: %v", err)
	}
	if _, err := s.SharedWorkspace("nope"); !errors.Is(err, ErrNoEntry) {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestCorruptWorkspaceReported(t *testing.T) {
	s := openTemp(t)
	for _, n := range []string{"good", "bad-meta", "bad-size"} {
		_, err := s.PutWorkspace(alice, n, []byte(`{"files":[]}`), time.Now(), roomy)
		must(t, err)
	}
	must(t, s.be.update(func(tx bucket) error {
		ub := tx.Bucket(bucketUserData).Bucket(ownerKey(alice))
		return errors.Join(ub.Bucket(bucketWsMeta).Put([]byte("bad-meta"), []byte{0xff}),
			ub.Bucket(bucketWsData).Put([]byte("bad-size"), []byte(`{}`)))
	}))
	list, err := s.Workspaces(alice)
	if len(list) != 2 || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("list with a bad value: %+v, %v", list, err)
	}
	for _, n := range []string{"bad-meta", "bad-size"} {
		if _, err := s.Workspace(alice, n); !errors.Is(err, ErrCorrupt) {
			t.Errorf("get %s: %v", n, err)
		}
	}
	if _, err := s.Workspace(alice, "good"); err != nil {
		t.Fatal(err)
	}
	// A corrupt workspace can still be deleted and replaced.
	must(t, s.DeleteWorkspace(alice, "bad-meta"))
	_, err = s.PutWorkspace(alice, "bad-size", []byte(`{"files":[]}`), time.Now(), roomy)
	must(t, err)
	if list, err := s.Workspaces(alice); len(list) != 2 || err != nil {
		t.Fatalf("after repair: %+v, %v", list, err)
	}
}

func TestUserDataNewerSchemaRefused(t *testing.T) {
	s := openTemp(t)
	must(t, s.UpdatePreferences(alice, func([]byte) ([]byte, error) { return []byte(`{}`), nil }))
	must(t, s.be.update(func(tx bucket) error {
		return tx.Bucket(bucketUserData).Put(keySchema, binary.BigEndian.AppendUint32(nil, UserDataSchemaVersion+1))
	}))
	if _, err := s.Preferences(alice); !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("read: %v", err)
	}
	if err := s.UpdatePreferences(alice, func([]byte) ([]byte, error) { return []byte(`{}`), nil }); !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("write: %v", err)
	}
}

func TestUserDataReadOnlyOpenOfOldFile(t *testing.T) {
	// A database written before user data existed has no bucket: reads
	// see nothing, and a read-only open works.
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, Options{NoSync: true})
	must(t, err)
	s.Close()
	ro, err := Open(path, Options{ReadOnly: true})
	must(t, err)
	defer ro.Close()
	if p, err := ro.Preferences(nil); p != nil || err != nil {
		t.Fatalf("prefs: %q, %v", p, err)
	}
	if l, err := ro.Workspaces(nil); len(l) != 0 || err != nil {
		t.Fatalf("workspaces: %v, %v", l, err)
	}
	if o, err := ro.UserDataOwners(); len(o) != 0 || err != nil {
		t.Fatalf("owners: %v, %v", o, err)
	}
}

func TestPurgeUserData(t *testing.T) {
	s := openTemp(t)
	must(t, s.UpdatePreferences(alice, func([]byte) ([]byte, error) { return []byte(`{"a":1}`), nil }))
	must(t, s.PutObject(alice, Layouts, "l", []byte(`{}`), 10))
	info, err := s.PutWorkspace(alice, "w", []byte(`{}`), time.Now(), roomy)
	must(t, err)
	key, err := s.ShareWorkspace(alice, info.ID)
	must(t, err)
	_, err = s.PutWorkspace(bob, "w", []byte(`{}`), time.Now(), roomy)
	must(t, err)
	owners, err := s.UserDataOwners()
	if err != nil || len(owners) != 2 {
		t.Fatalf("owners: %+v, %v", owners, err)
	}
	n, err := s.PurgeUserData(alice, Purge{Workspaces: true})
	if err != nil || n != 1 {
		t.Fatalf("purge workspaces: %d, %v", n, err)
	}
	if _, err := s.SharedWorkspace(key); !errors.Is(err, ErrNoEntry) {
		t.Fatalf("purged workspace still shared: %v", err)
	}
	if p, _ := s.Preferences(alice); string(p) != `{"a":1}` {
		t.Fatalf("purging workspaces took preferences: %q", p)
	}
	n, err = s.PurgeUserData(alice, Purge{Preferences: true, Layouts: true, Snippets: true, Workspaces: true})
	if err != nil || n != 2 {
		t.Fatalf("purge all: %d, %v", n, err)
	}
	if l, _ := s.Workspaces(bob); len(l) != 1 {
		t.Fatalf("bob's workspace went: %v", l)
	}
}
