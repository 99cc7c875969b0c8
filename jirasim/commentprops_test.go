package jirasim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Comment properties: set on create, shown only with expand=properties on the comment resources,
// kept off fields.comment, and changed through /comment/{id}/properties with Jira's codes.
func TestCommentProperties(t *testing.T) {
	_, a := tsim(t)
	id, key := createIssue(t, a, nil)
	internal := map[string]any{"key": "sd.public.comment", "value": map[string]any{"internal": true}}
	r := call(t, a, "POST", "/rest/api/2/issue/"+key+"/comment?expand=properties", "alice",
		map[string]any{"body": "agents only", "properties": []any{internal}})
	mustStatus(t, r, 201)
	cid := r.obj(t)["id"].(string)
	if got, _ := json.Marshal(r.obj(t)["properties"]); string(got) != `[{"key":"sd.public.comment","value":{"internal":true}}]` {
		t.Errorf("created comment properties %s", got)
	}

	// Without expand there are no properties; with it, on the list and on one comment.
	if p, ok := call(t, a, "GET", "/rest/api/2/issue/"+key+"/comment/"+cid, "airlock", nil).obj(t)["properties"]; ok {
		t.Errorf("properties without expand: %v", p)
	}
	list := call(t, a, "GET", "/rest/api/2/issue/"+key+"/comment?expand=properties", "airlock", nil).obj(t)
	if v := dig(list["comments"].([]any)[0], "properties"); v == nil || len(v.([]any)) != 1 {
		t.Errorf("list with expand: %v", list)
	}
	iss := call(t, a, "GET", "/rest/api/2/issue/"+key+"?fields=comment&expand=properties", "airlock", nil).obj(t)
	if p := dig(iss, "fields", "comment", "comments").([]any)[0].(map[string]any)["properties"]; p != nil {
		t.Errorf("fields.comment carries properties: %v", p)
	}

	// The property endpoints.
	keys := call(t, a, "GET", "/rest/api/2/comment/"+cid+"/properties", "airlock", nil)
	mustStatus(t, keys, 200)
	k0 := keys.obj(t)["keys"].([]any)[0].(map[string]any)
	if k0["key"] != "sd.public.comment" || k0["self"] != a.URL()+"/rest/api/2/comment/"+cid+"/properties/sd.public.comment" {
		t.Errorf("keys %s", keys.raw)
	}
	got := call(t, a, "GET", "/rest/api/2/comment/"+cid+"/properties/sd.public.comment", "airlock", nil)
	mustStatus(t, got, 200)
	if string(got.raw) != `{"key":"sd.public.comment","value":{"internal":true}}` {
		t.Errorf("get %s", got.raw)
	}

	before, _ := a.Updated(key)
	commentBefore := call(t, a, "GET", "/rest/api/2/issue/"+key+"/comment/"+cid, "airlock", nil).obj(t)["updated"]
	time.Sleep(5 * time.Millisecond)
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/comment/"+cid+"/properties/sd.public.comment", "airlock", `{"internal":false}`), 200)
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/comment/"+cid+"/properties/other", "airlock", `{"n":1}`), 201)
	after, _ := a.Updated(key)
	if !after.After(before) {
		t.Errorf("a property change leaves the issue's updated at %v", after)
	}
	c2 := call(t, a, "GET", "/rest/api/2/issue/"+key+"/comment/"+cid+"?expand=properties", "airlock", nil).obj(t)
	if c2["updated"] != commentBefore {
		t.Errorf("comment updated moved %v -> %v", commentBefore, c2["updated"])
	}
	if b, _ := json.Marshal(c2["properties"]); string(b) != `[{"key":"sd.public.comment","value":{"internal":false}},{"key":"other","value":{"n":1}}]` {
		t.Errorf("after PUT %s", b)
	}
	hist := call(t, a, "GET", "/rest/api/2/issue/"+id+"?expand=changelog&fields=summary", "airlock", nil).obj(t)
	if n := dig(hist, "changelog", "total"); n != 0.0 {
		t.Errorf("a property change wrote history: %v", dig(hist, "changelog"))
	}

	for _, tc := range []struct {
		name, method, path, user, body string
		status                         int
	}{
		{"unknown comment", "GET", "/rest/api/2/comment/99999/properties", "airlock", "", 404},
		{"unknown key", "GET", "/rest/api/2/comment/" + cid + "/properties/nope", "airlock", "", 404},
		{"put unknown comment", "PUT", "/rest/api/2/comment/99999/properties/x", "airlock", `{}`, 404},
		{"bad json", "PUT", "/rest/api/2/comment/" + cid + "/properties/x", "airlock", `{"a":`, 400},
		{"empty body", "PUT", "/rest/api/2/comment/" + cid + "/properties/x", "airlock", ``, 400},
		{"not the author", "PUT", "/rest/api/2/comment/" + cid + "/properties/x", "bob", `{}`, 403},
		{"author may", "PUT", "/rest/api/2/comment/" + cid + "/properties/x", "alice", `{}`, 201},
		{"anonymous", "GET", "/rest/api/2/comment/" + cid + "/properties", "", "", 404},
		{"delete unknown key", "DELETE", "/rest/api/2/comment/" + cid + "/properties/nope", "airlock", "", 404},
		{"delete", "DELETE", "/rest/api/2/comment/" + cid + "/properties/other", "airlock", "", 204},
		{"deleted", "GET", "/rest/api/2/comment/" + cid + "/properties/other", "airlock", "", 404},
		{"bad property on create", "POST", "/rest/api/2/issue/" + key + "/comment", "airlock",
			`{"body":"x","properties":[{"key":"","value":{}}]}`, 400},
	} {
		var body any
		if tc.body != "" || tc.method == "PUT" {
			body = tc.body
		}
		if r := call(t, a, tc.method, tc.path, tc.user, body); r.status != tc.status {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, r.status, tc.status, r.raw)
		}
	}

	// A restricted comment's properties are as invisible as the comment.
	r = call(t, a, "POST", "/rest/api/2/issue/"+key+"/comment", "admin",
		map[string]any{"body": "admins", "visibility": map[string]string{"type": "role", "value": "Administrators"}})
	mustStatus(t, r, 201)
	if r := call(t, a, "GET", "/rest/api/2/comment/"+r.obj(t)["id"].(string)+"/properties", "bob", nil); r.status != 404 {
		t.Errorf("restricted comment's properties: %d", r.status)
	}

	// update.comment add carries properties too, and a comment edit keeps them.
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+key, "airlock",
		map[string]any{"update": map[string]any{"comment": []any{map[string]any{"add": map[string]any{"body": "via edit", "properties": []any{internal}}}}}}), 204)
	list = call(t, a, "GET", "/rest/api/2/issue/"+key+"/comment?expand=properties", "airlock", nil).obj(t)
	last := list["comments"].([]any)[len(list["comments"].([]any))-1]
	if b, _ := json.Marshal(dig(last, "properties")); !strings.Contains(string(b), `"internal":true`) {
		t.Errorf("update.comment add: %s", b)
	}
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+key+"/comment/"+cid+"?expand=properties", "airlock", map[string]any{"body": "edited"}), 200)
	if v := call(t, a, "GET", "/rest/api/2/comment/"+cid+"/properties/sd.public.comment", "airlock", nil); v.status != 200 {
		t.Errorf("edit lost the property: %s", v.raw)
	}
}
