package main

// End-to-end test: the unmodified carta-frontend@6.0.0, in Debian's headless
// Chromium driven over the DevTools protocol by chromedp, connects to a real
// cartago server and registers a viewer session.
//
// Needs (the test fails, naming the fix, when one is missing):
//   - the frontend build in <repo>/frontend: scripts/fetch-frontend.sh
//   - Chromium: $CARTAGO_CHROMIUM, else /usr/bin/chromium (Debian package
//     "chromium": apt-get install -y chromium)
//
// `go test -short` skips it. The screenshot goes to $CARTAGO_ARTIFACTS, else
// <repo>/artifacts (git-ignored), as browser-connected.png, together with the
// console/network transcript (browser-console.log) and the server's output
// (browser-server.log).

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const (
	// How long the frontend may take from navigation to REGISTER_VIEWER_ACK.
	browserConnectTimeout = 60 * time.Second
	// How long the server may take to exit after SIGTERM.
	serverStopTimeout = 10 * time.Second
	// Time given to the UI after the connect before it is inspected, so that
	// an alert raised during start-up (WebGL, preferences) has been rendered.
	browserSettle   = 3 * time.Second
	frontendVersion = "6.0.0"
)

var (
	// carta-frontend 6.0.0 logs this with console.log after a successful
	// REGISTER_VIEWER_ACK (bundle: "Connected with session ID ${t.sessionId}").
	sessionIDRe = regexp.MustCompile(`^Connected with session ID (\d+)$`)
)

// chromiumFlags are the flags, on top of chromedp.DefaultExecAllocatorOptions
// (--headless, --no-first-run, --disable-background-networking, --disable-sync,
// ...), that make Debian's Chromium start the CARTA frontend on a machine with
// no GPU, as root, with no outside network.
func chromiumFlags() []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		// Chromium refuses to run as root with its sandbox on.
		chromedp.NoSandbox,
		// WebGL2 (the frontend alerts without it) from SwiftShader through
		// ANGLE. Without --enable-unsafe-swiftshader Chromium 156 still
		// falls back to it but logs that the fallback is deprecated.
		chromedp.Flag("use-angle", "swiftshader"),
		chromedp.Flag("enable-unsafe-swiftshader", true),
		// Quiet start on a closed network.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		// The frontend asks api.github.com (release check) and
		// alasky.cds.unistra.fr (HiPS survey list) on its own; fail every
		// name lookup at once instead of waiting on the network.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost"),
		chromedp.WindowSize(1600, 1000),
	}
}

