package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

// connEnv is a console with an engine, two emulated Jiras (A private, AB relay) stored as
// instances, and a logged-in admin.
type connEnv struct {
	*env
	sim    *jirasim.Sim
	a, ab  *models.Instance
	token  string
	csrf   string
	engine *engine.Engine
}

func newConnEnv(t *testing.T) *connEnv {
	t.Helper()
	return newConnEnvSeeded(t, nil)
}

// newConnEnvSeeded is newConnEnv with the relay seeded by abSeed (nil: the default seed).
func newConnEnvSeeded(t *testing.T, abSeed *jirasim.Seed) *connEnv {
	t.Helper()
	sim, err := jirasim.New(jirasim.Options{Name: "A", Knobs: jirasim.NoIndexLag()}, jirasim.Options{Name: "AB", Seed: abSeed, Knobs: jirasim.NoIndexLag()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.SessionTTL = time.Hour
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := models.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	db := modelstest.SQLite(t)
	admin := addUser(t, db, testAdmin)
	eng := &engine.Engine{DB: db, Logger: slog.New(slog.DiscardHandler), Clients: &engine.ClientPool{Sealer: sealer,
		Configure: func(c *jira.Config) { c.MaxRetries = 1 }}}
	logs := &syncBuffer{}
	s, err := New(Deps{Config: cfg, DB: db, Sealer: sealer, Queue: &fakeQueue{}, Engine: eng,
		Logger: slog.New(slog.NewTextHandler(logs, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ce := &connEnv{env: &env{s: s, db: db, queue: &fakeQueue{}, logs: logs, admin: admin}, sim: sim, engine: eng}
	ce.a = ce.addInstance(t, "A", models.RolePrivate)
	ce.ab = ce.addInstance(t, "AB", models.RoleRelay)
	var sess *models.Session
	ce.token, sess = ce.session(t)
	ce.csrf = sess.CSRFToken
	return ce
}

func (e *connEnv) addInstance(t *testing.T, name, role string) *models.Instance {
	t.Helper()
	in := &models.Instance{Name: name, BaseURL: e.sim.Instance(name).URL(), Role: role, AuthType: models.AuthBasic, Username: "airlock", MaxConcurrent: 4}
	if err := in.SetSecret(e.s.sealer, "airlock"); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Create(in).Error; err != nil {
		t.Fatal(err)
	}
	return in
}

// post sends a form with the session and its CSRF token.
func (e *connEnv) post(t *testing.T, path string, form url.Values, htmx bool) *http.Response {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", e.csrf)
	h := map[string]string{}
	if htmx {
		h["HX-Request"] = "true"
	}
	return e.do(t, req{method: http.MethodPost, path: path, form: form, header: h, cookies: []*http.Cookie{{Name: sessionCookie, Value: e.token}}})
}

// human is a Jira client acting as a person on an emulated instance.
func (e *connEnv) human(t *testing.T, inst string) *jira.Client {
	t.Helper()
	c, err := jira.New(jira.Config{BaseURL: e.sim.Instance(inst).URL(), Auth: jira.BasicAuth{User: "alice", Password: "alice"}, Instance: inst})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// connection stores a connection A -> AB with rules.
func (e *connEnv) connection(t *testing.T, rules engine.Rules) *models.Connection {
	t.Helper()
	doc, _ := json.Marshal(rules)
	cn := &models.Connection{Name: "A to relay", LocalInstanceID: e.a.ID, RemoteInstanceID: e.ab.ID, LocalProject: "ALPHA", RemoteProject: "RELAY",
		PollIntervalMS: 5000, Rules: string(doc), ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteIgnore}
	if err := e.db.Create(cn).Error; err != nil {
		t.Fatal(err)
	}
	return cn
}

// writesBy lists the write requests (not GET, not search) the sync user sent to an instance.
func (e *connEnv) writesBy(inst string) []string {
	var out []string
	for _, le := range e.sim.Instance(inst).Log().Entries() {
		if le.User == "airlock" && le.Method != http.MethodGet && !strings.HasSuffix(le.Path, "/search") {
			out = append(out, le.Method+" "+le.Path)
		}
	}
	return out
}

// formValues collects what a browser would submit for a form: inputs (checked boxes only),
// selected options (or the first), textareas.
func formValues(form *goquery.Selection) url.Values {
	v := url.Values{}
	form.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		name, ok := s.Attr("name")
		if !ok || name == "" {
			return
		}
		if _, disabled := s.Attr("disabled"); disabled {
			return
		}
		switch goquery.NodeName(s) {
		case "input":
			typ, _ := s.Attr("type")
			if typ == "checkbox" || typ == "radio" {
				if _, checked := s.Attr("checked"); !checked {
					return
				}
			}
			if typ == "submit" {
				return
			}
			val, _ := s.Attr("value")
			if (typ == "checkbox" || typ == "radio") && val == "" {
				val = "on"
			}
			v.Add(name, val)
		case "select":
			opt := s.Find("option[selected]").First()
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			val, _ := opt.Attr("value")
			v.Add(name, val)
		case "textarea":
			v.Add(name, s.Text())
		}
	})
	return v
}

func TestConnectionSetupValidation(t *testing.T) {
	e := newConnEnv(t)
	a, ab := strconv.Itoa(int(e.a.ID)), strconv.Itoa(int(e.ab.ID))
	valid := func() url.Values {
		return url.Values{"name": {"Ops"}, "poll_seconds": {"5"}, "local_instance": {a}, "local_project": {"ALPHA"},
			"remote_instance": {ab}, "remote_project": {"RELAY"}, "local_issuetypes": {"Task", "Bug"}}
	}
	tests := []struct {
		name   string
		change func(url.Values)
		errs   map[string]string // data-testid of the error -> text it must contain
	}{
		{"empty form", func(v url.Values) {
			for k := range v {
				v.Del(k)
			}
		}, map[string]string{"name-error": "Give the connection a name", "local-instance-error": "Choose the Jira", "remote-instance-error": "Choose the Jira"}},
		{"bad JQL shows Jira's words", func(v url.Values) { v.Set("local_jql", "labels = ") },
			map[string]string{"local-jql-error": "Jira says:"}},
		{"unknown JQL field", func(v url.Values) { v.Set("remote_jql", "nosuchfield = 3") },
			map[string]string{"remote-jql-error": "nosuchfield"}},
		{"poll too short", func(v url.Values) { v.Set("poll_seconds", "0.5") }, map[string]string{"poll-error": "minimum is 1 second"}},
		{"poll not a number", func(v url.Values) { v.Set("poll_seconds", "soon") }, map[string]string{"poll-error": "number of seconds"}},
		{"same instance twice", func(v url.Values) { v.Set("remote_instance", a) }, map[string]string{"remote-instance-error": "another Jira"}},
		{"unknown project", func(v url.Values) { v.Set("remote_project", "NOPE") }, map[string]string{"remote-project-error": "no project"}},
		{"unknown issue type", func(v url.Values) { v.Add("local_issuetypes", "Saga") }, map[string]string{"local-issuetypes-error": "Saga"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := valid()
			tt.change(form)
			res := e.post(t, "/connections", form, false)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.StatusCode)
			}
			doc := parse(t, res)
			for id, want := range tt.errs {
				got := squash(doc.Find(`[data-testid="` + id + `"]`).Text())
				if !strings.Contains(got, want) {
					t.Errorf("%s = %q, want it to contain %q", id, got, want)
				}
			}
			if n := doc.Find(`small.field-error`).Length(); n != len(tt.errs) {
				t.Errorf("%d field errors, want %d: %s", n, len(tt.errs), squash(doc.Find(`small.field-error`).Text()))
			}
			// Nothing typed is lost.
			kept := formValues(doc.Find(`[data-testid="connection-form"]`))
			for _, k := range []string{"name", "poll_seconds", "local_jql", "remote_jql", "local_project", "remote_project"} {
				if form.Get(k) != "" && kept.Get(k) != strings.TrimSpace(form.Get(k)) {
					t.Errorf("field %s came back as %q, typed %q", k, kept.Get(k), form.Get(k))
				}
			}
			if its := kept["local_issuetypes"]; form.Get("local_issuetypes") != "" && !strings.Contains(tt.name, "issue type") &&
				(len(its) != 2 || !slices.Contains(its, "Bug") || !slices.Contains(its, "Task")) {
				t.Errorf("issue types came back as %v", kept["local_issuetypes"])
			}
		})
	}
	var n int64
	e.db.Model(&models.Connection{}).Count(&n)
	if n != 0 {
		t.Errorf("%d connections stored by invalid forms", n)
	}
}

func TestConnectionCreate(t *testing.T) {
	e := newConnEnv(t)
	// The setup proposes the private instance locally and the relay remotely, with their projects.
	doc := parse(t, e.get(t, "/connections/new", e.token))
	form := formValues(doc.Find(`[data-testid="connection-form"]`))
	if form.Get("local_instance") != strconv.Itoa(int(e.a.ID)) || form.Get("remote_instance") != strconv.Itoa(int(e.ab.ID)) {
		t.Fatalf("proposed instances %q/%q", form.Get("local_instance"), form.Get("remote_instance"))
	}
	if doc.Find(`[data-testid="local-project"] option[value="ALPHA"]`).Length() != 1 {
		t.Fatal("the local project picker does not list ALPHA from Jira")
	}
	form.Set("name", "Ops to relay")
	form.Set("local_project", "ALPHA")
	form.Set("remote_project", "RELAY")
	form.Set("local_jql", "labels = shared")
	form.Set("poll_seconds", "2.5")
	res := e.post(t, "/connections", form, false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d: %s", res.StatusCode, squash(bodyString(t, res)))
	}
	var cn models.Connection
	if err := e.db.First(&cn).Error; err != nil {
		t.Fatal(err)
	}
	if got, want := res.Header.Get("Location"), "/connections/"+strconv.Itoa(int(cn.ID))+"/mapping"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if cn.LocalProject != "ALPHA" || cn.RemoteProject != "RELAY" || cn.LocalJQL != "labels = shared" || cn.PollIntervalMS != 2500 {
		t.Errorf("stored %+v", cn)
	}
	if _, err := engine.ParseRules(cn.Rules); err != nil || cn.Rules == "" {
		t.Errorf("rules %q: %v", cn.Rules, err)
	}
	// The same name again is refused.
	res = e.post(t, "/connections", form, false)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(squash(parse(t, res).Find(`[data-testid="name-error"]`).Text()), "already") {
		t.Errorf("duplicate name: status %d", res.StatusCode)
	}
}

func TestConnectionCheckJQLAndRefresh(t *testing.T) {
	e := newConnEnv(t)
	e.human(t, "A").CreateIssue(context.Background(), jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": "ALPHA"},
		"issuetype": map[string]string{"name": "Task"}, "summary": "one", "labels": []string{"shared"}}})
	a := strconv.Itoa(int(e.a.ID))
	tests := []struct {
		jql, testid, want string
	}{
		{"labels = shared", "local-jql-ok", "1 issue(s) match"},
		{"labels = ", "local-jql-error", "Jira says:"},
		{"", "", "No filter"},
	}
	for _, tt := range tests {
		res := e.post(t, "/connections/check-jql", url.Values{"side": {"local"}, "local_instance": {a}, "local_project": {"ALPHA"}, "local_jql": {tt.jql}}, true)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%q: status %d", tt.jql, res.StatusCode)
		}
		doc := parse(t, res)
		sel := doc.Find(`#local-jql-check`)
		if tt.testid != "" {
			sel = doc.Find(`[data-testid="` + tt.testid + `"]`)
		}
		if !strings.Contains(squash(sel.Text()), tt.want) {
			t.Errorf("%q: %q, want %q", tt.jql, squash(doc.Text()), tt.want)
		}
	}
	// Choosing an instance refreshes its side with that Jira's projects.
	res := e.post(t, "/connections/form", url.Values{"remote_instance": {strconv.Itoa(int(e.ab.ID))}, "remote_project": {"RELAY"}}, true)
	doc := parse(t, res)
	if doc.Find(`#side-remote [data-testid="remote-project"] option[value="RELAY"][selected]`).Length() != 1 {
		t.Error("refresh did not list and keep the RELAY project")
	}
	if doc.Find(`#side-remote [data-testid="remote-issuetype-Bug"]`).Length() != 1 {
		t.Error("refresh did not list the project's issue types")
	}
	if doc.Find(`small.field-error`).Length() != 0 {
		t.Error("a refresh must not validate")
	}
}

