package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cartago/store"
)

var (
	ownerA = []byte{0xaa, 0xaa, 0x01, 0x02, 0x03}
	ownerB = []byte{0xbb, 0xbb, 0x01, 0x02, 0x03}
)

// userDB makes a database with user data of two owners and the local
// one.
func userDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lim := store.WorkspaceLimits{Count: 10, Bytes: 1 << 20}
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(db.UpdatePreferences(ownerA, func([]byte) ([]byte, error) { return []byte(`{"theme":"dark"}`), nil }))
	check(db.PutObject(ownerA, store.Layouts, "wide", []byte(`{"layoutVersion":2}`), 10))
	_, err = db.PutWorkspace(ownerA, "orion cube", []byte(`{"files":[{"filename":"a.fits"}]}`), time.UnixMilli(1_700_000_000_000), lim)
	check(err)
	info, err := db.PutWorkspace(ownerA, "second", []byte(`{"files":[]}`), time.UnixMilli(1_700_000_100_000), lim)
	check(err)
	_, err = db.ShareWorkspace(ownerA, info.ID)
	check(err)
	_, err = db.PutWorkspace(ownerB, "bob's", []byte(`{"files":[]}`), time.UnixMilli(1_700_000_000_000), lim)
	check(err)
	check(db.PutObject(nil, store.Snippets, "hello", []byte(`{"code":"x"}`), 10))
	return path
}

func TestWorkspacesList(t *testing.T) {
	path := userDB(t)
	out, err := runApp(t, "", "workspaces", "list", "--db", path)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		"OWNER     PREFERENCES  LAYOUTS  SNIPPETS  WORKSPACES",
		"aaaa0102  16 bytes     1        0         2",
		"local     0 bytes      0        1         0",
		"aaaa0102  second      2023-11-14T22:15:00Z  12    yes",
		"aaaa0102  orion cube  2023-11-14T22:13:20Z  33    no",
		"bbbb0102  bob's",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	out, err = runApp(t, "", "workspaces", "list", "--json", "--db", path)
	var rows []ownerRow
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 3 {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
}

func TestWorkspacesShow(t *testing.T) {
	path := userDB(t)
	out, err := runApp(t, "", "workspaces", "show", "--db", path, "aaaa")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"owner\t" + hex.EncodeToString(ownerA), `"theme": "dark"`, `layouts: "wide"`, "snippets: -", "orion cube", "second"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	out, err = runApp(t, "", "workspaces", "show", "--db", path, "aaaa01", "orion cube")
	if err != nil || !strings.Contains(out, `"filename": "a.fits"`) {
		t.Fatalf("show a workspace: %v\n%s", err, out)
	}
	if out, err := runApp(t, "", "workspaces", "show", "--db", path, "local"); err != nil || !strings.Contains(out, `snippets: "hello"`) {
		t.Fatalf("show local: %v\n%s", err, out)
	}
	for _, bad := range []string{"cc", "cccc", "0102"} {
		if _, err := runApp(t, "", "workspaces", "show", "--db", path, bad); err == nil {
			t.Errorf("show %q found an owner", bad)
		}
	}
	if _, err := runApp(t, "", "workspaces", "show", "--db", path, "aaaa", "nope"); !errors.Is(err, store.ErrNoEntry) {
		t.Errorf("show an unknown workspace: %v", err)
	}
}

func TestWorkspacesPurge(t *testing.T) {
	path := userDB(t)
	// Not confirmed: nothing goes.
	if out, err := runApp(t, "n\n", "workspaces", "purge", "--db", path, "aaaa", "second"); err == nil {
		t.Fatalf("unconfirmed purge: %s", out)
	}
	out, err := runApp(t, "", "workspaces", "purge", "--yes", "--db", path, "aaaa", "second", "missing")
	if !errors.Is(err, store.ErrNoEntry) || !strings.Contains(out, "purged 1 entries (2 workspaces)") {
		t.Fatalf("purge by name: %v\n%s", err, out)
	}
	out, err = runApp(t, "y\n", "workspaces", "purge", "--preferences", "--layouts", "--db", path, "aaaa")
	if err != nil || !strings.Contains(out, "purged 2 entries") {
		t.Fatalf("purge preferences and layouts: %v\n%s", err, out)
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ws, _ := db.Workspaces(ownerA); len(ws) != 1 || ws[0].Name != "orion cube" {
		t.Errorf("owner A's workspaces: %+v", ws)
	}
	if p, _ := db.Preferences(ownerA); p != nil {
		t.Errorf("preferences left: %s", p)
	}
	if ws, _ := db.Workspaces(ownerB); len(ws) != 1 {
		t.Errorf("owner B lost workspaces: %+v", ws)
	}
	if _, err := runApp(t, "", "workspaces", "purge", "--yes", "--db", path, "aaaa"); err == nil {
		t.Error("purge without a selection ran")
	}
}

// TestWorkspacesWhileServing: with a server running on the database the
// commands go through its admin socket, and a purge is what the
// frontend's API then sees.
func TestWorkspacesWhileServing(t *testing.T) {
	path := userDB(t)
	bin := buildBinary(t)
	s := startProcess(t, "--no-frontend", "--root", t.TempDir(), "--db", path, "--no-auth")
	run := func(stdin string, args ...string) (string, error) {
		t.Helper()
		out, took, err := execInput(bin, stdin, append([]string{"workspaces"}, args...)...)
		if took > 3*time.Second {
			t.Errorf("workspaces %v took %v", args, took)
		}
		return out, err
	}
	if out, err := run("", "list", "--db", path); err != nil || !strings.Contains(out, "aaaa0102  orion cube") {
		t.Fatalf("list while serving: %v\n%s", err, out)
	}
	if out, err := run("", "show", "--db", path, "aaaa", "orion cube"); err != nil || !strings.Contains(out, `"a.fits"`) {
		t.Fatalf("show while serving: %v\n%s", err, out)
	}
	if out, err := run("", "show", "--db", path, "local"); err != nil || !strings.Contains(out, `snippets: "hello"`) {
		t.Fatalf("show local while serving: %v\n%s", err, out)
	}
	if out, err := run("", "show", "--db", path, "aaaa", "nope"); err == nil || !strings.Contains(out, "no such entry") {
		t.Fatalf("show of an unknown workspace while serving: %v\n%s", err, out)
	}
	// The local owner's snippet, purged through the socket, is gone for
	// the frontend (the server runs with --no-auth: it is that owner).
	if _, body := callAPI(t, s, "GET", "/api/database/snippets"); mustJSON(body["snippets"]) == nil || !strings.Contains(string(mustJSON(body["snippets"])), "hello") {
		t.Fatalf("snippets before the purge: %v", body)
	}
	if out, err := run("", "purge", "--db", path, "--yes", "--snippets", "local"); err != nil || !strings.Contains(out, "purged 1 entries (snippets)") {
		t.Fatalf("purge while serving: %v\n%s", err, out)
	}
	if _, body := callAPI(t, s, "GET", "/api/database/snippets"); string(mustJSON(body["snippets"])) != "{}" {
		t.Fatalf("snippets after the purge: %v", body)
	}
}

func TestWorkspacesWhileServerHoldsDB(t *testing.T) {
	path := userDB(t)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	_, err = runApp(t, "", "workspaces", "list", "--db", path)
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "no cartago admin socket answers") {
		t.Fatalf("list while locked: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("list waited %v for the lock", d)
	}
}
