package ws

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/store"
)

// savedWorkspace is a workspace as frontend 6.0.0's saveWorkspace builds
// it (trimmed).
const savedWorkspace = `{"workspaceVersion":0,"frontendVersion":"6.0.0","description":"Workspace exported from CARTA",` +
	`"date":1700000000,"files":[{"id":0,"directory":"sub","filename":"cube.fits","hdu":"0","channel":3,"stokes":0,` +
	`"regionsSet":{"selectedRegion":1,"regions":[{"id":1,"type":3,"rotation":0,"points":[{"x":5,"y":6},{"x":4,"y":4}],` +
	`"name":"","color":"#2EE6D6","lineWidth":2,"locked":false,"dashes":[]}]},"center":{"x":16,"y":16},"zoomLevel":2,` +
	`"renderConfig":{"colorMap":"viridis"}}],"colorBlendingImages":[],"references":{},"selectedFile":0,` +
	`"thumbnail":"data:image/jpeg;base64,AAAA"}`

func putWorkspace(t *testing.T, c apiClient, name, ws string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"workspaceName": name, "workspace": json.RawMessage(ws)})
	r := c.do("PUT", "/api/database/workspace", string(body)).ok(t, "put workspace "+name)
	return r.body["workspace"].(map[string]any)
}

// workspacePath is how the frontend's getWorkspace builds the URL (the
// name unescaped; the browser percent-encodes spaces and non-ASCII).
func workspacePath(name string) string {
	return "/api/database/workspace/" + (&url.URL{Path: name}).EscapedPath()
}

