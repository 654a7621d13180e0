package ws

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// originAllowed decides whether a browser page may open a websocket.
// Browsers apply no same-origin rule to websockets, so without this any
// page the user visits could drive a --no-auth server (cross-site
// websocket hijacking). Allowed: no Origin (scripts, not browsers), the
// server's own origin (Origin host equals the Host header), a loopback
// origin (localhost, 127.0.0.0/8, [::1], any port), and --allowed-origins.
//
// Without a token the own-origin rule holds only for an IP literal or
// localhost: by DNS rebinding an attacker's name can resolve to our
// address, and its page then sends Origin and Host both naming it. With
// a token the page still cannot connect (the token is not in its reach),
// so a server behind a named host keeps working without listing itself.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if isLoopback(u.Hostname()) {
		return true
	}
	if strings.EqualFold(u.Host, r.Host) && (s.cfg.AuthToken != "" || isAddress(u.Hostname())) {
		return true
	}
	return s.origins[normalizeOrigin(u)]
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isAddress reports whether host is an IP literal or localhost: a name
// no DNS answer can point elsewhere.
func isAddress(host string) bool {
	return strings.EqualFold(host, "localhost") || net.ParseIP(host) != nil
}

// normalizeOrigin is scheme://host[:port] in lower case, the form a
// browser sends.
func normalizeOrigin(u *url.URL) string {
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// parseOrigins checks and normalizes --allowed-origins entries.
func parseOrigins(list []string) (map[string]bool, error) {
	out := make(map[string]bool, len(list))
	for _, o := range list {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(strings.TrimSuffix(o, "/"))
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("allowed origin %q: want scheme://host[:port], e.g. https://carta.example.org", o)
		}
		out[normalizeOrigin(u)] = true
	}
	return out, nil
}
