package jirasim_test

import (
	"net/http"
	"testing"

	gojira "github.com/andygrunwald/go-jira"
)

// TestGoJiraLinksAndSubtasks creates a sub-task and an issue link on the emulator with
// go-jira's own types, reads them back typed, and deletes the link. (go-jira's
// IssueLinkType.GetList expects a bare array where Jira answers {"issueLinkTypes":[...]},
// so it is not used here.)
func TestGoJiraLinksAndSubtasks(t *testing.T) {
	c, in := goJiraOn(t, "/jira")
	project := gojira.Project{Key: in.ProjectKey()}
	parent, resp, err := c.Issue.Create(&gojira.Issue{Fields: &gojira.IssueFields{Project: project, Type: gojira.IssueType{Name: "Story"}, Summary: "parent"}})
	if err != nil {
		t.Fatalf("create parent: %v (%s)", err, body(resp))
	}
	other, _, err := c.Issue.Create(&gojira.Issue{Fields: &gojira.IssueFields{Project: project, Type: gojira.IssueType{Name: "Task"}, Summary: "other"}})
	if err != nil {
		t.Fatal(err)
	}
	sub, resp, err := c.Issue.Create(&gojira.Issue{Fields: &gojira.IssueFields{Project: project, Type: gojira.IssueType{Name: "Sub-task"},
		Summary: "child", Parent: &gojira.Parent{Key: parent.Key}}})
	if err != nil {
		t.Fatalf("create sub-task: %v (%s)", err, body(resp))
	}
	resp, err = c.Issue.AddLink(&gojira.IssueLink{Type: gojira.IssueLinkType{Name: "Blocks"},
		InwardIssue: &gojira.Issue{Key: parent.Key}, OutwardIssue: &gojira.Issue{Key: other.Key}}) // "parent blocks other"
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("add link: %v (%s)", err, body(resp))
	}

	p, _, err := c.Issue.Get(parent.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := p.Fields.Subtasks; len(st) != 1 || st[0].Key != sub.Key || st[0].Fields.Summary != "child" || !st[0].Fields.Type.Subtask {
		t.Errorf("subtasks = %+v", st)
	}
	links := p.Fields.IssueLinks
	if len(links) != 1 || links[0].OutwardIssue == nil || links[0].OutwardIssue.Key != other.Key || links[0].Type.Outward != "blocks" ||
		links[0].OutwardIssue.Fields == nil || links[0].OutwardIssue.Fields.Summary != "other" {
		t.Fatalf("issuelinks = %+v", links)
	}
	s, _, err := c.Issue.Get(sub.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Fields.Parent == nil || s.Fields.Parent.Key != parent.Key || s.Fields.Parent.ID != parent.ID {
		t.Errorf("parent = %+v", s.Fields.Parent)
	}
	if _, err := c.Issue.DeleteLink(links[0].ID); err != nil {
		t.Fatalf("delete link: %v", err)
	}
	o, _, err := c.Issue.Get(other.Key, nil)
	if err != nil || len(o.Fields.IssueLinks) != 0 {
		t.Errorf("links after delete: %+v, %v", o.Fields.IssueLinks, err)
	}
	// go-jira's Delete puts deleteSubtasks in a JSON body; Jira reads the query parameter
	// only, so a parent with sub-tasks answers 400, here as on Jira.
	if resp, err := c.Issue.Delete(parent.Key); err == nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("go-jira delete of a parent: %v, want 400", err)
	}
}
