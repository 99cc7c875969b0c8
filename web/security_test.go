package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/models"
)

// samplePath turns a route pattern into a concrete path.
func samplePath(p string) string {
	return strings.NewReplacer("*", "app.css", ":id", "1").Replace(p)
}

func TestRoutesPublicSetIsExactly(t *testing.T) {
	e := newEnv(t)
	want := map[string]bool{RouteLogin: true, RouteLoginSubmit: true, RouteHealthz: true, RouteReadyz: true, RouteStatic: true}
	seen := map[string]bool{}
	for _, r := range e.s.Routes() {
		if r.Name == "" {
			t.Errorf("route %s %s has no name", r.Method, r.Path)
		}
		if seen[r.Name] {
			t.Errorf("route name %q used twice", r.Name)
		}
		seen[r.Name] = true
		if r.Public != want[r.Name] {
			t.Errorf("route %s %s (%s): public=%v, want %v", r.Method, r.Path, r.Name, r.Public, want[r.Name])
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("public route %q missing", name)
		}
	}
}

func TestRoutesRequireSession(t *testing.T) {
	e := newEnv(t)
	expired := &http.Cookie{Name: sessionCookie, Value: "not-a-live-session"}
	for _, r := range e.s.Routes() {
		if r.Public {
			continue
		}
		path := samplePath(r.Path)
		for _, cookies := range [][]*http.Cookie{nil, {expired}} {
			t.Run(r.Method+" "+path, func(t *testing.T) {
				res := e.do(t, req{method: r.Method, path: path, cookies: cookies})
				if r.Method == http.MethodGet {
					if res.StatusCode != http.StatusSeeOther {
						t.Fatalf("status %d, want 303", res.StatusCode)
					}
					want := "/login"
					if path != "/" {
						want += "?next=" + url.QueryEscape(path)
					}
					if loc := res.Header.Get("Location"); loc != want {
						t.Fatalf("Location %q, want %q", loc, want)
					}
				} else if res.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", res.StatusCode)
				}
				// htmx requests are sent to the login page by HX-Redirect.
				res = e.do(t, req{method: r.Method, path: path, cookies: cookies,
					header: map[string]string{"HX-Request": "true", "HX-Current-URL": "http://example.test/twins?q=A-1"}})
				if res.StatusCode != http.StatusUnauthorized {
					t.Fatalf("htmx: status %d, want 401", res.StatusCode)
				}
				if got, want := res.Header.Get("HX-Redirect"), "/login?next="+url.QueryEscape("/twins?q=A-1"); got != want {
					t.Fatalf("htmx: HX-Redirect %q, want %q", got, want)
				}
			})
		}
	}
}

func TestPublicRoutesNeedNoSession(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/login", "/healthz", "/readyz", "/static/app.css"} {
		if res := e.do(t, req{path: path}); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, res.StatusCode)
		}
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		form   url.Values
		header map[string]string
		want   int
	}{
		{"no token", url.Values{}, nil, http.StatusForbidden},
		{"wrong form token", url.Values{"_csrf": {"wrong"}}, nil, http.StatusForbidden},
		{"wrong header token", url.Values{}, map[string]string{csrfHeader: "wrong"}, http.StatusForbidden},
		{"other session's token", nil, nil, http.StatusForbidden},
		{"form token", nil, nil, http.StatusSeeOther},
		{"header token", url.Values{}, nil, http.StatusSeeOther},
	}
	_, other := e.session(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, sess := e.session(t)
			form, header := tt.form, tt.header
			switch tt.name {
			case "other session's token":
				form = url.Values{"_csrf": {other.CSRFToken}}
			case "form token":
				form = url.Values{"_csrf": {sess.CSRFToken}}
			case "header token":
				header = map[string]string{csrfHeader: sess.CSRFToken}
			}
			res := e.do(t, req{method: http.MethodPost, path: "/logout", form: form, header: header,
				cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}})
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.want)
			}
			_, _, err := e.db.SessionUser(context.Background(), token, time.Hour)
			if loggedOut := errors.Is(err, models.ErrNotFound); loggedOut != (tt.want == http.StatusSeeOther) {
				t.Fatalf("session ended = %v after status %d", loggedOut, res.StatusCode)
			}
		})
	}
}

func TestLoginFormNeedsCSRF(t *testing.T) {
	e := newEnv(t)
	ck, tok := e.loginForm(t)
	tests := []struct {
		name    string
		cookies []*http.Cookie
		token   string
	}{
		{"no cookie", nil, tok},
		{"no field", []*http.Cookie{ck}, ""},
		{"mismatch", []*http.Cookie{ck}, tok + "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(t, req{method: http.MethodPost, path: "/login", cookies: tt.cookies,
				form: url.Values{"_csrf": {tt.token}, "username": {testAdmin}, "password": {testPassword}}})
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403", res.StatusCode)
			}
			if cookieNamed(res, sessionCookie) != nil {
				t.Fatal("a session cookie was set without a valid login token")
			}
		})
	}
}

