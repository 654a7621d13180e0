package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/store"
)

// runApp runs the cartago app in-process with stdin and returns what it
// wrote to stdout and stderr.
func runApp(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter, app.Reader = &out, &out, strings.NewReader(stdin)
	err := app.Run(append([]string{"cartago"}, args...))
	return out.String(), err
}

// fillDB creates a database at path holding snaps.
func fillDB(t testing.TB, path string, snaps ...*store.Snapshot) {
	t.Helper()
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Put(snaps...); err != nil {
		t.Fatal(err)
	}
}

// storedIDs lists the ids in the database at path.
func storedIDs(t *testing.T, path string) []uint32 {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	snaps, err := db.List()
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint32
	for _, s := range snaps {
		ids = append(ids, s.SessionId)
	}
	return ids
}

var (
	testOwner   = sha256.Sum256([]byte("token"))
	testCreated = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// testSnapshots are three sessions: 101 with two images, three regions
// and a catalog, last active 100 h ago; 202 empty and without owner,
// active 1 h ago; 303 with one image, active 80 h ago.
func testSnapshots(now time.Time) []*store.Snapshot {
	region := func(x float32) *icd.RegionInfo {
		return &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: x, Y: x}, {X: 4, Y: 4}}}
	}
	return []*store.Snapshot{
		{
			SessionId: 101, Owner: testOwner[:], CreatedUnixMs: testCreated.UnixMilli(),
			LastActiveUnixMs: now.Add(-100 * time.Hour).UnixMilli(),
			Images: []*store.Image{
				{
					FileId: 0, Directory: "data", File: "cube.fits", Hdu: "0", Channel: 12, Stokes: 1,
					Cursor:          &icd.Point{X: 10.5, Y: 20},
					CursorSpatial:   []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}, {Coordinate: "y"}},
					CursorSpectral:  []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z"}},
					ImageHistograms: []*icd.HistogramConfig{{Coordinate: "z", Channel: -1, NumBins: -1}},
					CubeHistogram:   &icd.HistogramConfig{Channel: -2},
					Regions:         map[int32]*store.Region{1: {Info: region(1)}, 2: {Info: region(2)}},
				},
				{FileId: 1, Directory: "", File: "image.fits", Regions: map[int32]*store.Region{3: {Info: region(3)}}},
			},
			Catalogs: []*icd.OpenCatalogFile{{Directory: "cat", Name: "stars.xml", FileId: 7}},
		},
		{SessionId: 202, CreatedUnixMs: now.Add(-2 * time.Hour).UnixMilli(), LastActiveUnixMs: now.Add(-time.Hour).UnixMilli()},
		{
			SessionId: 303, Owner: testOwner[:], CreatedUnixMs: now.Add(-90 * time.Hour).UnixMilli(),
			LastActiveUnixMs: now.Add(-80 * time.Hour).UnixMilli(),
			Images:           []*store.Image{{FileId: 0, File: "m51.fits", Regions: map[int32]*store.Region{1: {Info: region(1)}}}},
		},
	}
}

// testDB is a database holding testSnapshots.
func testDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.db")
	fillDB(t, path, testSnapshots(time.Now())...)
	return path
}

func TestSessionsListOffline(t *testing.T) {
	db := testDB(t)
	out, err := runApp(t, "", "sessions", "list", "--db", db)
	if err != nil {
		t.Fatalf("list: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header and 3 rows:\n%s", out)
	}
	if f := strings.Fields(lines[0]); !slices.Equal(f, []string{"ID", "OWNER", "CREATED", "LAST", "ACTIVE", "STATE", "IMAGES", "REGIONS"}) {
		t.Errorf("header %q", lines[0])
	}
	want101 := []string{"101", hex.EncodeToString(testOwner[:4]), "2026-01-02T03:04:05Z", "*", "stored", "2", "3"}
	if f := strings.Fields(lines[1]); len(f) != 7 || !matchFields(f, want101) {
		t.Errorf("row %q, want %q", lines[1], want101)
	}
	if f := strings.Fields(lines[2]); len(f) != 7 || f[0] != "202" || f[1] != "-" || f[4] != "stored" || f[5] != "0" {
		t.Errorf("row %q", lines[2])
	}
	if !strings.HasPrefix(lines[3], "303 ") {
		t.Errorf("rows not ordered by id:\n%s", out)
	}

	out, err = runApp(t, "", "sessions", "list", "--db", db, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []sessionRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out)
	}
	if len(rows) != 3 || rows[0].ID != 101 || rows[0].Owner != hex.EncodeToString(testOwner[:]) ||
		!rows[0].Created.Equal(testCreated) || rows[0].Images != 2 || rows[0].Regions != 3 || rows[0].Live || !rows[0].Stored {
		t.Errorf("--json rows %+v", rows)
	}
}

