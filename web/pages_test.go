package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/static"
	"github.com/airlock-sync/airlock/views"
)

// consolePages are the navigation's pages with the empty state each shows on a fresh node.
var consolePages = []struct {
	path, title, empty string
	emptyText          string
}{
	{"/", "Dashboard", "empty-dashboard", "add the Jira instances"},
	{"/instances", "Instances", "empty-instances", "No Jira instances yet. Add the Jira your node can reach: its base URL, a sync user and a password or personal access token."},
	{"/connections", "Connections", "empty-connections", "A connection syncs one project"},
	{"/twins", "Twins", "empty-twins", "Twins appear here once a connection runs"},
	{"/errors", "Errors", "empty-errors", "Nothing is failing."},
	{"/conflicts", "Conflicts", "empty-conflicts", "conflict policy is"},
	{"/activity", "Activity", "empty-activity", "Every value Airlock carries"},
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestPagesEmptyStates(t *testing.T) {
	e := newEnv(t)
	token, sess := e.session(t)
	for _, pg := range consolePages {
		t.Run(pg.title, func(t *testing.T) {
			res := e.get(t, pg.path, token)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			doc := parse(t, res)
			if got := doc.Find(`[data-testid="page-title"]`).Text(); got != pg.title {
				t.Errorf("heading %q, want %q", got, pg.title)
			}
			empty := doc.Find(`[data-testid="` + pg.empty + `"]`)
			if empty.Length() != 1 {
				t.Fatalf("empty state %s missing", pg.empty)
			}
			if !strings.Contains(squash(empty.Text()), pg.emptyText) {
				t.Errorf("empty state says %q, want it to contain %q", squash(empty.Text()), pg.emptyText)
			}
			assertLayout(t, doc, sess.CSRFToken, pg.title)
		})
	}
}

// assertLayout checks the navigation, user, logout form, active entry, CSRF wiring and that
// nothing a strict CSP would block is on the page.
func assertLayout(t *testing.T, doc *goquery.Document, csrf, active string) {
	t.Helper()
	var labels []string
	doc.Find(`[data-testid="nav"] a`).Each(func(_ int, s *goquery.Selection) { labels = append(labels, s.Text()) })
	if got, want := strings.Join(labels, ","), "Dashboard,Instances,Connections,Twins,Bulk,Errors,Conflicts,Activity,Settings"; got != want {
		t.Errorf("navigation %q, want %q", got, want)
	}
	if got := doc.Find(`[data-testid="nav"] a[aria-current="page"]`).Text(); got != active {
		t.Errorf("active entry %q, want %q", got, active)
	}
	if got := doc.Find(`[data-testid="current-user"]`).Text(); got != testAdmin {
		t.Errorf("current user %q", got)
	}
	form := doc.Find(`form:has([data-testid="logout"])`)
	if m, _ := form.Attr("method"); m != "post" {
		t.Errorf("logout form method %q", m)
	}
	if a, _ := form.Attr("action"); a != "/logout" {
		t.Errorf("logout form action %q", a)
	}
	if v, _ := form.Find(`input[name="_csrf"]`).Attr("value"); v != csrf {
		t.Errorf("logout form token %q, want the session's", v)
	}
	var hx map[string]string
	raw, _ := doc.Find("body").Attr("hx-headers")
	if err := json.Unmarshal([]byte(raw), &hx); err != nil || hx[csrfHeader] != csrf {
		t.Errorf("body hx-headers %q does not carry the CSRF token", raw)
	}
	assertStrictCSPFriendly(t, doc)
}

func assertStrictCSPFriendly(t *testing.T, doc *goquery.Document) {
	t.Helper()
	if n := doc.Find("script:not([src])").Length(); n > 0 {
		t.Errorf("%d inline scripts", n)
	}
	if n := doc.Find("style, [style]").Length(); n > 0 {
		t.Errorf("%d inline styles", n)
	}
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(a.Key, "on") || strings.HasPrefix(a.Key, "hx-on") {
				t.Errorf("inline handler %s on <%s>", a.Key, goquery.NodeName(s))
			}
		}
	})
	cfg, _ := doc.Find(`meta[name="htmx-config"]`).Attr("content")
	var hc map[string]any
	if err := json.Unmarshal([]byte(cfg), &hc); err != nil || hc["includeIndicatorStyles"] != false {
		t.Errorf("htmx-config %q must set includeIndicatorStyles false", cfg)
	}
	for _, sel := range []string{`script[src^="/static/vendor/htmx.min.js?v="]`, `script[src^="/static/app.js?v="]`,
		`link[href^="/static/vendor/pico.min.css?v="]`, `link[href^="/static/app.css?v="]`} {
		if doc.Find(sel).Length() != 1 {
			t.Errorf("missing versioned asset %s", sel)
		}
	}
}

