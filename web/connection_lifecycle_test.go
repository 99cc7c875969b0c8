package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// The filter's errors point into the filter, not the composed query; ORDER BY gets Airlock's
// own sentence, both beside the field and on save.
func TestScopeJQLErrorsPointIntoTheFilter(t *testing.T) {
	e := newConnEnv(t)
	a := strconv.Itoa(int(e.a.ID))
	for _, tt := range []struct{ jql, want string }{
		{"labels = x y", "(line 1, character 12 of your filter)"},
		{"labels ~~ x", "(line 1, character 9 of your filter)"},
		{"labels = shared ORDER BY key", errScopeOrderBy},
		{"labels = shared order  by created DESC", errScopeOrderBy},
	} {
		res := e.post(t, "/connections/check-jql", url.Values{"side": {"local"}, "local_instance": {a}, "local_project": {"ALPHA"}, "local_jql": {tt.jql}}, true)
		got := squash(parse(t, res).Find(`[data-testid="local-jql-error"]`).Text())
		if !strings.Contains(got, tt.want) {
			t.Errorf("%q: %q, want %q", tt.jql, got, tt.want)
		}
		if tt.want == errScopeOrderBy && got != errScopeOrderBy {
			t.Errorf("%q: %q, want exactly %q", tt.jql, got, errScopeOrderBy)
		}
	}
	if hasOrderBy(`summary ~ "order by"`) {
		t.Error("ORDER BY inside a quoted value is not an ORDER BY clause")
	}
	form := e.newForm(t, "Ordered")
	form.Set("local_jql", "labels = shared ORDER BY key")
	res := e.post(t, "/connections", form, false)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("save with ORDER BY: status %d", res.StatusCode)
	}
	if got := squash(parse(t, res).Find(`[data-testid="local-jql-error"]`).Text()); got != errScopeOrderBy {
		t.Errorf("save with ORDER BY: %q", got)
	}
}

func TestFilterProblemPositions(t *testing.T) {
	prefix := `project = "ALPHA" AND (`
	for _, tt := range []struct{ msg, filter, want string }{
		{"bad (line 1, character 35)", "labels = x y", "bad (line 1, character 12 of your filter)"},
		{"bad (line 1, character 5)", "x", "bad (line 1, character 5)"}, // in the prefix: left alone
		{"bad (line 1, character 25)", "x", "bad (at the end of your filter)"},
		{"bad (line 2, character 3)", "a = b\nc d", "bad (line 2, character 3 of your filter)"},
		{"no position", "x", "no position"},
	} {
		if got := filterProblem(tt.msg, prefix, tt.filter); got != tt.want {
			t.Errorf("filterProblem(%q, %q) = %q, want %q", tt.msg, tt.filter, got, tt.want)
		}
	}
}

// newForm is the setup form as the console proposes it, with a name and the ALPHA -> RELAY scope.
func (e *connEnv) newForm(t *testing.T, name string) url.Values {
	t.Helper()
	form := formValues(parse(t, e.get(t, "/connections/new", e.token)).Find(`[data-testid="connection-form"]`))
	form.Set("name", name)
	form.Set("local_project", "ALPHA")
	form.Set("remote_project", "RELAY")
	return form
}

func TestConnectionCreatedAsDraftSyncsNothing(t *testing.T) {
	e := newConnEnv(t)
	if _, err := e.human(t, "A").CreateIssue(context.Background(), jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": "ALPHA"},
		"issuetype": map[string]string{"name": "Task"}, "summary": "waiting"}}); err != nil {
		t.Fatal(err)
	}
	res := e.post(t, "/connections", e.newForm(t, "Draft one"), false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, squash(bodyString(t, res)))
	}
	var cn models.Connection
	e.db.First(&cn)
	if !cn.Draft || cn.ActivatedAt != nil {
		t.Fatalf("new connection draft=%v activated=%v", cn.Draft, cn.ActivatedAt)
	}
	if r, err := e.engine.Poll(context.Background(), cn.ID, models.SideLocal); err != nil || r.Hits != 0 || len(r.Dirty) != 0 {
		t.Fatalf("poll of a draft: %+v %v", r, err)
	}
	id := strconv.Itoa(int(cn.ID))
	doc := parse(t, e.get(t, "/connections/"+id, e.token))
	if doc.Find(`[data-testid="draft-notice"]`).Length() != 1 || doc.Find(`[data-testid="connection-activate"]`).Length() != 1 {
		t.Error("the overview of a draft does not say so or offer activation")
	}
	doc = parse(t, e.get(t, "/connections/"+id+"/activate", e.token))
	if got := squash(doc.Find(`[data-testid="activate-count-local"]`).Text()); !strings.Contains(got, "1 issue(s)") || !strings.Contains(got, "summary") {
		t.Errorf("activation page local side: %q", got)
	}
	if got := squash(doc.Find(`[data-testid="activate-preview"]`).Text()); !strings.Contains(got, "create a new issue") {
		t.Errorf("activation page preview: %q", got)
	}
	res = e.post(t, "/connections/"+id+"/activate", url.Values{"mode": {"new"}}, false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("activate: %d", res.StatusCode)
	}
	e.db.First(&cn, cn.ID)
	if cn.Draft || cn.ActivatedAt == nil {
		t.Fatalf("after activation draft=%v activated=%v", cn.Draft, cn.ActivatedAt)
	}
	var wm int64
	e.db.Model(&models.Watermark{}).Where("connection_id = ? AND cursor IS NOT NULL", cn.ID).Count(&wm)
	if wm != 2 {
		t.Errorf("%d watermarks set at activation, want 2", wm)
	}
}