func TestConnectionMappingRoundTrip(t *testing.T) {
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	doc := parse(t, e.get(t, path, e.token))
	if got := doc.Find(`[data-testid="mapping-row"]`).Length(); got != len(engine.DefaultRules().Fields) {
		t.Fatalf("%d rows, want %d", got, len(engine.DefaultRules().Fields))
	}
	// Field pickers list what Jira reports: name, id and type.
	if doc.Find(`[data-testid="row-local"] option:contains("Summary (summary, string)")`).Length() == 0 {
		t.Error(`no "Summary (summary, string)" in the local field picker`)
	}
	if doc.Find(`[data-testid="row-remote"] option:contains("Severity (customfield_10102, option)")`).Length() == 0 {
		t.Error("the remote picker lacks the Severity custom field")
	}

	// Add a row (what htmx posts), then fill it as Severity on both sides.
	form := formValues(doc.Find(`[data-testid="mapping-form"]`))
	form.Set("op", "add")
	res := e.post(t, path, form, true)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("add row: %d", res.StatusCode)
	}
	doc = parse(t, res)
	rows := doc.Find(`[data-testid="mapping-row"]`)
	if rows.Length() != len(engine.DefaultRules().Fields)+1 {
		t.Fatalf("%d rows after add", rows.Length())
	}
	n := rows.Length() - 1
	form = formValues(doc.Find(`[data-testid="mapping-form"]`))
	form.Set("f"+strconv.Itoa(n)+".local", "customfield_10102")
	form.Set("f"+strconv.Itoa(n)+".remote", "customfield_10102")
	form.Set("op", "refresh")
	doc = parse(t, e.post(t, path, form, true))
	// The value map of the new select row is pre-filled by name.
	last := doc.Find(`[data-testid="mapping-row"]`).Last()
	if got := last.Find(`[data-testid="value-pair"]`).Length(); got != 3 {
		t.Fatalf("%d severity values, want 3", got)
	}
	form = formValues(doc.Find(`[data-testid="mapping-form"]`))
	if got := form["f"+strconv.Itoa(n)+".vr"]; strings.Join(got, "|") != "S1 - Critical|S2 - Major|S3 - Minor" {
		t.Errorf("pre-filled values %v", got)
	}
	form["f"+strconv.Itoa(n)+".vr"] = []string{"S2 - Major", "S2 - Major", ""}
	form.Set("f"+strconv.Itoa(n)+".name", "severity")
	form.Set("conflict", models.PolicyManual)
	form.Del("attachments_on")
	form.Set("attachments_max", "2")
	form.Set("comments_visibilities", "role:Developers")
	form.Del("notify_users")
	form.Set("op", "save")
	res = e.post(t, path, form, false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, squash(parse(t, res).Find(`.field-error, [data-testid="form-errors"]`).Text()))
	}
	var got models.Connection
	e.db.First(&got, cn.ID)
	rules, err := engine.ParseRules(got.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if got.ConflictPolicy != models.PolicyManual {
		t.Errorf("conflict policy %q", got.ConflictPolicy)
	}
	sev := rules.Fields[len(rules.Fields)-1]
	if sev.Name != "severity" || sev.Kind != engine.KindSelect || sev.Local != "customfield_10102" ||
		sev.Values["S1 - Critical"] != "S2 - Major" || sev.Values["S2 - Major"] != "S2 - Major" || len(sev.Values) != 2 {
		t.Errorf("severity rule %+v", sev)
	}
	if rules.Attachments.Enabled || rules.Attachments.MaxBytes != 2<<20 || rules.NotifyUsers == nil || *rules.NotifyUsers {
		t.Errorf("attachments %+v notify %v", rules.Attachments, rules.NotifyUsers)
	}
	if len(rules.Comments.AllowVisibilities) != 1 || rules.Comments.AllowVisibilities[0] != "role:Developers" {
		t.Errorf("visibilities %v", rules.Comments.AllowVisibilities)
	}
	// Loading and saving again changes nothing: the editor round-trips the rules.
	doc = parse(t, e.get(t, path, e.token))
	form = formValues(doc.Find(`[data-testid="mapping-form"]`))
	form.Set("op", "save")
	if res := e.post(t, path, form, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second save: %d", res.StatusCode)
	}
	var again models.Connection
	e.db.First(&again, cn.ID)
	r2, _ := engine.ParseRules(again.Rules)
	a, _ := json.Marshal(rules)
	b, _ := json.Marshal(r2)
	if string(a) != string(b) {
		t.Errorf("rules changed on a plain re-save:\n%s\n%s", a, b)
	}
	// Remove the row again.
	form.Set("op", "remove-"+strconv.Itoa(n))
	doc = parse(t, e.post(t, path, form, true))
	if got := doc.Find(`[data-testid="mapping-row"]`).Length(); got != n {
		t.Errorf("%d rows after remove, want %d", got, n)
	}
}

