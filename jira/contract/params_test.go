package contract

import (
	"net/http"
	"testing"

	"github.com/airlock-sync/airlock/jira"
)

// TestQueryBooleanCase: Jira reads query-string booleans with Java's Boolean.valueOf, so
// deleteSubtasks=True (as a widely used Python client sends it) deletes a parent with its
// sub-tasks. The request is sent raw: jira.Client always writes "true".
func TestQueryBooleanCase(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		subType := e.subtaskType(t, tg)
		parent := e.create(t, "boolean parent", nil)
		sub := e.create(t, "boolean sub-task", map[string]any{"issuetype": map[string]any{"id": subType}, "parent": map[string]any{"key": parent.Key}})
		req, err := http.NewRequestWithContext(e.ctx, http.MethodDelete, tg.BaseURL+"/rest/api/2/issue/"+parent.Key+"?deleteSubtasks=True", nil)
		if err != nil {
			t.Fatal(err)
		}
		switch a := tg.Auth.(type) {
		case jira.BasicAuth:
			req.SetBasicAuth(a.User, a.Password)
		case jira.TokenAuth:
			req.Header.Set("Authorization", "Bearer "+a.Token)
		default:
			t.Skipf("auth %T", tg.Auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("DELETE ?deleteSubtasks=True: %d, want 204", resp.StatusCode)
		}
		if _, err := e.c.GetIssue(e.ctx, sub.Key, jira.GetIssueOptions{}); !jira.IsNotFound(err) {
			t.Errorf("sub-task after deleteSubtasks=True: %v", err)
		}
	})
}
