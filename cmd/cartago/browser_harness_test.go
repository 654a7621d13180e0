package main

// End-to-end tests: the unmodified carta-frontend@6.0.0, in Debian's
// headless Chromium driven over the DevTools protocol by chromedp, against a
// real cartago server. The harness records the page's console, requests and
// websocket messages (by ICD event, with their payloads), clicks and moves
// the mouse as a user does, and takes screenshots.
//
// Needs (the test fails, naming the fix, when one is missing):
//   - the frontend build in <repo>/frontend: scripts/fetch-frontend.sh
//   - Chromium: $CARTAGO_CHROMIUM, else /usr/bin/chromium (Debian package
//     "chromium": apt-get install -y chromium)
//
// `go test -short` skips them. Each test TestBrowserX leaves in
// $CARTAGO_ARTIFACTS, else <repo>/artifacts (git-ignored), its screenshots
// browser-X*.png (browser-X-failed.png on failure), the console/network
// transcript browser-X-console.log and the server's output
// browser-X-server.log (every server process the page used, when a test
// restarts the server). A subtest X/y writes browser-X-y*.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const (
	// How long the frontend may take from navigation to REGISTER_VIEWER_ACK.
	browserConnectTimeout = 60 * time.Second
	// How long the server may take to exit after SIGTERM.
	serverStopTimeout = 10 * time.Second
	// How long one test's Chromium may live.
	browserLifetime = 5 * time.Minute
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
	srv       *serverProc   // the server the page talks to
	servers   []*serverProc // every server it talked to, for the log
	fitted    bool          // the first image drawn was fitted again (fitFirstImage)
}