func TestConnectionMappingValidation(t *testing.T) {
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	base := formValues(parse(t, e.get(t, path, e.token)).Find(`[data-testid="mapping-form"]`))
	tests := []struct {
		name   string
		change func(url.Values)
		key    string // form key of the error
		want   string
	}{
		{"field missing on the remote Jira", func(v url.Values) { v.Set("f0.remote", "customfield_99999") }, "f0.remote", "no field"},
		{"duplicate shared name", func(v url.Values) { v.Set("f1.name", "summary") }, "f1.name", "used twice"},
		{"status kind on a text field", func(v url.Values) { v.Set("f0.kind", engine.KindStatus) }, "f0.kind", "Status field"},
		{"bad visibility", func(v url.Values) { v.Set("comments_visibilities", "everyone") }, "comments.visibilities", "group:NAME"},
		{"negative size", func(v url.Values) { v.Set("attachments_max", "-1") }, "attachments.max", "negative"},
		{"no conflict policy", func(v url.Values) { v.Del("conflict") }, "conflict", "Choose"},
		{"read-only target (Created -> Votes)", func(v url.Values) {
			v.Set("f0.local", "created")
			v.Set("f0.remote", "votes")
			v.Set("f0.kind", engine.KindText)
			v.Set("f0.dir", engine.DirOut)
		}, "f0.remote", "Jira would reject writes to Votes (votes)"},
		{"read-only field both ways", func(v url.Values) { v.Set("f0.local", "created"); v.Set("f0.kind", engine.KindText) }, "f0.local", "Created (created)"},
		{"unreadable field", func(v url.Values) { v.Set("f0.remote", "timetracking"); v.Set("f0.dir", engine.DirIn) }, "f0.remote", "does not return it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range base {
				form[k] = append([]string(nil), v...)
			}
			tt.change(form)
			form.Set("op", "save")
			res := e.post(t, path, form, false)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.StatusCode)
			}
			doc := parse(t, res)
			var msg string
			doc.Find(`[aria-invalid="true"]`).Each(func(_ int, s *goquery.Selection) {
				if n, _ := s.Attr("name"); n == tt.key || (tt.key == "comments.visibilities" && n == "comments_visibilities") ||
					(tt.key == "attachments.max" && n == "attachments_max") {
					msg = squash(s.Parent().Find("small").Text())
				}
			})
			if tt.key == "conflict" {
				msg = squash(doc.Find(`[data-testid="conflict-error"]`).Text())
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error beside %s = %q, want %q", tt.key, msg, tt.want)
			}
		})
	}
	var got models.Connection
	e.db.First(&got, cn.ID)
	if got.Rules != cn.Rules {
		t.Error("an invalid form changed the stored rules")
	}
}

