package jirasim

import (
	"net/url"
	"testing"
	"time"
)

func TestEpics(t *testing.T) {
	_, a := tsim(t)
	epic := map[string]any{"issuetype": map[string]string{"name": "Epic"}}
	r := call(t, a, "POST", "/rest/api/2/issue", "airlock", map[string]any{"fields": map[string]any{
		"project": map[string]string{"key": "ALPHA"}, "issuetype": map[string]string{"name": "Epic"}, "summary": "no name"}})
	mustStatus(t, r, 400)
	if dig(r.obj(t), "errors", cfEpicName) != "Epic Name is required." {
		t.Errorf("epic without name: %s", r.raw)
	}
	epic[cfEpicName] = "Big one"
	e1id, e1 := createIssue(t, a, epic)
	epic[cfEpicName] = "Other"
	_, e2 := createIssue(t, a, epic)
	_, task := createIssue(t, a, nil)

	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+task, "airlock", map[string]any{"fields": map[string]any{cfEpicName: "x"}}), 400)
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+e2, "airlock", map[string]any{"fields": map[string]any{cfEpicLink: e1}}), 400)
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+task, "airlock", map[string]any{"fields": map[string]any{cfEpicLink: task}}), 400)

	before, _ := a.Updated(e1)
	a.Knobs().AdvanceClock(time.Minute)
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+task, "airlock", map[string]any{"fields": map[string]any{cfEpicLink: e1}}), 204)
	g := call(t, a, "GET", "/rest/api/2/issue/"+task+"?expand=changelog", "airlock", nil).obj(t)
	if dig(g, "fields", cfEpicLink) != e1 {
		t.Errorf("Epic Link = %v, want %s", dig(g, "fields", cfEpicLink), e1)
	}
	it := dig(dig(g, "changelog", "histories").([]any)[0], "items").([]any)[0]
	if dig(it, "field") != "Epic Link" || dig(it, "fieldtype") != "custom" || dig(it, "to") != e1id || dig(it, "toString") != e1 {
		t.Errorf("item %v", it)
	}
	ge := call(t, a, "GET", "/rest/api/2/issue/"+e1+"?expand=changelog", "airlock", nil).obj(t)
	hs := dig(ge, "changelog", "histories").([]any)
	if len(hs) != 1 || dig(dig(hs[0], "items").([]any)[0], "field") != "Epic Child" || dig(dig(hs[0], "items").([]any)[0], "toString") != task {
		t.Errorf("epic histories %v", hs)
	}
	if after, _ := a.Updated(e1); !after.After(before) {
		t.Error("the epic's updated did not move")
	}
	if dig(ge, "fields", cfEpicName) != "Big one" {
		t.Errorf("Epic Name %v", dig(ge, "fields", cfEpicName))
	}

	for _, q := range []string{`"Epic Link" = ` + e1, `cf[10106] = ` + e1, `"epic link" in (` + e1 + `)`, `customfield_10106 = ` + e1id} {
		res := call(t, a, "GET", "/rest/api/2/search?jql="+url.QueryEscape(q), "airlock", nil)
		mustStatus(t, res, 200)
		if is := dig(res.obj(t), "issues").([]any); len(is) != 1 || dig(is[0], "key") != task {
			t.Errorf("%s: %s", q, res.raw)
		}
	}
	if res := call(t, a, "GET", "/rest/api/2/search?jql="+url.QueryEscape(`"Epic Link" = `+e2), "airlock", nil); len(dig(res.obj(t), "issues").([]any)) != 0 {
		t.Errorf("wrong epic matched: %s", res.raw)
	}

	// Removing the link.
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+task, "airlock", map[string]any{"fields": map[string]any{cfEpicLink: nil}}), 204)
	if v := dig(call(t, a, "GET", "/rest/api/2/issue/"+task, "airlock", nil).obj(t), "fields", cfEpicLink); v != nil {
		t.Errorf("Epic Link after removal %v", v)
	}

	// createmeta: Epic Name on epics only, required there; Epic Link not on epics or sub-tasks.
	has := func(typ string) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, v := range dig(call(t, a, "GET", "/rest/api/2/issue/createmeta/ALPHA/issuetypes/"+typ+"?maxResults=100", "airlock", nil).obj(t), "values").([]any) {
			out[v.(map[string]any)["fieldId"].(string)] = v.(map[string]any)
		}
		return out
	}
	if m := has("10000"); m[cfEpicName]["required"] != true || m[cfEpicLink] != nil {
		t.Errorf("Epic createmeta %v / %v", m[cfEpicName], m[cfEpicLink])
	}
	if m := has("10002"); m[cfEpicName] != nil || m[cfEpicLink] == nil || dig(m[cfEpicLink], "schema", "custom") != "com.pyxis.greenhopper.jira:gh-epic-link" {
		t.Errorf("Task createmeta %v / %v", m[cfEpicName], m[cfEpicLink])
	}
	if m := has("10003"); m[cfEpicLink] != nil {
		t.Errorf("Sub-task createmeta has Epic Link")
	}
}