func TestBrowserFrontendConnects(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test needs -short=false: it builds cartago and drives headless Chromium with carta-frontend@" + frontendVersion)
	}
	began := time.Now()
	repo := repoRoot(t)
	chromium := findChromium(t)
	frontend := findFrontend(t, repo)
	artifacts := artifactsDir(t, repo)

	srv := startBrowserServer(t, frontend)
	t.Cleanup(func() {
		_ = os.WriteFile(filepath.Join(artifacts, "browser-server.log"), srv.output(), 0o644)
	})
	t.Logf("server up after %v: %s", time.Since(began).Round(time.Millisecond), srv.url)

	rec := newPageRecorder()
	t.Cleanup(func() {
		_ = os.WriteFile(filepath.Join(artifacts, "browser-console.log"), []byte(rec.transcript()), 0o644)
	})

	// Everything in the browser ends with this context at the latest.
	root, cancelRoot := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancelRoot)
	var chromeOut lockedBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.CombinedOutput(&chromeOut))
	opts = append(opts, chromiumFlags()...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(root, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(rec.listen))
	t.Cleanup(cancelTab)

	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v\nchromium output:\n%s", chromium, err, chromeOut.String())
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			rec.console(m)
		}
	}()
	// Dismiss JavaScript dialogs (an alert blocks the page) and fail on them.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-rec.dialogs:
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}
		}
	}()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("Network.enable: %v", err)
	}

	pageURL := srv.url + "&skipTelemetry=1" // no telemetry consent dialog, no uploads
	navStart := time.Now()
	navCtx, cancelNav := context.WithTimeout(ctx, browserConnectTimeout)
	defer cancelNav()
	if err := chromedp.Do(navCtx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("navigating to %s: %v\n%s", pageURL, err, rec.transcript())
	}

	var sessionID uint64
	select {
	case s := <-rec.connected:
		id, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			t.Fatalf("frontend reported session ID %q, not a uint32: %v", s, err)
		}
		sessionID = id
	case msg := <-rec.dialogFailed:
		t.Fail()
		saveScreenshot(ctx, t, artifacts)
		rec.logSummary(t)
		t.Fatalf("browser opened a JavaScript dialog before connecting: %q", msg)
	case <-srv.done:
		rec.logSummary(t)
		t.Fatalf("server exited while the frontend was connecting: %v\nserver output:\n%s", srv.waitErr, srv.output())
	case <-time.After(browserConnectTimeout - time.Since(navStart)):
		t.Fail()
		saveScreenshot(ctx, t, artifacts)
		rec.logSummary(t)
		t.Fatalf("frontend did not log %q within %v of navigating to %s (see the transcript above; server output:\n%s)",
			"Connected with session ID <n>", browserConnectTimeout, pageURL, srv.output())
	}
	t.Logf("frontend connected %v after navigation (%v after test start), session ID %d",
		time.Since(navStart).Round(time.Millisecond), time.Since(began).Round(time.Millisecond), sessionID)
	if sessionID == 0 {
		t.Errorf("REGISTER_VIEWER_ACK carried session ID 0; it must be non-zero or the frontend can never resume")
	}

	// Let start-up finish (layout, file browser) and any alert render.
	time.Sleep(browserSettle)

	evalCtx, cancelEval := context.WithTimeout(ctx, 20*time.Second)
	defer cancelEval()
	webgl2, err := chromedp.Run(evalCtx, chromedp.Evaluate[bool](`!!document.createElement('canvas').getContext('webgl2')`))
	if err != nil {
		t.Fatalf("evaluating WebGL2 support: %v", err)
	}
	if !webgl2 {
		t.Errorf("Chromium offers no WebGL2 context with these flags; the frontend cannot render images")
	}
	// The frontend's own alerts (e.g. "Could not load WebGL2.0 ...",
	// "Failed to load preferences ...") are Blueprint 6 dialogs in the DOM,
	// not JavaScript dialogs.
	alerts, err := chromedp.Run(evalCtx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('.bp6-alert')).map(e => e.innerText.trim())`))
	if err != nil {
		t.Fatalf("reading the frontend's alerts: %v", err)
	}

	for _, a := range alerts {
		if strings.Contains(a, "WebGL") {
			t.Errorf("frontend shows a WebGL alert: %q", a)
		} else {
			t.Errorf("frontend shows an alert after connecting: %q", a)
		}
	}
	for _, d := range rec.dialogMessages() {
		t.Errorf("browser opened a JavaScript dialog: %q", d)
	}
	if n := rec.socketsClosed(); n > 0 {
		t.Errorf("the frontend's websocket was closed %d time(s) during the test; the session must stay open", n)
	}
	saveScreenshot(ctx, t, artifacts)
	rec.logSummary(t)

	// Graceful stop with the browser still connected.
	stopStart := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-srv.done:
		if srv.waitErr != nil {
			t.Errorf("server exited with %v after SIGTERM, want exit status 0\nserver output:\n%s", srv.waitErr, srv.output())
		} else {
			t.Logf("server exited 0 %v after SIGTERM", time.Since(stopStart).Round(time.Millisecond))
		}
	case <-time.After(serverStopTimeout):
		t.Errorf("server still running %v after SIGTERM (the browser is still connected)\nserver output:\n%s", serverStopTimeout, srv.output())
	}
	t.Logf("total %v", time.Since(began).Round(time.Millisecond))
}

// saveScreenshot stores a full-page PNG of the tab in the artifacts folder:
// browser-connected.png while the test has not failed, browser-failed.png
// after a failure.
func saveScreenshot(ctx context.Context, t *testing.T, artifacts string) {
	t.Helper()
	name := "browser-connected.png"
	if t.Failed() {
		name = "browser-failed.png"
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	shot, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)) // quality 100 = PNG
	path := filepath.Join(artifacts, name)
	switch {
	case err != nil:
		t.Errorf("screenshot: %v", err)
	case !bytes.HasPrefix(shot, []byte("\x89PNG\r\n\x1a\n")):
		t.Errorf("screenshot is not a PNG (%d bytes)", len(shot))
	default:
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Errorf("writing screenshot: %v", err)
		} else {
			t.Logf("screenshot: %s", path)
		}
	}
}

// ---- environment ----

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("repository root %s has no go.mod: %v", dir, err)
	}
	return dir
}

func findChromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CARTAGO_CHROMIUM")
	from := "$CARTAGO_CHROMIUM"
	if path == "" {
		path, from = "/usr/bin/chromium", "default path"
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("Chromium not found at %s (%s): install Debian's chromium with `apt-get install -y chromium`, "+
			"or set CARTAGO_CHROMIUM to a Chromium/Chrome binary (or run go test -short to skip this test)", path, from)
	}
	return path
}

func findFrontend(t *testing.T, repo string) string {
	t.Helper()
	dir := filepath.Join(repo, "frontend")
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		t.Fatalf("CARTA frontend not installed (%s missing): run scripts/fetch-frontend.sh to install carta-frontend@%s "+
			"(or run go test -short to skip this test)", filepath.Join(dir, "index.html"), frontendVersion)
	}
	if b, err := os.ReadFile(filepath.Join(dir, ".version")); err == nil {
		if v := strings.TrimSpace(string(b)); v != frontendVersion {
			t.Fatalf("%s has carta-frontend %s, want %s: run scripts/fetch-frontend.sh", dir, v, frontendVersion)
		}
	}
	return dir
}

func artifactsDir(t *testing.T, repo string) string {
	t.Helper()
	dir := os.Getenv("CARTAGO_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(repo, "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts folder: %v", err)
	}
	return dir
}

// startBrowserServer runs cartago on an empty root with the frontend.
func startBrowserServer(t *testing.T, frontend string) *serverProc {
	t.Helper()
	tmp := t.TempDir()
	dataRoot := filepath.Join(tmp, "root")
	if err := os.Mkdir(dataRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	return startProcess(t, "--root", dataRoot, "--frontend-folder", frontend,
		"--db", filepath.Join(tmp, "s.db"), "--log-level", "debug")
}

// ---- what the page did ----

// pageRecorder keeps a transcript of the console, the HTTP requests and the
// websocket traffic of the page.
type pageRecorder struct {
	start        time.Time
	connected    chan string // session id from "Connected with session ID N"
	dialogs      chan struct{}
	dialogFailed chan string

	mu         sync.Mutex
	lines      []string
	consoles   []string
	requests   map[network.RequestID]string // id -> "GET url"
	httpErrors []string
	loadFails  []string
	outside    []string
	dialogMsgs []string
	wsClosed   int
}

func newPageRecorder() *pageRecorder {
	return &pageRecorder{
		start:        time.Now(),
		connected:    make(chan string, 1),
		dialogs:      make(chan struct{}, 16),
		dialogFailed: make(chan string, 1),
		requests:     map[network.RequestID]string{},
	}
}

func (r *pageRecorder) addLocked(format string, args ...any) {
	r.lines = append(r.lines, fmt.Sprintf("%7.3fs ", time.Since(r.start).Seconds())+fmt.Sprintf(format, args...))
}

func (r *pageRecorder) console(m chromedp.ConsoleMessage) {
	text := m.Text
	r.mu.Lock()
	r.addLocked("console.%s: %s", m.Type, text)
	r.consoles = append(r.consoles, fmt.Sprintf("console.%s: %s", m.Type, text))
	r.mu.Unlock()
	if sm := sessionIDRe.FindStringSubmatch(strings.TrimSpace(text)); sm != nil {
		select {
		case r.connected <- sm[1]:
		default:
		}
	}
}

func isLocalURL(u string) bool {
	return strings.HasPrefix(u, "http://127.0.0.1:") || strings.HasPrefix(u, "ws://127.0.0.1:") ||
		strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "blob:")
}

// listen runs in chromedp's event loop: it must be quick and send no command.
func (r *pageRecorder) listen(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		r.requests[e.RequestID] = e.Request.Method + " " + e.Request.URL
		if !isLocalURL(e.Request.URL) {
			r.outside = append(r.outside, e.Request.Method+" "+e.Request.URL)
			r.addLocked("outside request %s %s", e.Request.Method, e.Request.URL)
		}
	case *network.EventResponseReceived:
		if e.Response.Status >= 400 {
			s := fmt.Sprintf("%d %s", e.Response.Status, r.requests[e.RequestID])
			r.httpErrors = append(r.httpErrors, s)
			r.addLocked("HTTP %s", s)
		}
	case *network.EventLoadingFailed:
		s := fmt.Sprintf("%s: %s", r.requests[e.RequestID], e.ErrorText)
		if e.BlockedReason != "" {
			s += " (blocked: " + string(e.BlockedReason) + ")"
		}
		r.loadFails = append(r.loadFails, s)
		r.addLocked("load failed %s", s)
	case *network.EventWebSocketCreated:
		r.addLocked("websocket open %s", e.URL)
	case *network.EventWebSocketHandshakeResponseReceived:
		r.addLocked("websocket handshake HTTP %d", int(e.Response.Status))
	case *network.EventWebSocketFrameError:
		r.addLocked("websocket error %s", e.ErrorMessage)
	case *network.EventWebSocketClosed:
		r.wsClosed++
		r.addLocked("websocket closed")
	case *network.EventWebSocketFrameSent:
		r.addLocked("ws -> %s", describeFrame(e.Response))
	case *network.EventWebSocketFrameReceived:
		r.addLocked("ws <- %s", describeFrame(e.Response))
	case *page.EventJavascriptDialogOpening:
		r.dialogMsgs = append(r.dialogMsgs, fmt.Sprintf("%s: %s", e.Type, e.Message))
		r.addLocked("JavaScript %s dialog: %q", e.Type, e.Message)
		select {
		case r.dialogs <- struct{}{}:
		default:
		}
		select {
		case r.dialogFailed <- e.Message:
		default:
		}
	}
}

// describeFrame summarises a websocket message: text as is, binary by its
// ICD header (event type, ICD version, request id).
func describeFrame(f *network.WebSocketFrame) string {
	if f == nil {
		return "?"
	}
	if f.Opcode == 1 {
		return fmt.Sprintf("text %q", f.PayloadData)
	}
	if len(f.PayloadData) < 8 {
		return fmt.Sprintf("opcode %v, %d bytes", f.Opcode, len(f.PayloadData))
	}
	p := f.PayloadData
	return fmt.Sprintf("binary event %d icd %d request %d, %d bytes",
		binary.LittleEndian.Uint16(p[0:]), binary.LittleEndian.Uint16(p[2:]), binary.LittleEndian.Uint32(p[4:]), len(p))
}

func (r *pageRecorder) dialogMessages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.dialogMsgs...)
}

func (r *pageRecorder) socketsClosed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.wsClosed
}

func (r *pageRecorder) transcript() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n") + "\n"
}

func (r *pageRecorder) logSummary(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Logf("page transcript:\n%s", strings.Join(r.lines, "\n"))
	if len(r.httpErrors) > 0 {
		t.Logf("HTTP errors seen by the page:\n  %s", strings.Join(r.httpErrors, "\n  "))
	}
	if len(r.outside) > 0 {
		t.Logf("requests to outside hosts (failed on purpose by --host-resolver-rules):\n  %s", strings.Join(r.outside, "\n  "))
	}
}
