package web

import (
	"net/http"
	"strings"
	"testing"
)

// Every page a session can reach is sent with Cache-Control: no-store (issue 13.6), so no
// browser cache or proxy keeps credentials, tokens or Jira data; only the static files are cached.
func TestEveryAuthenticatedPageIsNoStore(t *testing.T) {
	e := fullEnv(t)
	n := 0
	for _, r := range e.s.Routes() {
		if r.Public || r.Method != http.MethodGet {
			continue
		}
		res := e.get(t, samplePath(r.Path), e.token)
		res.Body.Close()
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s (%d): Cache-Control %q", r.Path, res.StatusCode, cc)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d authenticated GET routes checked", n)
	}
	// The login page carries a CSRF token: not stored either. Static files stay cacheable.
	if res := e.get(t, "/login", ""); !strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("login: Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	if res := e.get(t, "/static/app.css", ""); !strings.Contains(res.Header.Get("Cache-Control"), "max-age") {
		t.Errorf("static: Cache-Control %q", res.Header.Get("Cache-Control"))
	}
}
