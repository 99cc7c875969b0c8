package jirasim_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/airlock-sync/airlock/jirasim"
)

// TestGoJira drives the emulator with the widely used Go client
// github.com/andygrunwald/go-jira (v1.17, written against real Jira Server):
// whatever it expects of Jira, the emulator must give it. It runs against an
// instance under the context path /jira and one at the root.
func TestGoJira(t *testing.T) {
	for _, cp := range []string{"/jira", ""} {
		t.Run("contextpath="+cp, func(t *testing.T) {
			c, in := goJiraOn(t, cp)
			testGoJira(t, c, in)
		})
	}
}

// goJiraOn starts instance A (a still world) under the context path and returns a go-jira client
// logged in as the sync user; the instance closes with the test.
func goJiraOn(t *testing.T, contextPath string) (*gojira.Client, *jirasim.Instance) {
	t.Helper()
	sim, err := jirasim.New(jirasim.Options{Name: "A", ContextPath: contextPath, Knobs: jirasim.StillWorld()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	in := sim.Instance("A")
	tp := gojira.BasicAuthTransport{Username: "airlock", Password: "airlock"}
	c, err := gojira.NewClient(tp.Client(), in.URL()+"/")
	if err != nil {
		t.Fatal(err)
	}
	return c, in
}

func testGoJira(t *testing.T, c *gojira.Client, in *jirasim.Instance) {
	project := in.ProjectKey()

	// Create with project, summary and issue type, as go-jira's README does.
	created, resp, err := c.Issue.Create(&gojira.Issue{Fields: &gojira.IssueFields{
		Project:     gojira.Project{Key: project},
		Type:        gojira.IssueType{Name: "Task"},
		Summary:     "Created by go-jira",
		Description: "with *wiki* markup",
		Labels:      []string{"gojira"},
	}})
	if err != nil {
		t.Fatalf("create: %v (%s)", err, body(resp))
	}
	if resp.StatusCode != http.StatusCreated || created.ID == "" || !strings.HasPrefix(created.Key, project+"-") || !strings.HasPrefix(created.Self, in.URL()+"/rest/api/2/issue/") {
		t.Fatalf("created = %d %+v", resp.StatusCode, created)
	}

	// Read it back: go-jira decodes the typed fields.
	is, _, err := c.Issue.Get(created.Key, nil)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	f := is.Fields
	if is.ID != created.ID || f.Summary != "Created by go-jira" || f.Description != "with *wiki* markup" || f.Type.Name != "Task" || f.Project.Key != project {
		t.Errorf("issue = %s %+v", is.ID, f)
	}
	if f.Status == nil || f.Status.Name != "To Do" || f.Status.StatusCategory.Key != "new" {
		t.Errorf("status = %+v", f.Status)
	}
	if f.Reporter == nil || f.Reporter.Name != "airlock" || f.Reporter.Key != "JIRAUSER10100" {
		t.Errorf("reporter = %+v", f.Reporter)
	}
	if f.Priority == nil || f.Priority.Name != "Medium" {
		t.Errorf("priority = %+v", f.Priority)
	}
	created0 := time.Time(f.Created)
	if created0.IsZero() || time.Since(created0) > time.Minute || time.Time(f.Updated).Before(created0) {
		t.Errorf("created %v updated %v", created0, time.Time(f.Updated))
	}
	if len(f.Labels) != 1 || f.Labels[0] != "gojira" {
		t.Errorf("labels = %v", f.Labels)
	}
	// Custom fields land in Unknowns.
	if _, ok := f.Unknowns["customfield_10100"]; !ok {
		t.Errorf("custom fields missing from Unknowns: %v", f.Unknowns)
	}

	// Search with JQL.
	issues, resp, err := c.Issue.Search(`project = `+project+` AND labels = gojira ORDER BY key ASC`, &gojira.SearchOptions{MaxResults: 5000, Fields: []string{"summary", "status", "updated"}})
	if err != nil {
		t.Fatalf("search: %v (%s)", err, body(resp))
	}
	if len(issues) != 1 || issues[0].Key != created.Key || issues[0].Fields.Summary != "Created by go-jira" || issues[0].Fields.Status.Name != "To Do" {
		t.Errorf("search = %+v", issues)
	}
	if resp.Total != 1 || resp.MaxResults != 1000 || resp.StartAt != 0 {
		t.Errorf("search paging = total %d max %d start %d (5000 asked, 1000 cap)", resp.Total, resp.MaxResults, resp.StartAt)
	}
	var all []string
	err = c.Issue.SearchPages(`project = `+project, &gojira.SearchOptions{MaxResults: 1}, func(is gojira.Issue) error {
		all = append(all, is.Key)
		return nil
	})
	if err != nil || len(all) != in.IssueCount() {
		t.Errorf("SearchPages = %v, %v (want %d)", all, err, in.IssueCount())
	}
	_, resp, err = c.Issue.Search(`project = = x`, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest || !strings.Contains(err.Error(), "Error in the JQL Query") {
		t.Errorf("bad JQL: %v", err)
	}

	// Comment.
	cm, _, err := c.Issue.AddComment(created.Key, &gojira.Comment{Body: "a comment from go-jira"})
	if err != nil {
		t.Fatalf("comment: %v", err)
	}
	if cm.ID == "" || cm.Body != "a comment from go-jira" || cm.Author.Name != "airlock" || cm.Created == "" {
		t.Errorf("comment = %+v", cm)
	}
	is, _, err = c.Issue.Get(created.Key, &gojira.GetQueryOptions{Fields: "comment"})
	if err != nil || is.Fields.Comments == nil || len(is.Fields.Comments.Comments) != 1 || is.Fields.Comments.Comments[0].ID != cm.ID {
		t.Errorf("comments after add = %+v, %v", is, err)
	}

	// Transitions: the default workflow.
	trs, _, err := c.Issue.GetTransitions(created.Key)
	if err != nil {
		t.Fatalf("transitions: %v", err)
	}
	byName := map[string]gojira.Transition{}
	for _, tr := range trs {
		byName[tr.Name] = tr
	}
	start, ok := byName["Start Progress"]
	if !ok || start.ID != "11" || start.To.Name != "In Progress" || start.To.StatusCategory.Key != "indeterminate" {
		t.Fatalf("transitions = %+v", trs)
	}
	if _, err := c.Issue.DoTransition(created.Key, start.ID); err != nil {
		t.Fatalf("do transition: %v", err)
	}
	is, _, err = c.Issue.Get(created.Key, &gojira.GetQueryOptions{Fields: "status,resolution"})
	if err != nil || is.Fields.Status.Name != "In Progress" || is.Fields.Resolution != nil {
		t.Errorf("after Start Progress: %+v, %v", is, err)
	}
	if _, err := c.Issue.DoTransition(created.Key, "31"); err != nil {
		t.Fatalf("done: %v", err)
	}
	is, _, err = c.Issue.Get(created.Key, &gojira.GetQueryOptions{Fields: "status,resolution,resolutiondate"})
	if err != nil || is.Fields.Status.Name != "Done" || is.Fields.Resolution == nil || is.Fields.Resolution.Name != "Done" || time.Time(is.Fields.Resolutiondate).IsZero() {
		t.Errorf("after Done: %+v, %v", is.Fields, err)
	}
	if resp, err := c.Issue.DoTransition(created.Key, "11"); err == nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("Done -> In Progress in one step should be refused: %v", err)
	}

	// Attach.
	data := bytes.Repeat([]byte("airlock "), 1000)
	atts, resp, err := c.Issue.PostAttachment(created.Key, bytes.NewReader(data), "notes.txt")
	if err != nil {
		t.Fatalf("attach: %v (%s)", err, body(resp))
	}
	if atts == nil || len(*atts) != 1 {
		t.Fatalf("attachments = %v", atts)
	}
	a := (*atts)[0]
	if a.ID == "" || a.Filename != "notes.txt" || a.Size != len(data) || a.Author == nil || a.Author.Name != "airlock" || !strings.HasPrefix(a.Content, in.URL()+"/secure/attachment/"+a.ID+"/") {
		t.Errorf("attachment = %+v", a)
	}
	resp, err = c.Issue.DownloadAttachment(a.ID)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("downloaded %d bytes (want %d), %v", len(got), len(data), err)
	}

	// What go-jira sent is what Jira expects: one request per call, the upload
	// with the XSRF header and multipart part "file".
	if n := in.Log().Count("POST /rest/api/2/issue/{id}/attachments"); n != 1 {
		t.Errorf("attachment uploads logged: %d", n)
	}

	// 404 comes back as go-jira's error with Jira's message.
	_, resp, err = c.Issue.Get(project+"-999999", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound || !strings.Contains(err.Error(), "Issue Does Not Exist") {
		t.Errorf("missing issue: %v", err)
	}
}

func body(resp *gojira.Response) string {
	if resp == nil || resp.Body == nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	return string(b)
}