func TestConnectionOverlapRefused(t *testing.T) {
	e := newConnEnv(t)
	e.connection(t, engine.DefaultRules()) // "A to relay": ALPHA -> RELAY, every issue type
	if _, err := e.human(t, "A").CreateIssue(context.Background(), jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": "ALPHA"},
		"issuetype": map[string]string{"name": "Task"}, "summary": "shared?", "labels": []string{"shared"}}}); err != nil {
		t.Fatal(err)
	}
	form := e.newForm(t, "Second")
	form.Set("local_jql", "labels = shared")
	res := e.post(t, "/connections", form, false)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("overlapping create: status %d", res.StatusCode)
	}
	msg := squash(parse(t, res).Find(`[data-testid="overlap-error"]`).Text())
	for _, want := range []string{"Second", "A to relay", "project ALPHA", "1 issue(s) match both now", "allow overlap"} {
		if !strings.Contains(msg, want) {
			t.Errorf("overlap message %q lacks %q", msg, want)
		}
	}
	var n int64
	e.db.Model(&models.Connection{}).Count(&n)
	if n != 1 {
		t.Fatalf("%d connections stored", n)
	}
	// Disjoint issue types are fine; so is an explicit allowance.
	form.Set("local_issuetypes", "Bug")
	form.Set("remote_issuetypes", "Bug")
	e.connectionTypes(t, "A to relay", "Task")
	if res := e.post(t, "/connections", form, false); res.StatusCode != http.StatusSeeOther {
		t.Errorf("disjoint issue types refused: %d %s", res.StatusCode, squash(parse(t, res).Find(`[data-testid="overlap-error"]`).Text()))
	}
	form = e.newForm(t, "Third")
	form.Set("allow_overlap", "1")
	if res := e.post(t, "/connections", form, false); res.StatusCode != http.StatusSeeOther {
		t.Errorf("allowed overlap refused: %d", res.StatusCode)
	}
	var third models.Connection
	e.db.Where("name = ?", "Third").First(&third)
	if !third.AllowOverlap {
		t.Error("allow_overlap not stored")
	}
}

func (e *connEnv) connectionTypes(t *testing.T, name, types string) {
	t.Helper()
	if err := e.db.Model(&models.Connection{}).Where("name = ?", name).Updates(map[string]any{"local_issue_types": types, "remote_issue_types": types}).Error; err != nil {
		t.Fatal(err)
	}
}

func TestConnectionDeleteAndInstanceDeleteLeadsThere(t *testing.T) {
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	lid, rid := "10000", "20000"
	tw := &models.Twin{ConnectionID: cn.ID, SyncID: "s1", State: models.TwinActive, LocalIssueID: &lid, RemoteIssueID: &rid, LocalKey: "ALPHA-1", RemoteKey: "RELAY-1"}
	e.db.Create(tw)
	cl := "c1"
	e.db.Create(&models.CommentTwin{TwinID: tw.ID, LocalID: &cl})
	connID := cn.ID
	e.db.Create(&models.SyncError{ConnectionID: &connID, Fingerprint: "f", Class: models.ClassConfig, Message: "boom"})
	e.db.Create(&models.Event{TwinID: tw.ID, ConnectionID: cn.ID, At: time.Now(), Direction: models.DirLocalToRemote, Kind: "field", Field: "summary", NewValue: "kept"})
	id := strconv.Itoa(int(cn.ID))

	doc := parse(t, e.get(t, "/instances/"+strconv.Itoa(int(e.a.ID))+"/delete", e.token))
	if href, _ := doc.Find(`[data-testid="delete-connection-link"]`).Attr("href"); href != "/connections/"+id+"/delete" {
		t.Errorf("instance delete page links %q", href)
	}
	doc = parse(t, e.get(t, "/connections/"+id+"/delete", e.token))
	for sel, want := range map[string]string{"delete-twins": "1 linked issue pair", "delete-comment-twins": "1 linked comment", "delete-errors": "1 open error"} {
		if got := squash(doc.Find(`[data-testid="` + sel + `"]`).Text()); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	res := e.post(t, "/connections/"+id+"/delete", nil, false)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connections" {
		t.Fatalf("delete: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	for _, m := range []any{&models.Connection{}, &models.Twin{}, &models.CommentTwin{}, &models.SyncError{}} {
		var n int64
		e.db.Model(m).Count(&n)
		if n != 0 {
			t.Errorf("%T: %d rows left", m, n)
		}
	}
	// What crossed stays on record, and the Activity page still shows it.
	if res := e.get(t, "/activity", e.token); res.StatusCode != http.StatusOK || !strings.Contains(bodyString(t, res), "kept") {
		t.Errorf("activity after the delete: %d", res.StatusCode)
	}
	if res := e.get(t, "/connections/"+id+"/delete", e.token); res.StatusCode != http.StatusNotFound {
		t.Errorf("delete page of a deleted connection: %d", res.StatusCode)
	}
}
