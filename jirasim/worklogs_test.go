package jirasim

import (
	"fmt"
	"testing"
)

func lastItems(t *testing.T, a *Instance, key string) map[string]map[string]any {
	t.Helper()
	g := call(t, a, "GET", "/rest/api/2/issue/"+key+"?expand=changelog", "airlock", nil).obj(t)
	hs := dig(g, "changelog", "histories").([]any)
	out := map[string]map[string]any{}
	if len(hs) == 0 {
		return out
	}
	for _, it := range dig(hs[len(hs)-1], "items").([]any) {
		m := it.(map[string]any)
		out[m["field"].(string)] = m
	}
	return out
}

func TestTimeTrackingAndAdjustEstimate(t *testing.T) {
	_, a := tsim(t)
	_, key := createIssue(t, a, map[string]any{"timetracking": map[string]any{"originalEstimate": "1d"}})
	g := call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t)
	if dig(g, "fields", "timeoriginalestimate") != 28800.0 || dig(g, "fields", "timeestimate") != 28800.0 ||
		dig(g, "fields", "timetracking", "remainingEstimate") != "1d" || dig(g, "fields", "timespent") != nil {
		t.Fatalf("after create: %v %v %v", dig(g, "fields", "timeoriginalestimate"), dig(g, "fields", "timeestimate"), dig(g, "fields", "timetracking"))
	}
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+key, "airlock", map[string]any{"update": map[string]any{"timetracking": []any{map[string]any{"edit": map[string]any{"remainingEstimate": "6h"}}}}}), 204)
	if it := lastItems(t, a, key)["timeestimate"]; it == nil || it["from"] != "28800" || it["to"] != "21600" {
		t.Errorf("timeestimate item %v", it)
	}
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+key, "airlock", map[string]any{"fields": map[string]any{"timetracking": map[string]any{"originalEstimate": "soon"}}}), 400)

	steps := []struct {
		method, path string
		body         any
		status       int
		remain       any // timeestimate after the step
		spent        any
	}{
		{"POST", "/worklog", map[string]any{"timeSpentSeconds": 3600, "started": "2024-03-01T09:00:00.000+0000"}, 201, 18000.0, 3600.0},                // auto
		{"POST", "/worklog?adjustEstimate=leave", map[string]any{"timeSpent": "1h"}, 201, 18000.0, 7200.0},                                             // leave
		{"POST", "/worklog?adjustEstimate=new&newEstimate=2h", map[string]any{"timeSpent": "30m"}, 201, 7200.0, 9000.0},                                // new
		{"POST", "/worklog?adjustEstimate=manual&reduceBy=15m", map[string]any{"timeSpent": "1h"}, 201, 6300.0, 12600.0},                               // manual
		{"POST", "/worklog?adjustEstimate=new", map[string]any{"timeSpent": "1h"}, 400, 6300.0, 12600.0},                                               // newEstimate missing
		{"POST", "/worklog?adjustEstimate=manual", map[string]any{"timeSpent": "1h"}, 400, 6300.0, 12600.0},                                            // reduceBy missing
		{"POST", "/worklog?adjustEstimate=True", map[string]any{"timeSpent": "1h"}, 400, 6300.0, 12600.0},                                              // not a mode
		{"POST", "/worklog", map[string]any{"timeSpent": "an hour"}, 400, 6300.0, 12600.0},                                                             // bad duration
		{"POST", "/worklog", map[string]any{"timeSpentSeconds": 10 * 3600}, 201, 0.0, 48600.0},                                                         // never below 0
		{"POST", "/worklog?adjustEstimate=AUTO", map[string]any{"timeSpentSeconds": 61, "started": "2024-03-01T09:00:07.123+0000"}, 201, 0.0, 48661.0}, // exact seconds
	}
	var ids []string
	for n, s := range steps {
		r := call(t, a, s.method, "/rest/api/2/issue/"+key+s.path, "airlock", s.body)
		mustStatus(t, r, s.status)
		if s.status == 201 {
			ids = append(ids, dig(r.obj(t), "id").(string))
		}
		g := call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t)
		if dig(g, "fields", "timeestimate") != s.remain || dig(g, "fields", "timespent") != s.spent {
			t.Errorf("step %d %s: remaining %v spent %v, want %v %v", n, s.path, dig(g, "fields", "timeestimate"), dig(g, "fields", "timespent"), s.remain, s.spent)
		}
	}
	w := call(t, a, "GET", "/rest/api/2/issue/"+key+"/worklog/"+ids[len(ids)-1], "airlock", nil).obj(t)
	if w["timeSpentSeconds"] != 61.0 || w["started"] != "2024-03-01T09:00:07.123+0000" {
		t.Errorf("worklog %v %v", w["timeSpentSeconds"], w["started"])
	}
	// Update: auto moves the estimate by the difference; delete: auto gives the time back.
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+key, "airlock", map[string]any{"fields": map[string]any{"timetracking": map[string]any{"remainingEstimate": "2h"}}}), 204)
	r := call(t, a, "PUT", "/rest/api/2/issue/"+key+"/worklog/"+ids[0], "airlock", map[string]any{"timeSpentSeconds": 1800, "comment": "less"})
	mustStatus(t, r, 200)
	if o := r.obj(t); o["timeSpentSeconds"] != 1800.0 || o["comment"] != "less" || dig(o, "updateAuthor", "name") != "airlock" {
		t.Errorf("updated worklog %v", o)
	}
	if it := lastItems(t, a, key); it["timeestimate"]["to"] != "9000" || it["timespent"]["to"] != "46861" || it["WorklogId"] != nil {
		t.Errorf("update items %v", it)
	}
	mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issue/"+key+"/worklog/"+ids[1]+"?adjustEstimate=manual&increaseBy=1h", "airlock", nil), 204)
	it := lastItems(t, a, key)
	if it["timeestimate"]["to"] != "12600" || it["WorklogId"]["from"] != ids[1] || it["WorklogTimeSpent"]["from"] != "3600" {
		t.Errorf("delete items %v", it)
	}
	mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issue/"+key+"/worklog/"+ids[1], "airlock", nil), 404)
	mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issue/"+key+"/worklog/"+ids[2], "airlock", nil), 204)
	g = call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t)
	if dig(g, "fields", "timeestimate") != 14400.0 || dig(g, "fields", "worklog", "total") != 4.0 {
		t.Errorf("after deletes: %v, %v worklogs", dig(g, "fields", "timeestimate"), dig(g, "fields", "worklog", "total"))
	}
	if p := dig(g, "fields", "progress"); fmt.Sprint(p) != "map[percent:74 progress:41461 total:55861]" {
		t.Errorf("progress %v", p)
	}
}

