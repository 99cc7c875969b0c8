package jira

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests parse real captured Jira Server responses from the shared fixture
// folder (see its SOURCES.md); they skip when it is absent.

func readFixture(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixturesDir(t), rel))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

func TestFixtureIssueWithChangelog(t *testing.T) {
	is, err := DecodeIssue(readFixture(t, "jrjc/issue/valid-5.0-with-changelog.json"))
	if err != nil {
		t.Fatal(err)
	}
	if is.Key != "HST-1" || is.ID == "" || !strings.Contains(is.Self, "/jira/rest/api/") {
		t.Errorf("issue = %s %s %s", is.ID, is.Key, is.Self)
	}
	if s, ok := is.Summary(); !ok || s != "Simple history test - modified" {
		t.Errorf("summary = %q %v", s, ok)
	}
	if d, ok := is.Description(); !ok || d != "Modified Description" {
		t.Errorf("description = %q %v", d, ok)
	}
	if _, ok := is.Environment(); ok {
		t.Error("environment is null, want absent")
	}
	if _, ok := is.Resolution(); ok {
		t.Error("resolution is null, want absent")
	}
	if st, ok := is.Status(); !ok || st.Name != "Open" || st.ID != "1" {
		t.Errorf("status = %+v", st)
	}
	if u, ok := is.Assignee(); !ok || u.Name != "user2" {
		t.Errorf("assignee = %+v", u)
	}
	if u, ok := is.Reporter(); !ok || u.Name != "user1" {
		t.Errorf("reporter = %+v", u)
	}
	if it, ok := is.IssueType(); !ok || it.ID != "2" {
		t.Errorf("issuetype = %+v", it)
	}
	if p, ok := is.Priority(); !ok || p.Name != "Minor" {
		t.Errorf("priority = %+v", p)
	}
	if p, ok := is.Project(); !ok || p.Key != "HST" {
		t.Errorf("project = %+v", p)
	}
	if d, ok := is.DueDate(); !ok || d.String() != "2012-04-13" {
		t.Errorf("duedate = %v %v", d, ok)
	}
	up, ok := is.Updated()
	want := time.Date(2012, 4, 12, 12, 30, 9, 688e6, time.UTC)
	if !ok || !up.Equal(want) {
		t.Errorf("updated = %v, want %v", up, want)
	}
	if _, off := up.Zone(); off != 2*3600 {
		t.Errorf("offset lost: %v", up)
	}
	if l, ok := is.Labels(); !ok || len(l) != 0 {
		t.Errorf("labels = %v %v", l, ok)
	}
	if cs, ok := is.Comments(); !ok || cs.Total != 2 || len(cs.Comments) != 2 {
		t.Errorf("comments = %+v", cs)
	}
	var when Time
	if ok, err := is.Field("customfield_10001", &when); !ok || err != nil || when.String() != "2012-04-12T14:26:00.000+0200" {
		t.Errorf("datetime custom field = %v %v %v", when, ok, err)
	}
	if is.Changelog == nil || len(is.Changelog.Histories) != 3 {
		t.Fatalf("changelog = %+v", is.Changelog)
	}
	var custom int
	for _, h := range is.Changelog.Histories {
		if h.Created.IsZero() || h.Author == nil {
			t.Errorf("history %s lacks created/author", h.ID)
		}
		for _, it := range h.Items {
			if it.FieldType == "custom" {
				custom++
			}
		}
	}
	if custom == 0 {
		t.Error("no custom-field changelog items decoded")
	}
	if len(is.Transitions) != 2 || is.Transitions[0].To.Name != "Resolved" {
		t.Errorf("transitions = %+v", is.Transitions)
	}
	if is.Names["customfield_10000"] == "" || is.Schema["customfield_10001"].CustomID == 0 {
		t.Errorf("names/schema = %v %v", is.Names, is.Schema)
	}
	// Raw fields survive a marshal round trip untouched.
	b, err := json.Marshal(is)
	if err != nil {
		t.Fatal(err)
	}
	again, err := DecodeIssue(b)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range is.Fields {
		jsonEqual(t, again.Fields[k], string(v))
	}
}

func TestFixtureUser(t *testing.T) {
	var u User
	if err := json.Unmarshal(readFixture(t, "jrjc/user/valid-5.0.json"), &u); err != nil {
		t.Fatal(err)
	}
	loc, err := u.Location()
	if u.Name != "wseliga" || !u.Active || u.AvatarURLs["48x48"] == "" || err != nil || loc.String() != "Europe/Warsaw" {
		t.Errorf("user = %+v, loc %v, %v", u, loc, err)
	}
}

