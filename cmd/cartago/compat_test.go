package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/sample"
	"cartago/ws/wstest"
)

// The page URL a server started with the reference's flags prints, with
// or without a prefix.
var compatURLRe = regexp.MustCompile(`http://127\.0\.0\.1:\d+/\S*`)

// controllerProxy stands in for carta-controller in front of one user's
// backend: it accepts a client that shows the user's token (the
// controller's own login token, as ?token=) and forwards the request to
// the backend at "/" with the backend's token in the carta-auth-token
// header, dropping the user's query, as the controller's upgrade handler
// does (src/serverHandlers.ts). backend is read at each request, so the
// backend can be restarted on another port.
type controllerProxy struct {
	userToken string
	backend   func() (addr, token string)
	srv       *httptest.Server
}

func newControllerProxy(t *testing.T, userToken string, backend func() (addr, token string)) *controllerProxy {
	p := &controllerProxy{userToken: userToken, backend: backend}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		addr, token := p.backend()
		r.SetURL(&url.URL{Scheme: "http", Host: addr})
		r.Out.URL.Path, r.Out.URL.RawPath, r.Out.URL.RawQuery = "/", "", ""
		r.Out.Header.Set("carta-auth-token", token)
	}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("token") != p.userToken {
			http.Error(w, "not logged in", http.StatusForbidden)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// startLikeController runs the binary as carta-controller does: only
// CARTA_AUTH_TOKEN in the environment (plus HOME for the default
// database, which sudo -u would set), no subcommand, the controller's
// argument list, the site's extra arguments, the base folder last.
func startLikeController(t *testing.T, token, port, root, base string, extra ...string) *serverProc {
	t.Helper()
	args := []string{"--no_frontend", "--no_database", "--port", port, "--top_level_folder", root,
		"--controller_deployment", "--no_log"}
	args = append(append(args, extra...), base)
	return startCommand(t, compatURLRe, []string{"CARTA_AUTH_TOKEN=" + token, "HOME=" + os.Getenv("HOME")}, args...)
}

// TestControllerDeployment starts cartago exactly as carta-controller
// does and connects through a proxy that adds the controller's header
// token: register, open an image. Then the backend is killed and started
// again with a new token, as the controller does on the next
// connection, and the session resumes from the database.
func TestControllerDeployment(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "alice")
	if err := sample.Generate(context.Background(), home, sample.Options{Small: true}); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "alice.db")
	port := freePort(t)
	extra := []string{"--db", db, "--verbosity", "4", "--omp_threads", "2", "--idle_timeout", "300"}
	var backendToken atomic.Pointer[string] // the proxy reads it on its goroutines
	first, second := "token-of-the-first-start", "token-of-the-second-start"
	backendToken.Store(&first)
	srv := startLikeController(t, first, port, root, home, extra...)
	proxy := newControllerProxy(t, "alice-login", func() (string, string) { return "127.0.0.1:" + port, *backendToken.Load() })

	// The backend itself refuses a client without its token.
	if _, resp, err := wstest.Dial(context.Background(), "127.0.0.1:"+port, wstest.Options{}); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("direct connection without the token: %v %v", resp, err)
	}
	c := dialServer(t, strings.Replace(proxy.srv.URL, "http://", "ws://", 1)+"/?token=alice-login")
	ack := c.register(0)
	if !ack.Success || ack.PlatformStrings["controller_deployment"] != "true" {
		t.Fatalf("register through the proxy: %+v", ack)
	}
	var list icd.FileListResponse
	c.send(icd.EventType_FILE_LIST_REQUEST, &icd.FileListRequest{Directory: "$BASE"})
	c.await(icd.EventType_FILE_LIST_RESPONSE, &list)
	if !list.Success || list.Directory != "alice" || len(list.Files) == 0 {
		t.Fatalf("the positional base folder is not the starting folder: %+v", &list)
	}
	c.send(icd.EventType_OPEN_FILE, &icd.OpenFile{Directory: "alice", File: crashCube, FileId: 1})
	var open icd.OpenFileAck
	c.await(icd.EventType_OPEN_FILE_ACK, &open)
	if !open.Success {
		t.Fatalf("open through the proxy: %+v", &open)
	}
	c.send(icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{FileId: 1, Channel: 3})
	c.await(icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	if code := srv.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
	for _, want := range []string{`note="--no_log: cartago writes no log file`, "--idle_timeout: the reference closes"} {
		if !strings.Contains(string(srv.output()), want) {
			t.Errorf("output lacks %q", want)
		}
	}

	backendToken.Store(&second)
	startLikeController(t, second, port, root, home, extra...)
	c = dialServer(t, strings.Replace(proxy.srv.URL, "http://", "ws://", 1)+"/?token=alice-login")
	again := c.register(ack.SessionId)
	if !again.Success || again.SessionType != icd.SessionType_RESUMED || !strings.Contains(again.Message, "restored from the database") {
		t.Fatalf("register after a restart with a new token: %+v", again)
	}
	c.send(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: "alice", File: crashCube, FileId: 1, Channel: 3}}})
	var hist icd.RegionHistogramData
	c.await(icd.EventType_REGION_HISTOGRAM_DATA, &hist)
	var rack icd.ResumeSessionAck
	c.await(icd.EventType_RESUME_SESSION_ACK, &rack)
	if !rack.Success || hist.Channel != 3 {
		t.Fatalf("resume after a restart with a new token: histogram channel %d, %+v", hist.Channel, &rack)
	}
}

