package web

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"github.com/airlock-sync/airlock/models"
)

// xssPayload is what a compromised relay could put into anything that crosses it: issue keys,
// field values, error messages. The console must show it as text.
const xssPayload = `"><script>alert('relay')</script><img src=x onerror=alert(1)>`

// fullEnv is a console with every area mounted, asynqmon included (a queue with a connection),
// and one row of each kind whose text fields carry xssPayload, so every :id route finds id 1.
func fullEnv(t *testing.T) *c1Env {
	t.Helper()
	mr := miniredis.RunT(t)
	e := newC1Env(t, &brokerQueue{opt: asynq.RedisClientOpt{Addr: mr.Addr()}})
	a := e.addInstance(t, "A", "https://a.example.com", "sync", "pw-a-123")
	ab := e.addInstance(t, "AB", "https://ab.example.com", "sync", "pw-ab-123")
	now := time.Now().UTC()
	lid, rid := "10001", "20001"
	conn := &models.Connection{Name: "A-AB", LocalInstanceID: a.ID, RemoteInstanceID: ab.ID, LocalProject: "A", RemoteProject: "AB"}
	rows := []any{conn}
	for _, r := range rows {
		if err := e.db.Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	tw := &models.Twin{ConnectionID: conn.ID, SyncID: "sync-1", State: models.TwinActive, LocalIssueID: &lid, LocalKey: "A-1",
		RemoteIssueID: &rid, RemoteKey: "AB-1" + xssPayload, LastError: xssPayload, Baseline: `{"summary":"` + strings.ReplaceAll(xssPayload, `"`, `\"`) + `"}`}
	if err := e.db.Create(tw).Error; err != nil {
		t.Fatal(err)
	}
	cid := conn.ID
	rows = []any{
		&models.SyncError{TwinID: &tw.ID, ConnectionID: &cid, Fingerprint: "fp", Class: models.ClassData, Message: xssPayload,
			Request: "PUT /rest/api/2/issue/AB-1", Response: "400 " + xssPayload, FirstSeen: now, LastSeen: now},
		&models.Conflict{TwinID: tw.ID, Field: "summary", Baseline: `"base"`, LocalValue: `"local"`, RemoteValue: `"` + strings.ReplaceAll(xssPayload, `"`, `\"`) + `"`},
		&models.Event{TwinID: tw.ID, ConnectionID: conn.ID, At: now, Direction: models.DirRemoteToLocal, Kind: "field", Field: "summary",
			OldValue: "old", NewValue: xssPayload},
	}
	for _, r := range rows {
		if err := e.db.Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	if !hasRoute(e.s.Routes(), RouteQueues) {
		t.Fatal("asynqmon is not mounted in the full console")
	}
	return e
}

func hasRoute(rs []RouteInfo, name string) bool {
	for _, r := range rs {
		if r.Name == name {
			return true
		}
	}
	return false
}

// rowCounts counts the rows of every table, to prove refused requests changed nothing.
func rowCounts(t *testing.T, db *models.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, m := range models.All() {
		var n int64
		if err := db.Model(m).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%T", m)] = n
	}
	delete(out, fmt.Sprintf("%T", &models.Session{})) // the tests log in
	return out
}

var unsafeMethods = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// TestEveryRouteRefusesWithoutSession walks Routes() of a console with every area mounted
// (asynqmon too), so a route added later is covered without touching this test: without a
// session, a GET goes to the login page and anything else is refused, for every path and every
// unsafe method; and nothing in the database changes.
func TestEveryRouteRefusesWithoutSession(t *testing.T) {
	e := fullEnv(t)
	before := rowCounts(t, e.db)
	paths := map[string]bool{}
	for _, r := range e.s.Routes() {
		if r.Public {
			continue
		}
		paths[samplePath(r.Path)] = true
		res := e.do(t, req{method: r.Method, path: samplePath(r.Path)})
		switch {
		case r.Method == http.MethodGet || r.Method == http.MethodHead:
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
				t.Errorf("%s %s without session: %d to %q, want 303 to /login", r.Method, r.Path, res.StatusCode, res.Header.Get("Location"))
			}
		case res.StatusCode != http.StatusUnauthorized:
			t.Errorf("%s %s without session: %d, want 401", r.Method, r.Path, res.StatusCode)
		}
	}
	// Every unsafe method on every console path, routed or not, with a form that would be
	// valid apart from the session: never a success.
	for p := range paths {
		for _, m := range unsafeMethods {
			res := e.do(t, req{method: m, path: p, form: url.Values{"name": {"x"}, "_csrf": {e.csrf}}})
			if res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s %s without session: %d, want 401 or 405", m, p, res.StatusCode)
			}
		}
	}
	if after := rowCounts(t, e.db); !equalCounts(before, after) {
		t.Errorf("requests without a session changed the database: %v -> %v", before, after)
	}
}

