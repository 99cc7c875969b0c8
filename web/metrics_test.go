package web

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/metrics"
)

func TestMetricsAccess(t *testing.T) {
	const token = "0123456789abcdef0123"
	e := newEnv(t)
	e.s.cfg.MetricsToken = token
	m := metrics.New("test")
	m.Poll(1, "local", metrics.ResultOK)
	e.s.ServeMetrics(m.Handler())
	sess, _ := e.session(t)
	for _, tc := range []struct {
		name     string
		header   map[string]string
		cookies  []*http.Cookie
		status   int
		location string
	}{
		{name: "bearer token", header: map[string]string{"Authorization": "Bearer " + token}, status: http.StatusOK},
		{name: "session", cookies: []*http.Cookie{{Name: sessionCookie, Value: sess}}, status: http.StatusOK},
		{name: "nothing", status: http.StatusSeeOther, location: "/login"},
		{name: "dead session", cookies: []*http.Cookie{{Name: sessionCookie, Value: "gone"}}, status: http.StatusSeeOther, location: "/login"},
		{name: "wrong token", header: map[string]string{"Authorization": "Bearer " + token + "x"}, status: http.StatusUnauthorized},
		{name: "basic auth", header: map[string]string{"Authorization": "Basic YWRtaW46YWRtaW4="}, status: http.StatusUnauthorized},
		{name: "wrong token beats a session", header: map[string]string{"Authorization": "Bearer nope"},
			cookies: []*http.Cookie{{Name: sessionCookie, Value: sess}}, status: http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, req{path: "/metrics", header: tc.header, cookies: tc.cookies})
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if tc.location != "" && !strings.HasPrefix(res.Header.Get("Location"), tc.location) {
				t.Errorf("Location %q, want %s...", res.Header.Get("Location"), tc.location)
			}
			if tc.status == http.StatusOK {
				if !strings.Contains(string(body), `airlock_polls_total{connection="1",side="local",result="ok"} 1`) {
					t.Errorf("body lacks the poll counter:\n%s", body)
				}
				if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
					t.Errorf("Content-Type %q", ct)
				}
			} else if strings.Contains(string(body), "airlock_polls_total") {
				t.Errorf("metrics leaked with status %d", res.StatusCode)
			}
		})
	}
}

func TestMetricsTokenUnsetRefusesBearer(t *testing.T) {
	e := newEnv(t)
	e.s.ServeMetrics(metrics.New("test").Handler())
	for _, h := range []string{"Bearer ", "Bearer x"} {
		if res := e.do(t, req{path: "/metrics", header: map[string]string{"Authorization": h}}); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%q without AIRLOCK_METRICS_TOKEN: status %d, want 401", h, res.StatusCode)
		}
	}
}

func TestMetricsNotMounted(t *testing.T) {
	e := newEnv(t)
	sess, _ := e.session(t)
	res := e.do(t, req{path: "/metrics", cookies: []*http.Cookie{{Name: sessionCookie, Value: sess}}})
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404 while no registry is mounted", res.StatusCode)
	}
}
