package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
)

// errorsEnqueuer records what the engine hands to the queue.
type errorsEnqueuer struct {
	mu    sync.Mutex
	twins []uint
}

func (q *errorsEnqueuer) EnqueueReconcile(_ context.Context, twinID, _ uint) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.twins = append(q.twins, twinID)
	return nil
}

func (q *errorsEnqueuer) EnqueuePoll(context.Context, uint, string) error { return nil }

func (q *errorsEnqueuer) enqueued() []uint {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]uint(nil), q.twins...)
}

// errorsWithEngine rebuilds the env's console with an engine made from its database.
func errorsWithEngine(t *testing.T, e *env, build func(db *models.DB) *engine.Engine) {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.SessionTTL = time.Hour
	s, err := New(Deps{Config: cfg, DB: e.db, Queue: e.queue, Logger: slog.New(slog.NewTextHandler(e.logs, nil)), Version: "test", Engine: build(e.db)})
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
}

// errorsPost posts a form with the session and CSRF token, checks the redirect, follows it and
// returns the page it lands on.
func errorsPost(t *testing.T, e *env, token, csrf, path string, form url.Values) (*http.Response, *goquery.Document) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", csrf)
	res := e.do(t, req{method: http.MethodPost, path: path, form: form, cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}})
	if res.StatusCode != http.StatusSeeOther {
		return res, parse(t, res)
	}
	loc := res.Header.Get("Location")
	cookies := []*http.Cookie{{Name: sessionCookie, Value: token}}
	if f := cookieNamed(res, flashCookie); f != nil {
		cookies = append(cookies, f)
	}
	next := e.do(t, req{path: loc, cookies: cookies})
	return res, parse(t, next)
}

func flashText(doc *goquery.Document, kind string) string {
	return squash(doc.Find(`[data-testid="flash-` + kind + `"]`).Text())
}

// errorsSeed is two connections with twins and errors of several classes.
type errorsSeed struct {
	conn1, conn2          models.Connection
	inst                  models.Instance
	twinQ, twinU, twinOK  models.Twin
	errQ, errU, errResolv models.SyncError
}

func seedErrors(t *testing.T, db *models.DB) *errorsSeed {
	t.Helper()
	now := time.Now().UTC()
	s := &errorsSeed{}
	a := models.Instance{Name: "Jira A", BaseURL: "https://jira-a.example/jira", Username: "sync"}
	ab := models.Instance{Name: "Relay", BaseURL: "https://relay.example", Role: models.RoleRelay, Username: "sync"}
	must(t, db.Create(&a).Error, db.Create(&ab).Error)
	s.inst = ab
	s.conn1 = models.Connection{Name: "A to relay", LocalInstanceID: a.ID, RemoteInstanceID: ab.ID, LocalProject: "OPS", RemoteProject: "SHARE"}
	s.conn2 = models.Connection{Name: "Second", LocalInstanceID: a.ID, RemoteInstanceID: ab.ID, LocalProject: "SEC", RemoteProject: "SHARE2"}
	must(t, db.Create(&s.conn1).Error, db.Create(&s.conn2).Error)
	mk := func(conn uint, sid, state, lk, rk string) models.Twin {
		l, r := "1"+sid, "2"+sid
		tw := models.Twin{ConnectionID: conn, SyncID: sid, State: state, LocalIssueID: &l, LocalKey: lk, RemoteIssueID: &r, RemoteKey: rk}
		must(t, db.Create(&tw).Error)
		return tw
	}
	s.twinQ = mk(s.conn1.ID, "q", models.TwinQuarantined, "OPS-1", "SHARE-7")
	s.twinU = mk(s.conn1.ID, "u", models.TwinUnlinked, "OPS-2", "SHARE-8")
	s.twinOK = mk(s.conn2.ID, "k", models.TwinQuarantined, "SEC-1", "SHARE2-1")
	e := func(tw *models.Twin, conn *models.Connection, inst *models.Instance, class, msg string, ago time.Duration) models.SyncError {
		se := models.SyncError{Fingerprint: fmt.Sprint(class, msg), Class: class, Message: msg, Attempts: 2,
			FirstSeen: now.Add(-ago - time.Hour), LastSeen: now.Add(-ago)}
		if tw != nil {
			se.TwinID = &tw.ID
		}
		if conn != nil {
			se.ConnectionID = &conn.ID
		}
		if inst != nil {
			se.InstanceID = &inst.ID
		}
		must(t, db.Create(&se).Error)
		return se
	}
	s.errQ = e(&s.twinQ, &s.conn1, nil, models.ClassConfig, "Field 'customfield_1' cannot be set. It is not on the appropriate screen, or unknown.", time.Minute)
	e(&s.twinQ, &s.conn1, nil, models.ClassConfig, "no transition path to Done", 2*time.Minute)
	s.errU = e(&s.twinU, &s.conn1, nil, models.ClassConfig, "option S9 unknown", 3*time.Minute)
	e(nil, &s.conn1, nil, models.ClassTransient, "poll: timeout", 4*time.Minute)
	e(&s.twinOK, &s.conn2, nil, models.ClassData, "summary too long", 5*time.Minute)
	e(&s.twinOK, &s.conn2, nil, models.ClassData, "bad date", 6*time.Minute)
	e(nil, nil, &ab, models.ClassAuth, "401 AUTHENTICATED_FAILED", 7*time.Minute)
	s.errResolv = e(nil, &s.conn2, nil, models.ClassTransient, "old timeout", 8*time.Minute)
	must(t, db.Model(&models.SyncError{}).Where("id = ?", s.errResolv.ID).Updates(map[string]any{"resolved_at": now, "resolution": "retried"}).Error)
	return s
}

