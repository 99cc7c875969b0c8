package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// seedTwins makes n twins spread over two connections; every seventh is quarantined.
func seedTwins(t testing.TB, db *models.DB, n int) (models.Connection, models.Connection) {
	t.Helper()
	a := models.Instance{Name: "Jira A", BaseURL: "https://jira-a.example/jira/", Role: models.RolePrivate}
	ab := models.Instance{Name: "Relay", BaseURL: "https://relay.example", Role: models.RoleRelay}
	b := models.Instance{Name: "Jira B", BaseURL: "https://jira-b.example", Role: models.RolePrivate}
	if err := db.Create(&a).Error; err != nil {
		t.Fatal(err)
	}
	db.Create(&ab)
	db.Create(&b)
	c1 := models.Connection{Name: "A-relay", LocalInstanceID: a.ID, RemoteInstanceID: ab.ID, LocalProject: "OPS", RemoteProject: "SHARE"}
	c2 := models.Connection{Name: "relay-B", LocalInstanceID: b.ID, RemoteInstanceID: ab.ID, LocalProject: "DEV", RemoteProject: "SHARE"}
	db.Create(&c1)
	db.Create(&c2)
	// One INSERT ... SELECT over a generated sequence: seeding 10,000 rows through gorm one by
	// one would dominate the test's time (minutes under -race).
	now := time.Now().UTC()
	err := db.Exec(`INSERT INTO twins (connection_id, sync_id, state, local_issue_id, local_key, remote_issue_id, remote_key,
		baseline, dirty, error_count, created_at, updated_at)
		WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		SELECT CASE WHEN i % 2 = 0 THEN ? ELSE ? END, 'sync-' || CAST(i AS TEXT),
			CASE WHEN i % 7 = 0 THEN ? ELSE ? END,
			CAST(10000 + i AS TEXT), CASE WHEN i % 2 = 0 THEN 'DEV-' ELSE 'OPS-' END || CAST(i AS TEXT),
			CAST(20000 + i AS TEXT), 'SHARE-' || CAST(i AS TEXT), '', false, 0, ?, ?
		FROM seq ORDER BY i`, n, c2.ID, c1.ID, models.TwinQuarantined, models.TwinActive, now, now).Error
	if err != nil {
		t.Fatal(err)
	}
	return c1, c2
}

func TestTwinListFiltersPagingAndFind(t *testing.T) {
	e := newEnv(t)
	c1, _ := seedTwins(t, e.db, 120)
	token, sess := e.session(t)

	doc := parse(t, e.get(t, "/twins", token))
	assertLayout(t, doc, sess.CSRFToken, "Twins")
	if n := doc.Find(`[data-testid="twin-row"]`).Length(); n != 50 {
		t.Errorf("%d rows, want 50", n)
	}
	if got := squash(doc.Find(`[data-testid="twins-total"]`).Text()); got != "Showing 1–50 of 120 twins, newest first." {
		t.Errorf("total line %q", got)
	}
	first := doc.Find(`[data-testid="twin-row"]`).First()
	if !strings.Contains(first.Text(), "SHARE-120") {
		t.Errorf("first row %q, want the newest twin", squash(first.Text()))
	}
	if href, _ := first.Find(`a[href*="/browse/"]`).First().Attr("href"); href != "https://jira-b.example/browse/DEV-120" {
		t.Errorf("Jira link %q", href)
	}
	next, _ := doc.Find(`[data-testid="twins-pager-next"]`).Attr("href")
	if next != "/twins?page=2" {
		t.Errorf("next link %q", next)
	}

	tests := []struct {
		name, query string
		rows        int
		total       string
	}{
		{"last page", "page=3", 20, "101–120 of 120"},
		{"page past the end shows the last", "page=99", 20, "101–120 of 120"},
		{"state", "state=quarantined", 17, "1–17 of 17"},
		{"connection", fmt.Sprintf("connection=%d", c1.ID), 50, "1–50 of 60"},
		{"connection and state", fmt.Sprintf("connection=%d&state=quarantined", c1.ID), 9, "1–9 of 9"},
		{"start of a key", "q=dev-11", 5, "1–5 of 5"},
		{"unknown state is ignored", "state=bogus", 50, "1–50 of 120"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parse(t, e.get(t, "/twins?"+tt.query, token))
			if n := doc.Find(`[data-testid="twin-row"]`).Length(); n != tt.rows {
				t.Errorf("%d rows, want %d", n, tt.rows)
			}
			if got := doc.Find(`[data-testid="twins-total"]`).Text(); !strings.Contains(got, tt.total) {
				t.Errorf("total %q, want %q", squash(got), tt.total)
			}
		})
	}

	// Filters are kept in the form and in the pager's links.
	doc = parse(t, e.get(t, fmt.Sprintf("/twins?connection=%d", c1.ID), token))
	if v, _ := doc.Find(`[data-testid="twin-connection"] option[selected]`).Attr("value"); v != fmt.Sprint(c1.ID) {
		t.Errorf("connection filter not kept: %q", v)
	}
	if next, _ := doc.Find(`[data-testid="twins-pager-next"]`).Attr("href"); next != fmt.Sprintf("/twins?connection=%d&page=2", c1.ID) {
		t.Errorf("next link %q", next)
	}

	// An exact key (either side, any case) opens the twin.
	for _, q := range []string{"OPS-7", "share-7", " SHARE-7 "} {
		res := e.get(t, "/twins?q="+url.QueryEscape(q), token)
		var tw models.Twin
		e.db.Where("remote_key = ?", "SHARE-7").First(&tw)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != fmt.Sprintf("/twins/%d", tw.ID) {
			t.Errorf("q=%q: %d to %q", q, res.StatusCode, res.Header.Get("Location"))
		}
	}
	doc = parse(t, e.get(t, "/twins?q=NOPE-1", token))
	if !strings.Contains(doc.Find(`[data-testid="twins-notice"]`).Text(), "NOPE-1") || doc.Find(`[data-testid="twins-none"]`).Length() != 1 {
		t.Error("a key no twin holds should say so")
	}
	if v, _ := doc.Find(`[data-testid="twin-q"]`).Attr("value"); v != "NOPE-1" {
		t.Errorf("search not kept: %q", v)
	}
	// LIKE wildcards are literal.
	doc = parse(t, e.get(t, "/twins?q="+url.QueryEscape("%"), token))
	if n := doc.Find(`[data-testid="twin-row"]`).Length(); n != 0 {
		t.Errorf("%% matched %d twins", n)
	}
}