func TestValuePairs(t *testing.T) {
	tests := []struct {
		name           string
		row            ruleInput
		local, remote  []string
		wantRemote     []string
		wantUnmapped   []bool
		wantRemoteOnly []string
	}{
		{"same names ignoring case", ruleInput{}, []string{"To Do", "in progress", "Done"}, []string{"To Do", "In Progress", "Done", "Blocked"},
			[]string{"To Do", "In Progress", "Done"}, []bool{false, false, false}, []string{"Blocked"}},
		{"saved map wins", ruleInput{Values: map[string]string{"Done": "Closed"}}, []string{"Done"}, []string{"Done", "Closed"},
			[]string{"Closed"}, []bool{false}, []string{"Done"}},
		{"unmapped value", ruleInput{}, []string{"Waiting"}, []string{"Open"}, []string{""}, []bool{true}, []string{"Open"}},
		{"left unmapped on purpose stays unmapped", ruleInput{Seen: []string{"done"}}, []string{"done"}, []string{"Done"},
			[]string{""}, []bool{true}, []string{"Done"}},
		{"stale saved entry is kept", ruleInput{Values: map[string]string{"Gone": "Done"}}, []string{"Done"}, []string{"Done"},
			[]string{"Done", "Done"}, []bool{false, false}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pairs, _, only := valuePairs(tt.row, tt.local, tt.remote)
			var got []string
			var unm []bool
			for _, p := range pairs {
				got = append(got, p.Remote)
				unm = append(unm, p.Unmapped)
			}
			if strings.Join(got, "|") != strings.Join(tt.wantRemote, "|") {
				t.Errorf("remote values %q, want %q", got, tt.wantRemote)
			}
			for i := range unm {
				if i < len(tt.wantUnmapped) && unm[i] != tt.wantUnmapped[i] {
					t.Errorf("unmapped %v, want %v", unm, tt.wantUnmapped)
					break
				}
			}
			if strings.Join(only, "|") != strings.Join(tt.wantRemoteOnly, "|") {
				t.Errorf("remote only %q, want %q", only, tt.wantRemoteOnly)
			}
		})
	}
}

