package engine

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jira"
)

// TestDataMinimisationRelaySeesOnlySharedData syncs A to the relay AB with rules that leave out
// a field (environment: not in the rules), keep another one inbound only (a custom text field,
// direction "in"), and with a restricted comment on A. After a full sync it scans every request
// AB received (bodies and queries, from every client) and proves that neither secret value nor
// the restricted comment reached the relay, while the shared fields and the public comment did.
func TestDataMinimisationRelaySeesOnlySharedData(t *testing.T) {
	const (
		secretEnv     = "TOP-SECRET-environment-4f1c9a"
		secretCF      = "TOP-SECRET-customer-ref-8d2e77"
		secretComment = "TOP-SECRET-restricted-comment-b51d03"
		sharedSummary = "shared summary 6a0e"
		sharedDesc    = "shared description with *wiki* markup 93b1"
		publicComment = "public comment 2c7f"
	)
	w := newSimWorld(t)
	rules := DefaultRules()
	rules.Attachments.Enabled = false
	rules.Fields = append(rules.Fields, FieldRule{Name: "customer_ref", Kind: KindText, Local: "customfield_10100",
		Remote: "customfield_10100", Direction: DirIn})
	n := w.newNode(rules, nil, [2]string{"A", "AB"})
	w.clearLogs()

	a := w.createIssue("A", map[string]any{"summary": sharedSummary, "description": sharedDesc,
		"environment": secretEnv, "customfield_10100": secretCF, "labels": []string{"shared-label"}})
	human := w.human("A", "admin")
	if _, err := human.AddComment(w.ctx, a.Key, jira.CommentInput{Body: secretComment,
		Visibility: &jira.Visibility{Type: "role", Value: "Administrators"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := human.AddComment(w.ctx, a.Key, jira.CommentInput{Body: publicComment}); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	// A later edit of the secret values must not leak them either.
	w.edit("A", a.Key, map[string]any{"environment": secretEnv + "-v2", "customfield_10100": secretCF + "-v2", "summary": sharedSummary + " v2"})
	settle(t, n)

	abKey := n.peer(a.Key)
	if abKey == "" {
		t.Fatal("A's issue has no twin on AB")
	}
	entries := w.sim.Instance("AB").Log().Entries()
	if len(entries) == 0 {
		t.Fatal("the relay logged no request")
	}
	var all strings.Builder
	for _, e := range entries {
		for _, secret := range []string{secretEnv, secretCF, secretComment} {
			if strings.Contains(e.Body, secret) || strings.Contains(e.Query, secret) || strings.Contains(e.Path, secret) {
				t.Errorf("the relay received %q: %s %s?%s %s", secret, e.Method, e.Path, e.Query, e.Body)
			}
		}
		all.WriteString(e.Body)
		all.WriteString("\n")
	}
	// The control: what the rules share did cross, in the same log.
	for _, shared := range []string{sharedSummary + " v2", jsonText(sharedDesc), publicComment, "shared-label"} {
		if !strings.Contains(all.String(), shared) {
			t.Errorf("the shared value %q never reached the relay: the scan proves nothing", shared)
		}
	}
	// And the relay's issue holds exactly that.
	is := w.get("AB", abKey)
	if got := fieldString(is, "environment"); got != "" {
		t.Errorf("AB environment = %q", got)
	}
	if got := fieldString(is, "customfield_10100"); got != "" {
		t.Errorf("AB customer ref = %q", got)
	}
	cs, err := w.human("AB", "admin").Comments(w.ctx, abKey, jira.CommentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || !strings.Contains(cs[0].Body, publicComment) {
		t.Errorf("AB comments = %+v, want only the public one", cs)
	}
}

// jsonText is s as it appears inside a JSON string.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}