func TestAPIWorkspaceRoundTrip(t *testing.T) {
	c := startAPI(t, openStore(t), testToken)
	got := putWorkspace(t, c, "My work · 1", savedWorkspace)
	id, _ := got["id"].(string)
	if len(id) != 32 || got["editable"] != true || got["name"] != "My work · 1" {
		t.Fatalf("put reply workspace %v", got)
	}
	putWorkspace(t, c, "second", `{"files":[]}`)
	r := c.do("GET", "/api/database/list/workspaces", "").ok(t, "list")
	list := r.body["workspaces"].([]any)
	if len(list) != 2 {
		t.Fatalf("list %v", list)
	}
	for _, it := range list {
		item := it.(map[string]any)
		if date, _ := item["date"].(float64); time.Since(time.Unix(int64(date), 0)) > time.Minute {
			t.Errorf("item %v: date is not the save time", item)
		}
	}
	r = c.do("GET", workspacePath("My work · 1"), "").ok(t, "get")
	ws := r.body["workspace"].(map[string]any)
	var want map[string]any
	_ = json.Unmarshal([]byte(savedWorkspace), &want)
	want["id"], want["name"], want["editable"] = id, "My work · 1", true
	if a, b := mustJSON(ws), mustJSON(want); a != b {
		t.Fatalf("get returned\n%s\nwant\n%s", a, b)
	}
	// Saving under the same name keeps the id.
	if again := putWorkspace(t, c, "My work · 1", `{"files":[]}`); again["id"] != id {
		t.Fatalf("id changed: %v", again)
	}
	c.do("DELETE", "/api/database/workspace", `{"workspaceName":"My work · 1"}`).ok(t, "delete")
	c.do("GET", workspacePath("My work · 1"), "").failed(t, "get deleted", http.StatusNotFound)
	c.do("DELETE", "/api/database/workspace", `{"workspaceName":"My work · 1"}`).failed(t, "delete again", http.StatusNotFound)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestAPIOwnersAndShareKeys runs two servers on one database with
// different tokens: two owners. Neither sees the other's data; a share
// key lets the other read one workspace, read-only.
func TestAPIOwnersAndShareKeys(t *testing.T) {
	db := openStore(t)
	alice := startAPI(t, db, "alice-token")
	bob := startAPI(t, db, "bob-token")
	alice.do("PUT", "/api/database/preferences", `{"theme":"dark"}`).ok(t, "alice prefs")
	alice.do("PUT", "/api/database/layout", `{"layoutName":"l","layout":{}}`).ok(t, "alice layout")
	id := putWorkspace(t, alice, "private", savedWorkspace)["id"].(string)

	if p := bob.do("GET", "/api/database/preferences", "").ok(t, "bob prefs").body["preferences"]; mustJSON(p) != `{"version":2}` {
		t.Fatalf("bob sees preferences %v", p)
	}
	if l := bob.do("GET", "/api/database/layouts", "").ok(t, "bob layouts").body["layouts"]; mustJSON(l) != `{}` {
		t.Fatalf("bob sees layouts %v", l)
	}
	if l := bob.do("GET", "/api/database/list/workspaces", "").ok(t, "bob list").body["workspaces"]; mustJSON(l) != `[]` {
		t.Fatalf("bob lists %v", l)
	}
	bob.do("GET", workspacePath("private"), "").failed(t, "bob gets alice's", http.StatusNotFound)
	bob.do("DELETE", "/api/database/workspace", `{"workspaceName":"private"}`).failed(t, "bob deletes alice's", http.StatusNotFound)
	bob.do("POST", "/api/database/share/workspace/"+id, "").failed(t, "bob shares alice's", http.StatusNotFound)

	key := alice.do("POST", "/api/database/share/workspace/"+id, "").ok(t, "share").body["shareKey"].(string)
	if len(key) != 32 {
		t.Fatalf("share key %q", key)
	}
	ws := bob.do("GET", "/api/database/workspace/key/"+key, "").ok(t, "bob by key").body["workspace"].(map[string]any)
	if _, hasID := ws["id"]; hasID || ws["editable"] != false || ws["name"] != "private" || ws["thumbnail"] == nil {
		t.Fatalf("shared workspace for another owner: id %v editable %v name %v", ws["id"], ws["editable"], ws["name"])
	}
	mine := alice.do("GET", "/api/database/workspace/key/"+key, "").ok(t, "alice by key").body["workspace"].(map[string]any)
	if mine["id"] != id || mine["editable"] != true {
		t.Fatalf("owner by key: %v %v", mine["id"], mine["editable"])
	}
	bob.do("GET", "/api/database/workspace/key/"+strings.Repeat("0", 32), "").failed(t, "unknown key", http.StatusNotFound)
	alice.do("DELETE", "/api/database/workspace", `{"workspaceName":"private"}`).ok(t, "delete")
	bob.do("GET", "/api/database/workspace/key/"+key, "").failed(t, "key of a deleted workspace", http.StatusNotFound)
}

// sessionSnap is a stored session as the checkpointer writes it.
func sessionSnap(id uint32, owner []byte, active time.Time) *store.Snapshot {
	rect := &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, Rotation: 30,
		ControlPoints: []*icd.Point{{X: 10, Y: 12}, {X: 4, Y: 6}}}
	point := &icd.RegionInfo{RegionType: icd.RegionType_POINT, ControlPoints: []*icd.Point{{X: 1.5, Y: 2.5}}}
	return &store.Snapshot{
		SessionId: id, Owner: owner, CreatedUnixMs: active.Add(-time.Hour).UnixMilli(), LastActiveUnixMs: active.UnixMilli(),
		Images: []*store.Image{
			{FileId: 0, Directory: "sub", File: "cube.fits", Hdu: "0", Channel: 5, Stokes: 1,
				Regions: map[int32]*store.Region{1: {Info: rect}, 3: {Info: point}},
				Contours: &icd.SetContourParameters{FileId: 0, Levels: []float64{0.5, 1.5},
					SmoothingMode: icd.SmoothingMode_GaussianBlur, SmoothingFactor: 4}},
			{FileId: 1, Directory: "", File: "flat.fits", Channel: 0},
			// Generated: a moment image is not reopened from a file.
			{FileId: 2, Directory: "sub", File: "cube.fits.moment.average", Moment: &store.MomentRecipe{SourceFileId: 0}},
		},
	}
}

