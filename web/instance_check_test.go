package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Test connection says what really happened with a 2xx answer that is not Jira's: cut off,
// nested too deep, too large, too slow, a web page, or JSON of another shape ({}).
func TestInstanceTestReportsBadAnswers(t *testing.T) {
	okInfo := `{"baseUrl":"http://x","version":"9.12.2","versionNumbers":[9,12,2],"deploymentType":"Server","buildNumber":9120002,"serverTitle":"Jira"}`
	okMe := `{"self":"http://x/rest/api/2/user?username=airlock","key":"JIRAUSER1","name":"airlock","displayName":"Airlock","active":true,"timeZone":"UTC"}`
	serve := func(info, me func(w http.ResponseWriter)) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			switch {
			case strings.HasSuffix(r.URL.Path, "/rest/api/2/serverInfo"):
				info(w)
			case strings.HasSuffix(r.URL.Path, "/rest/api/2/myself"):
				me(w)
			default:
				http.NotFound(w, r)
			}
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	text := func(s string) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) { _, _ = w.Write([]byte(s)) }
	}
	large := func(w http.ResponseWriter) {
		_, _ = w.Write([]byte(`{"version":"9.12.2","serverTitle":"`))
		chunk := []byte(strings.Repeat("x", 64<<10))
		for range 64 { // 4 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte(`"}`))
	}
	slow := func(w http.ResponseWriter) {
		_, _ = w.Write([]byte(`{"version":`))
		w.(http.Flusher).Flush()
		for range 20 {
			time.Sleep(200 * time.Millisecond)
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
		_, _ = w.Write([]byte(`"9.12.2"}`))
	}
	html := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body>Sign in</body></html>"))
	}
	e := newC1Env(t, nil)
	e.s.testTimeout = 2 * time.Second
	for _, tt := range []struct {
		name     string
		info, me func(w http.ResponseWriter)
		problem  string
	}{
		{"truncated", text(okInfo[:40]), text(okMe), "cut off (truncated JSON)"},
		{"too deep", text(strings.Repeat("[", 20000) + strings.Repeat("]", 20000)), text(okMe), "nested too deeply"},
		{"too large", large, text(okMe), "too large"},
		{"too slow", slow, text(okMe), "too slow"},
		{"web page", html, text(okMe), "web page, not with Jira's REST API"},
		{"empty server info", text(`{}`), text(okMe), "not with Jira's server information"},
		{"empty myself", text(okInfo), text(`{}`), "not with a Jira user"},
		{"truncated myself", text(okInfo), text(okMe[:30]), "/myself was cut off"},
		{"ok", text(okInfo), text(okMe), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(tt.info, tt.me)
			start := time.Now()
			res := e.post(t, "/instances/test", instanceForm("X", srv.URL, "airlock", "airlock"), true)
			body := bodyString(t, res)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the test took %s", d)
			}
			doc := parseDoc(t, body)
			if tt.problem == "" {
				if doc.Find(`[data-testid="test-result-ok"]`).Length() != 1 {
					t.Fatalf("not ok:\n%s", body)
				}
				return
			}
			if got := doc.Find(`[data-testid="test-problem"]`).Text(); !strings.Contains(got, tt.problem) {
				t.Errorf("problem %q, want %q", got, tt.problem)
			}
			if doc.Find(`[data-testid="test-result-ok"]`).Length() != 0 {
				t.Error("passed")
			}
		})
	}
}