func TestUserPairsMatchByNameThenEmail(t *testing.T) {
	local := []jira.User{{Name: "alice", EmailAddress: "a@x"}, {Name: "bob.l", EmailAddress: "Bob@X"}, {Name: "carol"}, {Name: "dave"}}
	remote := []jira.User{{Name: "ALICE"}, {Name: "bob", EmailAddress: "bob@x"}, {Name: "erin"}}
	in := mappingInput{Users: map[string]string{"dave": "erin"}}
	pairs, _, _ := userPairs(in, local, remote)
	want := map[string]string{"alice": "ALICE", "bob.l": "bob", "carol": "", "dave": "erin"}
	for _, p := range pairs {
		if p.Remote != want[p.Local] || p.Unmapped != (want[p.Local] == "") {
			t.Errorf("%s -> %q (unmapped %v), want %q", p.Local, p.Remote, p.Unmapped, want[p.Local])
		}
	}
}

func TestMappingValueMapsPrefilledFromJira(t *testing.T) {
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	doc := parse(t, e.get(t, "/connections/"+strconv.Itoa(int(cn.ID))+"/mapping", e.token))
	for _, tt := range []struct{ row, local, remote string }{
		{"status", "In Progress", "In Progress"}, {"priority", "High", "High"}, {"issuetype", "Bug", "Bug"},
	} {
		var found bool
		doc.Find(`[data-testid="mapping-row"]`).Each(func(_ int, row *goquery.Selection) {
			if v, _ := row.Find(`[data-testid="row-name"]`).Attr("value"); v != tt.row {
				return
			}
			row.Find(`[data-testid="value-pair"]`).Each(func(_ int, p *goquery.Selection) {
				if p.Find(`[data-testid="value-local"]`).Text() == tt.local {
					sel, _ := p.Find(`option[selected]`).Attr("value")
					found = sel == tt.remote
				}
			})
		})
		if !found {
			t.Errorf("%s: %s is not pre-filled with %s", tt.row, tt.local, tt.remote)
		}
	}
	if doc.Find(`[data-testid="user-pair"]`).Length() == 0 {
		t.Error("no user map")
	}
}

