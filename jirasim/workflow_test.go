package jirasim

import (
	"testing"
	"time"
)

func TestSimplifiedWorkflow(t *testing.T) {
	_, a := tsim(t)
	_, key := createIssue(t, a, map[string]any{"project": map[string]string{"key": SimpleProjectKey}})
	list := func() map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, tr := range dig(call(t, a, "GET", "/rest/api/2/issue/"+key+"/transitions", "airlock", nil).obj(t), "transitions").([]any) {
			out[dig(tr, "to", "name").(string)] = tr.(map[string]any)
		}
		return out
	}
	tr := list()
	if len(tr) != 3 || tr["To Do"]["isLooped"] != true || tr["Done"]["isGlobal"] != true || tr["Done"]["hasScreen"] != false || tr["Done"]["id"] != "31" {
		t.Errorf("transitions from To Do %v", tr)
	}
	do := func(id string, want int) {
		t.Helper()
		mustStatus(t, call(t, a, "POST", "/rest/api/2/issue/"+key+"/transitions", "airlock", map[string]any{"transition": map[string]string{"id": id}}), want)
	}
	do("31", 204) // To Do -> Done in one step
	g := call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t)
	if dig(g, "fields", "status", "name") != "Done" || dig(g, "fields", "resolution", "name") != "Done" {
		t.Errorf("after Done %v %v", dig(g, "fields", "status"), dig(g, "fields", "resolution"))
	}
	if len(list()) != 3 {
		t.Error("Done does not offer every status")
	}
	do("21", 204) // Done -> In Progress in one step
	if dig(call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t), "fields", "resolution") != nil {
		t.Error("resolution kept out of Done")
	}
	before, _ := a.Updated(key)
	a.Knobs().AdvanceClock(time.Minute)
	do("21", 204) // looped
	if after, _ := a.Updated(key); !after.After(before) {
		t.Error("a looped transition did not bump updated")
	}
	hs := dig(call(t, a, "GET", "/rest/api/2/issue/"+key+"?expand=changelog", "airlock", nil).obj(t), "changelog", "histories").([]any)
	for _, h := range hs[2:] {
		t.Errorf("looped transition wrote %v", h)
	}
	// No screen: the resolution cannot be set on the way to Done.
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issue/"+key+"/transitions", "airlock", map[string]any{"transition": map[string]string{"id": "31"},
		"fields": map[string]any{"resolution": map[string]string{"name": "Won't Do"}}}), 400)
	// The default workflow is unchanged in ALPHA.
	_, k2 := createIssue(t, a, nil)
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issue/"+k2+"/transitions", "airlock", map[string]any{"transition": map[string]string{"id": "21"}}), 400)
}
