package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

// formSeeds are valid-looking forms of the console's handlers, the starting points of
// FuzzFormHandlers (the fuzzer then mutates them, and tries each against every route).
var formSeeds = []string{
	"name=A2&base_url=https%3A%2F%2Fjira.example.com%2Fjira&role=private&auth_type=basic&username=sync&secret=pw&max_concurrent=8&calls_per_second=0",
	"name=P&base_url=http%3A%2F%2F127.0.0.1%3A1&auth_type=pat&secret=t&ca_bundle=-----BEGIN+CERTIFICATE-----%0Axx%0A-----END+CERTIFICATE-----",
	"username=bob&password=a-long-password-1&password_confirm=a-long-password-1&is_admin=on",
	"password=short&confirm=other",
	"class=auth&connection=1",
	"class=&connection=abc",
	"decision=local",
	"decision=edited&value=%7B%22x%22%3A1%7D",
	"decision=remote&value=",
	"connection=1&jql=project+%3D+ALPHA&kind=field&field=customfield_10100&side=remote&confirm=yes",
	"connection=99999999999999999999&jql=%22unterminated&limit=-1",
	"text=version%3A+1%0Ainstances%3A+%5B%5D%0Aconnections%3A+%5B%5D%0A",
	"name=%00%FF%F0&base_url=%5B%3A%3A1%5D&max_concurrent=1e9&calls_per_second=NaN",
}

// FuzzFormHandlers drives every unsafe console route (from Routes(), so new forms are covered
// without editing this target) with a logged-in session, a valid CSRF token and fuzzed form
// values and :id. No answer may be a 5xx (a panic is turned into a 500 by recoverPanics), except
// 503 where a page says plainly that it needs a service this test console does not run.
func FuzzFormHandlers(f *testing.F) {
	for i, s := range formSeeds {
		f.Add(uint8(i), "1", s)
		f.Add(uint8(i*7+3), "x", s)
	}
	f.Add(uint8(0), "-1", "")
	f.Add(uint8(5), "18446744073709551616", "_csrf=forged")
	e := fuzzEnv(f)
	e.s.engine = &engine.Engine{DB: e.db, Logger: slog.New(slog.DiscardHandler),
		Clients: &engine.ClientPool{Sealer: e.sealer, Configure: func(c *jira.Config) { c.MaxRetries = -1 }}}
	seedFuzzRows(f, e)
	var routes []RouteInfo
	for _, r := range e.s.Routes() {
		if !r.Public && unsafeMethod(r.Method) && r.Name != RouteLogout {
			routes = append(routes, r)
		}
	}
	sort.Slice(routes, func(i, j int) bool { return routes[i].Path+routes[i].Method < routes[j].Path+routes[j].Method })
	f.Fuzz(func(t *testing.T, which uint8, id string, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		r := routes[int(which)%len(routes)]
		path := strings.ReplaceAll(r.Path, ":id", url.PathEscape(id))
		if _, err := url.ParseRequestURI(path); err != nil || strings.ContainsAny(id, "/?#") {
			return
		}
		form.Set("_csrf", e.csrf)
		hr := httptest.NewRequest(r.Method, path, strings.NewReader(form.Encode()))
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		hr.AddCookie(&http.Cookie{Name: sessionCookie, Value: e.token})
		if which%2 == 1 {
			hr.Header.Set("HX-Request", "true")
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rec := httptest.NewRecorder()
		e.s.Handler().ServeHTTP(rec, hr.WithContext(ctx))
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %s form %q: %d\n%.2000s", r.Method, path, raw, rec.Code, rec.Body.String())
		}
	})
}