func TestAPISessionsAsWorkspaces(t *testing.T) {
	db := openStore(t)
	c := startAPI(t, db, testToken)
	owner := ownerOf(testToken)
	now := time.Now()
	older := sessionSnap(2678170967, owner, now.Add(-2*time.Minute))
	newer := sessionSnap(11, owner, now.Add(-time.Minute))
	newer.Images = newer.Images[1:2] // one image, no regions
	empty := &store.Snapshot{SessionId: 12, Owner: owner, LastActiveUnixMs: now.UnixMilli()}
	foreign := sessionSnap(13, ownerOf("someone-else"), now)
	must(t, db.Put(older, newer, empty, foreign))
	putWorkspace(t, c, "saved", `{"files":[]}`) // newest of all

	list := c.do("GET", "/api/database/list/workspaces", "").ok(t, "list").body["workspaces"].([]any)
	var names []string
	for _, it := range list {
		names = append(names, it.(map[string]any)["name"].(string))
	}
	hhmm := func(t time.Time) string { // with the date when not today (near midnight)
		if t.Format("2006-01-02") != time.Now().Format("2006-01-02") {
			return t.Format("2 Jan 15:04")
		}
		return t.Format("15:04")
	}
	want := []string{
		"saved",
		"Session 11 · 1 image · 0 regions · " + hhmm(now.Add(-time.Minute)),
		"Session 2678170967 · 2 images · 2 regions · " + hhmm(now.Add(-2*time.Minute)),
	}
	if mustJSON(names) != mustJSON(want) {
		t.Fatalf("list names %q\nwant %q", names, want)
	}
	before := proto.Clone(older) // compared with proto.Equal: map order makes Marshal's bytes vary
	ws := c.do("GET", workspacePath(want[2]), "").ok(t, "get session").body["workspace"].(map[string]any)
	wantWS := `{"colorBlendingImages":[],"date":` + fmt.Sprint(now.Add(-2*time.Minute).Unix()) + `,` +
		`"description":"Auto-saved session 2678170967","editable":false,"files":[` +
		`{"channel":5,"contourConfig":{"colormapBias":0,"colormapContrast":1,"colormapEnabled":false,"dashMode":"Negative only",` +
		`"levels":[0.5,1.5],"smoothingFactor":4,"smoothingMode":2,"thickness":1,"visible":true},` +
		`"directory":"sub","filename":"cube.fits","hdu":"0","id":0,"references":{},"regionsSet":{"regions":[` +
		`{"id":1,"points":[{"x":10,"y":12},{"x":4,"y":6}],"rotation":30,"type":3},` +
		`{"id":3,"points":[{"x":1.5,"y":2.5}],"rotation":0,"type":0}],"selectedRegion":3},"stokes":1},` +
		`{"channel":0,"directory":"","filename":"flat.fits","hdu":"","id":1,"references":{},"stokes":0}],` +
		`"name":"` + want[2] + `","references":{},"workspaceVersion":0}`
	if got := mustJSON(ws); got != wantWS {
		t.Fatalf("session workspace\n%s\nwant\n%s", got, wantWS)
	}
	// By id alone too (the counts and time in a name may be stale).
	c.do("GET", workspacePath("Session 2678170967"), "").ok(t, "get by id")
	// Reading did not change the stored session.
	after, err := db.Get(older.SessionId)
	must(t, err)
	if !proto.Equal(after, before) {
		t.Fatal("reading the session as a workspace changed its snapshot")
	}
	c.do("GET", workspacePath("Session 13"), "").failed(t, "another owner's session", http.StatusNotFound)
	c.do("GET", workspacePath("Session 12"), "").failed(t, "a session without images", http.StatusNotFound)
	c.do("GET", workspacePath("Session 99"), "").failed(t, "an unknown session", http.StatusNotFound)
}

// TestGeneratedImagesLeftOut: images computed by the server (a moment,
// and a PV image whose recipe, field 20, this build may not know) are
// not offered for reopening; an unrelated unknown field is no reason.
func TestGeneratedImagesLeftOut(t *testing.T) {
	withField := func(n protowire.Number) *store.Image {
		img := &store.Image{File: "x.fits"}
		b := protowire.AppendTag(nil, n, protowire.BytesType)
		b = protowire.AppendBytes(b, []byte{0x08, 0x01})
		img.ProtoReflect().SetUnknown(b)
		return img
	}
	snap := &store.Snapshot{Images: []*store.Image{
		{File: "plain.fits"},
		{File: "m.fits", Moment: &store.MomentRecipe{}},
		{File: "concat", StokesFiles: []*icd.StokesFile{{File: "q.fits"}}},
		withField(20),
		withField(21),
		withField(99),
	}}
	var got []string
	for _, img := range reopenable(snap) {
		got = append(got, img.File)
	}
	if mustJSON(got) != `["plain.fits","x.fits"]` {
		t.Fatalf("reopenable images %q", got)
	}
}