// TestTwinListFastWith10000 keeps the list page's query count fixed and its time low with
// 10,000 twins.
func TestTwinListFastWith10000(t *testing.T) {
	if testing.Short() {
		t.Skip("seeding 10,000 twins")
	}
	e := newEnv(t)
	c1, _ := seedTwins(t, e.db, 10000)
	token, _ := e.session(t)
	var mu sync.Mutex
	queries := 0
	if err := e.db.Callback().Query().After("gorm:query").Register("test:count", func(*gorm.DB) {
		mu.Lock()
		queries++
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/twins", "/twins?page=150", "/twins?state=quarantined&page=20",
		fmt.Sprintf("/twins?connection=%d&page=50", c1.ID), "/twins?q=DEV-99"} {
		mu.Lock()
		queries = 0
		mu.Unlock()
		start := time.Now()
		res := e.get(t, path, token)
		took := time.Since(start)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		if n := parse(t, res).Find(`[data-testid="twin-row"]`).Length(); n == 0 {
			t.Errorf("%s: no rows", path)
		}
		mu.Lock()
		q := queries
		mu.Unlock()
		// Session, the layout's blocked instances, connections, instances, (exact find,) count,
		// page: never one per row.
		if q > 8 {
			t.Errorf("%s: %d queries", path, q)
		}
		if limit := 2 * time.Second; took > limit && !(raceDetector && took < 10*limit) {
			t.Errorf("%s took %s", path, took)
		}
		t.Logf("%s: %d queries, %s", path, q, took)
	}
}

// twinWorld is a console with the engine on emulated Jiras A and AB.
type twinWorld struct {
	*env
	sim    *jirasim.Sim
	enq    *fakeEnqueuer
	conn   models.Connection
	a, ab  models.Instance
	alice  map[string]*jira.Client
	sealer *models.Sealer
}

// fakeEnqueuer records what the engine dispatches.
type fakeEnqueuer struct {
	mu         sync.Mutex
	reconciles []uint
}

func (f *fakeEnqueuer) EnqueueReconcile(_ context.Context, twinID, _ uint) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reconciles = append(f.reconciles, twinID)
	return nil
}

func (f *fakeEnqueuer) EnqueuePoll(context.Context, uint, string) error { return nil }

