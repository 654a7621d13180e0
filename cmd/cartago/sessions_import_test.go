package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/store"
)

// storedSnapshot reads id from the database at path (no server on it).
func storedSnapshot(t *testing.T, path string, id uint32) *store.Snapshot {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	snap, err := db.Get(id)
	if err != nil {
		t.Fatalf("session %d: %v", id, err)
	}
	return snap
}

// sameState compares two snapshots but for when they were last active.
func sameState(a, b *store.Snapshot) bool {
	a, b = proto.Clone(a).(*store.Snapshot), proto.Clone(b).(*store.Snapshot)
	a.LastActiveUnixMs, b.LastActiveUnixMs = 0, 0
	return proto.Equal(a, b)
}

// TestSessionsImportOffline: exports (JSON and binary) go into another
// database as they were, an id in use is refused unless --replace,
// --owner changes the owner, and a newer or foreign file is refused
// without touching the database.
func TestSessionsImportOffline(t *testing.T) {
	src := testDB(t)
	dir := t.TempDir()
	js, pb := filepath.Join(dir, "101.json"), filepath.Join(dir, "303.pb")
	if _, err := runApp(t, "", "sessions", "export", "--db", src, "--out", js, "101"); err != nil {
		t.Fatal(err)
	}
	if _, err := runApp(t, "", "sessions", "export", "--db", src, "--binary", "--out", pb, "303"); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "dst.db")
	fillDB(t, dst)
	before := time.Now()
	for _, f := range []string{js, pb} {
		if out, err := runApp(t, "", "sessions", "import", "--db", dst, f); err != nil || !strings.Contains(out, "imported session") {
			t.Fatalf("import %s: %v %q", f, err, out)
		}
	}
	for _, id := range []uint32{101, 303} {
		got, want := storedSnapshot(t, dst, id), storedSnapshot(t, src, id)
		if !sameState(got, want) {
			t.Errorf("session %d imported as %v, want %v", id, got, want)
		}
		if time.UnixMilli(got.LastActiveUnixMs).Before(before.Add(-time.Second)) {
			t.Errorf("session %d: last active %v, want the time of the import", id, time.UnixMilli(got.LastActiveUnixMs))
		}
	}

	// An id in use: refused, and the stored session is left as it was.
	_, err := runApp(t, "", "sessions", "import", "--db", dst, "--owner", "local", js)
	if err == nil || !strings.Contains(err.Error(), "session 101 is already in") || !strings.Contains(err.Error(), "--replace") {
		t.Fatalf("import over a stored id: %v", err)
	}
	if got := storedSnapshot(t, dst, 101); !bytes.Equal(got.Owner, testOwner[:]) {
		t.Fatalf("a refused import changed the stored session: owner %x", got.Owner)
	}
	out, err := runApp(t, "", "sessions", "import", "--db", dst, "--replace", "--owner", "local", js)
	if err != nil || !strings.Contains(out, "replacing the stored one") {
		t.Fatalf("import --replace: %v %q", err, out)
	}
	if got := storedSnapshot(t, dst, 101); got.Owner != nil || len(got.Images) != 2 {
		t.Fatalf("import --owner local: owner %x, %d images", got.Owner, len(got.Images))
	}
	other := sha256.Sum256([]byte("another token"))
	if _, err := runApp(t, "", "sessions", "import", "--db", dst, "--replace", "--owner", hex.EncodeToString(other[:]), js); err != nil {
		t.Fatal(err)
	}
	if got := storedSnapshot(t, dst, 101); !bytes.Equal(got.Owner, other[:]) {
		t.Fatalf("import --owner HEX: owner %x", got.Owner)
	}
	if _, err := runApp(t, "", "sessions", "import", "--db", dst, "--replace", "--owner", "abc", js); err == nil || !strings.Contains(err.Error(), "64 hex digits") {
		t.Errorf("import --owner abc: %v", err)
	}

	// Newer schema, in either encoding, and files that are no export.
	text, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	newerJSON := filepath.Join(dir, "newer.json")
	newer := strings.Replace(string(text), `"version": 1`, `"version": 2, "field_of_the_future": {"x": 1}`, 1)
	if newer == string(text) {
		t.Fatalf("the export has no version 1 to change:\n%s", text)
	}
	writeFile(t, newerJSON, []byte(newer))
	snap := storedSnapshot(t, src, 303)
	snap.Version, snap.SessionId = store.SnapshotVersion+1, 909
	b, err := proto.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	newerPB := filepath.Join(dir, "newer.pb")
	writeFile(t, newerPB, b)
	noID := filepath.Join(dir, "noid.json")
	writeFile(t, noID, []byte(`{"version": 1}`))
	garbage := filepath.Join(dir, "garbage")
	writeFile(t, garbage, []byte("\xff\xff\xff not a snapshot"))
	for file, want := range map[string]string{
		newerJSON: "written by a newer cartago (snapshot version 2",
		newerPB:   "written by a newer cartago (snapshot version 2",
		noID:      "no session id",
		garbage:   "neither JSON nor protobuf",
	} {
		if _, err := runApp(t, "", "sessions", "import", "--db", dst, "--replace", file); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("import %s: %v, want %q", filepath.Base(file), err, want)
		}
	}
	if ids := storedIDs(t, dst); len(ids) != 2 {
		t.Errorf("refused imports changed the database: %v", ids)
	}
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSessionsImportServed: with the real server running, a session is
// exported, purged and imported through the admin socket, and then
// resumes with its state (channel, cursor and its profiles, which only
// the snapshot carries). Importing over the live session is refused;
// --replace ends it with a reason and stores the file.
func TestSessionsImportServed(t *testing.T) {
	r := newCrashRig(t)
	srv := r.start()
	bin := buildBinary(t)
	c := dialServer(t, srv.url)
	id := c.register(0).SessionId
	c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: ".", File: crashCube, FileId: 1})
	c.await(icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{})
	c.send(icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{FileId: 1, Channel: 5})
	c.send(icd.EventType_SET_SPATIAL_REQUIREMENTS, &icd.SetSpatialRequirements{FileId: 1,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}}})
	c.send(icd.EventType_SET_CURSOR, &icd.SetCursor{FileId: 1, Point: &icd.Point{X: 10, Y: 20}})
	c.await(icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	time.Sleep(crashInterval + crashSlack)

	ids := strconv.FormatUint(uint64(id), 10)
	file := filepath.Join(t.TempDir(), "s.json")
	run := func(args ...string) string {
		t.Helper()
		out, err := execOutput(bin, append([]string{"sessions"}, args...)...)
		if err != nil {
			t.Fatalf("sessions %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	run("export", "--db", r.db, "--out", file, ids)
	run("purge", "--db", r.db, "--yes", ids)
	if out := run("list", "--db", r.db); strings.Contains(out, ids) {
		t.Fatalf("session %s still listed after the purge:\n%s", ids, out)
	}
	if out := run("import", "--db", r.db, file); !strings.Contains(out, "the server at") {
		t.Fatalf("import did not go through the server's admin socket: %s", out)
	}

	c = dialServer(t, srv.url)
	again := c.register(id)
	if again.SessionType != icd.SessionType_RESUMED || !strings.Contains(again.Message, "restored from the database") {
		t.Fatalf("register after the import: %+v", again)
	}
	c.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: crashCube, FileId: 1, Channel: 5}}})
	var hist icd.RegionHistogramData
	c.await(icd.EventType_REGION_HISTOGRAM_DATA, &hist)
	var sp icd.SpatialProfileData
	c.await(icd.EventType_SPATIAL_PROFILE_DATA, &sp)
	var rack icd.ResumeSessionAck
	c.await(icd.EventType_RESUME_SESSION_ACK, &rack)
	if hist.Channel != 5 || sp.X != 10 || sp.Y != 20 || len(sp.Profiles) != 1 || !rack.Success {
		t.Fatalf("after the import: histogram channel %d, cursor (%d,%d) with %d profiles, ack %+v", hist.Channel, sp.X, sp.Y, len(sp.Profiles), &rack)
	}

	out, err := execOutput(bin, "sessions", "import", "--db", r.db, file)
	if err == nil || !strings.Contains(out, "already in the server at") {
		t.Fatalf("import over a live session: %v\n%s", err, out)
	}
	if out := run("import", "--db", r.db, "--replace", file); !strings.Contains(out, "ending the live session") {
		t.Fatalf("import --replace over a live session: %s", out)
	}
	if ce := c.ReadClose(); !strings.Contains(ce.Text, "replaced by an imported one") {
		t.Fatalf("the replaced session's socket closed with %v", ce)
	}
}
