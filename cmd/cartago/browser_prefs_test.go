package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"cartago/icd"
)

// TestBrowserPreferences: the user picks the Light theme in the real
// frontend's Preferences dialog; the frontend stores it through the
// server's HTTP API (PUT api/database/preferences), the page reloads
// with it, and a second browser with its own, empty profile (another
// machine with the same token) starts with it too. With /config
// answering {} the frontend kept preferences in one browser's
// localStorage and the second browser started from the defaults.
func TestBrowserPreferences(t *testing.T) {
	root := smallSample(t)
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	b.open("&file=" + sampleCube)
	b.waitFrame(false, ev(icd.EventType_OPEN_FILE_ACK), 1, serverTimeout)
	if theme := pollJS[string](b, "the frontend's theme", `window.app?.preferenceStore?.theme`, uiTimeout); theme == "light" {
		t.Fatalf("theme is %q before the change", theme)
	}

	// The default is Automatic, which headless Chromium shows dark.
	b.clickUntilShown("the toolbar's Preferences button", `[data-testid="preference-dialog-button"]`, `.preference-dialog`, uiTimeout)
	picked := evalJS[bool](b, `(() => {
		const s = Array.from(document.querySelectorAll('.preference-dialog select'))
			.find(s => Array.from(s.options).some(o => o.text === 'Automatic') && Array.from(s.options).some(o => o.text === 'Light'));
		if (!s) return false;
		const o = Array.from(s.options).find(o => o.text === 'Light');
		Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(s, o.value);
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true })()`)
	if !picked {
		b.fail("the Preferences dialog shows no Theme select")
	}
	pollJS[bool](b, "the page to turn light", `window.app.preferenceStore.theme === 'light' && window.app.isDarkTheme === false`, uiTimeout)
	// The server has it: the frontend's PUT arrived.
	waitAPI(t, srv, "/api/database/preferences", "the stored theme to be light", func(body map[string]any) bool {
		prefs, _ := body["preferences"].(map[string]any)
		return prefs["theme"] == "light"
	})
	b.saveShot("-light", b.screenshot())

	// A reload starts the frontend afresh; it loads the preference.
	b.reload("")
	pollJS[bool](b, "the reloaded page to be light", `window.app?.preferenceStore?.theme === 'light' && window.app.isDarkTheme === false`, uiTimeout)
	b.checkHealthy()

	// Another machine: a second Chromium with a fresh profile.
	b2 := startBrowser(t, srv)
	b2.open("")
	pollJS[bool](b2, "the second browser's page to be light", `window.app?.preferenceStore?.theme === 'light' && window.app.isDarkTheme === false`, uiTimeout)
	b2.saveShot("-second-browser", b2.screenshot())
	b2.checkHealthy()
	b.rec.logSummary(t)
}

// reload navigates to the page again, as the user's reload does, after
// taking down the frontend's telemetry beforeunload handler: after a
// click Chromium would ask "Leave site?", which a user confirms.
func (b *browser) reload(query string) uint32 {
	b.t.Helper()
	evalJS[bool](b, `(() => { window.onbeforeunload = null; return true })()`)
	return b.open(query)
}

// apiBase returns the server's address and token from its page URL.
func apiBase(t *testing.T, srv *serverProc) (string, string) {
	t.Helper()
	u, err := url.Parse(srv.url)
	if err != nil {
		t.Fatal(err)
	}
	return u.Scheme + "://" + u.Host, u.Query().Get("token")
}

// callAPI calls the server's HTTP API as the frontend does and decodes
// the reply.
func callAPI(t *testing.T, srv *serverProc, method, path string) (int, map[string]any) {
	t.Helper()
	base, token := apiBase(t, srv)
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%s %s: %d %q is not JSON", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, body
}

// waitAPI polls a GET of the API until ok accepts a successful reply.
func waitAPI(t *testing.T, srv *serverProc, path, what string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(uiTimeout)
	var last map[string]any
	for time.Now().Before(deadline) {
		status, body := callAPI(t, srv, "GET", path)
		if status == http.StatusOK && body["success"] == true && ok(body) {
			return body
		}
		last = body
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := json.Marshal(last)
	t.Fatalf("waiting %v for %s (GET %s): last reply %s", uiTimeout, what, path, strings.TrimSpace(string(b)))
	return nil
}