func TestFixtureErrors(t *testing.T) {
	tests := []struct {
		file   string
		errors map[string]string
		msgs   []string
	}{
		{"jrjc/error/valid.json", map[string]string{"customfield_10000": "abcfsd"}, nil},
		{"jrjc/error/valid4.json", map[string]string{"a": "y", "c": "z"}, []string{"a", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			e := DecodeError(400, nil, readFixture(t, tc.file))
			if e.Class != ClassData {
				t.Errorf("class = %v", e.Class)
			}
			if strings.Join(e.ErrorMessages, ",") != strings.Join(tc.msgs, ",") {
				t.Errorf("messages = %v", e.ErrorMessages)
			}
			for k, v := range tc.errors {
				if e.Errors[k] != v {
					t.Errorf("errors = %v", e.Errors)
				}
			}
		})
	}
}

func TestFixtureGoJiraLists(t *testing.T) {
	var ps []Priority
	if err := json.Unmarshal(readFixture(t, "go-jira/mocks/all_priorities.json"), &ps); err != nil || len(ps) != 5 || ps[0].StatusColor == "" {
		t.Errorf("priorities = %d, %v", len(ps), err)
	}
	var ss []Status
	if err := json.Unmarshal(readFixture(t, "go-jira/mocks/all_statuses.json"), &ss); err != nil || len(ss) != 37 {
		t.Fatalf("statuses = %d, %v", len(ss), err)
	}
	keys := map[string]bool{}
	for _, s := range ss {
		if s.StatusCategory == nil {
			t.Fatalf("status %s without category", s.Name)
		}
		keys[s.StatusCategory.Key] = true
	}
	if !keys["done"] || !keys["new"] || !keys["indeterminate"] {
		t.Errorf("category keys = %v", keys)
	}
	var ls []RemoteLink
	if err := json.Unmarshal(readFixture(t, "go-jira/mocks/remote_links.json"), &ls); err != nil || len(ls) != 2 || ls[0].ID != 10000 || ls[0].Object.Status == nil || !ls[0].Object.Status.Resolved {
		t.Errorf("remote links = %+v, %v", ls, err)
	}
	var fs []Field
	if err := json.Unmarshal(readFixture(t, "go-jira/mocks/all_fields.json"), &fs); err != nil || len(fs) != 2 || fs[0].Schema == nil {
		t.Errorf("fields = %+v, %v", fs, err)
	}
}

// webhook is the shape of a Jira Server webhook payload, enough to reach the beans.
type webhook struct {
	WebhookEvent string   `json:"webhookEvent"`
	User         *User    `json:"user"`
	Issue        *Issue   `json:"issue"`
	Comment      *Comment `json:"comment"`
	Changelog    *struct {
		Items []ChangeItem `json:"items"`
	} `json:"changelog"`
}

func TestFixtureMattermostWebhookBeans(t *testing.T) {
	dir := filepath.Join(fixturesDir(t), "mattermost")
	files, err := filepath.Glob(filepath.Join(dir, "webhook-server-*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no webhook fixtures in %s: %v", dir, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var wh webhook
			if err := json.Unmarshal(b, &wh); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if wh.Comment != nil && (wh.Comment.ID == "" || wh.Comment.Created.IsZero() || wh.Comment.Updated.IsZero()) {
				t.Errorf("comment = %+v", wh.Comment)
			}
			if wh.Issue == nil {
				return
			}
			is := wh.Issue
			if is.Key == "" || is.ID == "" {
				t.Errorf("issue id/key missing")
			}
			if _, ok := is.Updated(); !ok {
				t.Error("updated not parsed")
			}
			if _, ok := is.Created(); !ok {
				t.Error("created not parsed")
			}
			st, ok := is.Status()
			if !ok || st.StatusCategory == nil || st.StatusCategory.Key == "" {
				t.Errorf("status = %+v", st)
			}
			if _, ok := is.Summary(); !ok {
				t.Error("summary missing")
			}
			if _, ok := is.Reporter(); !ok {
				t.Error("reporter missing")
			}
			if cs, ok := is.Comments(); ok {
				for _, c := range cs.Comments {
					if c.Created.IsZero() {
						t.Errorf("comment %s created not parsed", c.ID)
					}
				}
			}
			if wh.Changelog != nil && len(wh.Changelog.Items) == 0 {
				t.Error("changelog without items")
			}
			if strings.Contains(filepath.Base(file), "resolved") {
				if r, ok := is.Resolution(); !ok || r.Name != "Done" {
					t.Errorf("resolution = %+v", r)
				}
			}
		})
	}
}