// seedFuzzRows gives the :id routes something to find: an instance on a closed port (calls
// fail at once), a connection, a twin, an error and a conflict.
func seedFuzzRows(tb testing.TB, e *c1Env) {
	tb.Helper()
	a := fuzzInstance(tb, e, "A", "http://127.0.0.1:1")
	ab := fuzzInstance(tb, e, "AB", "http://127.0.0.1:1/ab")
	for _, q := range []string{
		`INSERT INTO connections (name, local_instance_id, remote_instance_id, local_project, remote_project, poll_interval_ms, conflict_policy, deletion_policy, paused) VALUES ('A-AB', ?, ?, 'ALPHA', 'RELAY', 5000, 'manual', 'ignore', false)`,
	} {
		if err := e.db.Exec(q, a.ID, ab.ID).Error; err != nil {
			tb.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO twins (connection_id, sync_id, state, local_issue_id, local_key, remote_issue_id, remote_key, baseline, dirty, error_count) VALUES (1, 's1', 'quarantined', '10001', 'ALPHA-1', '20001', 'RELAY-1', '{"summary":"x"}', false, 2)`,
		`INSERT INTO sync_errors (twin_id, connection_id, fingerprint, class, message, attempts, first_seen, last_seen) VALUES (1, 1, 'fp', 'data', 'bad value', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
		`INSERT INTO conflicts (twin_id, field, baseline, local_value, remote_value, decision, created_at) VALUES (1, 'summary', '"b"', '"l"', '"r"', '', CURRENT_TIMESTAMP)`,
	} {
		if err := e.db.Exec(q).Error; err != nil {
			tb.Fatal(err)
		}
	}
}

// fuzzEnv is newC1Env for a fuzz target (which has a *testing.F, not a *testing.T).
func fuzzEnv(tb testing.TB) *c1Env {
	tb.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	cfg.SessionTTL = time.Hour
	sealer, err := models.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		tb.Fatal(err)
	}
	db := modelstest.SQLite(tb)
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		tb.Fatal(err)
	}
	admin := &models.User{Username: testAdmin, PasswordHash: string(h), IsAdmin: true}
	if err := db.Create(admin).Error; err != nil {
		tb.Fatal(err)
	}
	s, err := New(Deps{Config: cfg, DB: db, Sealer: sealer, Queue: &fakeQueue{}, Logger: slog.New(slog.DiscardHandler), Version: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	e := &c1Env{env: &env{s: s, db: db, logs: &syncBuffer{}, admin: admin}, sealer: sealer}
	token, sess, err := db.CreateSession(context.Background(), admin, "127.0.0.1", "fuzz", time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	e.token, e.csrf = token, sess.CSRFToken
	return e
}

func fuzzInstance(tb testing.TB, e *c1Env, name, base string) *models.Instance {
	tb.Helper()
	inst := &models.Instance{Name: name, BaseURL: base, Role: models.RolePrivate, AuthType: models.AuthBasic, Username: "sync", MaxConcurrent: 4}
	if err := inst.SetSecret(e.sealer, "pw-"+name); err != nil {
		tb.Fatal(err)
	}
	if err := e.db.Create(inst).Error; err != nil {
		tb.Fatal(err)
	}
	return inst
}

// FuzzPlanImport feeds arbitrary YAML to the configuration import: it never panics, and a
// plan without problems applies to an empty database without error.
func FuzzPlanImport(f *testing.F) {
	for _, s := range []string{
		"version: 1\ninstances:\n  - name: A\n    base_url: https://a.example.com/jira\n    role: private\n    auth_type: basic\n    username: sync\n    max_concurrent: 4\n    calls_per_second: 0\n  - name: AB\n    base_url: https://ab.example.com\n    role: relay\n    auth_type: pat\n    max_concurrent: 8\n    calls_per_second: 2.5\nconnections:\n  - name: A-AB\n    local: A\n    remote: AB\n    local_project: ALPHA\n    remote_project: RELAY\n    local_issue_types: [Task, Bug]\n    poll_interval: 30s\n    conflict_policy: newest\n    deletion_policy: ignore\n    rules:\n      fields:\n        - {name: summary, kind: text, local: summary, remote: summary}\n",
		"",
		"version: 2\n",
		"instances: {}\n",
		"version: 1\ninstances:\n  - name: A\n    base_url: ftp://x\nconnections:\n  - name: c\n    local: nope\n    remote: A\n    poll_interval: -1s\n    rules: [1, 2]\n",
		"version: 1\nunknown: true\n",
		"- a\n- b\n",
		"version: 1\nconnections:\n  - name: x\n    rules:\n      fields:\n        - name: a\n          kind: select\n          values: {S1: Critical}\n",
		"&a [*a]",
	} {
		f.Add(s)
	}
	e := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, doc string) {
		ctx := context.Background()
		p, err := planImport(ctx, e.db.DB, []byte(doc), nil)
		if err != nil {
			t.Fatalf("planImport returned an error instead of problems: %v", err)
		}
		if !p.preview.Valid() {
			return
		}
		// A clean plan applies; the transaction is rolled back so every input meets the same
		// empty configuration.
		tx := e.db.DB.Begin()
		defer tx.Rollback()
		if _, _, err := applyImport(ctx, tx, p); err != nil {
			t.Fatalf("a plan without problems failed to apply: %v\n%s", err, doc)
		}
	})
}