func TestConnectionPreviewWritesNothing(t *testing.T) {
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	is, err := e.human(t, "A").CreateIssue(context.Background(), jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": "ALPHA"},
		"issuetype": map[string]string{"name": "Bug"}, "summary": `<img src=x onerror=alert(1)> printer`, "priority": map[string]string{"name": "High"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range e.sim.Instances() {
		i.Log().Clear()
	}
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/preview"
	res := e.get(t, path+"?key="+is.Key, e.token)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	html := bodyString(t, res)
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(html))
	if doc.Find(`[data-testid="preview-would-create"]`).Length() != 1 {
		t.Errorf("no 'would create': %s", squash(doc.Find(`#preview-result`).Text()))
	}
	if !strings.Contains(doc.Find(`[data-testid="preview-payload"]`).Text(), `"project"`) {
		t.Error("no create payload")
	}
	if strings.Contains(html, "<img src=x") {
		t.Error("Jira data rendered unescaped")
	}
	if href, _ := doc.Find(`[data-testid="preview-issue"] a`).Attr("href"); href != e.a.BaseURL+"/browse/"+is.Key {
		t.Errorf("issue link %q", href)
	}
	for _, inst := range []string{"A", "AB"} {
		if w := e.writesBy(inst); len(w) > 0 {
			t.Errorf("preview wrote to %s: %v", inst, w)
		}
	}
	if e.sim.Instance("AB").IssueCount() != 0 {
		t.Error("an issue appeared on AB")
	}
	// An unknown key is answered beside the field, not with a 500.
	res = e.get(t, path+"?key=ALPHA-999", e.token)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unknown key: status %d", res.StatusCode)
	}
	if got := squash(parse(t, res).Find(`[data-testid="preview-key-error"]`).Text()); !strings.Contains(got, "No issue ALPHA-999") {
		t.Errorf("unknown key message %q", got)
	}
}

