package jirasim

import (
	"net/url"
	"testing"
)

func TestSecurityLevels(t *testing.T) {
	_, a := tsim(t)
	_, open := createIssue(t, a, nil)
	_, staff := createIssue(t, a, map[string]any{"security": map[string]string{"name": "Staff"}})
	_, mgmt := createIssue(t, a, map[string]any{"security": map[string]string{"id": "10101"}})

	g := call(t, a, "GET", "/rest/api/2/issue/"+staff, "airlock", nil).obj(t)
	if s := dig(g, "fields", "security"); dig(s, "id") != "10100" || dig(s, "name") != "Staff" || dig(s, "self") != a.URL()+"/rest/api/2/securitylevel/10100" {
		t.Errorf("security %v", s)
	}
	if s, ok := dig(call(t, a, "GET", "/rest/api/2/issue/"+open, "airlock", nil).obj(t), "fields").(map[string]any)["security"]; !ok || s != nil {
		t.Errorf("unset security %v %v", s, ok)
	}
	for _, c := range []struct {
		user, key string
		status    int
	}{{"bob", staff, 404}, {"alice", staff, 200}, {"admin", staff, 200}, {"airlock", mgmt, 404}, {"alice", mgmt, 200}, {"bob", open, 200}} {
		mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/"+c.key, c.user, nil), c.status)
	}
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+staff, "bob", map[string]any{"fields": map[string]any{"summary": "x"}}), 404)
	search := func(user string) map[string]bool {
		out := map[string]bool{}
		for _, is := range dig(call(t, a, "GET", "/rest/api/2/search?jql="+url.QueryEscape("project = ALPHA"), user, nil).obj(t), "issues").([]any) {
			out[dig(is, "key").(string)] = true
		}
		return out
	}
	if s := search("bob"); !s[open] || s[staff] || s[mgmt] {
		t.Errorf("bob's search %v", s)
	}
	if s := search("airlock"); !s[open] || !s[staff] || s[mgmt] {
		t.Errorf("airlock's search %v", s)
	}
	for q, want := range map[string]bool{"level = Staff": true, "level = 10100": true, "level is EMPTY": false, "level != Staff": false} {
		r := call(t, a, "GET", "/rest/api/2/search?jql="+url.QueryEscape("project = ALPHA AND key = "+staff+" AND "+q), "airlock", nil)
		mustStatus(t, r, 200)
		if got := len(dig(r.obj(t), "issues").([]any)) == 1; got != want {
			t.Errorf("%s matched %v", q, got)
		}
	}
	if r := call(t, a, "GET", "/rest/api/2/search?jql="+url.QueryEscape("key = "+open+" AND level is EMPTY"), "airlock", nil); len(dig(r.obj(t), "issues").([]any)) != 1 {
		t.Errorf("level is EMPTY missed %s: %s", open, r.raw)
	}

	// A sub-task has its parent's level and cannot have its own.
	_, sub := createIssue(t, a, map[string]any{"issuetype": map[string]string{"name": "Sub-task"}, "parent": map[string]string{"key": staff}})
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/"+sub, "bob", nil), 404)
	if dig(call(t, a, "GET", "/rest/api/2/issue/"+sub, "airlock", nil).obj(t), "fields", "security", "name") != "Staff" {
		t.Error("sub-task does not show its parent's level")
	}
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+sub, "airlock", map[string]any{"fields": map[string]any{"security": map[string]string{"name": "Staff"}}}), 400)

	// Edit: set, then remove; history items.
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+open, "airlock", map[string]any{"fields": map[string]any{"security": map[string]string{"name": "Staff"}}}), 204)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/"+open, "bob", nil), 404)
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+open, "airlock", map[string]any{"fields": map[string]any{"security": nil}}), 204)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/"+open, "bob", nil), 200)
	hs := dig(call(t, a, "GET", "/rest/api/2/issue/"+open+"?expand=changelog", "airlock", nil).obj(t), "changelog", "histories").([]any)
	first := dig(hs[0], "items").([]any)[0]
	if len(hs) != 2 || dig(first, "field") != "security" || dig(first, "to") != "10100" || dig(first, "toString") != "Staff" {
		t.Errorf("histories %v", hs)
	}
	r := call(t, a, "PUT", "/rest/api/2/issue/"+open, "airlock", map[string]any{"fields": map[string]any{"security": map[string]string{"id": "999"}}})
	mustStatus(t, r, 400)

	// Meta: levels in ALPHA's createmeta and editmeta; no security field where there is no scheme.
	em := dig(call(t, a, "GET", "/rest/api/2/issue/"+open+"/editmeta", "airlock", nil).obj(t), "fields", "security")
	if av, _ := dig(em, "allowedValues").([]any); len(av) != 2 || dig(em, "schema", "type") != "securitylevel" {
		t.Errorf("editmeta security %v", em)
	}
	if l := dig(call(t, a, "GET", "/rest/api/2/project/ALPHA/securitylevel", "airlock", nil).obj(t), "levels").([]any); len(l) != 1 || dig(l[0], "name") != "Staff" {
		t.Errorf("airlock's levels %v", l)
	}
	mustStatus(t, call(t, a, "GET", "/rest/api/2/securitylevel/10101", "bob", nil), 200)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/securitylevel/1", "bob", nil), 404)
	r = call(t, a, "POST", "/rest/api/2/issue", "airlock", map[string]any{"fields": map[string]any{"project": map[string]string{"key": SimpleProjectKey},
		"issuetype": map[string]string{"name": "Task"}, "summary": "s", "security": map[string]string{"name": "Staff"}}})
	mustStatus(t, r, 400)
	if dig(r.obj(t), "errors", "security") == nil {
		t.Errorf("security in a project without a scheme: %s", r.raw)
	}
	for _, v := range dig(call(t, a, "GET", "/rest/api/2/issue/createmeta/"+SimpleProjectKey+"/issuetypes/10002?maxResults=100", "airlock", nil).obj(t), "values").([]any) {
		if dig(v, "fieldId") == "security" {
			t.Error("createmeta of a project without a scheme offers security")
		}
	}
	// A link to an issue the caller cannot see is not shown.
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issueLink", "airlock", map[string]any{"type": map[string]string{"name": "Relates"},
		"outwardIssue": map[string]string{"key": open}, "inwardIssue": map[string]string{"key": staff}}), 201)
	if n := len(dig(call(t, a, "GET", "/rest/api/2/issue/"+open, "bob", nil).obj(t), "fields", "issuelinks").([]any)); n != 0 {
		t.Errorf("bob sees %d links to a hidden issue", n)
	}
}