// startBrowser starts Chromium for a test against srv.
func startBrowser(t *testing.T, srv *serverProc) *browser {
	t.Helper()
	repo := repoRoot(t)
	chromium := findChromium(t)
	b := &browser{t: t, rec: newPageRecorder(), artifacts: artifactsDir(t, repo), srv: srv, servers: []*serverProc{srv}}
	prefix := artifactPrefix(t)
	t.Cleanup(func() {
		_ = os.WriteFile(filepath.Join(b.artifacts, prefix+"-console.log"), []byte(b.rec.transcript()), 0o644)
		var logs []byte
		for i, s := range b.servers {
			if len(b.servers) > 1 {
				logs = fmt.Appendf(logs, "==== server process %d of %d ====\n", i+1, len(b.servers))
			}
			logs = append(logs, s.output()...)
		}
		_ = os.WriteFile(filepath.Join(b.artifacts, prefix+"-server.log"), logs, 0o644)
	})
	root, cancelRoot := context.WithTimeout(context.Background(), browserLifetime)
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

// artifactPrefix names a test's files in the artifacts folder:
// browser-<test less "TestBrowser">, with "/" of a subtest as "-".
func artifactPrefix(t *testing.T) string {
	return "browser-" + strings.ReplaceAll(strings.TrimPrefix(t.Name(), "TestBrowser"), "/", "-")
}

// useServer points the browser at a server that replaced the previous
// one (a restart); its output joins the test's server log.
func (b *browser) useServer(srv *serverProc) {
	b.srv = srv
	b.servers = append(b.servers, srv)
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

// waitMessage waits until the page has sent (sent=true) or received a
// message of event ev whose protobuf payload (the bytes after the 8-byte
// header) satisfies match, and returns that payload. what names the
// message in the failure.
func (b *browser) waitMessage(sent bool, ev uint16, what string, match func(payload []byte) bool, timeout time.Duration) []byte {
	b.t.Helper()
	return b.waitMessageFrom(sent, ev, 0, what, match, timeout)
}

// waitMessageFrom is waitMessage over the messages of that direction and
// event from the from-th (0-based; see frames) on.
func (b *browser) waitMessageFrom(sent bool, ev uint16, from int, what string, match func(payload []byte) bool, timeout time.Duration) []byte {
	b.t.Helper()
	deadline := time.After(timeout)
	seen := from
	for {
		for _, p := range b.rec.payloadsFrom(sent, ev, seen) {
			seen++
			if match(p) {
				return p
			}
		}
		select {
		case <-b.rec.changed:
		case <-deadline:
			dir, did := "receive", "received"
			if sent {
				dir, did = "send", "sent"
			}
			b.fail("the page did not %s %s (event %d) within %v; it %s %d other message(s) of that event",
				dir, what, ev, timeout, did, seen-from)
		}
	}
}

// lastPayload returns the payload of the latest message of one direction
// and event, or nil.
func (b *browser) lastPayload(sent bool, ev uint16) []byte {
	n := b.rec.frames(sent, ev)
	if n == 0 {
		return nil
	}
	p := b.rec.payloadsFrom(sent, ev, n-1)
	if len(p) == 0 {
		return nil
	}
	return p[0]
}

// click clicks, as a user does with the mouse, the first element that
// matches a CSS selector or an XPath query (see chromedp.Search), waiting
// for it to be visible.
func (b *browser) click(what, sel string, timeout time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(sel)); err != nil {
		b.fail("clicking %s (%s): %v", what, sel, err)
	}
}

// clickUntilSent clicks sel until the page sends a message of event ev,
// at most three times, and fails if it never does. Under load a click can
// land while the frontend is still re-rendering the control and be lost;
// a lost click is the browser's, not the server's, so it is retried.
func (b *browser) clickUntilSent(what, sel string, ev uint16, timeout time.Duration) {
	b.t.Helper()
	n := b.rec.frames(true, ev)
	for attempt := 1; attempt <= 3; attempt++ {
		if attempt > 1 && !b.present(sel) {
			// The click was taken after all and closed its dialog;
			// only wait.
			b.waitFrame(true, ev, n+1, timeout)
			return
		}
		b.click(what, sel, timeout)
		deadline := time.After(timeout / 3)
	wait:
		for b.rec.frames(true, ev) == n {
			select {
			case <-b.rec.changed:
			case <-deadline:
				b.t.Logf("clicking %s sent no event %d within %v (attempt %d)", what, ev, timeout/3, attempt)
				break wait
			}
		}
		if b.rec.frames(true, ev) > n {
			return
		}
	}
	b.fail("clicking %s three times never sent event %d", what, ev)
}

// clickUntil clicks sel until the JavaScript expression cond is true:
// at most three clicks, for the reason clickUntilSent gives. what names
// the control; done names what the click should bring about.
func (b *browser) clickUntil(what, sel, done, cond string, timeout time.Duration) {
	b.t.Helper()
	for attempt := 1; attempt <= 3; attempt++ {
		if evalJS[bool](b, cond) {
			return
		}
		b.click(what, sel, timeout)
		deadline := time.Now().Add(timeout / 3)
		for time.Now().Before(deadline) {
			if evalJS[bool](b, cond) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		b.t.Logf("clicking %s did not bring about %s within %v (attempt %d)", what, done, timeout/3, attempt)
	}
	b.fail("clicking %s three times never brought about %s", what, done)
}

// clickUntilGone clicks sel, a control that closes what gone matches
// (a CSS selector), until that is gone from the page.
func (b *browser) clickUntilGone(what, sel, gone string, timeout time.Duration) {
	b.t.Helper()
	b.clickUntil(what, sel, gone+" gone", `!document.querySelector(`+strconv.Quote(gone)+`)`, timeout)
}

// clickUntilShown clicks sel until an element matching shown (a CSS
// selector) is on the page and visible.
func (b *browser) clickUntilShown(what, sel, shown string, timeout time.Duration) {
	b.t.Helper()
	b.clickUntil(what, sel, shown+" shown", `(() => { const e = document.querySelector(`+strconv.Quote(shown)+`); return !!e && e.offsetParent !== null })()`, timeout)
}

// clickUntilActive clicks a toggle button until it shows as active.
func (b *browser) clickUntilActive(what, sel string, timeout time.Duration) {
	b.t.Helper()
	b.clickUntil(what, sel, "it active", `!!document.querySelector(`+strconv.Quote(sel)+`)?.classList.contains('bp6-active')`, timeout)
}

// present reports whether the page has an element matching sel, a CSS
// selector or, starting with "/", an XPath expression.
func (b *browser) present(sel string) bool {
	b.t.Helper()
	if strings.HasPrefix(sel, "/") {
		return evalJS[bool](b, `document.evaluate(`+strconv.Quote(sel)+`, document, null, XPathResult.BOOLEAN_TYPE, null).booleanValue`)
	}
	return evalJS[bool](b, `!!document.querySelector(`+strconv.Quote(sel)+`)`)
}

// selectOption picks the option of the <select> sel whose text is text,
// the way a user's choice reaches React: the value, then a change event.
func (b *browser) selectOption(what, sel, text string) {
	b.t.Helper()
	ok := evalJS[bool](b, `(() => {
		const s = document.querySelector(`+strconv.Quote(sel)+`);
		if (!s) return false;
		const o = Array.from(s.options).find(o => o.text === `+strconv.Quote(text)+`);
		if (!o) return false;
		Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(s, o.value);
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true })()`)
	if !ok {
		b.fail("%s (%s) has no option %q", what, sel, text)
	}
}

// pollJS waits until a JavaScript expression is truthy and returns its value.
func pollJS[T any](b *browser, what, expr string, timeout time.Duration) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Poll[T](expr,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		b.fail("waiting for %s (%s): %v", what, expr, err)
	}
	return v
}

// evalJS evaluates a JavaScript expression in the page.
func evalJS[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.fail("evaluating %s: %v", expr, err)
	}
	return v
}

