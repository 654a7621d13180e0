package ws

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// tokenCookie is the cookie the frontend stores the page's ?token= in.
const tokenCookie = "carta-auth-token"

// requestToken finds the access token the way the reference backend does:
// cookie, bearer header, query parameter, then a plain header.
func requestToken(r *http.Request) string {
	if c, err := r.Cookie(tokenCookie); err == nil && c.Value != "" {
		return c.Value
	}
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return bearer
	}
	if t := r.URL.Query().Get("token"); t != "" {
		return t
	}
	return r.Header.Get(tokenCookie)
}

// tokenMatches compares in constant time. Hashing first makes the time
// independent of the lengths too.
func tokenMatches(got, want string) bool {
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