func TestPagesWithRows(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	db := e.db.WithContext(ctx)
	now := time.Now().UTC()
	a := models.Instance{Name: "Jira A", BaseURL: "https://jira-a.example/jira", Role: models.RolePrivate, Username: "sync", LastOKAt: &now}
	ab := models.Instance{Name: "Relay", BaseURL: "https://relay.example", Role: models.RoleRelay, Username: "sync", ConsecutiveErrors: 2, LastError: "timeout"}
	must(t, db.Create(&a).Error, db.Create(&ab).Error)
	conn := models.Connection{Name: "A to relay", LocalInstanceID: a.ID, RemoteInstanceID: ab.ID, LocalProject: "OPS", RemoteProject: "SHARE"}
	must(t, db.Create(&conn).Error)
	lid, rid := "10001", "20001"
	twin := models.Twin{ConnectionID: conn.ID, SyncID: "s1", State: models.TwinActive, LocalIssueID: &lid, LocalKey: "OPS-1", RemoteIssueID: &rid, RemoteKey: "SHARE-7"}
	must(t, db.Create(&twin).Error)
	must(t, db.Create(&models.SyncError{TwinID: &twin.ID, Fingerprint: "f", Class: models.ClassConfig, Message: "field customfield_1 is not on the edit screen", FirstSeen: now, LastSeen: now}).Error,
		db.Create(&models.Conflict{TwinID: twin.ID, Field: "summary", LocalValue: "left", RemoteValue: "right"}).Error,
		db.Create(&models.Event{TwinID: twin.ID, ConnectionID: conn.ID, At: now, Direction: models.DirLocalToRemote, Kind: "field", Field: "summary", NewValue: "left"}).Error)

	token, _ := e.session(t)
	tests := []struct{ path, table, row, text string }{
		{"/instances", "instances-table", "instance-row", "https://jira-a.example/jira"},
		{"/connections", "connections-table", "connection-row", "A to relay"},
		{"/twins", "twins-table", "twin-row", "SHARE-7"},
		{"/errors", "errors-table", "error-row", "twin OPS-1 ↔ SHARE-7"},
		{"/conflicts", "conflicts-table", "conflict-row", "summary"},
		{"/activity", "activity-table", "event-row", "local->remote"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			doc := parse(t, e.get(t, tt.path, token))
			if doc.Find(`[data-testid^="empty-"]`).Length() != 0 {
				t.Error("empty state shown although rows exist")
			}
			rows := doc.Find(`[data-testid="` + tt.table + `"] [data-testid="` + tt.row + `"]`)
			if rows.Length() == 0 || !strings.Contains(rows.Text(), tt.text) {
				t.Fatalf("rows %q lack %q", squash(rows.Text()), tt.text)
			}
		})
	}

	doc := parse(t, e.get(t, "/", token))
	for id, want := range map[string]string{"count-instances": "2", "count-connections": "1", "count-twins": "1", "count-errors": "1", "count-conflicts": "1", "count-events": "1"} {
		if got := doc.Find(`[data-testid="` + id + `"] .count-value`).Text(); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if doc.Find(`[data-testid="empty-dashboard"]`).Length() != 0 {
		t.Error("dashboard empty state shown with instances")
	}
	if got := squash(doc.Find(`[data-testid="topo-a"]`).Text()); !strings.Contains(got, "Jira A") {
		t.Errorf("topology A = %q", got)
	}
	if cls, _ := doc.Find(`[data-testid="topo-ab"]`).Attr("class"); !strings.Contains(cls, "topo-unhealthy") {
		t.Errorf("failing relay not marked: class %q", cls)
	}
	if cls, _ := doc.Find(`[data-testid="topo-b"]`).Attr("class"); !strings.Contains(cls, "topo-missing") {
		t.Errorf("absent B not drawn as missing: class %q", cls)
	}
}

