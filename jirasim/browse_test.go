package jirasim

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// GET {base}/browse/KEY is a read-only HTML view of the issue, on the context path like Jira:
// fields, comments, attachments and history, all escaped; a project key lists its issues; an
// anonymous visitor is asked to log in; an unknown key is a 404 page.
func TestBrowseIssuePage(t *testing.T) {
	_, inst := tsim(t)
	const xss = `<script>alert(1)</script>`
	_, key := createIssue(t, inst, map[string]any{"summary": "Printer jammed " + xss, "labels": []string{"ops"}})
	mustStatus(t, call(t, inst, "POST", "/rest/api/2/issue/"+key+"/comment", "alice", map[string]any{"body": "Paper stuck " + xss}), 201)
	mustStatus(t, call(t, inst, "PUT", "/rest/api/2/issue/"+key, "airlock", map[string]any{"fields": map[string]any{"summary": "Printer on floor 3 jammed"}}), 204)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "photo <1>.txt")
	fw.Write([]byte("hello"))
	mw.Close()
	req, _ := http.NewRequest("POST", inst.URL()+"/rest/api/2/issue/"+key+"/attachments", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Atlassian-Token", "no-check")
	setAuth(req, "alice")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("attach: %v %v", res, err)
	}

	if !strings.HasSuffix(inst.URL(), "/jira") {
		t.Fatalf("instance URL %s has no context path", inst.URL())
	}
	r := call(t, inst, "GET", "/browse/"+key, "alice", nil)
	mustStatus(t, r, 200)
	page := string(r.raw)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}
	for _, want := range []string{
		"<h1 data-testid=\"issue-key\">" + key + "</h1>", "Printer on floor 3 jammed", // fields, current value
		"Paper stuck &lt;script&gt;alert(1)&lt;/script&gt;", "Alice", // comment and its author
		"photo &lt;1&gt;.txt", "5 bytes", "/jira/secure/attachment/", // attachment with its download link
		"Printer jammed &lt;script&gt;alert(1)&lt;/script&gt;", // history: the old summary
		"ops", "To Do", "Task", // labels, status, type
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, xss) {
		t.Error("a Jira value reached the page unescaped")
	}

	// The project key lists its issues, each linked to its page.
	r = call(t, inst, "GET", "/browse/"+inst.ProjectKey(), "alice", nil)
	mustStatus(t, r, 200)
	if !strings.Contains(string(r.raw), `href="`+inst.URL()+`/browse/`+key+`"`) {
		t.Errorf("project page does not link %s: %s", key, r.raw)
	}
	// Anonymous: a login challenge, nothing of the issue.
	r = call(t, inst, "GET", "/browse/"+key, "", nil)
	if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") || strings.Contains(string(r.raw), "Printer") {
		t.Errorf("anonymous: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	r = call(t, inst, "GET", "/browse/NOPE-99", "alice", nil)
	if r.status != http.StatusNotFound || !strings.Contains(string(r.raw), "Issue Does Not Exist") {
		t.Errorf("unknown key: %d %s", r.status, r.raw)
	}
	// Without the context path there is no page, as on a Jira under /jira.
	res, err := http.Get(strings.TrimSuffix(inst.URL(), "/jira") + "/browse/" + key)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("outside the context path: %d", res.StatusCode)
	}
}