// rect is an element's box in CSS pixels of the viewport.
type rect struct{ X, Y, W, H float64 }

// elementRect returns the bounding box of the first element matching a CSS
// selector.
func elementRect(b *browser, css string) rect {
	b.t.Helper()
	r := evalJS[*rect](b, `(() => { const e = document.querySelector(`+strconv.Quote(css)+`);
		if (!e) return null; const r = e.getBoundingClientRect();
		return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`)
	if r == nil || r.W <= 0 || r.H <= 0 {
		b.fail("no element %s with a size on the page", css)
	}
	return *r
}

// moveMouse moves the mouse pointer from (fromX, fromY) to (x, y), in CSS
// pixels of the viewport, in a few steps, as a real mouse does.
func (b *browser) moveMouse(fromX, fromY, x, y float64) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	const steps = 5
	for i := 1; i <= steps; i++ {
		f := float64(i) / steps
		if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, fromX+(x-fromX)*f, fromY+(y-fromY)*f)); err != nil {
			b.fail("moving the mouse to (%.0f, %.0f): %v", x, y, err)
		}
	}
}

// clickAt clicks the left mouse button at (x, y), in CSS pixels of the
// viewport.
func (b *browser) clickAt(x, y float64) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(x, y)); err != nil {
		b.fail("clicking at (%.0f, %.0f): %v", x, y, err)
	}
}

// drag presses the left mouse button at (fromX, fromY), moves the mouse
// to (x, y) in a few steps and releases it there, in CSS pixels of the
// viewport.
func (b *browser) drag(fromX, fromY, x, y float64) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	held := func(p *input.DispatchMouseEventParams) { p.Buttons = 1 } // left
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, fromX, fromY),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, fromX, fromY, chromedp.ButtonLeft, held, chromedp.ClickCount(1)),
	}
	const steps = 5
	for i := 1; i <= steps; i++ {
		f := float64(i) / steps
		actions = append(actions, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved,
			fromX+(x-fromX)*f, fromY+(y-fromY)*f, chromedp.ButtonLeft, held))
	}
	actions = append(actions, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	for _, a := range actions {
		if err := chromedp.Do(ctx, a); err != nil {
			b.fail("dragging the mouse from (%.0f, %.0f) to (%.0f, %.0f): %v", fromX, fromY, x, y, err)
		}
	}
}