func TestErrorsGroupsAndFilters(t *testing.T) {
	e := newEnv(t)
	sd := seedErrors(t, e.db)
	token, sess := e.session(t)

	doc := parse(t, e.get(t, "/errors", token))
	assertLayout(t, doc, sess.CSRFToken, "Errors")
	groups := map[string]string{}
	doc.Find(`[data-testid="error-group"]`).Each(func(_ int, g *goquery.Selection) {
		cells := g.Find("td")
		groups[squash(cells.Eq(0).Text())+"/"+squash(cells.Eq(1).Text())] = squash(g.Find(`[data-testid="error-group-count"]`).Text())
	})
	want := map[string]string{"config/A to relay": "3", "transient/A to relay": "1", "data/Second": "2", "auth/no connection (instance or node)": "1"}
	if fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Errorf("groups %v, want %v", groups, want)
	}
	if got := squash(doc.Find(`[data-testid="errors-tab-open"]`).Text()); got != "Open (7)" {
		t.Errorf("open tab %q", got)
	}
	if got := squash(doc.Find(`[data-testid="errors-tab-resolved"]`).Text()); got != "Resolved (1)" {
		t.Errorf("resolved tab %q", got)
	}
	if doc.Find(`[data-testid="error-group-retry"]`).Length() != 0 {
		t.Error("retry buttons shown without an engine")
	}

	tests := []struct {
		name, query string
		rows        int
		contains    string
	}{
		{"all open", "", 7, "twin OPS-1 ↔ SHARE-7"},
		{"class", "class=config", 3, "no transition path"},
		// The connection's own two, and the auth error of Relay, one of its instances.
		{"connection", fmt.Sprintf("connection=%d", sd.conn2.ID), 3, "instance Relay"},
		{"class and connection", fmt.Sprintf("class=config&connection=%d", sd.conn2.ID), 0, ""},
		{"no connection", "connection=none", 1, "instance Relay"},
		{"twin by key", "twin=ops-1", 2, "cannot be set"},
		{"twin by number", fmt.Sprintf("twin=%d", sd.twinOK.ID), 2, "bad date"},
		{"resolved", "show=resolved", 1, "old timeout"},
		{"unknown class ignored", "class=bogus", 7, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parse(t, e.get(t, "/errors?"+tt.query, token))
			rows := doc.Find(`[data-testid="errors-table"] [data-testid="error-row"]`)
			if rows.Length() != tt.rows {
				t.Fatalf("%d rows, want %d: %s", rows.Length(), tt.rows, squash(rows.Text()))
			}
			if tt.rows == 0 && doc.Find(`[data-testid="errors-none-match"]`).Length() != 1 {
				t.Error("no 'nothing matches' message")
			}
			if !strings.Contains(rows.Text(), tt.contains) {
				t.Errorf("rows lack %q", tt.contains)
			}
		})
	}

	doc = parse(t, e.get(t, "/errors?twin=NOPE-9", token))
	if got := doc.Find(`[data-testid="filter-twin-problem"]`).Text(); !strings.Contains(got, "No twin holds the issue NOPE-9") {
		t.Errorf("twin problem %q", got)
	}
	if v, _ := doc.Find(`[data-testid="filter-twin"]`).Attr("value"); v != "NOPE-9" {
		t.Errorf("typed twin filter lost: %q", v)
	}
}

func TestErrorsPaging(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	rows := make([]models.SyncError, 0, errorsPageSize+5)
	for i := range errorsPageSize + 5 {
		rows = append(rows, models.SyncError{Fingerprint: fmt.Sprint(i), Class: models.ClassTransient, Message: fmt.Sprintf("m%03d", i),
			FirstSeen: now, LastSeen: now.Add(time.Duration(i) * time.Second)})
	}
	must(t, e.db.CreateInBatches(rows, 100).Error)
	token, _ := e.session(t)
	doc := parse(t, e.get(t, "/errors", token))
	if n := doc.Find(`[data-testid="error-row"]`).Length(); n != errorsPageSize {
		t.Fatalf("page 1 has %d rows", n)
	}
	next, _ := doc.Find(`[data-testid="errors-next"]`).Attr("href")
	doc = parse(t, e.get(t, next, token))
	if n := doc.Find(`[data-testid="error-row"]`).Length(); n != 5 || !strings.Contains(doc.Find(`[data-testid="error-row"]`).Last().Text(), "m000") {
		t.Errorf("page 2: %d rows, %q", n, squash(doc.Find(`[data-testid="error-row"]`).Text()))
	}
}

