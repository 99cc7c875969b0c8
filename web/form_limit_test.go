package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
)

// big is a 2 MB field value, twice the form limit.
var big = strings.Repeat("x", 2<<20)

// A 2 MB instance form comes back as the form (issue 12.6): the limit and the field are named,
// the other fields are as typed, and nothing is saved.
func TestOversizedInstanceFormKeepsTheOtherFields(t *testing.T) {
	e := newC1Env(t, nil)
	res := e.post(t, "/instances", url.Values{"name": {"Jira A"}, "base_url": {"https://a.example.com/jira"}, "auth_type": {models.AuthBasic},
		"username": {"sync-user"}, "secret": {"pw-123"}, "ca_bundle": {big}}, false)
	body := bodyString(t, res)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d: %.300s", res.StatusCode, body)
	}
	doc := parseString(t, body)
	if v, _ := doc.Find(`input[name="name"]`).Attr("value"); v != "Jira A" {
		t.Errorf("name %q not kept", v)
	}
	if v, _ := doc.Find(`input[name="base_url"]`).Attr("value"); v != "https://a.example.com/jira" {
		t.Errorf("base_url %q not kept", v)
	}
	if v, _ := doc.Find(`input[name="username"]`).Attr("value"); v != "sync-user" {
		t.Errorf("username %q not kept", v)
	}
	if msg := squash(doc.Find(".flash-error").Text()); !strings.Contains(msg, "1 MB") || !strings.Contains(msg, "ca_bundle") {
		t.Errorf("no message naming the limit and the field: %q", msg)
	}
	if !strings.Contains(squash(doc.Find(`[data-testid="instance-form"]`).Text()), "larger than the 1 MB limit") {
		t.Error("no error beside the field")
	}
	var n int64
	e.db.Model(&models.Instance{}).Count(&n)
	if n != 0 {
		t.Errorf("%d instances saved", n)
	}
}

// The same for the connection form, whose fields are read with FormParams.
func TestOversizedConnectionFormKeepsTheOtherFields(t *testing.T) {
	e := newConnEnv(t)
	form := formValues(parse(t, e.get(t, "/connections/new", e.token)).Find(`[data-testid="connection-form"]`))
	form.Set("name", "Ops to relay")
	form.Set("local_project", "ALPHA")
	form.Set("remote_project", "RELAY")
	form.Set("poll_seconds", "7")
	form.Set("local_jql", big)
	res := e.post(t, "/connections", form, false)
	body := bodyString(t, res)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d: %.300s", res.StatusCode, body)
	}
	doc := parseString(t, body)
	if v, _ := doc.Find(`[data-testid="conn-name"]`).Attr("value"); v != "Ops to relay" {
		t.Errorf("name %q not kept", v)
	}
	if v, _ := doc.Find(`input[name="poll_seconds"]`).Attr("value"); v != "7" {
		t.Errorf("poll %q not kept", v)
	}
	if msg := squash(doc.Find(".flash-error").Text()); !strings.Contains(msg, "1 MB") || !strings.Contains(msg, "local_jql") {
		t.Errorf("no message naming the limit and the field: %q", msg)
	}
	var n int64
	e.db.Model(&models.Connection{}).Count(&n)
	if n != 0 {
		t.Errorf("%d connections saved", n)
	}

	// The mapping editor: Save with a 2 MB value map shows the editor again, rules unchanged.
	cn := e.connection(t, engine.DefaultRules())
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	form = formValues(parse(t, e.get(t, path, e.token)).Find(`[data-testid="mapping-form"]`))
	form.Set("op", "save")
	form.Set("value_map_0", big)
	res = e.post(t, path, form, false)
	body = bodyString(t, res)
	if msg := squash(parseString(t, body).Find(".flash-error").Text()); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(msg, "1 MB") || !strings.Contains(msg, "value_map_0") {
		t.Errorf("mapping: %d, message %q", res.StatusCode, msg)
	}
	var after models.Connection
	e.db.First(&after, cn.ID)
	if after.Rules != cn.Rules {
		t.Error("the mapping was saved")
	}
}