// checkHealthy fails on WebGL trouble, alerts, error toasts, dialogs,
// console errors, failed local requests or a closed socket.
func (b *browser) checkHealthy() {
	b.t.Helper()
	b.checkHealthyAfter(healthAllowance{})
}

// healthAllowance is what a test did to the page on purpose, which
// checkHealthyAfter then accepts, and nothing more.
type healthAllowance struct {
	// Exactly this many websocket closes (a server that was killed).
	socketCloses int
	// Errors (as unexpectedErrors lists them) each matched in full by one
	// of these.
	errors []*regexp.Regexp
}

func (a healthAllowance) allows(e string) bool {
	for _, re := range a.errors {
		if m := re.FindStringIndex(e); m != nil && m[0] == 0 && m[1] == len(e) {
			return true
		}
	}
	return false
}

// checkHealthyAfter is checkHealthy less what allow accepts.
func (b *browser) checkHealthyAfter(allow healthAllowance) {
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
	// Error toasts ("Error loading file", a failed request...).
	toasts, err := chromedp.Run(evalCtx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('.bp6-toast.bp6-intent-danger')).map(e => e.innerText.trim())`))
	if err != nil {
		b.t.Fatalf("reading the frontend's toasts: %v", err)
	}
	for _, m := range toasts {
		b.t.Errorf("frontend shows an error toast: %q", m)
	}
	for _, d := range b.rec.dialogMessages() {
		b.t.Errorf("browser opened a JavaScript dialog: %q", d)
	}
	for _, e := range b.rec.unexpectedErrors() {
		if allow.allows(e) {
			b.t.Logf("page logged an error, as expected: %s", e)
			continue
		}
		b.t.Errorf("page logged an error: %s", e)
	}
	if n := b.rec.socketsClosed(); n != allow.socketCloses {
		b.t.Errorf("the frontend's websocket was closed %d time(s), want %d; the session must stay open", n, allow.socketCloses)
	}
}

// screenshot saves a PNG of the page as browser-<test>.png (or
// browser-<test>-failed.png once the test failed) and returns it.
func (b *browser) screenshot() []byte {
	b.t.Helper()
	shot := b.capture()
	if shot != nil {
		b.saveShot("", shot)
	}
	return shot
}

// capture returns a PNG of the page, or nil (and an error on the test).
func (b *browser) capture() []byte {
	b.t.Helper()
	sctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	// The viewport as shown, in PNG. Not chromedp.FullScreenshot: it
	// captures beyond the viewport, for which Chromium enlarges the
	// viewport whenever something overflows it (the frontend's toasts at
	// the bottom do), so the frontend sees a resize, lays the image view
	// out again and shows its size over it, and consecutive screenshots
	// differ.
	shot, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil || !bytes.HasPrefix(shot, []byte("\x89PNG\r\n\x1a\n")) {
		b.t.Errorf("screenshot: %v (%d bytes)", err, len(shot))
		return nil
	}
	return shot
}

// saveShot writes a PNG as browser-<test><suffix>.png (with "-failed"
// once the test failed).
func (b *browser) saveShot(suffix string, shot []byte) {
	b.t.Helper()
	name := artifactPrefix(b.t) + suffix
	if b.t.Failed() {
		name += "-failed"
	}
	path := filepath.Join(b.artifacts, name+".png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		b.t.Errorf("writing screenshot: %v", err)
	}
	b.t.Logf("screenshot: %s", path)
}

// shotRect converts an element's box in CSS pixels into the pixels of a
// screenshot of shotWidth pixels, inset by the given CSS pixels at the
// top (to leave out an overlay such as the cursor info bar).
func shotRect(b *browser, r rect, shotWidth int, insetTop float64) image.Rectangle {
	b.t.Helper()
	scale := float64(shotWidth) / evalJS[float64](b, `window.innerWidth`)
	return image.Rect(int(r.X*scale), int((r.Y+insetTop)*scale), int((r.X+r.W)*scale), int((r.Y+r.H)*scale))
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

// startBrowserServer runs cartago with the frontend on dataRoot, with a
// new session database and extra flags.
// skipIfShort skips a browser test under go test -short, the one way to
// leave them out; without -short a missing Chromium or frontend fails.
func skipIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test needs -short=false: it builds cartago and drives headless Chromium with carta-frontend@" + frontendVersion)
	}
}

func startBrowserServer(t *testing.T, dataRoot string, extra ...string) *serverProc {
	t.Helper()
	skipIfShort(t)
	return startBrowserServerDB(t, dataRoot, filepath.Join(t.TempDir(), "s.db"), extra...)
}

// startBrowserServerDB runs cartago with the frontend on dataRoot and the
// session database db, with extra flags (a later flag wins).
func startBrowserServerDB(t *testing.T, dataRoot, db string, extra ...string) *serverProc {
	t.Helper()
	skipIfShort(t)
	frontend := findFrontend(t, repoRoot(t))
	args := []string{"--root", dataRoot, "--frontend-folder", frontend, "--db", db, "--log-level", "debug"}
	return startProcess(t, append(args, extra...)...)
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
	netBase    float64               // Chromium's network clock at r.start, from the first frame
	wsFrames   map[frameKey]int      // websocket messages by direction and event
	payloads   map[frameKey][][]byte // their protobuf payloads, in order
	changed    chan struct{}         // capacity 1: a frame was counted
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
		payloads:     map[frameKey][][]byte{},
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
		r.addLocked("ws -> %s%s", describeFrame(e.Response), r.networkTimeLocked(e.Timestamp))
		r.countLocked(true, e.Response)
	case *network.EventWebSocketFrameReceived:
		r.addLocked("ws <- %s%s", describeFrame(e.Response), r.networkTimeLocked(e.Timestamp))
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

// networkTimeLocked formats when Chromium's network service saw a
// websocket frame, on the transcript's clock as set by the first frame.
// A line whose network time is well before its own time was reported
// late (a busy browser), not sent late by the server.
func (r *pageRecorder) networkTimeLocked(ts cdp.MonotonicTime) string {
	if ts == 0 {
		return ""
	}
	if r.netBase == 0 {
		r.netBase = float64(ts) - time.Since(r.start).Seconds()
	}
	return fmt.Sprintf(" (network %.3fs)", float64(ts)-r.netBase)
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
	k := frameKey{sent, binary.LittleEndian.Uint16(f.PayloadData)}
	r.wsFrames[k]++
	r.payloads[k] = append(r.payloads[k], bytes.Clone(f.PayloadData[8:]))
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

// payloadsFrom returns the payloads of messages of one direction and event
// from the from-th (0-based) on.
func (r *pageRecorder) payloadsFrom(sent bool, ev uint16, from int) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.payloads[frameKey{sent, ev}]
	if from >= len(p) {
		return nil
	}
	return append([][]byte(nil), p[from:]...)
}

// unexpectedErrors returns the console errors and the failed local requests,
// less those that follow from the outside lookups that chromiumFlags makes
// fail on purpose.
func (r *pageRecorder) unexpectedErrors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.consoles {
		if !strings.HasPrefix(c, "console.error:") {
			continue
		}
		// The HiPS survey list and the release check, both from outside
		// hosts: "AxiosError: Network Error", "Failed to check new
		// releases: AxiosError: Network Error", "Failed to load resource:
		// net::ERR_NAME_NOT_RESOLVED". A failed local request is caught
		// below, by its URL.
		if strings.Contains(c, "net::ERR_NAME_NOT_RESOLVED") || strings.Contains(c, "AxiosError: Network Error") {
			continue
		}
		out = append(out, c)
	}
	for _, f := range r.loadFails {
		if _, url, _ := strings.Cut(f, " "); isLocalURL(url) {
			out = append(out, "request failed: "+f)
		}
	}
	for _, h := range r.httpErrors {
		out = append(out, "HTTP "+h)
	}
	return out
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
