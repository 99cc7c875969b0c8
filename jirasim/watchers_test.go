package jirasim

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func watcherNames(t *testing.T, a *Instance, key, user string) string {
	t.Helper()
	o := call(t, a, "GET", "/rest/api/2/issue/"+key+"/watchers", user, nil).obj(t)
	var names []string
	for _, w := range o["watchers"].([]any) {
		names = append(names, dig(w, "name").(string))
	}
	if int(o["watchCount"].(float64)) != len(names) {
		t.Errorf("watchCount %v for %v", o["watchCount"], names)
	}
	return strings.Join(names, ",")
}

// rawPost sends a body as is (the watchers resource takes a bare JSON string).
func rawPost(t *testing.T, a *Instance, path, user, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", a.URL()+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	setAuth(req, user)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestWatchers(t *testing.T) {
	_, a := tsim(t)
	_, key := createIssue(t, a, map[string]any{"reporter": map[string]string{"name": "alice"}})
	if got := watcherNames(t, a, key, "airlock"); got != "airlock,alice" {
		t.Fatalf("autowatch: %s", got)
	}
	g := call(t, a, "GET", "/rest/api/2/issue/"+key, "bob", nil).obj(t)
	if dig(g, "fields", "watches", "watchCount") != 2.0 || dig(g, "fields", "watches", "isWatching") != false {
		t.Errorf("watches %v", dig(g, "fields", "watches"))
	}
	before := dig(g, "fields", "updated")
	w := "/rest/api/2/issue/" + key + "/watchers"
	if s := rawPost(t, a, w, "airlock", `"bob"`); s != 204 {
		t.Errorf("add bob: %d", s)
	}
	if s := rawPost(t, a, w, "bob", ``); s != 204 { // the caller
		t.Errorf("add self: %d", s)
	}
	if s := rawPost(t, a, w, "bob", `"admin"`); s != 401 { // no Manage Watchers
		t.Errorf("bob adds admin: %d", s)
	}
	if s := rawPost(t, a, w, "airlock", `"nobody"`); s != 404 {
		t.Errorf("unknown user: %d", s)
	}
	if s := rawPost(t, a, w, "airlock", `{"name":"bob"}`); s != 400 {
		t.Errorf("object body: %d", s)
	}
	if got := watcherNames(t, a, key, "bob"); got != "airlock,alice,bob" {
		t.Errorf("after adds: %s", got)
	}
	mustStatus(t, call(t, a, "DELETE", w, "airlock", nil), 400)
	mustStatus(t, call(t, a, "DELETE", w+"?username=airlock", "bob", nil), 401)
	mustStatus(t, call(t, a, "DELETE", w+"?username=alice", "airlock", nil), 204)
	mustStatus(t, call(t, a, "DELETE", w+"?username=bob", "bob", nil), 204)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/NOPE-9/watchers", "bob", nil), 404)
	if got := watcherNames(t, a, key, "airlock"); got != "airlock" {
		t.Errorf("after removes: %s", got)
	}
	g = call(t, a, "GET", "/rest/api/2/issue/"+key+"?expand=changelog", "airlock", nil).obj(t)
	if dig(g, "fields", "updated") != before || dig(g, "changelog", "total") != 0.0 {
		t.Errorf("watching changed updated (%v -> %v) or wrote history %v", before, dig(g, "fields", "updated"), dig(g, "changelog", "total"))
	}
}

func TestAssigneeResource(t *testing.T) {
	_, a := tsim(t)
	_, key := createIssue(t, a, nil)
	path := "/rest/api/2/issue/" + key + "/assignee"
	steps := []struct {
		body   any
		status int
		want   any // assignee name after the step
	}{
		{map[string]any{"name": "bob"}, 204, "bob"},
		{map[string]any{"name": "nobody"}, 400, "bob"},
		{map[string]any{"name": nil}, 204, nil},
		{map[string]any{"name": "-1"}, 204, "admin"}, // the project lead
		{map[string]any{"name": ""}, 204, nil},
	}
	for n, s := range steps {
		mustStatus(t, call(t, a, "PUT", path, "airlock", s.body), s.status)
		g := call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t)
		if got := dig(g, "fields", "assignee", "name"); fmt.Sprint(got) != fmt.Sprint(s.want) {
			t.Errorf("step %d: assignee %v, want %v", n, got, s.want)
		}
	}
	it := lastItems(t, a, key)["assignee"]
	if it == nil || it["from"] != "admin" || it["to"] != nil {
		t.Errorf("last assignee item %v", it)
	}
}