func TestConnectionPauseResume(t *testing.T) {
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	id := strconv.Itoa(int(cn.ID))
	for _, tt := range []struct {
		action, flash string
		paused        bool
		badge         string
	}{
		{"pause", "flash-warning", true, "paused"},
		{"pause", "flash-info", true, "paused"},
		{"resume", "flash-success", false, "active"},
	} {
		res := e.post(t, "/connections/"+id+"/"+tt.action, url.Values{"next": {"/connections"}}, false)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connections" {
			t.Fatalf("%s: %d to %q", tt.action, res.StatusCode, res.Header.Get("Location"))
		}
		var got models.Connection
		e.db.First(&got, cn.ID)
		if got.Paused != tt.paused {
			t.Errorf("after %s paused=%v", tt.action, got.Paused)
		}
		doc := parse(t, e.do(t, req{path: "/connections", cookies: append(res.Cookies(), &http.Cookie{Name: sessionCookie, Value: e.token})}))
		if doc.Find(`[data-testid="`+tt.flash+`"]`).Length() != 1 {
			t.Errorf("after %s: no %s flash", tt.action, tt.flash)
		}
		if got := squash(doc.Find(`[data-testid="connection-state"]`).Text()); got != tt.badge {
			t.Errorf("after %s: state %q", tt.action, got)
		}
	}
	// An open redirect is refused: next must be local.
	res := e.post(t, "/connections/"+id+"/pause", url.Values{"next": {"https://evil.example/"}}, false)
	if loc := res.Header.Get("Location"); loc != "/connections/"+id {
		t.Errorf("next to another site went to %q", loc)
	}
}