func TestWorklogVisibilityAndPermissions(t *testing.T) {
	_, a := tsim(t)
	_, key := createIssue(t, a, nil)
	r := call(t, a, "POST", "/rest/api/2/issue/"+key+"/worklog", "admin", map[string]any{"timeSpent": "1h", "visibility": map[string]string{"type": "group", "value": "jira-administrators"}})
	mustStatus(t, r, 201)
	hidden := dig(r.obj(t), "id").(string)
	r = call(t, a, "POST", "/rest/api/2/issue/"+key+"/worklog", "alice", map[string]any{"timeSpent": "2h"})
	mustStatus(t, r, 201)
	alices := dig(r.obj(t), "id").(string)
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issue/"+key+"/worklog", "alice", map[string]any{"timeSpent": "1h", "visibility": map[string]string{"type": "group", "value": "nobody"}}), 400)

	if l := call(t, a, "GET", "/rest/api/2/issue/"+key+"/worklog", "bob", nil).obj(t); l["total"] != 1.0 {
		t.Errorf("bob sees %v worklogs, want 1", l["total"])
	}
	if g := call(t, a, "GET", "/rest/api/2/issue/"+key, "bob", nil).obj(t); dig(g, "fields", "worklog", "total") != 1.0 {
		t.Errorf("bob's issue bean holds %v worklogs", dig(g, "fields", "worklog", "total"))
	}
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/"+key+"/worklog/"+hidden, "bob", nil), 404)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/"+key+"/worklog/"+hidden, "admin", nil), 200)
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+key+"/worklog/"+alices, "bob", map[string]any{"timeSpent": "3h"}), 403)
	mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issue/"+key+"/worklog/"+alices, "bob", nil), 403)
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+key+"/worklog/"+alices, "alice", map[string]any{"timeSpent": "3h"}), 200)
	mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issue/"+key+"/worklog/"+alices, "airlock", nil), 204) // project admin
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/"+key+"/worklog/99999", "admin", nil), 404)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/NOPE-1/worklog", "admin", nil), 404)
}