func TestLoginSuccessRotatesSession(t *testing.T) {
	e := newEnv(t)
	oldToken, _ := e.session(t)
	res := e.login(t, testAdmin, testPassword, "192.0.2.10:1000", &http.Cookie{Name: sessionCookie, Value: oldToken})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("login: %d to %q, want 303 to /", res.StatusCode, res.Header.Get("Location"))
	}
	ck := cookieNamed(res, sessionCookie)
	if ck == nil || ck.Value == "" {
		t.Fatal("no session cookie after login")
	}
	if ck.Value == oldToken {
		t.Fatal("login kept the old session id")
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
		t.Fatalf("cookie attributes: %+v", ck)
	}
	if _, _, err := e.db.SessionUser(context.Background(), oldToken, time.Hour); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("old session still alive: %v", err)
	}
	if _, u, err := e.db.SessionUser(context.Background(), ck.Value, time.Hour); err != nil || u.Username != testAdmin {
		t.Fatalf("new session: %v", err)
	}
	if c := cookieNamed(res, loginCSRFCookie); c == nil || c.MaxAge >= 0 {
		t.Fatal("login CSRF cookie not cleared after login")
	}
}

func TestSessionCookieSecureOverTLS(t *testing.T) {
	e := newEnv(t)
	// The login CSRF cookie is set the same way as the session cookie.
	res := e.do(t, req{path: "/login", tls: true})
	if ck := cookieNamed(res, loginCSRFCookie); ck == nil || !ck.Secure {
		t.Fatalf("cookie over TLS not Secure: %+v", ck)
	}
	res = e.do(t, req{path: "/login"})
	if ck := cookieNamed(res, loginCSRFCookie); ck == nil || ck.Secure {
		t.Fatalf("cookie over plain HTTP marked Secure: %+v", ck)
	}
}