func TestErrorDetailEscapesJiraText(t *testing.T) {
	e := newEnv(t)
	sd := seedErrors(t, e.db)
	payload := `{"errorMessages":["<script>alert('x')</script>"],"errors":{"summary":"<img src=x onerror=alert(1)>"}}`
	must(t, e.db.Model(&models.SyncError{}).Where("id = ?", sd.errQ.ID).Updates(map[string]any{
		"request": "PUT /rest/api/2/issue/10001\n{\"fields\":{\"summary\":\"<b>bold</b>\"}}", "response": payload,
		"message": "Jira said <script>alert(1)</script>"}).Error)
	token, sess := e.session(t)
	res := e.get(t, fmt.Sprintf("/errors/%d", sd.errQ.ID), token)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	body := bodyString(t, res)
	for _, raw := range []string{"<script>alert", "<img src=x", "<b>bold"} {
		if strings.Contains(body, raw) {
			t.Errorf("page carries unescaped %q", raw)
		}
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	assertLayout(t, doc, sess.CSRFToken, "Errors")
	if got := doc.Find(`[data-testid="error-response"] pre`).Text(); got != payload {
		t.Errorf("response excerpt %q", got)
	}
	if got := doc.Find(`[data-testid="error-message"]`).Text(); got != "Jira said <script>alert(1)</script>" {
		t.Errorf("message %q", got)
	}
	if got := squash(doc.Find(`[data-testid="error-advice"]`).Text()); !strings.Contains(got, "Fix the mapping in the connection") {
		t.Errorf("advice %q", got)
	}
	if href, _ := doc.Find(`[data-testid="error-local-issue"]`).Attr("href"); href != "https://jira-a.example/jira/browse/OPS-1" {
		t.Errorf("local issue link %q", href)
	}
	if got := squash(doc.Find(`[data-testid="error-connection"]`).Text()); got != "A to relay" {
		t.Errorf("connection %q", got)
	}
	if got := doc.Find(`[data-testid="error-attempts"]`).Text(); got != "2" {
		t.Errorf("attempts %q", got)
	}
	for _, path := range []string{"/errors/999999", "/errors/abc"} {
		if res := e.get(t, path, token); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, res.StatusCode)
		}
	}
}

