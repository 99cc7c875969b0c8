package jira

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestEndpoints checks each endpoint's request (method, path under the context path,
// query, body, headers) and the decoding of a documented-shape answer.
func TestEndpoints(t *testing.T) {
	type result = any
	tests := []struct {
		name   string
		call   func(ctx context.Context, c *Client) (result, error)
		method string
		path   string // below the server root, context path included
		query  map[string]string
		body   string // expected JSON body; empty for none
		status int
		file   string // answer from testdata; empty for no body
		check  func(t *testing.T, v result)
	}{
		{
			name:   "ServerInfo",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.ServerInfo(ctx) },
			method: "GET", path: "/jira/rest/api/2/serverInfo", status: 200, file: "serverInfo.json",
			check: func(t *testing.T, v result) {
				si := v.(*ServerInfo)
				if si.Version != "9.12.2" || !reflect.DeepEqual(si.VersionNumbers, []int{9, 12, 2}) || si.ServerTime.String() != "2024-03-01T10:15:30.123+0100" {
					t.Errorf("server info = %+v", si)
				}
			},
		},
		{
			name:   "Myself",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.Myself(ctx) },
			method: "GET", path: "/jira/rest/api/2/myself", status: 200, file: "myself.json",
			check: func(t *testing.T, v result) {
				u := v.(*User)
				loc, err := u.Location()
				if u.Name != "sync" || u.Key != "JIRAUSER10100" || err != nil || loc.String() != "Europe/Berlin" {
					t.Errorf("myself = %+v, loc %v, %v", u, loc, err)
				}
			},
		},
		{
			name:   "Fields",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.Fields(ctx) },
			method: "GET", path: "/jira/rest/api/2/field", status: 200, file: "fields.json",
			check: func(t *testing.T, v result) {
				fs := v.([]Field)
				if len(fs) != 2 || !fs[1].Custom || fs[1].Schema.CustomID != 10001 || fs[0].Schema.System != "summary" {
					t.Errorf("fields = %+v", fs)
				}
			},
		},
		{
			name:   "Projects",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.Projects(ctx, "lead", "description") },
			method: "GET", path: "/jira/rest/api/2/project", query: map[string]string{"expand": "lead,description"}, status: 200, file: "projects.json",
			check: func(t *testing.T, v result) {
				ps := v.([]Project)
				if len(ps) != 2 || ps[0].Key != "ABC" || ps[1].ProjectCategory == nil || ps[1].ProjectCategory.Name != "Ops" {
					t.Errorf("projects = %+v", ps)
				}
			},
		},
		{
			name:   "Project",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.Project(ctx, "ABC") },
			method: "GET", path: "/jira/rest/api/2/project/ABC", status: 200, file: "project.json",
			check: func(t *testing.T, v result) {
				p := v.(*Project)
				if p.Lead == nil || p.Lead.Name != "admin" || len(p.IssueTypes) != 1 || len(p.Versions) != 1 || !p.Versions[0].Released {
					t.Errorf("project = %+v", p)
				}
			},
		},
		{
			name:   "Priorities",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.Priorities(ctx) },
			method: "GET", path: "/jira/rest/api/2/priority", status: 200, file: "priorities.json",
			check: func(t *testing.T, v result) {
				if ps := v.([]Priority); len(ps) != 1 || ps[0].StatusColor != "#d04437" {
					t.Errorf("priorities = %+v", ps)
				}
			},
		},
		{
			name:   "Statuses",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.Statuses(ctx) },
			method: "GET", path: "/jira/rest/api/2/status", status: 200, file: "statuses.json",
			check: func(t *testing.T, v result) {
				ss := v.([]Status)
				if len(ss) != 2 || ss[1].StatusCategory.ID != 3 || ss[1].StatusCategory.Key != "done" {
					t.Errorf("statuses = %+v", ss)
				}
			},
		},
		{
			name:   "IssueTypes",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.IssueTypes(ctx) },
			method: "GET", path: "/jira/rest/api/2/issuetype", status: 200, file: "issuetypes.json",
			check: func(t *testing.T, v result) {
				its := v.([]IssueType)
				if len(its) != 2 || !its[1].Subtask || its[0].AvatarID != 10303 {
					t.Errorf("issue types = %+v", its)
				}
			},
		},
		{
			name:   "Resolutions",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.Resolutions(ctx) },
			method: "GET", path: "/jira/rest/api/2/resolution", status: 200, file: "resolutions.json",
			check: func(t *testing.T, v result) {
				if rs := v.([]Resolution); len(rs) != 1 || rs[0].Name != "Done" {
					t.Errorf("resolutions = %+v", rs)
				}
			},
		},
		{
			name: "Search GET",
			call: func(ctx context.Context, c *Client) (result, error) {
				return c.Search(ctx, SearchQuery{JQL: `project = ABC AND updated >= "2024/03/01 10:00" ORDER BY updated ASC, key ASC`, StartAt: 50, MaxResults: 100,
					Fields: []string{"summary", "updated"}, Expand: []string{"changelog"}, Properties: []string{"airlock.twin"}, ValidateQuery: ptr(false)})
			},
			method: "GET", path: "/jira/rest/api/2/search",
			query: map[string]string{"jql": `project = ABC AND updated >= "2024/03/01 10:00" ORDER BY updated ASC, key ASC`, "startAt": "50", "maxResults": "100",
				"fields": "summary,updated", "expand": "changelog", "properties": "airlock.twin", "validateQuery": "false"},
			status: 200, file: "",
			check: func(t *testing.T, v result) {
				if p := v.(*SearchPage); p == nil {
					t.Error("nil page")
				}
			},
		},
		{
			name: "Search POST",
			call: func(ctx context.Context, c *Client) (result, error) {
				return c.SearchPost(ctx, SearchQuery{JQL: "project = ABC", MaxResults: 10, Fields: []string{"key"}, ValidateQuery: ptr(true)})
			},
			method: "POST", path: "/jira/rest/api/2/search",
			body:   `{"jql":"project = ABC","startAt":0,"maxResults":10,"fields":["key"],"validateQuery":true}`,
			status: 200, file: "",
		},
		{
			name: "GetIssue",
			call: func(ctx context.Context, c *Client) (result, error) {
				return c.GetIssue(ctx, "ABC-7", GetIssueOptions{Fields: []string{"*all"}, Expand: []string{"names", "changelog"}, Properties: []string{"*all"}})
			},
			method: "GET", path: "/jira/rest/api/2/issue/ABC-7", query: map[string]string{"fields": "*all", "expand": "names,changelog", "properties": "*all"},
			status: 200, file: "issue.json",
			check: func(t *testing.T, v result) {
				is := v.(*Issue)
				if is.ID != "10300" || is.Key != "ABC-7" || is.Names["customfield_10001"] != "Severity" || string(is.Properties["airlock.twin"]) == "" {
					t.Errorf("issue = %+v", is)
				}
			},
		},
		{
			name: "CreateIssue",
			call: func(ctx context.Context, c *Client) (result, error) {
				return c.CreateIssue(ctx, IssueInput{
					Fields:     map[string]any{"project": map[string]string{"key": "ABC"}, "summary": "s", "customfield_10001": json.RawMessage(`{"value":"High"}`)},
					Update:     map[string][]map[string]any{"labels": {{"add": "x"}}},
					Properties: []EntityProperty{{Key: "airlock.twin", Value: map[string]string{"id": "t1"}}},
				})
			},
			method: "POST", path: "/jira/rest/api/2/issue",
			body:   `{"fields":{"project":{"key":"ABC"},"summary":"s","customfield_10001":{"value":"High"}},"update":{"labels":[{"add":"x"}]},"properties":[{"key":"airlock.twin","value":{"id":"t1"}}]}`,
			status: 201, file: "",
			check: func(t *testing.T, v result) {},
		},
		{
			name: "UpdateIssue notifyUsers=false",
			call: func(ctx context.Context, c *Client) (result, error) {
				return nil, c.UpdateIssue(ctx, "ABC-7", IssueInput{Fields: map[string]any{"summary": "new"}, Update: map[string][]map[string]any{"labels": {{"remove": "y"}}}}, UpdateOptions{NotifyUsers: ptr(false)})
			},
			method: "PUT", path: "/jira/rest/api/2/issue/ABC-7", query: map[string]string{"notifyUsers": "false"},
			body:   `{"fields":{"summary":"new"},"update":{"labels":[{"remove":"y"}]}}`,
			status: 204,
		},
		{
			name:   "DeleteIssue with subtasks",
			call:   func(ctx context.Context, c *Client) (result, error) { return nil, c.DeleteIssue(ctx, "ABC-7", true) },
			method: "DELETE", path: "/jira/rest/api/2/issue/ABC-7", query: map[string]string{"deleteSubtasks": "true"}, status: 204,
		},
		{
			name:   "Transitions expanded",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.Transitions(ctx, "ABC-7", true) },
			method: "GET", path: "/jira/rest/api/2/issue/ABC-7/transitions", query: map[string]string{"expand": "transitions.fields"},
			status: 200, file: "transitions.json",
			check: func(t *testing.T, v result) {
				ts := v.([]Transition)
				if len(ts) != 2 || ts[0].To.Name != "In Progress" || ts[0].To.StatusCategory.Key != "indeterminate" || !ts[1].Fields["resolution"].Required || len(ts[1].Fields["resolution"].AllowedValues) != 1 {
					t.Errorf("transitions = %+v", ts)
				}
			},
		},
		{
			name: "DoTransition",
			call: func(ctx context.Context, c *Client) (result, error) {
				return nil, c.DoTransition(ctx, "ABC-7", TransitionInput{ID: "31", Fields: map[string]any{"resolution": map[string]string{"name": "Done"}}})
			},
			method: "POST", path: "/jira/rest/api/2/issue/ABC-7/transitions",
			body: `{"transition":{"id":"31"},"fields":{"resolution":{"name":"Done"}}}`, status: 204,
		},
		{
			name: "AddComment with visibility",
			call: func(ctx context.Context, c *Client) (result, error) {
				return c.AddComment(ctx, "ABC-7", CommentInput{Body: "from B: looks fixed", Visibility: &Visibility{Type: "role", Value: "Developers"}})
			},
			method: "POST", path: "/jira/rest/api/2/issue/ABC-7/comment",
			body:   `{"body":"from B: looks fixed","visibility":{"type":"role","value":"Developers"}}`,
			status: 201, file: "comment.json",
			check: func(t *testing.T, v result) {
				cm := v.(*Comment)
				if cm.ID != "10401" || cm.Visibility == nil || cm.Visibility.Value != "Developers" || cm.Created.IsZero() {
					t.Errorf("comment = %+v", cm)
				}
			},
		},
		{
			name: "UpdateComment",
			call: func(ctx context.Context, c *Client) (result, error) {
				return c.UpdateComment(ctx, "ABC-7", "10401", CommentInput{Body: "edited"})
			},
			method: "PUT", path: "/jira/rest/api/2/issue/ABC-7/comment/10401", body: `{"body":"edited"}`, status: 200, file: "comment.json",
		},
		{
			name: "DeleteComment",
			call: func(ctx context.Context, c *Client) (result, error) {
				return nil, c.DeleteComment(ctx, "ABC-7", "10401")
			},
			method: "DELETE", path: "/jira/rest/api/2/issue/ABC-7/comment/10401", status: 204,
		},
		{
			name:   "AttachmentMeta",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.AttachmentMeta(ctx) },
			method: "GET", path: "/jira/rest/api/2/attachment/meta", status: 200, file: "attachment_meta.json",
			check: func(t *testing.T, v result) {
				if m := v.(*AttachmentMeta); !m.Enabled || m.UploadLimit != 10485760 {
					t.Errorf("meta = %+v", m)
				}
			},
		},
		{
			name:   "Attachment",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.Attachment(ctx, "10200") },
			method: "GET", path: "/jira/rest/api/2/attachment/10200", status: 200, file: "attachment.json",
			check: func(t *testing.T, v result) {
				if a := v.(*Attachment); a.Filename != "trace.log" || a.Size != 12 || !strings.HasSuffix(a.Content, "/secure/attachment/10200/trace.log") {
					t.Errorf("attachment = %+v", a)
				}
			},
		},
		{
			name:   "DeleteAttachment",
			call:   func(ctx context.Context, c *Client) (result, error) { return nil, c.DeleteAttachment(ctx, "10200") },
			method: "DELETE", path: "/jira/rest/api/2/attachment/10200", status: 204,
		},
		{
			name:   "PropertyKeys",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.PropertyKeys(ctx, "ABC-7") },
			method: "GET", path: "/jira/rest/api/2/issue/ABC-7/properties", status: 200, file: "",
		},
		{
			name: "SetProperty",
			call: func(ctx context.Context, c *Client) (result, error) {
				return nil, c.SetProperty(ctx, "ABC-7", "airlock.twin", map[string]any{"id": "t1", "n": 2})
			},
			method: "PUT", path: "/jira/rest/api/2/issue/ABC-7/properties/airlock.twin", body: `{"id":"t1","n":2}`, status: 201,
		},
		{
			name: "DeleteProperty",
			call: func(ctx context.Context, c *Client) (result, error) {
				return nil, c.DeleteProperty(ctx, "ABC-7", "airlock.twin")
			},
			method: "DELETE", path: "/jira/rest/api/2/issue/ABC-7/properties/airlock.twin", status: 204,
		},
		{
			name:   "RemoteLinks",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.RemoteLinks(ctx, "ABC-7") },
			method: "GET", path: "/jira/rest/api/2/issue/ABC-7/remotelink", status: 200, file: "remotelinks.json",
			check: func(t *testing.T, v result) {
				ls := v.([]RemoteLink)
				if len(ls) != 1 || ls[0].ID != 10000 || ls[0].Object.Title != "AB-3" || ls[0].Object.Status == nil {
					t.Errorf("links = %+v", ls)
				}
			},
		},
		{
			name: "CreateRemoteLink",
			call: func(ctx context.Context, c *Client) (result, error) {
				return c.CreateRemoteLink(ctx, "ABC-7", RemoteLink{ID: 99, GlobalID: "airlock:c1:1", Relationship: "synced with", Object: RemoteLinkObject{URL: "https://relay.example.com/browse/AB-3", Title: "AB-3"}})
			},
			method: "POST", path: "/jira/rest/api/2/issue/ABC-7/remotelink",
			body:   `{"globalId":"airlock:c1:1","relationship":"synced with","object":{"url":"https://relay.example.com/browse/AB-3","title":"AB-3"}}`,
			status: 201, file: "",
		},
		{
			name: "DeleteRemoteLink",
			call: func(ctx context.Context, c *Client) (result, error) {
				return nil, c.DeleteRemoteLink(ctx, "ABC-7", 10000)
			},
			method: "DELETE", path: "/jira/rest/api/2/issue/ABC-7/remotelink/10000", status: 204,
		},
		{
			name: "DeleteRemoteLinkByGlobalID",
			call: func(ctx context.Context, c *Client) (result, error) {
				return nil, c.DeleteRemoteLinkByGlobalID(ctx, "ABC-7", "system=x&id=1")
			},
			method: "DELETE", path: "/jira/rest/api/2/issue/ABC-7/remotelink", query: map[string]string{"globalId": "system=x&id=1"}, status: 204,
		},
		{
			name:   "EditMeta",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.EditMeta(ctx, "ABC-7") },
			method: "GET", path: "/jira/rest/api/2/issue/ABC-7/editmeta", status: 200, file: "editmeta.json",
			check: func(t *testing.T, v result) {
				m := v.(map[string]FieldMeta)
				if !m["summary"].Required || m["labels"].Schema.Items != "string" || len(m["labels"].Operations) != 3 {
					t.Errorf("editmeta = %+v", m)
				}
			},
		},
		{
			name:   "CreateMetaIssueTypes",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.CreateMetaIssueTypes(ctx, "ABC") },
			method: "GET", path: "/jira/rest/api/2/issue/createmeta/ABC/issuetypes", query: map[string]string{"startAt": "0"}, status: 200, file: "createmeta_issuetypes.json",
			check: func(t *testing.T, v result) {
				if its := v.([]IssueType); len(its) != 2 || its[1].Name != "Task" {
					t.Errorf("issue types = %+v", its)
				}
			},
		},
		{
			name:   "User by name",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.User(ctx, "alice") },
			method: "GET", path: "/jira/rest/api/2/user", query: map[string]string{"username": "alice"}, status: 200, file: "myself.json",
		},
		{
			name:   "User by key",
			call:   func(ctx context.Context, c *Client) (result, error) { return c.UserByKey(ctx, "JIRAUSER10101") },
			method: "GET", path: "/jira/rest/api/2/user", query: map[string]string{"key": "JIRAUSER10101"}, status: 200, file: "myself.json",
		},
		{
			name: "SearchUsers",
			call: func(ctx context.Context, c *Client) (result, error) {
				return c.SearchUsers(ctx, "ali", UserSearchOptions{MaxResults: 1000, IncludeInactive: true})
			},
			method: "GET", path: "/jira/rest/api/2/user/search", query: map[string]string{"username": "ali", "maxResults": "1000", "includeInactive": "true"},
			status: 200, file: "users.json",
			check: func(t *testing.T, v result) {
				if us := v.([]User); len(us) != 1 || us[0].Locale != "de_DE" {
					t.Errorf("users = %+v", us)
				}
			},
		},
	}
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPass))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.file != "" {
				body = testdata(t, tc.file)
			} else if tc.status == 200 || tc.status == 201 {
				body = []byte(defaultAnswer(tc.path))
			}
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if body == nil {
					w.WriteHeader(tc.status)
					return
				}
				reply(w, tc.status, body)
			})
			c, _ := newTestClient(t, f)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			v, err := tc.call(ctx, c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			got := f.last()
			if got.Method != tc.method || got.Path != tc.path {
				t.Errorf("request = %s %s, want %s %s", got.Method, got.Path, tc.method, tc.path)
			}
			wantQ := map[string][]string{}
			for k, v := range tc.query {
				wantQ[k] = []string{v}
			}
			if len(got.Query) != 0 || len(wantQ) != 0 {
				if !reflect.DeepEqual(got.Query, wantQ) {
					t.Errorf("query = %v, want %v", got.Query, wantQ)
				}
			}
			if tc.body != "" {
				jsonEqual(t, got.Body, tc.body)
				if ct := got.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
			} else if len(got.Body) != 0 {
				t.Errorf("unexpected body %s", got.Body)
			}
			if h := got.Header.Get("Authorization"); h != wantAuth {
				t.Errorf("Authorization = %q (pre-emptive basic auth expected)", h)
			}
			if h := got.Header.Get("Accept"); h != "application/json" {
				t.Errorf("Accept = %q", h)
			}
			xsrf := got.Header.Get("X-Atlassian-Token")
			if tc.method == "GET" && xsrf != "" || tc.method != "GET" && xsrf != "no-check" {
				t.Errorf("X-Atlassian-Token = %q on %s", xsrf, tc.method)
			}
			if tc.check != nil {
				tc.check(t, v)
			}
		})
	}
}

