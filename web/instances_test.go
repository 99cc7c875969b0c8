package web

import (
	"context"
	"encoding/pem"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

// c1Env is a console with a credential sealer (newEnv has none) and a logged-in admin.
type c1Env struct {
	*env
	sealer *models.Sealer
	token  string
	csrf   string
}

func newC1Env(t *testing.T, q Queue) *c1Env {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.SessionTTL = time.Hour
	sealer, err := models.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	db := modelstest.SQLite(t)
	admin := addUser(t, db, testAdmin)
	if q == nil {
		q = &fakeQueue{}
	}
	logs := &syncBuffer{}
	s, err := New(Deps{Config: cfg, DB: db, Sealer: sealer, Queue: q, Logger: slog.New(slog.NewTextHandler(logs, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	fq, _ := q.(*fakeQueue)
	e := &c1Env{env: &env{s: s, db: db, queue: fq, logs: logs, admin: admin}, sealer: sealer}
	e.token, _ = e.sessionFor(t, admin)
	return e
}

// sessionFor logs u in directly and returns the cookie token; the env's CSRF is that session's.
func (e *c1Env) sessionFor(t *testing.T, u *models.User) (string, string) {
	t.Helper()
	token, sess, err := e.db.CreateSession(context.Background(), u, "127.0.0.1", "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.csrf = sess.CSRFToken
	return token, sess.CSRFToken
}

// post sends a form with the session and its CSRF token.
func (e *c1Env) post(t *testing.T, path string, form url.Values, htmx bool) *http.Response {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", e.csrf)
	h := map[string]string{}
	if htmx {
		h["HX-Request"] = "true"
	}
	return e.do(t, req{method: http.MethodPost, path: path, form: form, header: h,
		cookies: []*http.Cookie{{Name: sessionCookie, Value: e.token}}})
}

func (e *c1Env) page(t *testing.T, path string) (*goquery.Document, string) {
	t.Helper()
	res := e.get(t, path, e.token)
	body := bodyString(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, res.StatusCode, body)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc, body
}

// addInstance stores an instance with a sealed secret.
func (e *c1Env) addInstance(t *testing.T, name, base, user, secret string) *models.Instance {
	t.Helper()
	inst := &models.Instance{Name: name, BaseURL: base, Role: models.RolePrivate, AuthType: models.AuthBasic, Username: user, MaxConcurrent: 4}
	if secret != "" {
		if err := inst.SetSecret(e.sealer, secret); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.db.Create(inst).Error; err != nil {
		t.Fatal(err)
	}
	return inst
}

func instanceForm(name, base, user, secret string) url.Values {
	return url.Values{"name": {name}, "base_url": {base}, "role": {"private"}, "auth_type": {"basic"},
		"username": {user}, "secret": {secret}, "max_concurrent": {"8"}, "calls_per_second": {"0"},
		// These forms aim at hosts that do not answer: save without the Test before Save.
		"save_anyway": {"1"}}
}

func TestInstanceFormValidation(t *testing.T) {
	e := newC1Env(t, nil)
	e.addInstance(t, "Taken", "https://jira.example.com", "u", "pw")
	const secret = "typed-secret-value-42"
	tests := []struct {
		name  string
		edit  func(url.Values)
		field string
		want  string
	}{
		{"no name", func(v url.Values) { v.Set("name", "") }, "name", "Give the instance a name"},
		{"name taken", func(v url.Values) { v.Set("name", "taken") }, "name", "already has this name"},
		{"no url", func(v url.Values) { v.Set("base_url", "") }, "base_url", "Enter the address"},
		{"ftp url", func(v url.Values) { v.Set("base_url", "ftp://jira.example.com") }, "base_url", "must start with https://"},
		{"url with credentials", func(v url.Values) { v.Set("base_url", "https://bob:pw@jira.example.com") }, "base_url", "Do not put the user name"},
		{"url with query", func(v url.Values) { v.Set("base_url", "https://jira.example.com/?a=1") }, "base_url", "Remove the part after"},
		{"url of the REST API", func(v url.Values) { v.Set("base_url", "https://jira.example.com/rest/api/2") }, "base_url", "without /rest/api/2"},
		{"bad role", func(v url.Values) { v.Set("role", "boss") }, "role", "private or relay"},
		{"bad auth", func(v url.Values) { v.Set("auth_type", "oauth") }, "auth_type", "password or personal access token"},
		{"no user for basic", func(v url.Values) { v.Set("username", "") }, "username", "Jira login"},
		{"no secret", func(v url.Values) { v.Set("secret", "") }, "secret", "password"},
		{"ca not pem", func(v url.Values) { v.Set("ca_bundle", "hello") }, "ca_bundle", "No certificate found"},
		{"ca private key", func(v url.Values) {
			v.Set("ca_bundle", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})))
		}, "ca_bundle", "never a private key"},
		{"ca garbage cert", func(v url.Values) {
			v.Set("ca_bundle", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}})))
		}, "ca_bundle", "cannot be read"},
		{"concurrency zero", func(v url.Values) { v.Set("max_concurrent", "0") }, "max_concurrent", "1 to 64"},
		{"concurrency text", func(v url.Values) { v.Set("max_concurrent", "lots") }, "max_concurrent", "1 to 64"},
		{"rate negative", func(v url.Values) { v.Set("calls_per_second", "-1") }, "calls_per_second", "0 (no ceiling)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := instanceForm("Jira A", "https://jira.example.com/jira", "airlock", secret)
			tt.edit(v)
			res := e.post(t, "/instances", v, false)
			body := bodyString(t, res)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.StatusCode)
			}
			doc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
			if got := doc.Find(`[data-testid="error-` + tt.field + `"]`).Text(); !strings.Contains(got, tt.want) {
				t.Errorf("error beside %s = %q, want %q", tt.field, got, tt.want)
			}
			if inv, _ := doc.Find("#" + tt.field).Attr("aria-invalid"); inv != "true" {
				t.Errorf("field %s not marked invalid", tt.field)
			}
			if strings.Contains(body, secret) {
				t.Error("the typed secret was sent back")
			}
			if tt.field != "base_url" {
				if got, _ := doc.Find("#base_url").Attr("value"); got != "https://jira.example.com/jira" {
					t.Errorf("typed base URL lost: %q", got)
				}
			}
			var n int64
			e.db.Model(&models.Instance{}).Count(&n)
			if n != 1 {
				t.Errorf("%d instances after a refused save", n)
			}
		})
	}
}

func TestNormalizeBaseURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://jira.example.com/", "https://jira.example.com"},
		{"https://jira.example.com/jira/", "https://jira.example.com/jira"},
		{"http://10.0.0.5:8080", "http://10.0.0.5:8080"},
	}
	for _, tt := range tests {
		got, msg := normalizeBaseURL(tt.in)
		if msg != "" || got != tt.want {
			t.Errorf("normalizeBaseURL(%q) = %q, %q; want %q", tt.in, got, msg, tt.want)
		}
	}
}

func TestInstanceSecretNeverRendered(t *testing.T) {
	e := newC1Env(t, nil)
	const secret = "Sup3r-Secret-Passw0rd"
	res := e.post(t, "/instances", instanceForm("Jira A", "https://jira.example.com/jira/", "airlock", secret), false)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/instances" {
		t.Fatalf("create: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), bodyString(t, res))
	}
	var inst models.Instance
	if err := e.db.Where("name = ?", "Jira A").First(&inst).Error; err != nil {
		t.Fatal(err)
	}
	if inst.BaseURL != "https://jira.example.com/jira" {
		t.Errorf("base URL stored as %q", inst.BaseURL)
	}
	if got, err := inst.Secret(e.sealer); err != nil || got != secret {
		t.Fatalf("stored secret %q, %v", got, err)
	}
	if strings.Contains(string(inst.SecretEnc), secret) {
		t.Fatal("secret stored in clear")
	}
	for _, path := range []string{"/instances", "/instances/" + itoaU(inst.ID) + "/edit", "/instances/" + itoaU(inst.ID) + "/delete", "/settings", "/settings/export"} {
		_, body := e.page(t, path)
		if strings.Contains(body, secret) {
			t.Errorf("GET %s contains the secret", path)
		}
	}
	doc, _ := e.page(t, "/instances/"+itoaU(inst.ID)+"/edit")
	if v, _ := doc.Find(`#secret`).Attr("value"); v != "" {
		t.Errorf("edit form secret value %q", v)
	}
	if !strings.Contains(doc.Find(`label[for="secret"]`).Text(), "Leave empty to keep it") {
		t.Error("edit form does not say an empty secret keeps the stored one")
	}

	// Edit with an empty secret and a new name: the secret is kept and sealed under the new name.
	v := instanceForm("Jira Alpha", "https://jira.example.com/jira", "airlock", "")
	res = e.post(t, "/instances/"+itoaU(inst.ID), v, false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d\n%s", res.StatusCode, bodyString(t, res))
	}
	var after models.Instance
	e.db.First(&after, inst.ID)
	if after.Name != "Jira Alpha" {
		t.Fatalf("name %q", after.Name)
	}
	if got, err := after.Secret(e.sealer); err != nil || got != secret {
		t.Fatalf("secret after rename: %q, %v", got, err)
	}
	// A new secret replaces it.
	v.Set("secret", "another-secret-1")
	e.post(t, "/instances/"+itoaU(inst.ID), v, false)
	e.db.First(&after, inst.ID)
	if got, _ := after.Secret(e.sealer); got != "another-secret-1" {
		t.Fatalf("secret not replaced: %q", got)
	}
	if strings.Contains(e.logs.String(), secret) || strings.Contains(e.logs.String(), "another-secret-1") {
		t.Error("a secret reached the log")
	}
}