// TestURLPrefix: with --http_url_prefix everything is served under the
// prefix: the frontend, /config, the API and the websocket; outside it
// only the probes answer.
func TestURLPrefix(t *testing.T) {
	root, fe := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(fe, "index.html"), []byte("<html>carta</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startCommand(t, compatURLRe, nil, "--port", "0", "--host", "127.0.0.1", "--top_level_folder", root,
		"--frontend_folder", fe, "--http_url_prefix", "/site/carta/", "--db", filepath.Join(t.TempDir(), "s.db"))
	u, err := url.Parse(srv.url)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/site/carta/" || u.Query().Get("token") == "" {
		t.Fatalf("printed URL %s: want the prefix and a token", srv.url)
	}
	token := u.Query().Get("token")
	base := "http://" + u.Host
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/site/carta/", 200, "carta"},
		{"/site/carta/index.html", 200, "carta"},
		{"/site/carta", 301, ""},
		{"/site/carta/config", 200, `"apiAddress":"api"`},
		{"/site/carta/api/database/preferences?token=" + token, 200, `"success":true`},
		{"/", 404, ""},
		{"/config", 404, ""},
		{"/site/cartax/", 404, ""},
		{"/healthz", 200, "ok"},
		{"/site/carta/readyz", 200, "ok"},
	} {
		resp, err := noRedirect.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.body) {
			t.Errorf("GET %s: %d %q, want %d with %q", tc.path, resp.StatusCode, body, tc.status, tc.body)
		}
		if tc.status == 301 && resp.Header.Get("Location") != "/site/carta/" {
			t.Errorf("GET %s redirects to %q", tc.path, resp.Header.Get("Location"))
		}
	}
	c := dialServer(t, srv.url)
	if ack := c.register(0); !ack.Success {
		t.Fatalf("register under the prefix: %+v", ack)
	}
	if _, resp, err := wstest.Dial(context.Background(), "ws://"+u.Host+"/?token="+token, wstest.Options{}); err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("websocket outside the prefix: %v %v", resp, err)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReferenceFlagsWithoutMeaning: every flag of the reference that
// means nothing here is accepted and noted once; --initial_timeout and
// --exit_timeout end the server by themselves, with exit code 0.
func TestReferenceFlagsWithoutMeaning(t *testing.T) {
	root := t.TempDir()
	db := filepath.Join(t.TempDir(), "s.db")
	srv := startCommand(t, compatURLRe, nil, "--host", "127.0.0.1", "--port", "0", "--top_level_folder", root, "--db", db, "--no_frontend",
		"--no_browser", "--browser", "firefox CARTA_URL", "--log_performance", "--log_protocol_messages",
		"--no_user_config", "--no_system_config", "--no_runtime_config", "--enable_scripting", "--threads", "4",
		"--event_thread_count", "3", "--no_log", "--verbosity=5", "-t", "1", "--debug_no_auth", "--initial_timeout", "1")
	select {
	case <-srv.done:
	case <-time.After(20 * time.Second):
		t.Fatal("--initial_timeout 1: still running after 20 s")
	}
	if srv.waitErr != nil {
		t.Fatalf("exit after --initial_timeout: %v\n%s", srv.waitErr, srv.output())
	}
	out := string(srv.output())
	for _, flag := range []string{"no_browser", "browser", "log_performance", "log_protocol_messages", "no_user_config",
		"no_system_config", "no_runtime_config", "enable_scripting", "threads", "event_thread_count", "no_log"} {
		if n := strings.Count(out, `note="--`+flag+":"); n != 1 {
			t.Errorf("--%s noted %d times, want once", flag, n)
		}
	}
	if !strings.Contains(out, "level=DEBUG") {
		t.Errorf("--verbosity 5 logs no debug lines:\n%s", out)
	}

	srv = startCommand(t, compatURLRe, nil, "--host", "127.0.0.1", "--port", "0", "--top_level_folder", root, "--db", db,
		"--no_frontend", "--debug_no_auth", "--exit_timeout", "0")
	c := dialServer(t, srv.url)
	c.register(0)
	c.Close()
	select {
	case <-srv.done:
	case <-time.After(20 * time.Second):
		t.Fatal("--exit_timeout 0: still running 20 s after the client left")
	}
	if srv.waitErr != nil || !strings.Contains(string(srv.output()), "no client connected for --exit-timeout") {
		t.Fatalf("exit after --exit_timeout: %v\n%s", srv.waitErr, srv.output())
	}
}

