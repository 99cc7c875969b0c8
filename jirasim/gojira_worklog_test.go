package jirasim_test

import (
	"net/http"
	"testing"
	"time"

	gojira "github.com/andygrunwald/go-jira"
)

// TestGoJiraWorklogs drives worklogs, time tracking, watchers, the assignee resource and a
// sub-task with go-jira's own types (v1.17). go-jira's GetWatchers and RemoveWatcher are
// written for Jira Cloud (accountId, a body on DELETE) and cannot work against Jira Server,
// so they are left out; AddWatcher sends the Server shape (a JSON string).
func TestGoJiraWorklogs(t *testing.T) {
	c, in := goJiraOn(t, "/jira")

	created, resp, err := c.Issue.Create(&gojira.Issue{Fields: &gojira.IssueFields{
		Project:      gojira.Project{Key: in.ProjectKey()},
		Type:         gojira.IssueType{Name: "Task"},
		Summary:      "worklogs from go-jira",
		TimeTracking: &gojira.TimeTracking{OriginalEstimate: "1d 4h"},
	}})
	if err != nil {
		t.Fatalf("create: %v (%s)", err, body(resp))
	}

	started := gojira.Time(time.Date(2024, 3, 1, 9, 30, 15, 0, time.UTC))
	wl, resp, err := c.Issue.AddWorklogRecord(created.Key, &gojira.WorklogRecord{Comment: "pairing", Started: &started, TimeSpentSeconds: 5400})
	if err != nil {
		t.Fatalf("add worklog: %v (%s)", err, body(resp))
	}
	if resp.StatusCode != http.StatusCreated || wl.ID == "" || wl.IssueID != created.ID || wl.TimeSpentSeconds != 5400 || wl.TimeSpent != "1h 30m" ||
		wl.Author == nil || wl.Author.Name != "airlock" || wl.Started == nil || !time.Time(*wl.Started).Equal(time.Time(started)) {
		t.Errorf("worklog = %d %+v", resp.StatusCode, wl)
	}
	upd, resp, err := c.Issue.UpdateWorklogRecord(created.Key, wl.ID, &gojira.WorklogRecord{TimeSpentSeconds: 3600, Comment: "pairing, shorter"})
	if err != nil {
		t.Fatalf("update worklog: %v (%s)", err, body(resp))
	}
	if upd.TimeSpentSeconds != 3600 || upd.Comment != "pairing, shorter" || upd.ID != wl.ID {
		t.Errorf("updated worklog = %+v", upd)
	}
	all, _, err := c.Issue.GetWorklogs(created.Key)
	if err != nil || all.Total != 1 || len(all.Worklogs) != 1 || all.Worklogs[0].TimeSpentSeconds != 3600 {
		t.Errorf("worklogs = %+v, %v", all, err)
	}

	is, _, err := c.Issue.Get(created.Key, &gojira.GetQueryOptions{Fields: "timetracking,timeestimate,timeoriginalestimate,timespent,worklog,watches,assignee"})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	f := is.Fields
	if tt := f.TimeTracking; tt == nil || tt.OriginalEstimateSeconds != 43200 || tt.RemainingEstimateSeconds != 39600 || tt.TimeSpentSeconds != 3600 || tt.OriginalEstimate != "1d 4h" {
		t.Errorf("timetracking = %+v", f.TimeTracking)
	}
	if f.TimeOriginalEstimate != 43200 || f.TimeEstimate != 39600 || f.TimeSpent != 3600 {
		t.Errorf("estimates = %d %d %d", f.TimeOriginalEstimate, f.TimeEstimate, f.TimeSpent)
	}
	if f.Worklog == nil || f.Worklog.Total != 1 || f.Worklog.Worklogs[0].ID != wl.ID {
		t.Errorf("worklog field = %+v", f.Worklog)
	}
	if f.Watches == nil || f.Watches.WatchCount != 1 || !f.Watches.IsWatching {
		t.Errorf("watches = %+v", f.Watches)
	}

	if resp, err := c.Issue.AddWatcher(created.Key, "bob"); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Errorf("add watcher: %v", err)
	}
	if resp, err := c.Issue.UpdateAssignee(created.Key, &gojira.User{Name: "alice"}); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Errorf("assign: %v", err)
	}
	is, _, err = c.Issue.Get(created.Key, &gojira.GetQueryOptions{Fields: "watches,assignee"})
	if err != nil || is.Fields.Watches.WatchCount != 2 || is.Fields.Assignee == nil || is.Fields.Assignee.Name != "alice" {
		t.Errorf("after watcher and assignee: %+v %+v, %v", is.Fields.Watches, is.Fields.Assignee, err)
	}

	// A sub-task (go-jira's Parent) with its own worklog adds to the parent's aggregates.
	sub, resp, err := c.Issue.Create(&gojira.Issue{Fields: &gojira.IssueFields{
		Project: gojira.Project{Key: in.ProjectKey()},
		Type:    gojira.IssueType{Name: "Sub-task"},
		Summary: "sub-task from go-jira",
		Parent:  &gojira.Parent{Key: created.Key},
	}})
	if err != nil {
		t.Fatalf("create sub-task: %v (%s)", err, body(resp))
	}
	if _, resp, err := c.Issue.AddWorklogRecord(sub.Key, &gojira.WorklogRecord{TimeSpent: "2h"}); err != nil {
		t.Fatalf("sub-task worklog: %v (%s)", err, body(resp))
	}
	is, _, err = c.Issue.Get(created.Key, &gojira.GetQueryOptions{Fields: "aggregatetimespent,timespent,subtasks"})
	if err != nil || is.Fields.AggregateTimeSpent != 3600+7200 || is.Fields.TimeSpent != 3600 || len(is.Fields.Subtasks) != 1 || is.Fields.Subtasks[0].Key != sub.Key {
		t.Errorf("parent after the sub-task's worklog: %+v, %v", is.Fields, err)
	}
}