func must(t *testing.T, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestDashboardTopologyEmpty(t *testing.T) {
	e := newEnv(t)
	token, _ := e.session(t)
	doc := parse(t, e.get(t, "/", token))
	svg := doc.Find(`[data-testid="topology"] svg`)
	if svg.Length() != 1 {
		t.Fatal("no topology picture")
	}
	if n := svg.Find(".topo-missing").Length(); n != 5 {
		t.Errorf("%d dashed elements on an empty node, want 5 (3 Jiras, 2 hops)", n)
	}
	for _, id := range []string{"count-instances", "count-connections", "count-twins", "count-errors", "count-conflicts"} {
		if got := doc.Find(`[data-testid="` + id + `"] .count-value`).Text(); got != "0" {
			t.Errorf("%s = %q, want 0", id, got)
		}
	}
}

func TestSettingsPage(t *testing.T) {
	e := newEnv(t)
	token, sess := e.session(t)
	doc := parse(t, e.get(t, "/settings", token))
	assertLayout(t, doc, sess.CSRFToken, "Settings")
	if got := doc.Find(`[data-testid="user-row"]`).First().Find("td").First().Text(); got != testAdmin {
		t.Errorf("user row %q", got)
	}
	cfgText := doc.Find(`[data-testid="settings-config"]`).Text()
	if !strings.Contains(cfgText, "Session lifetime") || !strings.Contains(cfgText, "1h0m0s") {
		t.Errorf("configuration table: %q", squash(cfgText))
	}
}

func TestFlashShown(t *testing.T) {
	e := newEnv(t)
	token, _ := e.session(t)
	flashes := []views.Flash{
		{Kind: views.FlashSuccess, Message: "Instance saved."},
		{Kind: views.FlashInfo, Message: "Nothing changed."},
		{Kind: views.FlashWarning, Message: "Connection paused."},
		{Kind: views.FlashError, Message: "Could not reach Jira."},
	}
	res := e.do(t, req{path: "/instances", cookies: []*http.Cookie{
		{Name: sessionCookie, Value: token}, {Name: flashCookie, Value: e.s.encodeFlashes(flashes)}}})
	if ck := cookieNamed(res, flashCookie); ck == nil || ck.MaxAge >= 0 {
		t.Error("flash cookie not cleared after showing")
	}
	doc := parse(t, res)
	for _, f := range flashes {
		sel := doc.Find(`[data-testid="flashes"] [data-testid="flash-` + string(f.Kind) + `"]`)
		if !strings.Contains(sel.Text(), f.Message) {
			t.Errorf("flash %s: %q", f.Kind, sel.Text())
		}
		if cls, _ := sel.Attr("class"); !strings.Contains(cls, "flash-"+string(f.Kind)) {
			t.Errorf("flash %s class %q", f.Kind, cls)
		}
	}

	// A forged or tampered cookie shows nothing.
	_, sig, _ := strings.Cut(e.s.encodeFlashes(flashes[:1]), ".")
	other, _, _ := strings.Cut(e.s.encodeFlashes([]views.Flash{{Kind: views.FlashError, Message: "forged"}}), ".")
	forged := other + "." + sig
	res = e.do(t, req{path: "/instances", cookies: []*http.Cookie{{Name: sessionCookie, Value: token}, {Name: flashCookie, Value: forged}}})
	if parse(t, res).Find(`[data-testid="flashes"]`).Length() != 0 {
		t.Error("tampered flash cookie shown")
	}
}

func TestLogoutFlashOnLoginPage(t *testing.T) {
	e := newEnv(t)
	token, sess := e.session(t)
	res := e.do(t, req{method: http.MethodPost, path: "/logout", form: url.Values{"_csrf": {sess.CSRFToken}},
		cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}})
	ck := cookieNamed(res, flashCookie)
	if ck == nil {
		t.Fatal("logout set no flash")
	}
	doc := parse(t, e.do(t, req{path: res.Header.Get("Location"), cookies: []*http.Cookie{ck}}))
	if got := doc.Find(`[data-testid="flash-info"]`).Text(); !strings.Contains(got, "You are logged out.") {
		t.Errorf("login page flash %q", got)
	}
	assertStrictCSPFriendly(t, doc)
}