// TestUnknownFlagsFail: a flag neither we nor the reference know, a
// reference flag we refuse, and bad values fail at once with a message
// naming them.
func TestUnknownFlagsFail(t *testing.T) {
	bin := buildBinary(t)
	root := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--no_frontend", "--no_such_flag", root}, "flag provided but not defined: -no_such_flag"},
		{[]string{"serve", "--no_such_flag"}, "flag provided but not defined: -no_such_flag"},
		{[]string{"--read_only_mode", root}, "--read_only_mode is not supported"},
		{[]string{"--port", "3002,3010", root}, "port ranges are not supported"},
		{[]string{"--verbosity", "9", root}, "--verbosity \"9\": want 0 (off) to 5 (debug)"},
		{[]string{"--http_url_prefix", "/a/../b", root}, "only letters, digits"},
		{[]string{"--controller_deployment", root}, "needs the controller's token in CARTA_AUTH_TOKEN"},
		{[]string{"--port"}, "--port needs a value"},
	} {
		args := append([]string{"--db", filepath.Join(t.TempDir(), "s.db"), "--top_level_folder", root}, tc.args...)
		if tc.args[0] == "serve" {
			args = tc.args
		}
		out, err := execOutput(bin, args...)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("cartago %s: err %v, output lacks %q:\n%s", strings.Join(tc.args, " "), err, tc.want, lastLines(out, 3))
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestCompatArgs checks the translation itself, including that values
// of our own flags are never taken for the positional folder.
func TestCompatArgs(t *testing.T) {
	dir := t.TempDir()
	app := newApp()
	for _, tc := range []struct {
		in, want []string
	}{
		{[]string{"sessions", "list"}, []string{"sessions", "list"}},
		{[]string{"--version"}, []string{"version"}},
		{[]string{"--no_http", "-p", "5", "--idle_timeout=-1", "--omp_threads", "-1", "--exit_timeout", "7"},
			[]string{"serve", "--no-frontend", "--no-api", "--port=5", "--exit-timeout=7s"}},
		{[]string{"serve", "--root", dir, "--db", "x.db", "--no-auth", dir},
			[]string{"serve", "--root", dir, "--db", "x.db", "--no-auth", "--base=" + dir}},
		{[]string{"--top_level_folder", dir, "--verbosity", "0", dir},
			[]string{"serve", "--root=" + dir, "--log-level=ERROR+4", "--base=" + dir}},
	} {
		got, _, err := compatArgs(app, append([]string{"cartago"}, tc.in...))
		if err != nil || !slices.Equal(got[1:], tc.want) {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got[1:], err, tc.want)
		}
	}
}

// TestInstalledFrontendLayout: without --frontend_folder and without
// ./frontend, a binary installed as <prefix>/bin/carta_backend serves the
// frontend from <prefix>/share/carta/frontend, as the reference does.
func TestInstalledFrontendLayout(t *testing.T) {
	prefix := t.TempDir()
	fe := filepath.Join(prefix, "share", "carta", "frontend")
	for _, d := range []string{filepath.Join(prefix, "bin"), fe} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(fe, "index.html"), []byte("<html>installed frontend</html>"))
	bin := filepath.Join(prefix, "bin", "carta_backend")
	data, err := os.ReadFile(buildBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // no ./frontend here
	root := t.TempDir()
	cmd := exec.Command(bin, "--host", "127.0.0.1", "--port", "0", "--top_level_folder", root, "--db", filepath.Join(t.TempDir(), "s.db"), root)
	srv := startExec(t, cmd)
	resp, err := http.Get(srv.url)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "installed frontend") {
		t.Fatalf("GET /: %d %q", resp.StatusCode, body)
	}
}

// TestControllerSelfTest: carta-controller's own start-up check runs the
// backend with --debug_no_auth and no token and connects to
// ws://localhost:P without one (src/controllerTests.ts); that works.
func TestControllerSelfTest(t *testing.T) {
	root := t.TempDir()
	port := freePort(t)
	srv := startCommand(t, compatURLRe, []string{"HOME=" + os.Getenv("HOME")}, "--no_frontend", "--no_database", "--debug_no_auth",
		"--port", port, "--top_level_folder", root, "--controller_deployment", "--db", filepath.Join(t.TempDir(), "s.db"), root)
	c := dialServer(t, "ws://localhost:"+port)
	if ack := c.register(0); !ack.Success || ack.PlatformStrings["controller_deployment"] != "true" {
		t.Fatalf("register without a token under --debug_no_auth: %+v", ack)
	}
	if code := srv.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
}