func TestLoginNextOnlyLocal(t *testing.T) {
	tests := []struct{ next, want string }{
		{"/twins?q=A-1", "/twins?q=A-1"},
		{"/errors", "/errors"},
		{"//evil.example/x", ""},
		{"/\\evil.example", ""},
		{"https://evil.example/", ""},
		{"javascript:alert(1)", ""},
		{"twins", ""},
		{"/login", ""},
		{"/ok\r\nSet-Cookie: x=y", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := safeNext(tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}

func TestLoginRedirectsToNext(t *testing.T) {
	e := newEnv(t)
	ck, tok := e.loginForm(t)
	res := e.do(t, req{method: http.MethodPost, path: "/login", cookies: []*http.Cookie{ck},
		form: url.Values{"_csrf": {tok}, "username": {testAdmin}, "password": {testPassword}, "next": {"//evil.example/"}}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/" {
		t.Fatalf("open redirect: %d to %q", res.StatusCode, loc)
	}
	ck, tok = e.loginForm(t)
	res = e.do(t, req{method: http.MethodPost, path: "/login", cookies: []*http.Cookie{ck},
		form: url.Values{"_csrf": {tok}, "username": {testAdmin}, "password": {testPassword}, "next": {"/twins"}}})
	if loc := res.Header.Get("Location"); loc != "/twins" {
		t.Fatalf("next ignored: to %q", loc)
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Run("user name slowed, not locked", func(t *testing.T) {
		e := newEnv(t)
		var delays []time.Duration
		e.s.loginSleep = func(_ context.Context, d time.Duration) error { delays = append(delays, d); return nil }
		for i := 1; i <= 2*loginMaxFailures; i++ {
			// Each failure from another address: no address reaches its limit.
			res := e.login(t, testAdmin, "wrong-password", "192.0.2."+strconv.Itoa(i)+":1000")
			body := bodyString(t, res)
			if res.StatusCode != http.StatusOK || !strings.Contains(body, msgLoginFailed) {
				t.Fatalf("attempt %d: %d, want the generic failure", i, res.StatusCode)
			}
		}
		// The real administrator from their own address gets in, after a bounded delay.
		if res := e.login(t, testAdmin, testPassword, "198.51.100.7:1000"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("right password after failures from other addresses: %d, want 303", res.StatusCode)
		}
		last := delays[len(delays)-1]
		if last <= delays[loginFreeFailures] || last > loginMaxDelay || delays[0] != 0 {
			t.Fatalf("delays %v: want 0 at first, growing, capped at %v", delays, loginMaxDelay)
		}
		// A success clears the slowdown.
		e.login(t, testAdmin, testPassword, "198.51.100.7:1000")
		if d := delays[len(delays)-1]; d != 0 {
			t.Fatalf("delay after a success: %v", d)
		}
	})
	t.Run("per user name and address", func(t *testing.T) {
		e := newEnv(t)
		for i := 1; i <= loginMaxFailures; i++ {
			if res := e.login(t, testAdmin, "wrong-password", "192.0.2.50:1000"); res.StatusCode != http.StatusOK {
				t.Fatalf("attempt %d: %d", i, res.StatusCode)
			}
		}
		assertThrottled(t, e.login(t, testAdmin, testPassword, "192.0.2.50:1001"))
		// One address cannot keep the administrator out.
		if res := e.login(t, testAdmin, testPassword, "198.51.100.8:1000"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("admin from another address: %d, want 303", res.StatusCode)
		}
		e.clock.Advance(loginWindow + time.Second)
		if res := e.login(t, testAdmin, testPassword, "192.0.2.50:1000"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("after the window: %d, want 303", res.StatusCode)
		}
	})
	t.Run("per client address", func(t *testing.T) {
		e := newEnv(t)
		for i := 1; i <= loginMaxPerAddress; i++ {
			name := "user" + strconv.Itoa(i)
			addUser(t, e.db, name)
			res := e.login(t, name, "wrong-password", "203.0.113.5:1000")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("attempt %d: %d", i, res.StatusCode)
			}
		}
		assertThrottled(t, e.login(t, testAdmin, testPassword, "203.0.113.5:2000"))
		// Another address is not affected.
		if res := e.login(t, testAdmin, testPassword, "203.0.113.6:1000"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("other address: %d, want 303", res.StatusCode)
		}
	})
	t.Run("sliding window", func(t *testing.T) {
		e := newEnv(t)
		for i := 1; i <= loginMaxFailures; i++ {
			e.login(t, testAdmin, "wrong-password", "203.0.113.9:1000")
			e.clock.Advance(10 * time.Second)
		}
		// 50 s after the first failure all five are still in the window.
		assertThrottled(t, e.login(t, testAdmin, testPassword, "203.0.113.9:1000"))
		e.clock.Advance(11 * time.Second) // the first failure leaves the window
		if res := e.login(t, testAdmin, testPassword, "203.0.113.9:1000"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("after the oldest failure expired: %d, want 303", res.StatusCode)
		}
	})
}

func assertThrottled(t *testing.T, res *http.Response) {
	t.Helper()
	body := bodyString(t, res)
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429 (the right password must not be checked)", res.StatusCode)
	}
	if !strings.Contains(body, msgLoginThrottle) {
		t.Fatalf("429 without the clear message:\n%s", body)
	}
	if res.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	if cookieNamed(res, sessionCookie) != nil {
		t.Fatal("throttled attempt got a session")
	}
}

func TestLoginFailureIsGeneric(t *testing.T) {
	e := newEnv(t)
	unknown := bodyString(t, e.login(t, "no-such-user", "whatever-password", "192.0.2.20:1"))
	wrong := bodyString(t, e.login(t, testAdmin, "wrong-password", "192.0.2.21:1"))
	for _, b := range []string{unknown, wrong} {
		if !strings.Contains(b, msgLoginFailed) {
			t.Fatalf("failure page lacks the generic message:\n%s", b)
		}
	}
}

func TestAttemptLimiter(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	l := newAttemptLimiter(time.Minute, clock.Now)
	lim := []limit{{"k", 3}, {"other", 10}}
	steps := []struct {
		advance time.Duration
		granted bool
		release bool
	}{
		{0, true, false},
		{20 * time.Second, true, false},
		{20 * time.Second, true, false},  // 3 attempts at 0, 20, 40
		{19 * time.Second, false, false}, // t=59: still 3 in the window
		{2 * time.Second, true, true},    // t=61: the first left; this one succeeds and is given back
		{0, true, false},                 // back to 3
		{0, false, false},
		{2 * time.Minute, true, true}, // all gone
	}
	for i, st := range steps {
		clock.Advance(st.advance)
		r, wait := l.Reserve(lim...)
		if (r != nil) != st.granted {
			t.Fatalf("step %d: granted=%v, want %v", i, r != nil, st.granted)
		}
		if r == nil && (wait <= 0 || wait > time.Minute) {
			t.Fatalf("step %d: wait %v", i, wait)
		}
		if r != nil && st.release {
			r.Release()
		}
	}
	clock.Advance(2 * time.Minute)
	l.Reserve(limit{"x", 1})
	clock.Advance(2 * time.Minute)
	l.Reserve(limit{"x", 1})
	if len(l.hits) != 1 {
		t.Fatalf("stale keys kept: %v", l.hits)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	token, _ := e.session(t)
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "same-origin",
		"X-Content-Type-Options":  "nosniff",
	}
	for _, path := range []string{"/", "/login", "/healthz", "/readyz", "/static/app.css", "/no-such-page", "/twins"} {
		for _, tok := range []string{"", token} {
			res := e.get(t, path, tok)
			for k, v := range want {
				if got := res.Header.Get(k); got != v {
					t.Errorf("GET %s (session %v): %s = %q, want %q", path, tok != "", k, got, v)
				}
			}
		}
	}
}

func TestLogoutEndsSession(t *testing.T) {
	e := newEnv(t)
	token, sess := e.session(t)
	res := e.do(t, req{method: http.MethodPost, path: "/logout", form: url.Values{"_csrf": {sess.CSRFToken}},
		cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if ck := cookieNamed(res, sessionCookie); ck == nil || ck.MaxAge >= 0 {
		t.Fatal("session cookie not cleared")
	}
	if res := e.get(t, "/", token); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("old cookie still works after logout: %d", res.StatusCode)
	}
}