func TestConnectionListAndShow(t *testing.T) {
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	now := time.Now().UTC()
	lid, rid := "1", "2"
	e.db.Create(&models.Twin{ConnectionID: cn.ID, SyncID: "s1", State: models.TwinActive, LocalIssueID: &lid, LocalKey: "ALPHA-1", RemoteIssueID: &rid, RemoteKey: "RELAY-1"})
	e.db.Create(&models.Twin{ConnectionID: cn.ID, SyncID: "s2", State: models.TwinQuarantined, LocalKey: "ALPHA-2"})
	e.db.Create(&models.Watermark{ConnectionID: cn.ID, Side: models.SideLocal, LastPollAt: &now, LastPollOK: &now})
	e.db.Create(&models.Watermark{ConnectionID: cn.ID, Side: models.SideRemote, LastPollAt: &now, LastError: "jira AB: 503 <b>down</b>"})
	e.db.Create(&models.SyncError{ConnectionID: &cn.ID, Fingerprint: "f", Class: models.ClassConfig, Message: "m", FirstSeen: now, LastSeen: now})

	doc := parse(t, e.get(t, "/connections", e.token))
	row := doc.Find(`[data-testid="connection-row"]`)
	if row.Length() != 1 {
		t.Fatalf("%d rows", row.Length())
	}
	for id, want := range map[string]string{"connection-twins": "2 1 quarantined", "connection-errors": "1", "connection-state": "active"} {
		if got := squash(row.Find(`[data-testid="` + id + `"]`).Text()); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if !strings.Contains(row.Find(`[data-testid="poll-remote"]`).Text(), "503 <b>down</b>") {
		t.Error("the remote poll error is not shown (escaped)")
	}
	doc = parse(t, e.get(t, "/connections/"+strconv.Itoa(int(cn.ID)), e.token))
	for id, want := range map[string]string{"count-active": "1", "count-quarantined": "1", "count-errors": "1"} {
		if got := squash(doc.Find(`[data-testid="` + id + `"] .count-value`).Text()); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if doc.Find(`[data-testid="connection-side"]`).Length() != 2 {
		t.Error("both sides are not shown")
	}
	if res := e.get(t, "/connections/999", e.token); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown connection: %d", res.StatusCode)
	}
	// The scope editor is pre-filled and saves.
	doc = parse(t, e.get(t, "/connections/"+strconv.Itoa(int(cn.ID))+"/scope", e.token))
	form := formValues(doc.Find(`[data-testid="connection-form"]`))
	if form.Get("local_project") != "ALPHA" || form.Get("poll_seconds") != "5" {
		t.Fatalf("scope form %v", form)
	}
	// Moving a connection with twins to another project is refused beside the field.
	form.Set("remote_project", "ALPHA")
	form.Set("remote_instance", strconv.Itoa(int(e.a.ID)))
	form.Set("local_instance", strconv.Itoa(int(e.ab.ID)))
	form.Set("local_project", "RELAY")
	res := e.post(t, "/connections/"+strconv.Itoa(int(cn.ID))+"/scope", form, false)
	if res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(parse(t, res).Find(`[data-testid="local-instance-error"]`).Text(), "would orphan") {
		t.Errorf("moving a linked connection: status %d", res.StatusCode)
	}
	form.Set("local_instance", strconv.Itoa(int(e.a.ID)))
	form.Set("local_project", "ALPHA")
	form.Set("remote_instance", strconv.Itoa(int(e.ab.ID)))
	form.Set("remote_project", "RELAY")
	form.Set("poll_seconds", "1")
	if res := e.post(t, "/connections/"+strconv.Itoa(int(cn.ID))+"/scope", form, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save scope: %d %s", res.StatusCode, squash(parse(t, res).Find(`.field-error`).Text()))
	}
	var got models.Connection
	e.db.First(&got, cn.ID)
	if got.PollIntervalMS != 1000 {
		t.Errorf("poll interval %d", got.PollIntervalMS)
	}
}
