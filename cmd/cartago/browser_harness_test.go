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

// browser is one headless Chromium tab with a recorder on its console,
// network and websocket traffic. Everything it started ends with the test.
type browser struct {
	t         *testing.T
	ctx       context.Context
	rec       *pageRecorder
	artifacts string
	srv       *serverProc
}

// startBrowser starts Chromium for a test against srv.
func startBrowser(t *testing.T, srv *serverProc) *browser {
	t.Helper()
	repo := repoRoot(t)
	chromium := findChromium(t)
	b := &browser{t: t, rec: newPageRecorder(), artifacts: artifactsDir(t, repo), srv: srv}
	prefix := strings.TrimPrefix(t.Name(), "TestBrowser")
	t.Cleanup(func() {
		_ = os.WriteFile(filepath.Join(b.artifacts, "browser-"+prefix+"-console.log"), []byte(b.rec.transcript()), 0o644)
		_ = os.WriteFile(filepath.Join(b.artifacts, "browser-"+prefix+"-server.log"), srv.output(), 0o644)
	})
	root, cancelRoot := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancelRoot)
	var chromeOut lockedBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.CombinedOutput(&chromeOut))
	opts = append(opts, chromiumFlags()...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(root, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(b.rec.listen))
	t.Cleanup(cancelTab)
	b.ctx = ctx
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v\nchromium output:\n%s", chromium, err, chromeOut.String())
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.rec.console(m)
		}
	}()
	// Dismiss JavaScript dialogs (an alert blocks the page); tests fail on them.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-b.rec.dialogs:
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}
		}
	}()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("Network.enable: %v", err)
	}
	return b
}

// open navigates to the server's page with extra query parameters and
// waits until the frontend reports its session id.
func (b *browser) open(query string) uint32 {
	b.t.Helper()
	// skipTelemetry: no consent dialog and no uploads.
	pageURL := b.srv.url + "&skipTelemetry=1" + query
	navStart := time.Now()
	navCtx, cancel := context.WithTimeout(b.ctx, browserConnectTimeout)
	defer cancel()
	if err := chromedp.Do(navCtx, chromedp.Navigate(pageURL)); err != nil {
		b.t.Fatalf("navigating to %s: %v\n%s", pageURL, err, b.rec.transcript())
	}
	select {
	case s := <-b.rec.connected:
		id, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			b.t.Fatalf("frontend reported session ID %q, not a uint32: %v", s, err)
		}
		b.t.Logf("frontend connected %v after navigation, session ID %d", time.Since(navStart).Round(time.Millisecond), id)
		return uint32(id)
	case msg := <-b.rec.dialogFailed:
		b.fail("browser opened a JavaScript dialog before connecting: %q", msg)
	case <-b.srv.done:
		b.fail("server exited while the frontend was connecting: %v", b.srv.waitErr)
	case <-time.After(browserConnectTimeout):
		b.fail("frontend did not log %q within %v of navigating to %s", "Connected with session ID <n>", browserConnectTimeout, pageURL)
	}
	return 0
}

// fail saves a screenshot and the transcript, then stops the test.
func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	b.t.Fail()
	b.screenshot()
	b.rec.logSummary(b.t)
	b.t.Fatalf(format, args...)
}

// waitFrame waits until the page has sent (sent=true) or received a
// websocket message of event type ev at least n times.
func (b *browser) waitFrame(sent bool, ev uint16, n int, timeout time.Duration) {
	b.t.Helper()
	deadline := time.After(timeout)
	for b.rec.frames(sent, ev) < n {
		select {
		case <-b.rec.changed:
		case <-deadline:
			dir := "receive"
			if sent {
				dir = "send"
			}
			b.fail("the page did not %s %d message(s) of event %d within %v", dir, n, ev, timeout)
		}
	}
}

