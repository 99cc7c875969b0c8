package jirasim

import "testing"

// Query-string booleans read as Java's Boolean.valueOf: "true" in any case is true.
func TestQueryBooleansAsJava(t *testing.T) {
	_, a := tsim(t)
	for _, v := range []string{"True", "TRUE", "true"} {
		_, parent := createIssue(t, a, nil)
		createIssue(t, a, map[string]any{"issuetype": map[string]string{"name": "Sub-task"}, "parent": map[string]string{"key": parent}})
		mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issue/"+parent+"?deleteSubtasks="+v, "airlock", nil), 204)
	}
	_, parent := createIssue(t, a, nil)
	createIssue(t, a, map[string]any{"issuetype": map[string]string{"name": "Sub-task"}, "parent": map[string]string{"key": parent}})
	for _, v := range []string{"yes", "1", "False", ""} {
		mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issue/"+parent+"?deleteSubtasks="+v, "airlock", nil), 400)
	}
	body := map[string]any{"fields": map[string]any{"summary": "z"}}
	for v, want := range map[string]int{"FALSE": 403, "False": 403, "no": 403, "TRUE": 204, "True": 204} {
		mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+parent+"?notifyUsers="+v, "alice", body), want)
	}
	if n := len(call(t, a, "GET", "/rest/api/2/user/search?username=.&includeInactive=TRUE", "airlock", nil).arr(t)); n < 4 {
		t.Errorf("includeInactive=TRUE listed %d users", n)
	}
}