func itoaU(id uint) string { return strconv.FormatUint(uint64(id), 10) }

// serverCertPEM is the PEM of a TLS test server's certificate (its own CA).
func serverCertPEM(srv *httptest.Server) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
}

func TestInstanceTestConnectionWords(t *testing.T) {
	sim, err := jirasim.New(jirasim.Options{Name: "A", ContextPath: "/jira", Knobs: jirasim.NoIndexLag()})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	base := sim.Instance("A").URL()

	tlsSim, err := jirasim.NewInstance(jirasim.Options{Name: "T", Knobs: jirasim.NoIndexLag()})
	if err != nil {
		t.Fatal(err)
	}
	tlsSrv := httptest.NewTLSServer(tlsSim.Handler())
	defer tlsSrv.Close()

	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>Welcome to the intranet</body></html>"))
	}))
	defer html.Close()
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"errorMessages":["You do not have the permission to see the specified resource."],"errors":{}}`))
	}))
	defer forbidden.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()

	e := newC1Env(t, nil)
	tests := []struct {
		name          string
		form          url.Values
		ok            bool
		problem, hint string
		before        func()
	}{
		{name: "ok", form: instanceForm("A", base, "airlock", "airlock"), ok: true},
		{name: "token ok", form: func() url.Values {
			v := instanceForm("A", base, "", "airlock-pat-A")
			v.Set("auth_type", "pat")
			return v
		}(), ok: true},
		{name: "wrong password", form: instanceForm("A", base, "bob", "nope"), problem: "Wrong user name or password", hint: "CAPTCHA"},
		{name: "bad token", form: func() url.Values {
			v := instanceForm("A", base, "", "not-a-token")
			v.Set("auth_type", "pat")
			return v
		}(), problem: "refused the personal access token"},
		{name: "captcha", form: instanceForm("A", base, "alice", "wrong"), problem: "CAPTCHA", hint: "Log in to Jira once through the browser as alice",
			before: func() {
				for i := 0; i < 3; i++ {
					e.post(t, "/instances/test", instanceForm("A", base, "alice", "wrong"), true)
				}
			}},
		{name: "wrong context path", form: instanceForm("A", notFound.URL+"/jira", "airlock", "airlock"), problem: "Nothing answers as Jira", hint: "context path"},
		{name: "html page", form: instanceForm("A", html.URL, "airlock", "airlock"), problem: "web page, not with Jira's REST API"},
		{name: "no permission", form: instanceForm("A", forbidden.URL, "airlock", "airlock"), problem: "no permission"},
		{name: "unknown authority", form: instanceForm("A", tlsSrv.URL, "airlock", "airlock"), problem: "unknown authority", hint: "CA bundle"},
		{name: "with CA bundle", form: func() url.Values {
			v := instanceForm("A", tlsSrv.URL, "airlock", "airlock")
			v.Set("ca_bundle", serverCertPEM(tlsSrv))
			return v
		}(), ok: true},
		{name: "refused", form: instanceForm("A", refused, "airlock", "airlock"), problem: "Connection refused"},
		{name: "dns", form: instanceForm("A", "https://no-such-host.invalid", "airlock", "airlock"), problem: "cannot be found (DNS)"},
		{name: "fields missing", form: instanceForm("A", "", "airlock", "airlock"), problem: "Fill in the fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			res := e.post(t, "/instances/test", tt.form, true)
			body := bodyString(t, res)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d\n%s", res.StatusCode, body)
			}
			doc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
			if tt.ok {
				if doc.Find(`[data-testid="test-result-ok"]`).Length() != 1 {
					t.Fatalf("not ok:\n%s", body)
				}
				if z := doc.Find(`[data-testid="test-zone"]`).Text(); z != "Europe/Berlin" {
					t.Errorf("zone %q", z)
				}
				if !strings.Contains(body, "9.12") {
					t.Errorf("no Jira version in %s", body)
				}
				return
			}
			if got := doc.Find(`[data-testid="test-problem"]`).Text(); !strings.Contains(got, tt.problem) {
				t.Errorf("problem %q, want %q", got, tt.problem)
			}
			if got := doc.Find(`[data-testid="test-hint"]`).Text(); !strings.Contains(got, tt.hint) {
				t.Errorf("hint %q, want %q", got, tt.hint)
			}
			if sec := tt.form.Get("secret"); sec != "" && len(sec) > 5 && strings.Contains(body, sec) {
				t.Error("the secret is in the answer")
			}
		})
	}
	// No instance was written by testing form values.
	var n int64
	e.db.Model(&models.Instance{}).Count(&n)
	if n != 0 {
		t.Errorf("%d instances after form tests", n)
	}
}

func TestInstanceTestSavedStoresZoneAndUnblocks(t *testing.T) {
	sim, err := jirasim.New(jirasim.Options{Name: "A", Knobs: jirasim.NoIndexLag()})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	e := newC1Env(t, nil)
	inst := e.addInstance(t, "Jira A", sim.Instance("A").URL(), "airlock", "wrong-password")

	// A failing test records the error on the row.
	res := e.post(t, "/instances/"+itoaU(inst.ID)+"/test", nil, true)
	body := bodyString(t, res)
	if !strings.Contains(body, "Wrong user name or password") || !strings.Contains(body, `data-testid="health-failing"`) {
		t.Fatalf("failing test row:\n%s", body)
	}
	e.db.First(inst, inst.ID)
	if inst.ConsecutiveErrors != 1 || !strings.Contains(inst.LastError, "Wrong user name") {
		t.Errorf("row after failure: errors=%d last=%q", inst.ConsecutiveErrors, inst.LastError)
	}

	// The engine blocked it after a 401; the operator fixes the password, then resumes.
	e.db.Model(inst).Update("auth_blocked", true)
	doc, _ := e.page(t, "/instances")
	if doc.Find(`[data-testid="health-blocked"]`).Length() != 1 || doc.Find(`[data-testid="instance-resume"]`).Length() != 1 {
		t.Fatal("blocked instance without badge or resume button")
	}
	// Resume with the wrong password still: stays blocked.
	e.post(t, "/instances/"+itoaU(inst.ID)+"/resume", nil, true)
	e.db.First(inst, inst.ID)
	if !inst.AuthBlocked {
		t.Fatal("a failed test cleared the auth block")
	}
	// The password is fixed; a plain Test of the saved credentials clears the block and
	// resolves the instance's auth error, with no separate resume.
	if err := inst.SetSecret(e.sealer, "airlock"); err != nil {
		t.Fatal(err)
	}
	e.db.Model(inst).Update("secret_enc", inst.SecretEnc)
	now := time.Now().UTC()
	authErr := models.SyncError{InstanceID: &inst.ID, Fingerprint: "auth-a", Class: models.ClassAuth, Message: "401", FirstSeen: now, LastSeen: now}
	e.db.Create(&authErr)
	res = e.post(t, "/instances/"+itoaU(inst.ID)+"/test", nil, true)
	body = bodyString(t, res)
	e.db.First(inst, inst.ID)
	if inst.AuthBlocked || inst.TimeZone != "Europe/Berlin" || inst.LastOKAt == nil || inst.ConsecutiveErrors != 0 {
		t.Fatalf("after ok test: blocked=%v zone=%q lastOK=%v errors=%d", inst.AuthBlocked, inst.TimeZone, inst.LastOKAt, inst.ConsecutiveErrors)
	}
	if !strings.Contains(body, "Calls to this Jira are resumed") || !strings.Contains(body, `data-testid="health-ok"`) {
		t.Errorf("test answer:\n%s", body)
	}
	e.db.First(&authErr, authErr.ID)
	if authErr.ResolvedAt == nil || authErr.Resolution != "credentials tested" {
		t.Errorf("the auth error stays open: %+v", authErr)
	}
	// Resume on an unblocked instance is a plain test.
	res = e.post(t, "/instances/"+itoaU(inst.ID)+"/resume", nil, true)
	if body = bodyString(t, res); !strings.Contains(body, `data-testid="health-ok"`) {
		t.Errorf("resume answer:\n%s", body)
	}
}

func TestInstanceDeleteRefusedWhileUsed(t *testing.T) {
	e := newC1Env(t, nil)
	a := e.addInstance(t, "A", "https://a.example.com", "u", "pw")
	ab := e.addInstance(t, "AB", "https://ab.example.com", "u", "pw")
	spare := e.addInstance(t, "Spare", "https://spare.example.com", "u", "pw")
	conn := models.Connection{Name: "A to relay", LocalInstanceID: a.ID, RemoteInstanceID: ab.ID, LocalProject: "ALPHA", RemoteProject: "RELAY"}
	if err := e.db.Create(&conn).Error; err != nil {
		t.Fatal(err)
	}
	doc, _ := e.page(t, "/instances/"+itoaU(a.ID)+"/delete")
	if r := doc.Find(`[data-testid="delete-refused"]`); r.Length() != 1 || !strings.Contains(r.Text(), "A to relay") {
		t.Fatal("delete page does not refuse and name the connection")
	}
	res := e.post(t, "/instances/"+itoaU(a.ID)+"/delete", nil, false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", res.StatusCode)
	}
	if err := e.db.First(&models.Instance{}, a.ID).Error; err != nil {
		t.Fatal("a used instance was deleted")
	}
	doc, _ = e.page(t, "/instances/"+itoaU(spare.ID)+"/delete")
	if doc.Find(`[data-testid="delete-confirm"]`).Length() != 1 {
		t.Fatal("no confirmation for an unused instance")
	}
	e.post(t, "/instances/"+itoaU(spare.ID)+"/delete", nil, false)
	if err := e.db.First(&models.Instance{}, spare.ID).Error; err == nil {
		t.Fatal("unused instance not deleted")
	}
	if res := e.get(t, "/instances/999/edit", e.token); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown instance: %d, want 404", res.StatusCode)
	}
}

func TestInstanceListHealthBadges(t *testing.T) {
	e := newC1Env(t, nil)
	now := time.Now()
	e.addInstance(t, "Never", "https://n.example.com", "u", "pw")
	ok := e.addInstance(t, "Fine", "https://f.example.com", "u", "pw")
	e.db.Model(ok).Updates(map[string]any{"last_ok_at": now})
	bad := e.addInstance(t, "Broken", "https://b.example.com", "u", "pw")
	e.db.Model(bad).Updates(map[string]any{"last_ok_at": now.Add(-time.Hour), "last_error": "GET /rest/api/2/search: 503", "last_error_at": now, "consecutive_errors": 3})
	e.addInstance(t, "Imported", "https://i.example.com", "u", "")
	doc, _ := e.page(t, "/instances")
	want := map[string]string{"Never": "never checked", "Fine": "ok", "Broken": "failing", "Imported": "needs credentials"}
	doc.Find(`[data-testid="instance-row"]`).Each(func(_ int, r *goquery.Selection) {
		name := r.Find(`[data-testid="instance-name"]`).Text()
		if got := r.Find(`[data-testid="instance-health"] .badge`).Text(); got != want[name] {
			t.Errorf("%s: badge %q, want %q", name, got, want[name])
		}
		if name == "Broken" && !strings.Contains(r.Text(), "503") {
			t.Error("failing instance does not show its last error")
		}
	})
}