// Every configuration form, with one of its own fields at 2 MB: the page comes back naming the
// limit and the field, never the bare "Too large" page, and nothing in the database changes.
func TestEveryFormRouteKeepsAnOversizedForm(t *testing.T) {
	e := fullEnv(t)
	forms := []struct{ path, field string }{
		{"/instances", "name"},
		{"/instances/1", "username"},
		{"/connections", "local_jql"},
		{"/connections/1/scope", "name"},
		{"/settings/users", "username"},
		{"/settings/users/1/password", "password"},
		{"/settings/import", "yaml"},
		{"/bulk/sync", "jql"},
	}
	for _, f := range forms {
		if !hasRoutePath(e.s.Routes(), f.path) {
			t.Errorf("no route %s", f.path)
			continue
		}
		before := rowCounts(t, e.db)
		res := e.post(t, f.path, url.Values{f.field: {big}, "kept": {"kept"}}, false)
		body := bodyString(t, res)
		if res.StatusCode == http.StatusRequestEntityTooLarge || res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d", f.path, res.StatusCode)
			continue
		}
		if res.StatusCode == http.StatusServiceUnavailable {
			t.Logf("%s: 503, needs the engine", f.path)
			continue // the page needs the engine, which this console has not: see the engine-backed tests
		}
		if msg := squash(body); !strings.Contains(msg, "1 MB limit") || !strings.Contains(msg, "“"+f.field+"”") {
			t.Errorf("%s (%d): the page does not name the limit and %s: %.400s", f.path, res.StatusCode, f.field, msg)
		}
		if after := rowCounts(t, e.db); !equalCounts(before, after) {
			t.Errorf("%s: rows changed %v -> %v", f.path, before, after)
		}
	}
}

// The body is read field by field: a multipart upload over the limit keeps the other parts, a
// body over the wire limit is refused with 413 and names the field limit.
func TestFormLimiterMultipartAndWireLimit(t *testing.T) {
	e := newC1Env(t, nil)
	// The 2 MB file is emptied; the CSRF part is kept, or this would be a 403.
	res := e.upload(t, big)
	if body := squash(bodyString(t, res)); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "“file”") || !strings.Contains(body, "1 MB") {
		t.Errorf("multipart: %d %.300s", res.StatusCode, body)
	}

	huge := url.Values{"name": {"x"}, "ca_bundle": {strings.Repeat("y", formWireLimit+10)}}
	res = e.post(t, "/instances", huge, false)
	if body := bodyString(t, res); res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "1 MB") {
		t.Errorf("over the wire limit: %d %.300s", res.StatusCode, body)
	}
}

func TestLimitURLEncoded(t *testing.T) {
	in := "a=1&big=" + strings.Repeat("z", formLimit+5) + "&b=%C3%A9&&c="
	out, dropped, err := limitURLEncoded(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "a=1&big=&b=%C3%A9&c=" || fmt.Sprint(dropped) != "[big]" {
		t.Errorf("out %.80q dropped %v", out, dropped)
	}
}

func hasRoutePath(rs []RouteInfo, path string) bool {
	for _, r := range rs {
		if r.Method == http.MethodPost && samplePath(r.Path) == path {
			return true
		}
	}
	return false
}

// Test on the edit form with a 2 MB secret does not fall back to the stored secret (an emptied
// field would otherwise read as "keep the stored one"): it stops and names the limit.
func TestOversizedSecretIsNotTheStoredOne(t *testing.T) {
	e := newC1Env(t, nil)
	inst := e.addInstance(t, "A", "https://a.example.com", "sync", "pw-a-123")
	res := e.post(t, "/instances/test", url.Values{"id": {strconv.Itoa(int(inst.ID))}, "base_url": {"https://a.example.com"},
		"auth_type": {models.AuthBasic}, "username": {"sync"}, "secret": {big}}, true)
	body := squash(bodyString(t, res))
	if !strings.Contains(body, "Fill in the fields the test needs first") || !strings.Contains(body, "1 MB limit") {
		t.Errorf("test with an oversized secret: %d %.300s", res.StatusCode, body)
	}
}