// defaultAnswer gives endpoints without a testdata file a minimal documented answer.
func defaultAnswer(path string) string {
	switch {
	case strings.HasSuffix(path, "/search"):
		return `{"expand":"schema,names","startAt":0,"maxResults":50,"total":0,"issues":[]}`
	case strings.HasSuffix(path, "/properties"):
		return `{"keys":[{"self":"https://jira.example.com/jira/rest/api/2/issue/10300/properties/airlock.twin","key":"airlock.twin"}]}`
	case strings.HasSuffix(path, "/remotelink"):
		return `{"id":10001,"self":"https://jira.example.com/jira/rest/api/2/issue/ABC-7/remotelink/10001"}`
	case strings.HasSuffix(path, "/issue"):
		return `{"id":"10301","key":"ABC-8","self":"https://jira.example.com/jira/rest/api/2/issue/10301"}`
	}
	return `{}`
}

func TestCreateIssueDecodes(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 201, []byte(defaultAnswer("/issue")))
	})
	c, _ := newTestClient(t, f)
	got, err := c.CreateIssue(context.Background(), IssueInput{Fields: map[string]any{"summary": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	want := &CreatedIssue{ID: "10301", Key: "ABC-8", Self: "https://jira.example.com/jira/rest/api/2/issue/10301"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("created = %+v", got)
	}
}

func TestPropertiesDecode(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if strings.HasSuffix(r.URL.Path, "/properties") {
			reply(w, 200, []byte(defaultAnswer("/properties")))
			return
		}
		reply(w, 200, []byte(`{"key":"airlock.twin","value":{"id":"t1","n":2}}`))
	})
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	keys, err := c.PropertyKeys(ctx, "ABC-7")
	if err != nil || !reflect.DeepEqual(keys, []string{"airlock.twin"}) {
		t.Fatalf("keys = %v, %v", keys, err)
	}
	v, err := c.GetProperty(ctx, "ABC-7", "airlock.twin")
	if err != nil {
		t.Fatal(err)
	}
	if f.last().Path != "/jira/rest/api/2/issue/ABC-7/properties/airlock.twin" {
		t.Errorf("path = %s", f.last().Path)
	}
	jsonEqual(t, v, `{"id":"t1","n":2}`)
}

