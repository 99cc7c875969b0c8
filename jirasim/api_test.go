package jirasim

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

var jiraTimeRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$`)

func TestMetaEndpoints(t *testing.T) {
	_, a := tsim(t)
	tests := []struct {
		name, path, user string
		status           int
		check            func(t *testing.T, r resp)
	}{
		{"serverInfo", "/rest/api/2/serverInfo", "", 200, func(t *testing.T, r resp) {
			m := r.obj(t)
			if m["version"] != "9.12.0" || m["deploymentType"] != "Server" || m["baseUrl"] != a.URL() {
				t.Errorf("serverInfo %v", m)
			}
			if !jiraTimeRe.MatchString(m["serverTime"].(string)) {
				t.Errorf("serverTime %v", m["serverTime"])
			}
		}},
		{"myself anonymous", "/rest/api/2/myself", "", 401, nil},
		{"myself", "/rest/api/2/myself", "airlock", 200, func(t *testing.T, r resp) {
			m := r.obj(t)
			if m["timeZone"] != "Europe/Berlin" || m["key"] != "JIRAUSER10100" || m["name"] != "airlock" {
				t.Errorf("myself %v", m)
			}
			if !strings.HasPrefix(m["self"].(string), a.URL()+"/rest/api/2/user?username=") || !strings.Contains(a.URL(), "/jira") {
				t.Errorf("self %v", m["self"])
			}
		}},
		{"myself by PAT", "/rest/api/2/myself", "pat:airlock-pat-A", 200, nil},
		{"user by key", "/rest/api/2/user?key=JIRAUSER10101", "airlock", 200, func(t *testing.T, r resp) {
			if r.obj(t)["name"] != "alice" {
				t.Error(string(r.raw))
			}
		}},
		{"user missing", "/rest/api/2/user?username=nobody", "airlock", 404, nil},
		{"user search", "/rest/api/2/user/search?username=al", "airlock", 200, func(t *testing.T, r resp) {
			if len(r.arr(t)) != 1 {
				t.Error(string(r.raw))
			}
		}},
		{"user picker", "/rest/api/2/user/picker?query=bo", "airlock", 200, func(t *testing.T, r resp) {
			if dig(r.obj(t), "total") != 1.0 {
				t.Error(string(r.raw))
			}
		}},
		{"assignable", "/rest/api/2/user/assignable/search?project=ALPHA", "airlock", 200, nil},
		{"fields", "/rest/api/2/field", "airlock", 200, func(t *testing.T, r resp) {
			found := false
			for _, f := range r.arr(t) {
				m := f.(map[string]any)
				if m["id"] == cfSelect {
					found = true
					if dig(m, "schema", "customId") != 10102.0 || m["custom"] != true {
						t.Errorf("custom field %v", m)
					}
				}
				for _, k := range []string{"id", "name", "custom", "orderable", "navigable", "searchable", "clauseNames", "schema"} {
					if _, ok := m[k]; !ok {
						t.Errorf("field %v lacks %s", m["id"], k)
					}
				}
			}
			if !found {
				t.Error("no select field")
			}
		}},
		{"projects", "/rest/api/2/project", "airlock", 200, func(t *testing.T, r resp) {
			p := r.arr(t)[0].(map[string]any)
			if p["key"] != "ALPHA" || p["id"] != "10000" || p["self"] != a.URL()+"/rest/api/2/project/10000" {
				t.Errorf("project %v", p)
			}
		}},
		{"projects anonymous", "/rest/api/2/project", "", 200, func(t *testing.T, r resp) {
			if len(r.arr(t)) != 0 {
				t.Error(string(r.raw))
			}
		}},
		{"project detail", "/rest/api/2/project/ALPHA", "airlock", 200, func(t *testing.T, r resp) {
			m := r.obj(t)
			if len(m["components"].([]any)) != 3 || len(m["versions"].([]any)) != 3 || len(m["issueTypes"].([]any)) != 5 {
				t.Errorf("project %v", m)
			}
		}},
		{"project missing", "/rest/api/2/project/NOPE", "airlock", 404, nil},
		{"statuses", "/rest/api/2/status", "airlock", 200, func(t *testing.T, r resp) {
			s := r.arr(t)[1].(map[string]any)
			if s["id"] != "3" || dig(s, "statusCategory", "id") != 4.0 || dig(s, "statusCategory", "key") != "indeterminate" {
				t.Errorf("status %v", s)
			}
		}},
		{"priorities", "/rest/api/2/priority", "airlock", 200, func(t *testing.T, r resp) {
			if p := r.arr(t)[0].(map[string]any); p["id"] != "1" || p["statusColor"] == nil {
				t.Errorf("priority %v", p)
			}
		}},
		{"issuetypes", "/rest/api/2/issuetype", "airlock", 200, func(t *testing.T, r resp) {
			if len(r.arr(t)) != 5 {
				t.Error(string(r.raw))
			}
		}},
		{"resolutions", "/rest/api/2/resolution", "airlock", 200, nil},
		{"old createmeta", "/rest/api/2/issue/createmeta?projectKeys=ALPHA", "airlock", 404, func(t *testing.T, r resp) {
			if string(r.raw) != `{"errorMessages":["Issue Does Not Exist"],"errors":{}}` {
				t.Error(string(r.raw))
			}
		}},
		{"attachment meta", "/rest/api/2/attachment/meta", "airlock", 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, a, "GET", tt.path, tt.user, nil)
			mustStatus(t, r, tt.status)
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestCreateAndGetIssue(t *testing.T) {
	_, a := tsim(t)
	a.Knobs().SetClock(time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC))
	id, key := createIssue(t, a, map[string]any{
		"description": "h1. Title\n*bold*", "labels": []string{"x", "y"}, "components": []map[string]string{{"name": "Backend"}},
		cfSelect: map[string]string{"value": "S2 - Major"}, cfMulti: []map[string]string{{"value": "Linux"}, {"id": "10302"}},
		cfNumber: 3.5, cfUser: map[string]string{"name": "bob"}, cfDateTime: "2024-03-02T10:00:00.000+0100", "duedate": "2024-04-01",
	})
	if key != "ALPHA-1" || id != "10000" {
		t.Fatalf("created %s %s", id, key)
	}
	r := call(t, a, "GET", "/rest/api/2/issue/"+key+"?expand=names,schema,transitions,editmeta,renderedFields", "airlock", nil)
	mustStatus(t, r, 200)
	m := r.obj(t)
	if m["id"] != "10000" || m["self"] != a.URL()+"/rest/api/2/issue/10000" {
		t.Errorf("id/self %v %v", m["id"], m["self"])
	}
	f := m["fields"].(map[string]any)
	checks := map[string]any{
		"created": "2024-03-01T10:00:00.000+0000", "updated": "2024-03-01T10:00:00.000+0000",
		"summary": "hello", "description": "h1. Title\n*bold*", "duedate": "2024-04-01", cfNumber: 3.5,
		cfDateTime: "2024-03-02T09:00:00.000+0000", "resolution": nil,
	}
	for k, want := range checks {
		if f[k] != want {
			t.Errorf("%s = %#v, want %#v", k, f[k], want)
		}
	}
	if dig(f, "status", "name") != "To Do" || dig(f, "priority", "id") != "3" || dig(f, "reporter", "name") != "airlock" ||
		dig(f, cfSelect, "id") != "10201" || dig(f, cfUser, "key") != "JIRAUSER10102" || dig(f, "project", "key") != "ALPHA" {
		t.Errorf("refs wrong: %v", f)
	}
	if len(f[cfMulti].([]any)) != 2 || len(f["labels"].([]any)) != 2 || dig(f["components"].([]any)[0], "name") != "Backend" {
		t.Errorf("arrays wrong: %v %v", f[cfMulti], f["components"])
	}
	if _, ok := f["comment"]; !ok {
		t.Error("GET issue defaults to *all: comment missing")
	}
	if dig(m, "names", cfSelect) != "Severity" || dig(m, "schema", cfSelect, "customId") != 10102.0 {
		t.Error("names/schema expand")
	}
	if len(m["transitions"].([]any)) != 2 || dig(m, "editmeta", "fields", "summary", "required") != true {
		t.Error("transitions/editmeta expand")
	}
	if !strings.Contains(dig(m, "renderedFields", "description").(string), "<p>") {
		t.Error("renderedFields")
	}
	r = call(t, a, "GET", "/rest/api/2/issue/ALPHA-1?fields=summary,-summary,status", "airlock", nil)
	if f := r.obj(t)["fields"].(map[string]any); len(f) != 1 || f["status"] == nil {
		t.Errorf("fields filter: %v", f)
	}
	for _, u := range []string{"", "airlock"} {
		r := call(t, a, "GET", "/rest/api/2/issue/ALPHA-99", u, nil)
		mustStatus(t, r, 404)
		if string(r.raw) != `{"errorMessages":["Issue Does Not Exist"],"errors":{}}` {
			t.Error(string(r.raw))
		}
	}
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/ALPHA-1", "", nil), 404)
}

func TestCreateErrors(t *testing.T) {
	_, a := tsim(t)
	base := func(extra map[string]any) map[string]any {
		f := map[string]any{"project": map[string]string{"key": "ALPHA"}, "issuetype": map[string]string{"id": "10002"}, "summary": "s"}
		for k, v := range extra {
			if v == nil {
				delete(f, k)
			} else {
				f[k] = v
			}
		}
		return map[string]any{"fields": f}
	}
	tests := []struct {
		name  string
		body  any
		field string
		msg   string
	}{
		{"no summary", base(map[string]any{"summary": nil}), "summary", "You must specify a summary of the issue."},
		{"blank summary", base(map[string]any{"summary": "  "}), "summary", "You must specify a summary of the issue."},
		{"unknown project", base(map[string]any{"project": map[string]string{"key": "NOPE"}}), "project", "valid project is required"},
		{"bad issuetype", base(map[string]any{"issuetype": map[string]string{"id": "1"}}), "issuetype", "valid issue type is required"},
		{"resolution not on screen", base(map[string]any{"resolution": map[string]string{"name": "Done"}}), "resolution",
			"Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown."},
		{"unknown field", base(map[string]any{"customfield_99999": "x"}), "customfield_99999",
			"Field 'customfield_99999' cannot be set. It is not on the appropriate screen, or unknown."},
		{"bad option", base(map[string]any{cfSelect: map[string]string{"value": "nope"}}), cfSelect, "Option value 'nope' is not valid"},
		{"bad user", base(map[string]any{"assignee": map[string]string{"name": "ghost"}}), "assignee", "User 'ghost' does not exist."},
		{"subtask without parent", base(map[string]any{"issuetype": map[string]string{"name": "Sub-task"}}), "parent",
			"Issue type is a sub-task but parent issue key or id not specified."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, a, "POST", "/rest/api/2/issue", "airlock", tt.body)
			mustStatus(t, r, 400)
			if got := dig(r.obj(t), "errors", tt.field); got != tt.msg {
				t.Errorf("errors.%s = %v; body %s", tt.field, got, r.raw)
			}
			if em, ok := r.obj(t)["errorMessages"].([]any); !ok || len(em) != 0 {
				t.Errorf("errorMessages %s", r.raw)
			}
		})
	}
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issue", "", base(nil)), 401)
	if a.IssueCount() != 0 {
		t.Error("a failed create left an issue")
	}
}

func TestEditChangelogAndUpdated(t *testing.T) {
	_, a := tsim(t)
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	a.Knobs().SetClock(t0)
	_, key := createIssue(t, a, map[string]any{"labels": []string{"a"}, "description": "old"})
	steps := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		items  []string // field names expected in the last history entry; nil = no new entry
	}{
		{"edit fields", "PUT", "", map[string]any{"fields": map[string]any{"summary": "new", "description": "new d", cfSelect: map[string]string{"id": "10200"}},
			"update": map[string]any{"labels": []any{map[string]string{"add": "b"}, map[string]string{"remove": "a"}}, "components": []any{map[string]any{"add": map[string]string{"name": "Docs"}}}}},
			204, []string{"summary", "description", "labels", "Component", "Severity"}},
		{"both fields and update", "PUT", "", map[string]any{"fields": map[string]any{"summary": "x"}, "update": map[string]any{"summary": []any{map[string]string{"set": "y"}}}}, 400, nil},
		{"resolution not on edit screen", "PUT", "", map[string]any{"fields": map[string]any{"resolution": map[string]string{"name": "Done"}}}, 400, nil},
		{"comment", "POST", "/comment", map[string]any{"body": "hi"}, 201, nil},
		{"transition done", "POST", "/transitions", map[string]any{"transition": map[string]string{"id": "31"}}, 204, []string{"resolution", "status"}},
		{"transition unavailable", "POST", "/transitions", map[string]any{"transition": map[string]string{"id": "11"}}, 400, nil},
		{"worklog", "POST", "/worklog", map[string]any{"timeSpent": "1h 30m", "started": "2024-03-01T09:00:00.000+0000"}, 201, []string{"timeestimate", "timespent", "WorklogId"}}, // auto adjust: no estimate -> 0, as Jira
		{"remote link", "POST", "/remotelink", map[string]any{"globalId": "g1", "object": map[string]string{"url": "http://x", "title": "X"}}, 201, []string{"RemoteIssueLink"}},
		{"remote link update by globalId", "POST", "/remotelink", map[string]any{"globalId": "g1", "object": map[string]string{"url": "http://y", "title": "Y"}}, 200, []string{"RemoteIssueLink"}},
		{"reopen", "POST", "/transitions", map[string]any{"transition": map[string]string{"id": "21"}}, 204, []string{"resolution", "status"}},
	}
	prevUpdated := ""
	prevHist := 0
	for n, s := range steps {
		a.Knobs().AdvanceClock(time.Minute)
		r := call(t, a, s.method, "/rest/api/2/issue/"+key+s.path, "airlock", s.body)
		mustStatus(t, r, s.status)
		g := call(t, a, "GET", "/rest/api/2/issue/"+key+"?expand=changelog", "airlock", nil).obj(t)
		updated := dig(g, "fields", "updated").(string)
		hs := dig(g, "changelog", "histories").([]any)
		want := t0.Add(time.Duration(n+1) * time.Minute).Format(jiraTime)
		if s.status < 300 && updated != want {
			t.Errorf("%s: updated %s, want %s", s.name, updated, want)
		}
		if s.status >= 300 && prevUpdated != "" && updated != prevUpdated {
			t.Errorf("%s: a failed call bumped updated", s.name)
		}
		prevUpdated = updated
		if s.items == nil {
			if len(hs) != prevHist {
				t.Errorf("%s: unexpected history entry", s.name)
			}
			continue
		}
		if len(hs) != prevHist+1 {
			t.Fatalf("%s: %d histories, want %d", s.name, len(hs), prevHist+1)
		}
		prevHist = len(hs)
		var got []string
		for _, it := range dig(hs[len(hs)-1], "items").([]any) {
			got = append(got, dig(it, "field").(string))
		}
		if fmt.Sprint(got) != fmt.Sprint(s.items) {
			t.Errorf("%s: items %v, want %v", s.name, got, s.items)
		}
	}
	g := call(t, a, "GET", "/rest/api/2/issue/"+key+"?expand=changelog", "airlock", nil).obj(t)
	first := dig(g, "changelog", "histories").([]any)[0]
	items := dig(first, "items").([]any)
	wantItems := map[string]map[string]any{
		"summary":     {"fieldtype": "jira", "from": nil, "fromString": "hello", "to": nil, "toString": "new"},
		"labels":      {"fromString": "a", "toString": "b"},
		"Component":   {"to": "10102", "toString": "Docs"},
		"Severity":    {"fieldtype": "custom", "to": "10200", "toString": "S1 - Critical"},
		"description": {"fromString": "old", "toString": "new d"},
	}
	for _, it := range items {
		m := it.(map[string]any)
		for k, v := range wantItems[m["field"].(string)] {
			if m[k] != v {
				t.Errorf("item %s.%s = %v, want %v", m["field"], k, m[k], v)
			}
		}
	}
	if dig(g, "fields", "resolution") != nil || dig(g, "fields", "status", "id") != statusToDo || dig(g, "fields", "resolutiondate") != nil {
		t.Errorf("reopen left %v %v", dig(g, "fields", "resolution"), dig(g, "fields", "status"))
	}
	if dig(g, "fields", "timespent") != 5400.0 {
		t.Errorf("timespent %v", dig(g, "fields", "timespent"))
	}
}

func TestNotifyUsersNeedsProjectAdmin(t *testing.T) {
	_, a := tsim(t)
	_, key := createIssue(t, a, nil)
	body := map[string]any{"fields": map[string]any{"summary": "z"}}
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+key+"?notifyUsers=false", "alice", body), 403)
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+key+"?notifyUsers=false", "airlock", body), 204)
}

func TestDeleteIssueWithSubtasks(t *testing.T) {
	_, a := tsim(t)
	_, parent := createIssue(t, a, nil)
	createIssue(t, a, map[string]any{"issuetype": map[string]string{"name": "Sub-task"}, "parent": map[string]string{"key": parent}})
	mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issue/"+parent, "airlock", nil), 400)
	mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issue/"+parent+"?deleteSubtasks=true", "airlock", nil), 204)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/ALPHA-2", "airlock", nil), 404)
	if a.IssueCount() != 0 {
		t.Error("subtask survived")
	}
}

func TestTransitionsExpand(t *testing.T) {
	_, a := tsim(t)
	_, key := createIssue(t, a, nil)
	m := call(t, a, "GET", "/rest/api/2/issue/"+key+"/transitions?expand=transitions.fields", "airlock", nil).obj(t)
	ts := m["transitions"].([]any)
	var names []string
	for _, tr := range ts {
		names = append(names, dig(tr, "id").(string)+" "+dig(tr, "name").(string)+" -> "+dig(tr, "to", "name").(string))
	}
	if fmt.Sprint(names) != "[11 Start Progress -> In Progress 31 Done -> Done]" {
		t.Errorf("transitions %v", names)
	}
	if dig(ts[1], "fields", "resolution", "allowedValues") == nil || dig(ts[1], "to", "statusCategory", "key") != "done" {
		t.Errorf("done transition %v", ts[1])
	}
	r := call(t, a, "POST", "/rest/api/2/issue/"+key+"/transitions", "airlock",
		map[string]any{"transition": map[string]string{"id": "31"}, "fields": map[string]any{"resolution": map[string]string{"name": "Won't Do"}}})
	mustStatus(t, r, 204)
	f := call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t)["fields"]
	if dig(f, "resolution", "name") != "Won't Do" || !jiraTimeRe.MatchString(dig(f, "resolutiondate").(string)) {
		t.Errorf("resolution %v", f)
	}
}