// matchFields compares fields with want, where "*" matches anything.
func matchFields(f, want []string) bool {
	for i := range want {
		if want[i] != "*" && f[i] != want[i] {
			return false
		}
	}
	return true
}

func TestSessionsListEmptyAndMissing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	fillDB(t, db)
	if out, err := runApp(t, "", "sessions", "list", "--db", db, "--json"); err != nil || strings.TrimSpace(out) != "[]" {
		t.Errorf("empty database: %v %q", err, out)
	}
	out, err := runApp(t, "", "sessions", "list", "--db", filepath.Join(t.TempDir(), "none.db"))
	if err == nil || !strings.Contains(err.Error(), "no session database there") {
		t.Errorf("missing database: %v %q", err, out)
	}
	if _, err := os.Stat(filepath.Join(t.TempDir(), "none.db")); err == nil {
		t.Error("list created the database")
	}
}

func TestSessionsShowOffline(t *testing.T) {
	db := testDB(t)
	out, err := runApp(t, "", "sessions", "show", "--db", db, "101")
	if err != nil {
		t.Fatalf("show: %v\n%s", err, out)
	}
	for _, want := range []string{
		"session      101 (stored)", "owner        " + hex.EncodeToString(testOwner[:]),
		"created      2026-01-02T03:04:05Z", "images       2 (3 regions)", "catalog      7: cat/stars.xml",
		"FILE  IMAGE", "data/cube.fits", "(10.5,20)", "1+cube", "image.fits",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
	cube := lineWith(out, "data/cube.fits")
	if f := strings.Fields(cube); !slices.Equal(f, []string{"0", "data/cube.fits", "0", "12", "1", "(10.5,20)", "2", "1", "1+cube", "2", "-"}) {
		t.Errorf("image line %q", cube)
	}

	js, err := runApp(t, "", "sessions", "show", "--db", db, "--json", "101")
	if err != nil {
		t.Fatal(err)
	}
	var got store.Snapshot
	if err := protojson.Unmarshal([]byte(js), &got); err != nil {
		t.Fatalf("--json is not protobuf JSON: %v\n%s", err, js)
	}
	want := testSnapshots(time.Now())[0]
	want.Version = store.SnapshotVersion
	got.LastActiveUnixMs = want.LastActiveUnixMs // now differs between the two calls
	if !proto.Equal(&got, want) {
		t.Errorf("--json decodes to\n%v\nwant\n%v", &got, want)
	}
	if !strings.Contains(js, "\n  \"session_id\": 101,\n") {
		t.Errorf("--json is not indented with proto field names:\n%s", js)
	}
	if again, _ := runApp(t, "", "sessions", "show", "--db", db, "--json", "101"); again != js {
		t.Error("--json output differs between runs")
	}

	if _, err := runApp(t, "", "sessions", "show", "--db", db, "999"); err == nil || !strings.Contains(err.Error(), "session 999 is not in") {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := runApp(t, "", "sessions", "show", "--db", db, "101", "--json"); err == nil || !strings.Contains(err.Error(), "put options before") {
		t.Errorf("option after id: %v", err)
	}
	if _, err := runApp(t, "", "sessions", "show", "--db", db); err == nil || !strings.Contains(err.Error(), "one session id") {
		t.Errorf("no id: %v", err)
	}
}

func lineWith(out, s string) string {
	for l := range strings.Lines(out) {
		if strings.Contains(l, s) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func TestSessionsPurgeOffline(t *testing.T) {
	tests := []struct {
		name    string
		stdin   string
		args    []string
		wantErr string   // "" = success
		left    []uint32 // ids still stored
		wantOut string
	}{
		{"ids with --yes", "", []string{"--yes", "101", "303"}, "", []uint32{202}, "purged 2 sessions"},
		{"one id confirmed", "y\n", []string{"202"}, "", []uint32{101, 303}, "Purge 1 session? [y/N] purged 1 session"},
		{"confirmed with yes", "YES\n", []string{"202"}, "", []uint32{101, 303}, "purged 1 session"},
		{"declined", "n\n", []string{"101"}, "not confirmed", []uint32{101, 202, 303}, "Purge 1 session? [y/N]"},
		{"no answer", "", []string{"--all"}, "not confirmed", []uint32{101, 202, 303}, "Purge 3 sessions? [y/N]"},
		{"older than 72h", "", []string{"--yes", "--older-than", "72h"}, "", []uint32{202}, "purged 2 sessions"},
		{"older than 90h", "", []string{"--yes", "--older-than", "90h"}, "", []uint32{202, 303}, "purged 1 session"},
		{"older than matches none", "", []string{"--older-than", "1000h"}, "", []uint32{101, 202, 303}, "no sessions match; nothing purged"},
		{"all", "y\n", []string{"--all"}, "", nil, "purged 3 sessions"},
		{"unknown id", "", []string{"--yes", "101", "999"}, "no session 999 in", []uint32{101, 202, 303}, ""},
		{"ids and --all", "", []string{"--yes", "--all", "101"}, "not several", []uint32{101, 202, 303}, ""},
		{"--all and --older-than", "", []string{"--all", "--older-than", "1h"}, "not several", []uint32{101, 202, 303}, ""},
		{"no selector", "", []string{"--yes"}, "needs session ids", []uint32{101, 202, 303}, ""},
		{"bad id", "", []string{"--yes", "abc"}, "not a session id", []uint32{101, 202, 303}, ""},
		{"option after id", "", []string{"101", "--yes"}, "put options before", []uint32{101, 202, 303}, ""},
		{"negative duration", "", []string{"--older-than", "-1h"}, "positive duration", []uint32{101, 202, 303}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := testDB(t)
			out, err := runApp(t, tc.stdin, append([]string{"sessions", "purge", "--db", db}, tc.args...)...)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("purge: %v\n%s", err, out)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("purge: err %v, want one mentioning %q\n%s", err, tc.wantErr, out)
			}
			if !strings.Contains(out, tc.wantOut) {
				t.Errorf("output %q lacks %q", out, tc.wantOut)
			}
			if left := storedIDs(t, db); !slices.Equal(left, tc.left) {
				t.Errorf("left %v, want %v", left, tc.left)
			}
		})
	}
}

func TestSessionsExportOffline(t *testing.T) {
	db := testDB(t)
	t.Chdir(t.TempDir())
	out, err := runApp(t, "", "sessions", "export", "--db", db, "101")
	if err != nil || !strings.Contains(out, "wrote session 101 to session-101.json") {
		t.Fatalf("export: %v %q", err, out)
	}
	js, err := os.ReadFile("session-101.json")
	if err != nil {
		t.Fatal(err)
	}
	shown, _ := runApp(t, "", "sessions", "show", "--db", db, "--json", "101")
	if string(js) != shown {
		t.Errorf("exported JSON differs from show --json")
	}
	if _, err := runApp(t, "", "sessions", "export", "--db", db, "101"); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("export over an existing file: %v", err)
	}
	if _, err := runApp(t, "", "sessions", "export", "--db", db, "--force", "303"); err != nil {
		t.Errorf("export --force: %v", err)
	}
	if _, err := runApp(t, "", "sessions", "export", "--db", db, "--out", "session-101.json", "303"); err == nil {
		t.Error("export --out onto an existing file succeeded")
	}

	bin := filepath.Join(t.TempDir(), "s.pb")
	if _, err := runApp(t, "", "sessions", "export", "--db", db, "--binary", "--out", bin, "303"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var got store.Snapshot
	if err := proto.Unmarshal(b, &got); err != nil || got.SessionId != 303 || len(got.Images) != 1 || got.Images[0].File != "m51.fits" {
		t.Errorf("--binary file decodes to %v (%v)", &got, err)
	}
	if _, err := runApp(t, "", "sessions", "export", "--db", db, "404"); err == nil || !strings.Contains(err.Error(), "not in") {
		t.Errorf("export of an unknown id: %v", err)
	}
	if _, err := os.Stat("session-404.json"); err == nil {
		t.Error("export of an unknown id left a file")
	}
}

func TestSessionsDefaultDB(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	fillDB(t, filepath.Join(state, "cartago", "sessions.db"), testSnapshots(time.Now())[1])
	if out, err := runApp(t, "", "sessions", "list"); err != nil || !strings.Contains(out, "202 ") {
		t.Errorf("default --db: %v %q", err, out)
	}
	other := filepath.Join(t.TempDir(), "o.db")
	fillDB(t, other, testSnapshots(time.Now())[2])
	t.Setenv("CARTAGO_DB", other)
	if out, err := runApp(t, "", "sessions", "list"); err != nil || !strings.Contains(out, "303 ") {
		t.Errorf("CARTAGO_DB: %v %q", err, out)
	}
}