// TestEveryUnsafeRouteNeedsCSRF: with a live session but no (or a wrong, or another session's)
// CSRF token, every unsafe route answers 403 and writes nothing.
func TestEveryUnsafeRouteNeedsCSRF(t *testing.T) {
	e := fullEnv(t)
	_, otherCSRF := e.sessionFor(t, e.admin)
	token, csrf := e.sessionFor(t, e.admin)
	e.token, e.csrf = token, csrf
	before := rowCounts(t, e.db)
	unsafe := 0
	for _, r := range e.s.Routes() {
		if r.Public || !unsafeMethod(r.Method) {
			continue
		}
		unsafe++
		path := samplePath(r.Path)
		for _, tc := range []struct {
			name   string
			form   url.Values
			header map[string]string
		}{
			{"no token", url.Values{"name": {"x"}, "confirm": {"yes"}}, nil},
			{"empty token", url.Values{"_csrf": {""}}, map[string]string{csrfHeader: ""}},
			{"wrong token", url.Values{"_csrf": {csrf + "x"}}, nil},
			{"other session's token", url.Values{"_csrf": {otherCSRF}}, map[string]string{csrfHeader: otherCSRF}},
			{"htmx without header", url.Values{}, map[string]string{"HX-Request": "true"}},
		} {
			res := e.do(t, req{method: r.Method, path: path, form: tc.form, header: tc.header,
				cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}})
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s (%s): %d, want 403", r.Method, r.Path, tc.name, res.StatusCode)
			}
		}
	}
	if unsafe < 20 {
		t.Fatalf("only %d unsafe routes found: is the route table complete?", unsafe)
	}
	if after := rowCounts(t, e.db); !equalCounts(before, after) {
		t.Errorf("requests without CSRF changed the database: %v -> %v", before, after)
	}
}

func equalCounts(a, b map[string]int64) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

var inlineScripts = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)

// cspDirective returns one directive's source list ("" when absent).
func cspDirective(csp, name string) string {
	for _, d := range strings.Split(csp, ";") {
		d = strings.TrimSpace(d)
		if d == name || strings.HasPrefix(d, name+" ") {
			return strings.TrimSpace(strings.TrimPrefix(d, name))
		}
	}
	return ""
}

// TestEveryPageHeaders: every GET route, with and without a session, answers with a
// Content-Security-Policy whose script-src allows no inline script, frame denial (header and
// frame-ancestors) and a referrer policy. Console pages carry no inline script or event
// handler either, and the relay-controlled values seeded by fullEnv appear only as text.
func TestEveryPageHeaders(t *testing.T) {
	e := fullEnv(t)
	var gets []RouteInfo
	for _, r := range e.s.Routes() {
		if r.Method == http.MethodGet {
			gets = append(gets, r)
		}
	}
	sort.Slice(gets, func(i, j int) bool { return gets[i].Path < gets[j].Path })
	for _, r := range gets {
		path := samplePath(r.Path)
		for _, tok := range []string{"", e.token} {
			res := e.get(t, path, tok)
			body := bodyString(t, res)
			where := r.Path
			if tok != "" {
				where += " (session)"
			}
			// 503 is how a page says it needs the engine, which this console has not.
			if res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("%s: %d", where, res.StatusCode)
			}
			csp := res.Header.Get("Content-Security-Policy")
			src := cspDirective(csp, "script-src")
			if src == "" || strings.Contains(src, "'unsafe-inline'") || strings.Contains(src, "'unsafe-eval'") || strings.Contains(src, "*") {
				t.Errorf("%s: script-src %q (CSP %q)", where, src, csp)
			}
			if cspDirective(csp, "frame-ancestors") != "'none'" || res.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: framing allowed (CSP %q, X-Frame-Options %q)", where, csp, res.Header.Get("X-Frame-Options"))
			}
			if rp := res.Header.Get("Referrer-Policy"); rp != "same-origin" && rp != "no-referrer" && rp != "strict-origin" {
				t.Errorf("%s: Referrer-Policy %q", where, rp)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: no nosniff", where)
			}
			if strings.HasPrefix(r.Path, queuesRoot) {
				checkQueuesInlineScripts(t, where, body, src)
				continue
			}
			if !strings.Contains(res.Header.Get("Content-Type"), "html") {
				continue
			}
			checkNoInlineScript(t, where, body)
		}
	}
}

// checkQueuesInlineScripts: asynqmon's inline scripts run only because the CSP names each by
// its hash; a script not listed would be blocked and the page would break.
func checkQueuesInlineScripts(t *testing.T, where, body, scriptSrc string) {
	t.Helper()
	for _, m := range inlineScripts.FindAllStringSubmatch(body, -1) {
		if strings.Contains(m[1], "src=") {
			continue
		}
		sum := sha256.Sum256([]byte(m[2]))
		if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(scriptSrc, h) {
			t.Errorf("%s: inline script %.40q not allowed by its hash in %q", where, m[2], scriptSrc)
		}
	}
}

// checkNoInlineScript parses a console page: scripts only from files, no on* handlers, no
// javascript: URLs, and no element injected by the seeded payload.
func checkNoInlineScript(t *testing.T, where, body string) {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, ok := s.Attr("src"); !ok || src == "" || strings.TrimSpace(s.Text()) != "" {
			t.Errorf("%s: inline <script> %.60q", where, s.Text())
		}
		if src, _ := s.Attr("src"); strings.Contains(src, "//") {
			t.Errorf("%s: script from another origin %q", where, src)
		}
	})
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("%s: inline event handler %s=%q on <%s>", where, a.Key, a.Val, goquery.NodeName(s))
			}
			if (a.Key == "href" || a.Key == "src" || a.Key == "action") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
				t.Errorf("%s: javascript: URL in %s", where, a.Key)
			}
		}
	})
	if strings.Contains(body, "<script>alert(") || strings.Contains(body, "<img src=x") {
		t.Errorf("%s: the relay's payload was rendered as markup", where)
	}
}
