package jirasim

import (
	"testing"
	"time"
)

func TestSubtasks(t *testing.T) {
	_, a := tsim(t)
	_, p1 := createIssue(t, a, nil)
	_, p2 := createIssue(t, a, nil)
	sub := func(parent map[string]string) map[string]any {
		return map[string]any{"issuetype": map[string]string{"name": "Sub-task"}, "parent": parent}
	}
	s1id, s1 := createIssue(t, a, sub(map[string]string{"key": p1}))
	pid := dig(call(t, a, "GET", "/rest/api/2/issue/"+p1, "airlock", nil).obj(t), "id").(string)
	_, s2 := createIssue(t, a, sub(map[string]string{"id": pid}))

	g := call(t, a, "GET", "/rest/api/2/issue/"+p1, "airlock", nil).obj(t)
	subs := dig(g, "fields", "subtasks").([]any)
	if len(subs) != 2 || dig(subs[0], "key") != s1 || dig(subs[1], "key") != s2 || dig(subs[0], "fields", "issuetype", "subtask") != true {
		t.Errorf("subtasks %v", subs)
	}
	if dig(g, "fields", "parent") != nil {
		t.Errorf("a standard issue has a parent: %v", dig(g, "fields", "parent"))
	}
	gs := call(t, a, "GET", "/rest/api/2/issue/"+s1, "airlock", nil).obj(t)
	if dig(gs, "fields", "parent", "key") != p1 || dig(gs, "fields", "parent", "fields", "summary") == nil {
		t.Errorf("parent %v", dig(gs, "fields", "parent"))
	}
	if l := call(t, a, "GET", "/rest/api/2/issue/"+p1+"/subtask", "airlock", nil).arr(t); len(l) != 2 || dig(l[0], "id") != s1id {
		t.Errorf("GET subtask %v", l)
	}

	// Refused shapes.
	for name, f := range map[string]map[string]any{
		"sub-task of a sub-task": sub(map[string]string{"key": s1}),
		"standard with parent":   {"issuetype": map[string]string{"name": "Task"}, "parent": map[string]string{"key": p1}},
		"unknown parent":         sub(map[string]string{"key": "ALPHA-999"}),
	} {
		f["project"], f["summary"] = map[string]string{"key": "ALPHA"}, name
		r := call(t, a, "POST", "/rest/api/2/issue", "airlock", map[string]any{"fields": f})
		mustStatus(t, r, 400)
		if dig(r.obj(t), "errors", "parent") == nil {
			t.Errorf("%s: %s", name, r.raw)
		}
	}
	// DC has no REST move: PUT parent is refused.
	r := call(t, a, "PUT", "/rest/api/2/issue/"+s1, "airlock", map[string]any{"fields": map[string]any{"parent": map[string]string{"key": p2}}})
	mustStatus(t, r, 400)

	// The web UI's "Change parent", through the Go helper.
	before, _ := a.Updated(s1)
	a.Knobs().AdvanceClock(time.Minute)
	if err := a.MoveSubtask(s1, p2, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := a.MoveSubtask(s1, s2, "alice"); err == nil {
		t.Error("moved a sub-task under a sub-task")
	}
	gs = call(t, a, "GET", "/rest/api/2/issue/"+s1+"?expand=changelog", "airlock", nil).obj(t)
	if dig(gs, "fields", "parent", "key") != p2 {
		t.Errorf("parent after move %v", dig(gs, "fields", "parent"))
	}
	if after, _ := a.Updated(s1); !after.After(before) {
		t.Errorf("updated %v not after %v", after, before)
	}
	hs := dig(gs, "changelog", "histories").([]any)
	if len(hs) != 1 || dig(hs[0], "author", "name") != "alice" || dig(dig(hs[0], "items").([]any)[0], "field") != "parent" {
		t.Errorf("histories %v", hs)
	}
	if n := len(dig(call(t, a, "GET", "/rest/api/2/issue/"+p2, "airlock", nil).obj(t), "fields", "subtasks").([]any)); n != 1 {
		t.Errorf("new parent has %d sub-tasks", n)
	}
	if n := len(dig(call(t, a, "GET", "/rest/api/2/issue/"+p1, "airlock", nil).obj(t), "fields", "subtasks").([]any)); n != 1 {
		t.Errorf("old parent has %d sub-tasks", n)
	}
	// The same through the admin endpoint, back to p1.
	mustStatus(t, call(t, a, "POST", "/__sim/move-subtask", "", map[string]string{"subtask": s1, "parent": p1, "username": "bob"}), 200)
	mustStatus(t, call(t, a, "POST", "/__sim/move-subtask", "", map[string]string{"subtask": s1, "parent": "ALPHA-999", "username": "bob"}), 400)
	if dig(call(t, a, "GET", "/rest/api/2/issue/"+s1, "airlock", nil).obj(t), "fields", "parent", "key") != p1 {
		t.Error("admin move-subtask did not move")
	}
}
