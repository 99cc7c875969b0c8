package jirasim

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestIssueLinkTypes(t *testing.T) {
	_, a := tsim(t)
	r := call(t, a, "GET", "/rest/api/2/issueLinkType", "airlock", nil)
	mustStatus(t, r, 200)
	types := dig(r.obj(t), "issueLinkTypes").([]any)
	want := map[string][2]string{"Blocks": {"is blocked by", "blocks"}, "Cloners": {"is cloned by", "clones"},
		"Duplicate": {"is duplicated by", "duplicates"}, "Relates": {"relates to", "relates to"}}
	if len(types) != len(want) {
		t.Fatalf("types %v", types)
	}
	for _, x := range types {
		m := x.(map[string]any)
		if w := want[m["name"].(string)]; m["inward"] != w[0] || m["outward"] != w[1] || m["self"] != a.URL()+"/rest/api/2/issueLinkType/"+m["id"].(string) {
			t.Errorf("type %v", m)
		}
	}
	if dig(call(t, a, "GET", "/rest/api/2/issueLinkType/10000", "airlock", nil).obj(t), "name") != "Blocks" {
		t.Error("issueLinkType/10000 is not Blocks")
	}
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issueLinkType/99", "airlock", nil), 404)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issueLinkType", "", nil), 401)
}

func TestIssueLinkLifecycle(t *testing.T) {
	_, a := tsim(t)
	_, k1 := createIssue(t, a, nil)
	_, k2 := createIssue(t, a, nil)
	u1, _ := a.Updated(k1)
	u2, _ := a.Updated(k2)
	a.Knobs().AdvanceClock(time.Minute)
	// "k1 blocks k2": the request names the source inwardIssue, as real Jira reads it (JRJC's
	// LinkIssuesInput from/to), whatever the names suggest.
	body := map[string]any{"type": map[string]string{"name": "Blocks"}, "inwardIssue": map[string]string{"key": k1}, "outwardIssue": map[string]string{"key": k2}}
	r := call(t, a, "POST", "/rest/api/2/issueLink", "airlock", body)
	mustStatus(t, r, 201)
	if len(r.raw) != 0 {
		t.Errorf("create answered a body: %s", r.raw)
	}
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issueLink", "airlock", body), 201) // again: no second link
	g1 := call(t, a, "GET", "/rest/api/2/issue/"+k1+"?expand=changelog", "airlock", nil).obj(t)
	g2 := call(t, a, "GET", "/rest/api/2/issue/"+k2+"?expand=changelog", "airlock", nil).obj(t)
	l1, l2 := dig(g1, "fields", "issuelinks").([]any), dig(g2, "fields", "issuelinks").([]any)
	if len(l1) != 1 || len(l2) != 1 {
		t.Fatalf("links %v / %v", l1, l2)
	}
	if dig(l1[0], "outwardIssue", "key") != k2 || dig(l1[0], "inwardIssue") != nil || dig(l1[0], "type", "outward") != "blocks" {
		t.Errorf("source side %v", l1[0])
	}
	if dig(l2[0], "inwardIssue", "key") != k1 || dig(l2[0], "outwardIssue") != nil || dig(l2[0], "inwardIssue", "fields", "status", "name") != "To Do" {
		t.Errorf("destination side %v", l2[0])
	}
	id := dig(l1[0], "id").(string)
	if dig(l2[0], "id") != id {
		t.Errorf("ids %v %v", id, dig(l2[0], "id"))
	}
	for _, c := range []struct {
		g     map[string]any
		was   time.Time
		to, s string
	}{{g1, u1, k2, "This issue blocks " + k2}, {g2, u2, k1, "This issue is blocked by " + k1}} {
		hs := dig(c.g, "changelog", "histories").([]any)
		if len(hs) != 1 {
			t.Fatalf("histories %v", hs)
		}
		it := dig(hs[0], "items").([]any)[0].(map[string]any)
		if it["field"] != "Link" || it["fieldtype"] != "jira" || it["to"] != c.to || it["toString"] != c.s || it["from"] != nil {
			t.Errorf("item %v", it)
		}
		if upd, _ := time.Parse(jiraTime, dig(c.g, "fields", "updated").(string)); !upd.After(c.was) {
			t.Errorf("updated %v not after %v", upd, c.was)
		}
	}
	gl := call(t, a, "GET", "/rest/api/2/issueLink/"+id, "airlock", nil)
	mustStatus(t, gl, 200)
	if m := gl.obj(t); dig(m, "inwardIssue", "key") != k1 || dig(m, "outwardIssue", "key") != k2 || dig(m, "type", "name") != "Blocks" {
		t.Errorf("issueLink %v", m)
	}
	mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issueLink/"+id, "airlock", nil), 204)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issueLink/"+id, "airlock", nil), 404)
	mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issueLink/"+id, "airlock", nil), 404)
	g2 = call(t, a, "GET", "/rest/api/2/issue/"+k2+"?expand=changelog", "airlock", nil).obj(t)
	if n := len(dig(g2, "fields", "issuelinks").([]any)); n != 0 {
		t.Errorf("%d links after delete", n)
	}
	hs := dig(g2, "changelog", "histories").([]any)
	it := dig(hs[len(hs)-1], "items").([]any)[0].(map[string]any)
	if it["field"] != "Link" || it["from"] != k1 || it["fromString"] != "This issue is blocked by "+k1 || it["to"] != nil {
		t.Errorf("delete item %v", it)
	}
}