func TestErrorsRetryAndDismiss(t *testing.T) {
	type outcome struct {
		flashKind, flash string
		check            func(t *testing.T, db *models.DB, sd *errorsSeed, q *errorsEnqueuer)
	}
	open := func(db *models.DB) int64 {
		var n int64
		db.Model(&models.SyncError{}).Where("resolved_at IS NULL").Count(&n)
		return n
	}
	tests := []struct {
		name  string
		path  func(sd *errorsSeed) string
		form  func(sd *errorsSeed) url.Values
		noEng bool
		want  outcome
	}{
		{"retry one", func(sd *errorsSeed) string { return fmt.Sprintf("/errors/%d/retry", sd.errQ.ID) }, nil, false,
			outcome{"success", "Retried 1.", func(t *testing.T, db *models.DB, sd *errorsSeed, q *errorsEnqueuer) {
				var tw models.Twin
				db.First(&tw, sd.twinQ.ID)
				if tw.State != models.TwinActive || !tw.Dirty {
					t.Errorf("twin %s dirty=%v", tw.State, tw.Dirty)
				}
				var se models.SyncError
				db.First(&se, sd.errQ.ID)
				if se.ResolvedAt == nil || se.Resolution != "retried" {
					t.Errorf("error %+v", se)
				}
				if got := q.enqueued(); len(got) != 1 || got[0] != sd.twinQ.ID {
					t.Errorf("enqueued %v", got)
				}
				if n := open(db); n != 5 { // both errors of the twin are resolved
					t.Errorf("%d open errors left, want 5", n)
				}
			}}},
		{"retry all of a class and connection, one failed", func(*errorsSeed) string { return "/errors/retry-all" },
			func(sd *errorsSeed) url.Values {
				return url.Values{"class": {models.ClassConfig}, "connection": {fmt.Sprint(sd.conn1.ID)}}
			}, false,
			outcome{"warning", "Retried 1, 1 failed", func(t *testing.T, db *models.DB, sd *errorsSeed, q *errorsEnqueuer) {
				if n := open(db); n != 5 { // the unlinked twin's error stays open
					t.Errorf("%d open errors left, want 5", n)
				}
			}}},
		{"retry all of a twin", func(*errorsSeed) string { return "/errors/retry-all" },
			func(sd *errorsSeed) url.Values { return url.Values{"twin": {"SEC-1"}} }, false,
			outcome{"success", "Retried 1.", func(t *testing.T, db *models.DB, sd *errorsSeed, q *errorsEnqueuer) {
				if got := q.enqueued(); len(got) != 1 || got[0] != sd.twinOK.ID {
					t.Errorf("enqueued %v", got)
				}
			}}},
		{"retry all without a connection", func(*errorsSeed) string { return "/errors/retry-all" },
			func(sd *errorsSeed) url.Values { return url.Values{"connection": {"none"}} }, false,
			outcome{"success", "Retried 1.", func(t *testing.T, db *models.DB, sd *errorsSeed, q *errorsEnqueuer) {
				var inst models.Instance
				db.First(&inst, sd.inst.ID)
				if n := open(db); n != 6 {
					t.Errorf("%d open errors left, want 6", n)
				}
			}}},
		{"dismiss", func(sd *errorsSeed) string { return fmt.Sprintf("/errors/%d/dismiss", sd.errU.ID) }, nil, false,
			outcome{"success", fmt.Sprintf("Dismissed error #"), func(t *testing.T, db *models.DB, sd *errorsSeed, q *errorsEnqueuer) {
				var se models.SyncError
				db.First(&se, sd.errU.ID)
				if se.ResolvedAt == nil || se.Resolution != "dismissed" {
					t.Errorf("error %+v", se)
				}
				var tw models.Twin
				db.First(&tw, sd.twinU.ID)
				if tw.State != models.TwinUnlinked || len(q.enqueued()) != 0 {
					t.Error("dismiss touched the twin or the queue")
				}
			}}},
		{"dismiss twice", func(sd *errorsSeed) string { return fmt.Sprintf("/errors/%d/dismiss", sd.errResolv.ID) }, nil, false,
			outcome{"info", "was already resolved", nil}},
		{"retry a resolved error", func(sd *errorsSeed) string { return fmt.Sprintf("/errors/%d/retry", sd.errResolv.ID) }, nil, false,
			outcome{"info", "already resolved", nil}},
		{"retry without engine", func(sd *errorsSeed) string { return fmt.Sprintf("/errors/%d/retry", sd.errQ.ID) }, nil, true,
			outcome{"error", "needs the sync engine", func(t *testing.T, db *models.DB, sd *errorsSeed, q *errorsEnqueuer) {
				if n := open(db); n != 7 {
					t.Errorf("%d open errors, want 7", n)
				}
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			sd := seedErrors(t, e.db)
			q := &errorsEnqueuer{}
			if !tt.noEng {
				errorsWithEngine(t, e, func(db *models.DB) *engine.Engine { return &engine.Engine{DB: db, Enqueuer: q} })
			}
			token, sess := e.session(t)
			var form url.Values
			if tt.form != nil {
				form = tt.form(sd)
			}
			res, doc := errorsPost(t, e, token, sess.CSRFToken, tt.path(sd), form)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d", res.StatusCode)
			}
			if got := flashText(doc, tt.want.flashKind); !strings.Contains(got, tt.want.flash) {
				t.Errorf("flash-%s %q, want %q (page flashes: %q)", tt.want.flashKind, got, tt.want.flash, squash(doc.Find(`[data-testid="flashes"]`).Text()))
			}
			if tt.want.check != nil {
				tt.want.check(t, e.db, sd, q)
			}
		})
	}
}

func TestErrorsRetryKeepsFilter(t *testing.T) {
	e := newEnv(t)
	sd := seedErrors(t, e.db)
	errorsWithEngine(t, e, func(db *models.DB) *engine.Engine { return &engine.Engine{DB: db, Enqueuer: &errorsEnqueuer{}} })
	token, sess := e.session(t)
	for back, want := range map[string]string{"/errors?class=data": "/errors?class=data", "https://evil.example/errors": "/errors", "/settings": "/errors"} {
		res := e.do(t, req{method: http.MethodPost, path: fmt.Sprintf("/errors/%d/dismiss", sd.errQ.ID),
			form: url.Values{"_csrf": {sess.CSRFToken}, "back": {back}}, cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}})
		if got := res.Header.Get("Location"); got != want {
			t.Errorf("back %q went to %q, want %q", back, got, want)
		}
	}
	// Without the CSRF token nothing happens.
	res := e.do(t, req{method: http.MethodPost, path: fmt.Sprintf("/errors/%d/retry", sd.errU.ID), cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("retry without CSRF: %d", res.StatusCode)
	}
}

func parseString(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