func TestEmbeddedQueueNotice(t *testing.T) {
	for _, embedded := range []bool{true, false} {
		e := newEnv(t)
		e.queue.embedded = embedded
		token, _ := e.session(t)
		for _, path := range []string{"/", "/twins", "/settings", "/login", "/no-such-page"} {
			tok := token
			if path == "/login" {
				tok = ""
			}
			doc := parse(t, e.get(t, path, tok))
			n := doc.Find(`[data-testid="embedded-queue-notice"]`)
			if (n.Length() == 1) != embedded {
				t.Errorf("%s embedded=%v: notice shown %d times", path, embedded, n.Length())
			}
			if embedded && !strings.Contains(n.Text(), "embedded queue, not durable") {
				t.Errorf("%s notice text %q", path, squash(n.Text()))
			}
		}
	}
}

func TestErrorPages(t *testing.T) {
	e := newEnv(t)
	token, _ := e.session(t)
	e.s.e.GET("/boom", func(echo.Context) error { return errors.New("secret internal detail: dsn=postgres://x") })
	e.s.e.GET("/panic", func(echo.Context) error { panic("secret panic detail") })
	e.s.e.GET("/missing", func(echo.Context) error { return models.ErrNotFound })

	tests := []struct {
		name    string
		path    string
		token   string
		header  map[string]string
		status  int
		layout  bool // full page with navigation
		bare    bool // full page without navigation
		json    bool
		logWant string
	}{
		{"404 logged in", "/no-such-page", token, nil, 404, true, false, false, "level=WARN"},
		{"404 logged out", "/no-such-page", "", nil, 404, false, true, false, "level=WARN"},
		{"not-found error", "/missing", token, nil, 404, true, false, false, "level=WARN"},
		{"500 logged in", "/boom", token, nil, 500, true, false, false, "secret internal detail"},
		{"500 logged out", "/boom", "", nil, 500, false, true, false, "level=ERROR"},
		{"panic", "/panic", token, nil, 500, true, false, false, "secret panic detail"},
		{"json 404", "/no-such-page", "", map[string]string{"Accept": "application/json"}, 404, false, false, true, ""},
		{"json 500", "/boom", "", map[string]string{"Accept": "application/json"}, 500, false, false, true, ""},
		{"browser accept is html", "/boom", "", map[string]string{"Accept": "text/html,application/json;q=0.9"}, 500, false, true, false, ""},
		{"htmx fragment", "/boom", token, map[string]string{"HX-Request": "true"}, 500, false, false, false, ""},
		{"405", "/healthz", "", nil, 0, false, true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req{path: tt.path, header: tt.header}
			if tt.name == "405" {
				r.method = http.MethodDelete
				tt.status = http.StatusMethodNotAllowed
			}
			if tt.token != "" {
				r.cookies = []*http.Cookie{{Name: sessionCookie, Value: tt.token}}
			}
			res := e.do(t, r)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			body := bodyString(t, res)
			if strings.Contains(body, "secret") || strings.Contains(body, "dsn=") {
				t.Fatalf("internals leaked:\n%s", body)
			}
			if tt.json {
				var got struct {
					Status int    `json:"status"`
					Error  string `json:"error"`
				}
				if err := json.Unmarshal([]byte(body), &got); err != nil || got.Status != tt.status || got.Error == "" {
					t.Fatalf("JSON error body %q: %v", body, err)
				}
				return
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if st, _ := doc.Find(`[data-testid="error-page"]`).Attr("data-status"); st != itoa(tt.status) {
				t.Fatalf("error page status %q, body:\n%s", st, body)
			}
			hasHTML := strings.Contains(body, "<html")
			hasNav := doc.Find(`[data-testid="nav"]`).Length() == 1
			switch {
			case tt.layout && (!hasHTML || !hasNav):
				t.Error("want the layout with navigation")
			case tt.bare && (!hasHTML || hasNav):
				t.Error("want the bare page without navigation")
			case !tt.layout && !tt.bare && hasHTML:
				t.Error("want a fragment, got a full page")
			}
			if tt.logWant != "" && !strings.Contains(e.logs.String(), tt.logWant) {
				t.Errorf("log lacks %q:\n%s", tt.logWant, e.logs.String())
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t)
	if res := e.do(t, req{path: "/healthz"}); res.StatusCode != 200 || bodyString(t, res) != "ok" {
		t.Fatal("healthz not ok")
	}
	res := e.do(t, req{path: "/readyz"})
	if body := bodyString(t, res); res.StatusCode != 200 || body != "database: ok\nqueue: ok\n" {
		t.Fatalf("readyz %d %q", res.StatusCode, body)
	}
	e.queue.setErr(errors.New("dial tcp: connection refused"))
	res = e.do(t, req{path: "/readyz"})
	if body := bodyString(t, res); res.StatusCode != 503 || body != "database: ok\nqueue: failed\n" {
		t.Fatalf("readyz with queue down: %d %q", res.StatusCode, body)
	}
	e.queue.setErr(nil)
	must(t, e.db.Close())
	res = e.do(t, req{path: "/readyz"})
	if body := bodyString(t, res); res.StatusCode != 503 || body != "database: failed\nqueue: ok\n" {
		t.Fatalf("readyz with database down: %d %q", res.StatusCode, body)
	}
	if res := e.do(t, req{path: "/healthz"}); res.StatusCode != 200 {
		t.Fatalf("healthz must not depend on the database: %d", res.StatusCode)
	}
}

func TestStaticFiles(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"app.css", "app.js", "vendor/htmx.min.js", "vendor/pico.min.css"} {
		u := e.s.assets.URL(name)
		if !strings.Contains(u, "?v=") {
			t.Fatalf("%s: unversioned URL %q", name, u)
		}
		res := e.do(t, req{path: u})
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", u, res.StatusCode)
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q", u, cc)
		}
		ct := res.Header.Get("Content-Type")
		if (strings.HasSuffix(name, ".css") && !strings.HasPrefix(ct, "text/css")) || (strings.HasSuffix(name, ".js") && !strings.Contains(ct, "javascript")) {
			t.Errorf("%s: Content-Type %q", name, ct)
		}
		if res := e.do(t, req{path: "/static/" + name + "?v=old"}); !strings.Contains(res.Header.Get("Cache-Control"), "max-age=300") {
			t.Errorf("%s with a stale version cached long: %q", name, res.Header.Get("Cache-Control"))
		}
	}
	for _, bad := range []string{"/static/nope.css", "/static/", "/static/vendor", "/static/../go.mod", "/static/embed.go"} {
		if res := e.do(t, req{path: bad}); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", bad, res.StatusCode)
		}
	}
}