func TestIssueLinkErrors(t *testing.T) {
	_, a := tsim(t)
	_, k1 := createIssue(t, a, nil)
	mk := func(typ, in, out string) map[string]any {
		return map[string]any{"type": map[string]string{"name": typ}, "outwardIssue": map[string]string{"key": out}, "inwardIssue": map[string]string{"key": in}}
	}
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issueLink", "airlock", mk("Nope", k1, k1)), 404)
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issueLink", "airlock", mk("Relates", k1, "ALPHA-999")), 404)
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issueLink", "airlock", map[string]any{"type": map[string]string{"name": "Relates"}}), 400)
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issueLink", "", mk("Relates", k1, k1)), 401)
	// A link whose end is deleted is gone.
	_, k2 := createIssue(t, a, nil)
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issueLink", "airlock", mk("Relates", k1, k2)), 201)
	mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issue/"+k2, "airlock", nil), 204)
	if n := len(dig(call(t, a, "GET", "/rest/api/2/issue/"+k1, "airlock", nil).obj(t), "fields", "issuelinks").([]any)); n != 0 {
		t.Errorf("%d links to a deleted issue", n)
	}
}

func TestJQLLinkedIssuesAndParent(t *testing.T) {
	_, a := tsim(t)
	_, k1 := createIssue(t, a, nil)
	_, k2 := createIssue(t, a, nil)
	_, k3 := createIssue(t, a, nil)
	_, sub := createIssue(t, a, map[string]any{"issuetype": map[string]string{"name": "Sub-task"}, "parent": map[string]string{"key": k3}})
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issueLink", "airlock", map[string]any{"type": map[string]string{"name": "Blocks"},
		"inwardIssue": map[string]string{"key": k1}, "outwardIssue": map[string]string{"key": k2}}), 201)
	keys := func(q string) map[string]bool {
		t.Helper()
		r := call(t, a, "GET", "/rest/api/2/search?jql="+url.QueryEscape(q), "airlock", nil)
		mustStatus(t, r, 200)
		out := map[string]bool{}
		for _, is := range dig(r.obj(t), "issues").([]any) {
			out[dig(is, "key").(string)] = true
		}
		return out
	}
	for q, want := range map[string][]string{
		"issue in linkedIssues(" + k1 + ")":                  {k2},
		"issue in linkedIssues(" + k2 + ")":                  {k1},
		`issue in linkedIssues(` + k1 + `, "blocks")`:        {k2},
		`issue in linkedIssues(` + k1 + `, "is blocked by")`: {},
		`issue in linkedIssues(` + k2 + `, "is blocked by")`: {k1},
		"key in linkedIssues(" + k3 + ")":                    {},
		"parent = " + k3:                                     {sub},
		"parent in (" + k1 + ", " + k3 + ")":                 {sub},
	} {
		got := keys(q)
		if len(got) != len(want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
		for _, k := range want {
			if !got[k] {
				t.Errorf("%s: %v, want %v", q, got, want)
			}
		}
	}
	mustStatus(t, call(t, a, "GET", "/rest/api/2/search?jql="+url.QueryEscape("summary in linkedIssues("+k1+")"), "airlock", nil), 400)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/search?jql="+url.QueryEscape("issue in linkedIssues()"), "airlock", nil), 400)
}

// TestIssueLinkFixtureKeys compares an issuelinks entry, its type and its short issue with
// the JRJC capture of Jira 5.0 (valid-5.0.json).
func TestIssueLinkFixtureKeys(t *testing.T) {
	dir := fixturesDir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "jrjc/issue/valid-5.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	var jrjc map[string]any
	if err := json.Unmarshal(raw, &jrjc); err != nil {
		t.Fatal(err)
	}
	want := dig(jrjc, "fields", "issuelinks").([]any)[0]
	_, a := tsim(t)
	_, k1 := createIssue(t, a, nil)
	_, k2 := createIssue(t, a, nil)
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issueLink", "airlock", map[string]any{"type": map[string]string{"name": "Duplicate"},
		"inwardIssue": map[string]string{"key": k2}, "outwardIssue": map[string]string{"key": k1}}), 201)
	got := dig(call(t, a, "GET", "/rest/api/2/issue/"+k1, "airlock", nil).obj(t), "fields", "issuelinks").([]any)[0]
	for _, c := range []struct {
		name      string
		want, got any
	}{
		{"link", want, got}, {"type", dig(want, "type"), dig(got, "type")},
		{"inwardIssue", dig(want, "inwardIssue"), dig(got, "inwardIssue")},
		{"inwardIssue.fields", dig(want, "inwardIssue", "fields"), dig(got, "inwardIssue", "fields")},
	} {
		if m := missing(keysOf(c.want), c.got); len(m) > 0 {
			t.Errorf("%s lacks %v (have %v)", c.name, m, keysOf(c.got))
		}
	}
}
