package ws

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"cartago/store"
)

// apiClient calls the HTTP API of a test server as the frontend does.
type apiClient struct {
	t     *testing.T
	base  string
	token string // sent as Authorization: Bearer unless ""
}

// apiReply is a decoded reply.
type apiReply struct {
	status int
	body   map[string]any
	raw    string
}

func (c apiClient) do(method, path, body string) apiReply {
	c.t.Helper()
	return c.doHeader(method, path, body, nil)
}

func (c apiClient) doHeader(method, path, body string, header http.Header) apiReply {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := apiReply{status: resp.StatusCode, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		c.t.Fatalf("%s %s: reply %d is not a JSON object: %q", method, path, resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		c.t.Fatalf("%s %s: Content-Type %q", method, path, ct)
	}
	return r
}

// ok checks a successful reply.
func (r apiReply) ok(t *testing.T, what string) apiReply {
	t.Helper()
	if r.status != http.StatusOK || r.body["success"] != true {
		t.Fatalf("%s: %d %s", what, r.status, r.raw)
	}
	return r
}

// failed checks a refusal with status and the frontend's success:false.
func (r apiReply) failed(t *testing.T, what string, status int) {
	t.Helper()
	if r.status != status || r.body["success"] != false || r.body["message"] == "" {
		t.Fatalf("%s: got %d %s, want %d with success false and a message", what, r.status, r.raw, status)
	}
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// startAPI runs a server with the API on db, requiring token ("" = none).
func startAPI(t *testing.T, db *store.Store, token string) apiClient {
	t.Helper()
	ts := startServer(t, Config{UserData: db, AuthToken: token})
	return apiClient{t: t, base: "http://" + ts.addr, token: token}
}

func TestAPIConfig(t *testing.T) {
	with := startAPI(t, openStore(t), testToken)
	if _, body, h := get(t, with.base+"/config"); body != `{"apiAddress":"api"}`+"\n" || h.Get("Content-Type") != "application/json" {
		t.Fatalf("config with the API: %q", body)
	}
	without := startServer(t, Config{})
	if _, body, _ := get(t, "http://"+without.addr+"/config"); body != "{}\n" {
		t.Fatalf("config without the API: %q", body)
	}
	if status, _, _ := get(t, "http://"+without.addr+"/api/database/preferences"); status == http.StatusOK {
		t.Fatal("API answered without UserData")
	}
}

func TestAPIPreferences(t *testing.T) {
	c := startAPI(t, openStore(t), testToken)
	r := c.do("GET", "/api/database/preferences", "").ok(t, "fresh get")
	if prefs, _ := json.Marshal(r.body["preferences"]); string(prefs) != `{"version":2}` {
		t.Fatalf("fresh preferences %s", prefs)
	}
	c.do("PUT", "/api/database/preferences", `{"version":2,"theme":"dark","tileCache":4096,"nested":{"a":[1,2]}}`).ok(t, "put")
	c.do("PUT", "/api/database/preferences", `{"theme":"light"}`).ok(t, "put again")
	c.do("DELETE", "/api/database/preferences", `{"keys":["tileCache","notStored"]}`).ok(t, "delete")
	r = c.do("GET", "/api/database/preferences", "").ok(t, "get")
	got, _ := json.Marshal(r.body["preferences"])
	if string(got) != `{"nested":{"a":[1,2]},"theme":"light","version":2}` {
		t.Fatalf("preferences %s", got)
	}
}

func TestAPITokenWays(t *testing.T) {
	c := startAPI(t, openStore(t), testToken)
	c.do("PUT", "/api/database/preferences", `{"k":1}`).ok(t, "put with bearer")
	anon := apiClient{t: t, base: c.base}
	cookie := http.Header{"Cookie": {"carta-auth-token=" + testToken}}
	anon.doHeader("GET", "/api/database/preferences", "", cookie).ok(t, "cookie")
	anon.do("GET", "/api/database/preferences?token="+testToken, "").ok(t, "query token")
	paths := []struct{ method, path, body string }{
		{"GET", "/api/database/preferences", ""},
		{"PUT", "/api/database/preferences", `{"k":2}`},
		{"DELETE", "/api/database/preferences", `{"keys":["k"]}`},
		{"GET", "/api/database/layouts", ""},
		{"PUT", "/api/database/layout", `{"layoutName":"l","layout":{}}`},
		{"GET", "/api/database/snippets", ""},
		{"GET", "/api/database/list/workspaces", ""},
		{"GET", "/api/database/workspace/w", ""},
		{"GET", "/api/database/workspace/key/k", ""},
		{"PUT", "/api/database/workspace", `{"workspaceName":"w","workspace":{}}`},
		{"POST", "/api/database/share/workspace/x", ""},
		{"GET", "/api/anything", ""},
	}
	wrong := apiClient{t: t, base: c.base, token: "not-the-token"}
	for _, p := range paths {
		anon.do(p.method, p.path, p.body).failed(t, "no token: "+p.method+" "+p.path, http.StatusUnauthorized)
		wrong.do(p.method, p.path, p.body).failed(t, "wrong token: "+p.method+" "+p.path, http.StatusUnauthorized)
	}
	r := c.do("GET", "/api/database/preferences", "").ok(t, "get")
	if prefs := r.body["preferences"].(map[string]any); prefs["k"] != 1.0 {
		t.Fatalf("refused calls changed preferences: %v", prefs)
	}
}

func TestAPINoAuthIsOneLocalOwner(t *testing.T) {
	db := openStore(t)
	c := startAPI(t, db, "")
	c.do("PUT", "/api/database/preferences", `{"k":"local"}`).ok(t, "put without any token")
	// A stray token changes nothing: without access control everyone is
	// the one local owner.
	other := apiClient{t: t, base: c.base, token: "whatever"}
	r := other.do("GET", "/api/database/preferences", "").ok(t, "get")
	if r.body["preferences"].(map[string]any)["k"] != "local" {
		t.Fatalf("got %v", r.body)
	}
	if p, _ := db.Preferences(nil); string(p) != `{"k":"local"}` {
		t.Fatalf("stored under the local owner: %q", p)
	}
}

func TestAPIForeignOriginCannotWrite(t *testing.T) {
	c := startAPI(t, openStore(t), testToken)
	evil := http.Header{"Origin": {"https://evil.example"}}
	c.doHeader("PUT", "/api/database/preferences", `{"k":1}`, evil).failed(t, "foreign origin", http.StatusForbidden)
	own := http.Header{"Origin": {strings.Replace(c.base, "127.0.0.1", "localhost", 1)}}
	c.doHeader("PUT", "/api/database/preferences", `{"k":1}`, own).ok(t, "loopback origin")
}

func TestAPILayoutsAndSnippets(t *testing.T) {
	c := startAPI(t, openStore(t), testToken)
	for _, kind := range []string{"layout", "snippet"} {
		c.do("PUT", "/api/database/"+kind, `{"`+kind+`Name":"mine","`+kind+`":{"v":1}}`).ok(t, "put "+kind)
		c.do("PUT", "/api/database/"+kind, `{"`+kind+`Name":"other one","`+kind+`":{"v":2}}`).ok(t, "put "+kind)
		c.do("DELETE", "/api/database/"+kind, `{"`+kind+`Name":"other one"}`).ok(t, "delete "+kind)
		c.do("DELETE", "/api/database/"+kind, `{"`+kind+`Name":"other one"}`).failed(t, "delete again", http.StatusNotFound)
		r := c.do("GET", "/api/database/"+kind+"s", "").ok(t, "get "+kind+"s")
		got, _ := json.Marshal(r.body[kind+"s"])
		if string(got) != `{"mine":{"v":1}}` {
			t.Fatalf("%ss: %s", kind, got)
		}
	}
}

// TestAPIBadBodies sends malformed and oversized bodies to every write:
// each is refused with a 4xx and a message, and nothing changes.
func TestAPIBadBodies(t *testing.T) {
	db := openStore(t)
	c := startAPI(t, db, testToken)
	c.do("PUT", "/api/database/preferences", `{"k":1}`).ok(t, "put")
	c.do("PUT", "/api/database/layout", `{"layoutName":"l","layout":{"v":1}}`).ok(t, "put")
	c.do("PUT", "/api/database/workspace", `{"workspaceName":"w","workspace":{"files":[]}}`).ok(t, "put")
	big := `{"k":"` + strings.Repeat("x", maxPreferencesBody) + `"}`
	bigWorkspace := `{"workspaceName":"w","workspace":{"thumbnail":"` + strings.Repeat("x", maxWorkspaceBody) + `"}}`
	cases := []struct {
		name, method, path, body string
		status                   int
	}{
		{"prefs not JSON", "PUT", "/api/database/preferences", `{"k":`, 400},
		{"prefs array", "PUT", "/api/database/preferences", `[1,2]`, 400},
		{"prefs null", "PUT", "/api/database/preferences", `null`, 400},
		{"prefs two objects", "PUT", "/api/database/preferences", `{"k":2}{"k":3}`, 400},
		{"prefs empty key", "PUT", "/api/database/preferences", `{"":2}`, 400},
		{"prefs control key", "PUT", "/api/database/preferences", `{"a\nb":2}`, 400},
		{"prefs not UTF-8", "PUT", "/api/database/preferences", "{\"k\":\"\xff\"}", 400},
		{"prefs oversized", "PUT", "/api/database/preferences", big, 413},
		{"delete keys missing", "DELETE", "/api/database/preferences", `{"k":["k"]}`, 400},
		{"delete keys not strings", "DELETE", "/api/database/preferences", `{"keys":[1]}`, 400},
		{"delete keys empty", "DELETE", "/api/database/preferences", `{"keys":[]}`, 400},
		{"layout not object", "PUT", "/api/database/layout", `{"layoutName":"l","layout":"x"}`, 400},
		{"layout no name", "PUT", "/api/database/layout", `{"layout":{}}`, 400},
		{"layout name number", "PUT", "/api/database/layout", `{"layoutName":3,"layout":{}}`, 400},
		{"layout name slash", "PUT", "/api/database/layout", `{"layoutName":"a/b","layout":{}}`, 400},
		{"layout name long", "PUT", "/api/database/layout", `{"layoutName":"` + strings.Repeat("n", maxNameBytes+1) + `","layout":{}}`, 400},
		{"layout oversized", "PUT", "/api/database/layout", `{"layoutName":"l","layout":{"x":"` + strings.Repeat("x", maxObjectBody) + `"}}`, 413},
		{"workspace array", "PUT", "/api/database/workspace", `{"workspaceName":"w","workspace":[]}`, 400},
		{"workspace name percent", "PUT", "/api/database/workspace", `{"workspaceName":"50%","workspace":{}}`, 400},
		{"workspace name dots", "PUT", "/api/database/workspace", `{"workspaceName":"..","workspace":{}}`, 400},
		{"workspace name spaces", "PUT", "/api/database/workspace", `{"workspaceName":" w","workspace":{}}`, 400},
		{"workspace session name", "PUT", "/api/database/workspace", `{"workspaceName":"Session 12","workspace":{}}`, 400},
		{"workspace oversized", "PUT", "/api/database/workspace", bigWorkspace, 413},
		{"delete session", "DELETE", "/api/database/workspace", `{"workspaceName":"Session 12 · 1 image"}`, 400},
		{"delete workspace bad body", "DELETE", "/api/database/workspace", `"w"`, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			c.do(tc.method, tc.path, tc.body).failed(t, tc.name, tc.status)
		})
	}
	c.t = t
	if p, _ := db.Preferences(ownerOf(testToken)); string(p) != `{"k":1}` {
		t.Errorf("preferences changed: %q", p)
	}
	if l, _ := db.Objects(ownerOf(testToken), store.Layouts); len(l) != 1 || string(l["l"]) != `{"v":1}` {
		t.Errorf("layouts changed: %q", l)
	}
	if w, err := db.Workspace(ownerOf(testToken), "w"); err != nil || string(w.Data) != `{"files":[]}` {
		t.Errorf("workspace changed: %v", err)
	}
	if l, _ := db.Workspaces(ownerOf(testToken)); len(l) != 1 {
		t.Errorf("workspaces: %v", l)
	}
}

func ownerOf(token string) []byte {
	s := &Server{cfg: Config{AuthToken: token}}
	r, _ := http.NewRequest("GET", "/?token="+token, nil)
	return s.owner(r)
}

func TestAPIPreferencesStoredLimit(t *testing.T) {
	db := openStore(t)
	c := startAPI(t, db, testToken)
	chunk := strings.Repeat("x", maxPreferencesBody-100)
	n := 0
	for ; n < maxPreferencesStored/maxPreferencesBody+2; n++ {
		r := c.do("PUT", "/api/database/preferences", `{"k`+string(rune('a'+n))+`":"`+chunk+`"}`)
		if r.status == http.StatusRequestEntityTooLarge {
			break
		}
		r.ok(t, "put")
	}
	if n != maxPreferencesStored/(maxPreferencesBody-100+8) {
		t.Fatalf("refused after %d puts", n)
	}
	if p, _ := db.Preferences(ownerOf(testToken)); len(p) > maxPreferencesStored || bytes.Count(p, []byte(chunk)) != n {
		t.Fatalf("stored %d bytes with %d chunks", len(p), bytes.Count(p, []byte(chunk)))
	}
}

// TestAPIBehindPrefixProxy: behind a reverse proxy that serves the page
// at /carta/ and strips the prefix, the frontend fetches /carta/config
// and resolves apiAddress against the page URL, as axios does; the API
// answers there.
func TestAPIBehindPrefixProxy(t *testing.T) {
	c := startAPI(t, openStore(t), testToken)
	backend, _ := url.Parse(c.base)
	proxy := httptest.NewServer(http.StripPrefix("/carta", httputil.NewSingleHostReverseProxy(backend)))
	defer proxy.Close()
	page, _ := url.Parse(proxy.URL + "/carta/?token=" + testToken)
	_, body, _ := get(t, page.ResolveReference(&url.URL{Path: "config"}).String())
	var cfg struct{ APIAddress string }
	if err := json.Unmarshal([]byte(body), &cfg); err != nil || cfg.APIAddress == "" {
		t.Fatalf("config through the proxy: %q", body)
	}
	prefs := page.ResolveReference(&url.URL{Path: cfg.APIAddress + "/database/preferences"})
	if prefs.Path != "/carta/api/database/preferences" {
		t.Fatalf("the frontend would call %s", prefs)
	}
	proxied := apiClient{t: t, base: proxy.URL, token: testToken}
	proxied.do("PUT", prefs.Path, `{"k":"via proxy"}`).ok(t, "put through the proxy")
	if got := c.do("GET", "/api/database/preferences", "").ok(t, "get").body["preferences"]; mustJSON(got) != `{"k":"via proxy"}` {
		t.Fatalf("preferences %v", got)
	}
}

// TestAPINoAuthRefusesNamedHosts: without a token, a request naming a
// host (as a DNS-rebound page of another site would) is refused; one
// naming the address or localhost, or an --allowed-origins host, is
// answered.
func TestAPINoAuthRefusesNamedHosts(t *testing.T) {
	ts := startServer(t, Config{UserData: openStore(t), AllowedOrigins: []string{"https://carta.example.org"}})
	_, port, _ := net.SplitHostPort(ts.addr)
	for _, tc := range []struct {
		host   string
		status int
	}{
		{"evil.example:" + port, http.StatusForbidden},
		{"127.0.0.1:" + port, http.StatusOK},
		{"localhost:" + port, http.StatusOK},
		{"[::1]:" + port, http.StatusOK},
		{"carta.example.org", http.StatusOK},
	} {
		req, _ := http.NewRequest("GET", "http://"+ts.addr+"/api/database/preferences", nil)
		req.Host = tc.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("Host %s: %d, want %d", tc.host, resp.StatusCode, tc.status)
		}
	}
	// With a token a named host is fine: the token is the guard.
	c := startAPI(t, openStore(t), testToken)
	req, _ := http.NewRequest("GET", c.base+"/api/database/preferences", nil)
	req.Host = "carta.example.net"
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("named host with a token: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestAPICorruptStoredPreferences: stored preferences that are not a
// JSON object are a 500 (the frontend then alerts and uses its
// defaults), and the next PUT starts them afresh.
func TestAPICorruptStoredPreferences(t *testing.T) {
	db := openStore(t)
	c := startAPI(t, db, testToken)
	must(t, db.UpdatePreferences(ownerOf(testToken), func([]byte) ([]byte, error) { return []byte("\x00garbage"), nil }))
	c.do("GET", "/api/database/preferences", "").failed(t, "get corrupt", http.StatusInternalServerError)
	c.do("PUT", "/api/database/preferences", `{"theme":"light"}`).ok(t, "put over corrupt")
	if got := c.do("GET", "/api/database/preferences", "").ok(t, "get").body["preferences"]; mustJSON(got) != `{"theme":"light"}` {
		t.Fatalf("preferences %v", got)
	}
}