func newTwinWorld(t *testing.T) *twinWorld {
	t.Helper()
	e := newEnv(t)
	sim, err := jirasim.New(jirasim.Options{Name: "A", Knobs: jirasim.NoIndexLag()}, jirasim.Options{Name: "AB", Knobs: jirasim.NoIndexLag()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	key := make([]byte, 32)
	rand.Read(key)
	sealer, err := models.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	w := &twinWorld{env: e, sim: sim, enq: &fakeEnqueuer{}, sealer: sealer, alice: map[string]*jira.Client{}}
	for _, p := range []struct {
		name string
		dst  *models.Instance
		role string
	}{{"A", &w.a, models.RolePrivate}, {"AB", &w.ab, models.RoleRelay}} {
		*p.dst = models.Instance{Name: p.name, BaseURL: sim.Instance(p.name).URL(), Role: p.role, AuthType: models.AuthBasic, Username: "airlock"}
		if err := p.dst.SetSecret(sealer, "airlock"); err != nil {
			t.Fatal(err)
		}
		must(t, e.db.Create(p.dst).Error)
		c, err := jira.New(jira.Config{BaseURL: sim.Instance(p.name).URL(), Auth: jira.BasicAuth{User: "alice", Password: "alice"}, Instance: p.name})
		if err != nil {
			t.Fatal(err)
		}
		w.alice[p.name] = c
	}
	w.conn = models.Connection{Name: "A-relay", LocalInstanceID: w.a.ID, RemoteInstanceID: w.ab.ID,
		LocalProject: jirasim.DefaultProjectKey("A"), RemoteProject: jirasim.DefaultProjectKey("AB"), ConflictPolicy: models.PolicyNewestWins}
	must(t, e.db.Create(&w.conn).Error)
	e.s.sealer = sealer
	e.s.engine = &engine.Engine{DB: e.db, Enqueuer: w.enq, Clients: &engine.ClientPool{Sealer: sealer, Configure: func(c *jira.Config) {
		c.MaxRetries = -1
	}}}
	return w
}

// issue creates an issue as alice and returns its id and key.
func (w *twinWorld) issue(t *testing.T, inst string, fields map[string]any) (string, string) {
	t.Helper()
	f := map[string]any{"project": map[string]string{"key": jirasim.DefaultProjectKey(inst)}, "issuetype": map[string]string{"name": "Task"}}
	for k, v := range fields {
		f[k] = v
	}
	c, err := w.alice[inst].CreateIssue(context.Background(), jira.IssueInput{Fields: f})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID, c.Key
}

// linkedTwin makes a twin of two fresh issues whose baseline holds summary as agreed.
func (w *twinWorld) linkedTwin(t *testing.T, localSummary, remoteSummary, agreed string) models.Twin {
	t.Helper()
	lid, lkey := w.issue(t, "A", map[string]any{"summary": localSummary, "description": "same"})
	rid, rkey := w.issue(t, "AB", map[string]any{"summary": remoteSummary, "description": "same"})
	base := engine.Baseline{Local: engine.Shared{"summary": agreed, "description": "same"}, Remote: engine.Shared{"summary": agreed, "description": "same"}}
	tw := models.Twin{ConnectionID: w.conn.ID, SyncID: "s-" + lkey, State: models.TwinActive, LocalIssueID: &lid, LocalKey: lkey,
		RemoteIssueID: &rid, RemoteKey: rkey, Baseline: base.String()}
	must(t, w.db.Create(&tw).Error)
	return tw
}

func TestTwinPageAgainstEmulator(t *testing.T) {
	w := newTwinWorld(t)
	payload := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	tw := w.linkedTwin(t, "Edited locally "+payload, "Agreed", "Agreed")
	must(t, w.db.Create(&models.Conflict{TwinID: tw.ID, Field: "labels", LocalValue: `["a"]`, RemoteValue: `["b"]`}).Error,
		w.db.Create(&models.Event{TwinID: tw.ID, ConnectionID: w.conn.ID, At: time.Now().UTC(), Direction: models.DirLocalToRemote, Kind: "field", Field: "summary", NewValue: payload}).Error)
	token, sess := w.session(t)

	res := w.get(t, fmt.Sprintf("/twins/%d", tw.ID), token)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	raw := bodyString(t, res)
	if strings.Contains(raw, "<script>alert") || strings.Contains(raw, "<img src=x") {
		t.Fatal("Jira data rendered unescaped")
	}
	res = w.get(t, fmt.Sprintf("/twins/%d", tw.ID), token)
	doc := parse(t, res)
	assertLayout(t, doc, sess.CSRFToken, "Twins")
	if got := doc.Find(`[data-testid="twin-local-summary"]`).Text(); got != "Edited locally "+payload {
		t.Errorf("local summary %q", got)
	}
	if got := doc.Find(`[data-testid="twin-remote-summary"]`).Text(); got != "Agreed" {
		t.Errorf("remote summary %q", got)
	}
	if href, _ := doc.Find(`[data-testid="twin-local-link"]`).Attr("href"); href != w.a.BaseURL+"/browse/"+tw.LocalKey {
		t.Errorf("local link %q", href)
	}
	if href, _ := doc.Find(`[data-testid="twin-remote-link"]`).Attr("href"); href != w.ab.BaseURL+"/browse/"+tw.RemoteKey {
		t.Errorf("remote link %q", href)
	}
	for field, want := range map[string]string{"summary": "pending", "description": "in-sync", "labels": "conflict"} {
		if got, _ := doc.Find(`[data-testid="twin-field-` + field + `"]`).Attr("data-state"); got != want {
			t.Errorf("%s: state %q, want %q", field, got, want)
		}
	}
	if n := doc.Find(`[data-testid="twin-history-row"]`).Length(); n != 1 {
		t.Errorf("%d history rows", n)
	}
	if doc.Find(`[data-testid="twin-conflicts"]`).Length() != 1 {
		t.Error("open conflict not listed")
	}
	form := doc.Find(`form:has([data-testid="twin-resync"])`)
	if a, _ := form.Attr("action"); a != fmt.Sprintf("/twins/%d/resync", tw.ID) {
		t.Errorf("resync form action %q", a)
	}
	if v, _ := form.Find(`input[name="_csrf"]`).Attr("value"); v != sess.CSRFToken {
		t.Error("resync form lacks the CSRF token")
	}

	// A failing twin shows its pending field as error.
	must(t, w.db.Model(&models.Twin{}).Where("id = ?", tw.ID).Update("last_error", "field summary is not on the screen").Error)
	doc = parse(t, w.get(t, fmt.Sprintf("/twins/%d", tw.ID), token))
	if got, _ := doc.Find(`[data-testid="twin-field-summary"]`).Attr("data-state"); got != "error" {
		t.Errorf("failing twin: summary %q, want error", got)
	}
	if !strings.Contains(doc.Find(`[data-testid="twin-last-error"]`).Text(), "not on the screen") {
		t.Error("last error not shown")
	}

	// Unreachable Jira: its side says so, the page still renders.
	down := models.Instance{Name: "Down", BaseURL: "http://127.0.0.1:1", Role: models.RoleRelay, AuthType: models.AuthBasic, Username: "airlock"}
	must(t, down.SetSecret(w.sealer, "x"), w.db.Create(&down).Error)
	c2 := models.Connection{Name: "A-down", LocalInstanceID: w.a.ID, RemoteInstanceID: down.ID, LocalProject: "ALPHA", RemoteProject: "X"}
	must(t, w.db.Create(&c2).Error)
	lid, lkey := w.issue(t, "A", map[string]any{"summary": "far"})
	rid := "1"
	tw2 := models.Twin{ConnectionID: c2.ID, SyncID: "down", State: models.TwinActive, LocalIssueID: &lid, LocalKey: lkey, RemoteIssueID: &rid, RemoteKey: "X-1"}
	must(t, w.db.Create(&tw2).Error)
	start := time.Now()
	res = w.get(t, fmt.Sprintf("/twins/%d", tw2.ID), token)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("unreachable side: status %d", res.StatusCode)
	}
	doc = parse(t, res)
	if msg := doc.Find(`[data-testid="twin-remote-error"]`).Text(); !strings.Contains(msg, "Down") {
		t.Errorf("unreachable remote: %q", msg)
	}
	if got := doc.Find(`[data-testid="twin-local-summary"]`).Text(); got != "far" {
		t.Errorf("reachable side not shown: %q", got)
	}
	if got, _ := doc.Find(`[data-testid="twin-field-summary"]`).Attr("data-state"); got != "unknown" {
		t.Errorf("unknown state expected with a side unread, got %q", got)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("unreachable Jira held the page for %s", time.Since(start))
	}

	// Unlink: confirm page, then the property goes from both issues.
	doc = parse(t, w.get(t, fmt.Sprintf("/twins/%d/unlink", tw.ID), token))
	cf := doc.Find(`[data-testid="twin-unlink-confirm"] form`)
	if a, _ := cf.Attr("action"); a != fmt.Sprintf("/twins/%d/unlink", tw.ID) {
		t.Errorf("unlink form action %q", a)
	}
	for _, side := range []struct{ inst, key string }{{"A", tw.LocalKey}, {"AB", tw.RemoteKey}} {
		if err := w.alice[side.inst].SetProperty(context.Background(), side.key, engine.TwinProperty, engine.TwinValue{V: 1,
			Links: map[string]engine.TwinLink{engine.ConnectionKey(&w.a, &w.ab, &w.conn): {SyncID: tw.SyncID}}}); err != nil {
			t.Fatal(err)
		}
	}
	res = w.post(t, fmt.Sprintf("/twins/%d/unlink", tw.ID), token, sess.CSRFToken)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != fmt.Sprintf("/twins/%d", tw.ID) {
		t.Fatalf("unlink: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if f := flashesOf(w.s, res); !strings.Contains(f, "unlinked") || !strings.Contains(f, tw.LocalKey+" and "+tw.RemoteKey) {
		t.Errorf("unlink flash %q", f)
	}
	var got models.Twin
	w.db.First(&got, tw.ID)
	if got.State != models.TwinUnlinked {
		t.Errorf("state %s", got.State)
	}
	for inst, key := range map[string]string{"A": tw.LocalKey, "AB": tw.RemoteKey} {
		raw, err := w.alice[inst].GetProperty(context.Background(), key, engine.TwinProperty)
		if err == nil && len(engine.ParseTwinValue(raw).Links) != 0 {
			t.Errorf("%s still linked: %s", key, raw)
		}
	}
	doc = parse(t, w.get(t, fmt.Sprintf("/twins/%d", tw.ID), token))
	if doc.Find(`[data-testid="twin-unlinked"]`).Length() != 1 || doc.Find(`[data-testid="twin-resync"]`).Length() != 0 {
		t.Error("unlinked twin still offers actions")
	}
}

// post sends a form with the CSRF token and the session.
func (e *env) post(t *testing.T, path, token, csrf string) *http.Response {
	t.Helper()
	return e.do(t, req{method: http.MethodPost, path: path, form: url.Values{"_csrf": {csrf}},
		cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}})
}

// flashesOf decodes the flashes a response set.
func flashesOf(s *Server, res *http.Response) string {
	ck := cookieNamed(res, flashCookie)
	if ck == nil {
		return ""
	}
	var out []string
	for _, f := range s.decodeFlashes(ck.Value) {
		out = append(out, string(f.Kind)+": "+f.Message)
	}
	return strings.Join(out, " | ")
}

func TestTwinResync(t *testing.T) {
	e := newEnv(t)
	seedTwins(t, e.db, 3)
	var tw models.Twin
	e.db.Where("remote_key = ?", "SHARE-2").First(&tw)
	token, sess := e.session(t)
	path := fmt.Sprintf("/twins/%d/resync", tw.ID)

	// Without the engine nothing changes and the flash says why.
	res := e.post(t, path, token, sess.CSRFToken)
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(flashesOf(e.s, res), "error: Resync needs the sync engine") {
		t.Errorf("no engine: %d %q", res.StatusCode, flashesOf(e.s, res))
	}

	enq := &fakeEnqueuer{}
	e.s.engine = &engine.Engine{DB: e.db, Enqueuer: enq}
	tests := []struct {
		name, csrf string
		status     int
		flash      string
		enqueued   int
	}{
		{"without the CSRF token", "", http.StatusForbidden, "", 0},
		{"queued", sess.CSRFToken, http.StatusSeeOther, "success: Resync of DEV-2 ↔ SHARE-2 queued", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.post(t, path, token, tt.csrf)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			if tt.flash != "" && !strings.Contains(flashesOf(e.s, res), tt.flash) {
				t.Errorf("flash %q, want %q", flashesOf(e.s, res), tt.flash)
			}
			if len(enq.reconciles) != tt.enqueued {
				t.Errorf("enqueued %v", enq.reconciles)
			}
		})
	}
	var got models.Twin
	e.db.First(&got, tw.ID)
	if !got.Dirty || got.DirtySince == nil || enq.reconciles[0] != tw.ID {
		t.Errorf("twin dirty %v since %v, enqueued %v", got.Dirty, got.DirtySince, enq.reconciles)
	}
	// Unlinked twins are not resynced; unknown twins are 404.
	e.db.Model(&models.Twin{}).Where("id = ?", tw.ID).Update("state", models.TwinUnlinked)
	res = e.post(t, path, token, sess.CSRFToken)
	if !strings.Contains(flashesOf(e.s, res), "warning: Twin DEV-2 ↔ SHARE-2 is unlinked") {
		t.Errorf("unlinked: %q", flashesOf(e.s, res))
	}
	for _, p := range []string{"/twins/99999/resync", "/twins/abc/resync"} {
		if res := e.post(t, p, token, sess.CSRFToken); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
	if res := e.get(t, "/twins/99999", token); res.StatusCode != http.StatusNotFound {
		t.Errorf("missing twin page: %d", res.StatusCode)
	}
}