func TestRenderBuffersWholePage(t *testing.T) {
	e := newEnv(t)
	e.s.e.GET("/half", func(c echo.Context) error {
		return Render(c, http.StatusOK, templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
			if _, err := io.WriteString(w, "<p>half a page"); err != nil {
				return err
			}
			return errBoom
		}))
	})
	res := e.do(t, req{path: "/half"})
	body := bodyString(t, res)
	if res.StatusCode != http.StatusInternalServerError || strings.Contains(body, "half a page") {
		t.Fatalf("failed render sent %d with partial output:\n%s", res.StatusCode, body)
	}
}

func TestSessionCookieSlides(t *testing.T) {
	e := newEnv(t)
	token, _ := e.session(t)
	res := e.get(t, "/twins", token)
	ck := cookieNamed(res, sessionCookie)
	if ck == nil || ck.Value != token || ck.MaxAge != int(time.Hour.Seconds()) || !ck.HttpOnly {
		t.Fatalf("session cookie not refreshed with the TTL: %+v", ck)
	}
}

func TestStaticGzip(t *testing.T) {
	e := newEnv(t)
	want, err := fs.ReadFile(static.FS, "vendor/pico.min.css")
	if err != nil {
		t.Fatal(err)
	}
	res := e.do(t, req{path: e.s.assets.URL("vendor/pico.min.css"), header: map[string]string{"Accept-Encoding": "gzip"}})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("not compressed: %v", res.Header)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("decompressed %d bytes, want %d", len(got), len(want))
	}
}
