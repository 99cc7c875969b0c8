package jirasim

import (
	"strings"
	"testing"
)

func TestBulkCreate(t *testing.T) {
	_, a := tsim(t)
	el := func(summary string, typ string) map[string]any {
		f := map[string]any{"project": map[string]string{"key": "ALPHA"}, "issuetype": map[string]string{"id": typ}}
		if summary != "" {
			f["summary"] = summary
		}
		return map[string]any{"fields": f}
	}
	r := call(t, a, "POST", "/rest/api/2/issue/bulk", "airlock", map[string]any{"issueUpdates": []any{el("one", "10002"), el("", "10002"), el("sub", "10003"), el("two", "10004")}})
	mustStatus(t, r, 201)
	o := r.obj(t)
	issues, errs := o["issues"].([]any), o["errors"].([]any)
	if len(issues) != 2 || len(errs) != 2 {
		t.Fatalf("issues %v errors %v", issues, errs)
	}
	for n, want := range []struct {
		el    float64
		field string
	}{{1, "summary"}, {2, "parent"}} {
		e := errs[n]
		if dig(e, "failedElementNumber") != want.el || dig(e, "status") != 400.0 || dig(e, "elementErrors", "errors", want.field) == nil {
			t.Errorf("error %d: %v", n, e)
		}
	}
	for _, is := range issues {
		key := dig(is, "key").(string)
		if !strings.HasPrefix(key, "ALPHA-") || dig(is, "self") == nil || dig(is, "id") == nil {
			t.Errorf("issue %v", is)
		}
		mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil), 200)
	}
	r = call(t, a, "POST", "/rest/api/2/issue/bulk", "airlock", map[string]any{"issueUpdates": []any{el("", "10002")}})
	mustStatus(t, r, 400)
	if errs := r.obj(t)["errors"].([]any); len(errs) != 1 {
		t.Errorf("all failed: %v", errs)
	}
	many := make([]any, 51)
	for n := range many {
		many[n] = el("x", "10002")
	}
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issue/bulk", "airlock", map[string]any{"issueUpdates": many}), 400)
	mustStatus(t, call(t, a, "POST", "/rest/api/2/issue/bulk", "", map[string]any{"issueUpdates": []any{el("x", "10002")}}), 401)
	if n := a.Log().Count("POST /rest/api/2/issue/bulk"); n != 4 {
		t.Errorf("request log counts %d bulk calls", n)
	}
}