// TestPathEscaping checks that odd keys cannot break out of their path segment.
func TestPathEscaping(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(204) })
	c, _ := newTestClient(t, f)
	if err := c.DeleteProperty(context.Background(), "ABC-7", "a/b?c"); err != nil {
		t.Fatal(err)
	}
	if got := f.last().Path; got != "/jira/rest/api/2/issue/ABC-7/properties/a%2Fb%3Fc" {
		t.Errorf("path = %s", got)
	}
}

func TestCommentsAllPages(t *testing.T) {
	const total = 5
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		start := atoi(r.URL.Query().Get("startAt"))
		var cs []string
		for i := start; i < total && i < start+2; i++ { // server pages by 2 whatever is asked
			cs = append(cs, `{"id":"`+itoa(100+i)+`","body":"c`+itoa(i)+`","created":"2024-03-01T09:10:00.000+0100","updated":"2024-03-01T09:10:00.000+0100"}`)
		}
		reply(w, 200, []byte(`{"startAt":`+itoa(start)+`,"maxResults":2,"total":5,"comments":[`+strings.Join(cs, ",")+`]}`))
	})
	c, _ := newTestClient(t, f)
	got, err := c.Comments(context.Background(), "ABC-7", CommentOptions{OrderBy: "created", MaxResults: 100, Expand: []string{"renderedBody"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != total || got[4].ID != "104" {
		t.Fatalf("got %d comments: %+v", len(got), got)
	}
	reqs := f.all()
	if len(reqs) != 3 {
		t.Fatalf("requests = %d, want 3", len(reqs))
	}
	for i, want := range []string{"0", "2", "4"} {
		q := reqs[i].Query
		if q["startAt"][0] != want || q["orderBy"][0] != "created" || q["expand"][0] != "renderedBody" {
			t.Errorf("request %d query = %v", i, q)
		}
	}
}

func TestCreateMetaFieldsAllPages(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Query().Get("startAt") {
		case "0":
			reply(w, 200, []byte(`{"maxResults":1,"startAt":0,"total":2,"isLast":false,"values":[{"fieldId":"summary","required":true,"schema":{"type":"string","system":"summary"},"name":"Summary","operations":["set"]}]}`))
		default:
			reply(w, 200, []byte(`{"maxResults":1,"startAt":1,"total":2,"isLast":true,"values":[{"fieldId":"priority","required":false,"schema":{"type":"priority","system":"priority"},"name":"Priority","operations":["set"],"allowedValues":[{"id":"1","name":"Blocker"}],"hasDefaultValue":true,"defaultValue":{"id":"3"}}]}`))
		}
	})
	c, _ := newTestClient(t, f)
	got, err := c.CreateMetaFields(context.Background(), "ABC", "10001")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].FieldID != "summary" || !got[1].HasDefaultValue || len(got[1].AllowedValues) != 1 {
		t.Fatalf("fields = %+v", got)
	}
	if p := f.last().Path; p != "/jira/rest/api/2/issue/createmeta/ABC/issuetypes/10001" {
		t.Errorf("path = %s", p)
	}
	if f.hits() != 2 {
		t.Errorf("hits = %d", f.hits())
	}
}
