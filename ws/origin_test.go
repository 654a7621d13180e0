package ws

import (
	"net/http"
	"testing"

	"github.com/gorilla/websocket"
)

// dialOrigin upgrades with the given Origin header ("" sends none) and
// returns the HTTP status of the answer.
func (ts *testServer) dialOrigin(t *testing.T, token, origin string) int {
	t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	c, resp, err := websocket.DefaultDialer.Dial("ws://"+ts.addr+"/?token="+token, h)
	if err == nil {
		c.Close()
		return http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("dial with origin %q: %v", origin, err)
	}
	return resp.StatusCode
}

func TestOriginCheck(t *testing.T) {
	ts := startServer(t, Config{AllowedOrigins: []string{"https://carta.example.org", "http://viewer.lab:8080/"}})
	cases := []struct {
		origin string
		want   int
	}{
		{"", http.StatusSwitchingProtocols},                          // a script
		{"http://" + ts.addr, http.StatusSwitchingProtocols},         // our own page
		{"http://localhost:3000", http.StatusSwitchingProtocols},     // frontend dev server
		{"https://127.0.0.2", http.StatusSwitchingProtocols},         // loopback range
		{"http://[::1]:8000", http.StatusSwitchingProtocols},         // IPv6 loopback
		{"https://carta.example.org", http.StatusSwitchingProtocols}, // --allowed-origins
		{"HTTP://Viewer.Lab:8080", http.StatusSwitchingProtocols},    // case-insensitive
		{"https://evil.example", http.StatusForbidden},
		{"https://carta.example.org:8443", http.StatusForbidden}, // other port
		{"http://localhost.evil.example", http.StatusForbidden},
		{"http://127.0.0.1.evil.example", http.StatusForbidden},
		{"null", http.StatusForbidden}, // sandboxed iframe, file:// page
		{"file://", http.StatusForbidden},
	}
	for _, c := range cases {
		if got := ts.dialOrigin(t, "", c.origin); got != c.want {
			t.Errorf("origin %q: HTTP %d, want %d", c.origin, got, c.want)
		}
	}
}

func TestOriginCheckKeepsTokenCheck(t *testing.T) {
	ts := startServer(t, Config{AuthToken: testToken})
	if got := ts.dialOrigin(t, "wrong", "http://localhost:3002"); got != http.StatusUnauthorized {
		t.Errorf("allowed origin with a bad token: HTTP %d, want 401", got)
	}
	if got := ts.dialOrigin(t, testToken, "https://evil.example"); got != http.StatusForbidden {
		t.Errorf("good token from a foreign page: HTTP %d, want 403", got)
	}
	if got := ts.dialOrigin(t, testToken, "http://localhost:3002"); got != http.StatusSwitchingProtocols {
		t.Errorf("good token from a loopback page: HTTP %d, want 101", got)
	}
}

// dialHost upgrades with Origin http://host and a Host header naming
// host, as a page of a rebound DNS name does, and returns the status.
func (ts *testServer) dialHost(t *testing.T, token, host string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+ts.addr+"/?token="+token, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Origin", "http://"+host)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("upgrade as %s: %v", host, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestOriginCheckRefusesRebindingWithoutToken(t *testing.T) {
	open := startServer(t, Config{})
	if got := open.dialHost(t, "", "attacker.example:3002"); got != http.StatusForbidden {
		t.Errorf("--no-auth, page of a name rebound to us: HTTP %d, want 403", got)
	}
	if got := open.dialHost(t, "", open.addr); got != http.StatusSwitchingProtocols {
		t.Errorf("--no-auth, own page by address: HTTP %d, want 101", got)
	}
	guarded := startServer(t, Config{AuthToken: testToken})
	if got := guarded.dialHost(t, testToken, "carta.example.org:3002"); got != http.StatusSwitchingProtocols {
		t.Errorf("token, own page under a host name: HTTP %d, want 101", got)
	}
}

func TestBadAllowedOriginRefused(t *testing.T) {
	for _, o := range []string{"carta.example.org", "ftp://x", "https://x/path"} {
		if _, err := New(Config{AllowedOrigins: []string{o}, Logger: quietLogger()}, nil); err == nil {
			t.Errorf("allowed origin %q accepted", o)
		}
	}
}
