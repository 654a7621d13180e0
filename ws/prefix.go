package ws

import (
	"fmt"
	"net/http"
	"strings"
)

// NormalizePrefix checks a URL prefix (--url-prefix, the reference's
// --http_url_prefix) and returns it with one leading slash and no
// trailing one; "" and "/" mean none. Like the reference it allows
// only letters, digits and + / @ _ -, so the prefix needs no escaping
// anywhere and cannot contain "..", "?" or "#".
func NormalizePrefix(p string) (string, error) {
	t := strings.Trim(p, "/")
	if t == "" {
		return "", nil
	}
	for _, r := range t {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+/@_-", r)
		if !ok {
			return "", fmt.Errorf("URL prefix %q: only letters, digits and + / @ _ - are allowed", p)
		}
	}
	if strings.Contains(t, "//") {
		return "", fmt.Errorf("URL prefix %q has an empty path segment", p)
	}
	return "/" + t, nil
}

// withPrefix serves h under prefix: "/p/x" reaches h as "/x", "/p" is
// redirected to "/p/" (the frontend resolves config, api and its
// assets against the page's folder), and other paths get 404, except
// the probes, which load balancers ask at the root.
func withPrefix(prefix string, h http.Handler) (http.Handler, error) {
	prefix, err := NormalizePrefix(prefix)
	if err != nil || prefix == "" {
		return h, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch rest, ok := strings.CutPrefix(p, prefix); {
		case p == "/healthz" || p == "/readyz":
			h.ServeHTTP(w, r)
		case ok && rest == "" && !isUpgrade(r):
			u := *r.URL
			u.Path, u.RawPath = prefix+"/", ""
			http.Redirect(w, r, u.RequestURI(), http.StatusMovedPermanently)
		case ok && (rest == "" || rest[0] == '/'):
			r2 := r.Clone(r.Context())
			r2.URL.Path, r2.URL.RawPath = "/"+strings.TrimPrefix(rest, "/"), ""
			h.ServeHTTP(w, r2)
		default:
			http.NotFound(w, r)
		}
	}), nil
}

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}
