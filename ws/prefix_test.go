package ws

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestNormalizePrefix(t *testing.T) {
	for in, want := range map[string]string{"": "", "/": "", "carta": "/carta", "/a/b/": "/a/b", "//x//": "/x", "/u@site+1_-": "/u@site+1_-"} {
		if got, err := NormalizePrefix(in); err != nil || got != want {
			t.Errorf("NormalizePrefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"/a/../b", "/a b", "/a?b", "/a#b", "/a%2e", "/a//b", "/ä"} {
		if got, err := NormalizePrefix(bad); err == nil {
			t.Errorf("NormalizePrefix(%q) = %q, want an error", bad, got)
		}
	}
}

// TestWithPrefix: what reaches the server under a prefix, and as what.
func TestWithPrefix(t *testing.T) {
	var seen string
	h, err := withPrefix("/p/q", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.URL.Path }))
	must(t, err)
	for _, tc := range []struct {
		path, upgrade string
		status        int
		seen          string
	}{
		{"/p/q/", "", 200, "/"},
		{"/p/q/static/x.js", "", 200, "/static/x.js"},
		{"/p/q/api/database/preferences", "", 200, "/api/database/preferences"},
		{"/p/q", "websocket", 200, "/"},
		{"/p/q", "", 301, ""},
		{"/p/qx", "", 404, ""},
		{"/p", "", 404, ""},
		{"/config", "", 404, ""},
		{"/healthz", "", 200, "/healthz"},
		{"/readyz", "", 200, "/readyz"},
	} {
		seen = ""
		r := httptest.NewRequest(http.MethodGet, tc.path+"?token=t", nil)
		if tc.upgrade != "" {
			r.Header.Set("Upgrade", tc.upgrade)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.status || seen != tc.seen {
			t.Errorf("%s: %d, server saw %q; want %d, %q", tc.path, w.Code, seen, tc.status, tc.seen)
		}
		if w.Code == 301 && w.Header().Get("Location") != "/p/q/?token=t" {
			t.Errorf("%s redirects to %q", tc.path, w.Header().Get("Location"))
		}
	}
}