func TestAggregateTimeWithSubtasks(t *testing.T) {
	_, a := tsim(t)
	pid, key := createIssue(t, a, map[string]any{"timetracking": map[string]any{"originalEstimate": "2h"}})
	r := call(t, a, "POST", "/rest/api/2/issue", "airlock", map[string]any{"fields": map[string]any{
		"project": map[string]string{"key": "ALPHA"}, "issuetype": map[string]string{"id": "10003"}, "summary": "sub",
		"parent": map[string]string{"id": pid}, "timetracking": map[string]any{"originalEstimate": "1h", "remainingEstimate": "30m"}}})
	mustStatus(t, r, 201)
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issue/"+dig(r.obj(t), "key").(string)+"/worklog", "airlock", map[string]any{"timeSpent": "10m"}), 201)
	g := call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t)
	f := g["fields"].(map[string]any)
	if f["aggregatetimeoriginalestimate"] != 10800.0 || f["aggregatetimeestimate"] != 8400.0 || f["aggregatetimespent"] != 600.0 || f["timespent"] != nil {
		t.Errorf("aggregates %v %v %v %v", f["aggregatetimeoriginalestimate"], f["aggregatetimeestimate"], f["aggregatetimespent"], f["timespent"])
	}
}

func TestTimeTrackingOnScreens(t *testing.T) {
	_, a := tsim(t)
	_, key := createIssue(t, a, nil)
	m := call(t, a, "GET", "/rest/api/2/issue/"+key+"/editmeta", "airlock", nil).obj(t)
	tt := dig(m, "fields", "timetracking")
	if tt == nil || fmt.Sprint(dig(tt, "operations")) != "[set edit]" || dig(tt, "schema", "type") != "timetracking" || dig(tt, "schema", "system") != "timetracking" {
		t.Errorf("editmeta timetracking %v", tt)
	}
	for _, id := range []string{"timeestimate", "timespent", "worklog"} {
		if dig(m, "fields", id) != nil {
			t.Errorf("%s on the edit screen", id)
		}
	}
	// A remaining estimate alone leaves the original unset; "" clears.
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+key, "airlock", map[string]any{"fields": map[string]any{"timetracking": map[string]any{"remainingEstimate": "3h"}}}), 204)
	g := call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t)
	if dig(g, "fields", "timeoriginalestimate") != nil || dig(g, "fields", "timeestimate") != 10800.0 || dig(g, "fields", "workratio") != -1.0 {
		t.Errorf("remaining only: %v %v", dig(g, "fields", "timeoriginalestimate"), dig(g, "fields", "timeestimate"))
	}
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+key, "airlock", map[string]any{"fields": map[string]any{"timetracking": map[string]any{"remainingEstimate": ""}}}), 204)
	if it := lastItems(t, a, key)["timeestimate"]; it == nil || it["from"] != "10800" || it["to"] != nil {
		t.Errorf("clear item %v", it)
	}
	if g := call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t); fmt.Sprint(dig(g, "fields", "timetracking")) != "map[]" {
		t.Errorf("timetracking after clear %v", dig(g, "fields", "timetracking"))
	}
}
