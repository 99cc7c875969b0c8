package web

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/models"
)

// TestLoginParallelAttemptsChecked: 100 parallel wrong guesses for one user from one address
// check the password at most loginMaxFailures times; the rest are refused with 429 before
// bcrypt runs. The user's hash has bcrypt's default cost, so each check is slow enough that
// a check-then-count limiter lets dozens through.
func TestLoginParallelAttemptsChecked(t *testing.T) {
	e := newEnv(t)
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.Create(&models.User{Username: "victim", PasswordHash: string(h)}).Error; err != nil {
		t.Fatal(err)
	}
	const n = 100
	reqs := make([]*http.Request, n)
	for i := range reqs {
		ck, tok := e.loginForm(t)
		form := url.Values{"_csrf": {tok}, "username": {"victim"}, "password": {"guess-" + string(rune('a'+i%26))}}
		r := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(ck)
		r.RemoteAddr = "203.0.113.66:4000"
		reqs[i] = r
	}
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range reqs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			rec := httptest.NewRecorder()
			e.s.Handler().ServeHTTP(rec, reqs[i])
			codes[i] = rec.Code
		}(i)
	}
	close(start)
	wg.Wait()
	checked, throttled := 0, 0
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			checked++
		case http.StatusTooManyRequests:
			throttled++
		default:
			t.Errorf("unexpected status %d", c)
		}
	}
	if checked > loginMaxFailures || checked+throttled != n {
		t.Fatalf("%d of %d parallel guesses were checked (limit %d), %d throttled", checked, n, loginMaxFailures, throttled)
	}
}

// TestTrustedProxies: X-Forwarded-For is believed only from AIRLOCK_TRUSTED_PROXIES; without
// the setting a made-up header does not change the client address (login limiter, audit).
func TestTrustedProxies(t *testing.T) {
	cfg, err := config.Load(func(k string) string {
		if k == "AIRLOCK_TRUSTED_PROXIES" {
			return "10.9.0.0/16, 127.0.0.1"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.TrustedProxies) != 2 || !cfg.TrustedProxies[1].Contains(net.ParseIP("127.0.0.1")) {
		t.Fatalf("parsed %v", cfg.TrustedProxies)
	}
	if _, err := config.Load(func(k string) string {
		if k == "AIRLOCK_TRUSTED_PROXIES" {
			return "proxy.example.com"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "AIRLOCK_TRUSTED_PROXIES") {
		t.Errorf("a host name was accepted: %v", err)
	}
	for _, tc := range []struct {
		name    string
		trusted []*net.IPNet
		peer    string
		want    string
	}{
		{"no proxies: the peer", nil, "127.0.0.1:1", "127.0.0.1"},
		{"trusted peer: the forwarded address", cfg.TrustedProxies, "127.0.0.1:1", "198.51.100.20"},
		{"untrusted peer: the peer", cfg.TrustedProxies, "192.0.2.5:1", "192.0.2.5"},
	} {
		e := newEnv(t)
		e.s.e.IPExtractor = ipExtractor(tc.trusted)
		ck, tok := e.loginForm(t)
		e.do(t, req{method: http.MethodPost, path: "/login", remote: tc.peer, header: map[string]string{"X-Forwarded-For": "198.51.100.20"},
			form: url.Values{"_csrf": {tok}, "username": {testAdmin}, "password": {"wrong-password"}}, cookies: []*http.Cookie{ck}})
		var entry models.AuditEntry
		if err := e.db.Where("route = ?", RouteLoginSubmit).First(&entry).Error; err != nil {
			t.Fatal(err)
		}
		if entry.IP != tc.want {
			t.Errorf("%s: client address %q, want %q", tc.name, entry.IP, tc.want)
		}
	}
}