// checkHealthy fails on WebGL trouble, alerts, dialogs or a closed socket.
func (b *browser) checkHealthy() {
	b.t.Helper()
	evalCtx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	webgl2, err := chromedp.Run(evalCtx, chromedp.Evaluate[bool](`!!document.createElement('canvas').getContext('webgl2')`))
	if err != nil {
		b.t.Fatalf("evaluating WebGL2 support: %v", err)
	}
	if !webgl2 {
		b.t.Errorf("Chromium offers no WebGL2 context with these flags; the frontend cannot render images")
	}
	// The frontend's own alerts ("Could not load WebGL2.0 ...", "Error
	// loading file ...") are Blueprint dialogs in the DOM, not JavaScript
	// dialogs.
	alerts, err := chromedp.Run(evalCtx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('.bp6-alert')).map(e => e.innerText.trim())`))
	if err != nil {
		b.t.Fatalf("reading the frontend's alerts: %v", err)
	}
	for _, a := range alerts {
		b.t.Errorf("frontend shows an alert: %q", a)
	}
	for _, d := range b.rec.dialogMessages() {
		b.t.Errorf("browser opened a JavaScript dialog: %q", d)
	}
	if n := b.rec.socketsClosed(); n > 0 {
		b.t.Errorf("the frontend's websocket was closed %d time(s); the session must stay open", n)
	}
}

// screenshot saves a PNG of the page as browser-<test>.png (or
// browser-<test>-failed.png once the test failed) and returns it.
func (b *browser) screenshot() []byte {
	b.t.Helper()
	name := "browser-" + strings.TrimPrefix(b.t.Name(), "TestBrowser")
	if b.t.Failed() {
		name += "-failed"
	}
	sctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	shot, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)) // quality 100 = PNG
	if err != nil || !bytes.HasPrefix(shot, []byte("\x89PNG\r\n\x1a\n")) {
		b.t.Errorf("screenshot: %v (%d bytes)", err, len(shot))
		return nil
	}
	path := filepath.Join(b.artifacts, name+".png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		b.t.Errorf("writing screenshot: %v", err)
	}
	b.t.Logf("screenshot: %s", path)
	return shot
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

// startBrowserServer runs cartago with the frontend on dataRoot.
func startBrowserServer(t *testing.T, dataRoot string) *serverProc {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test needs -short=false: it builds cartago and drives headless Chromium with carta-frontend@" + frontendVersion)
	}
	frontend := findFrontend(t, repoRoot(t))
	return startProcess(t, "--root", dataRoot, "--frontend-folder", frontend,
		"--db", filepath.Join(t.TempDir(), "s.db"), "--log-level", "debug")
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
	wsFrames   map[frameKey]int // websocket messages by direction and event
	changed    chan struct{}    // capacity 1: a frame was counted
}

type frameKey struct {
	sent  bool
	event uint16
}

func newPageRecorder() *pageRecorder {
	return &pageRecorder{
		start:        time.Now(),
		connected:    make(chan string, 1),
		dialogs:      make(chan struct{}, 16),
		dialogFailed: make(chan string, 1),
		requests:     map[network.RequestID]string{},
		wsFrames:     map[frameKey]int{},
		changed:      make(chan struct{}, 1),
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
		r.countLocked(true, e.Response)
	case *network.EventWebSocketFrameReceived:
		r.addLocked("ws <- %s", describeFrame(e.Response))
		r.countLocked(false, e.Response)
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

// countLocked counts a binary protocol message by its event type.
func (r *pageRecorder) countLocked(sent bool, f *network.WebSocketFrame) {
	if f == nil || f.Opcode == 1 || len(f.PayloadData) < 8 {
		return
	}
	// cdproto has already decoded the base64 of binary payloads.
	r.wsFrames[frameKey{sent, binary.LittleEndian.Uint16(f.PayloadData)}]++
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *pageRecorder) frames(sent bool, ev uint16) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.wsFrames[frameKey{sent, ev}]
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
