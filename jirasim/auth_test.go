package jirasim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAuthAndCaptcha(t *testing.T) {
	_, a := tsim(t)
	steps := []struct {
		user, reason string
		status       int
		denied       bool
	}{
		{"airlock:wrong", "AUTHENTICATED_FAILED", 401, false},
		{"airlock", "OK", 200, false}, // success resets the count
		{"airlock:wrong", "AUTHENTICATED_FAILED", 401, false},
		{"airlock:wrong", "AUTHENTICATED_FAILED", 401, false},
		{"airlock:wrong", "AUTHENTICATED_FAILED", 401, false}, // third consecutive failure
		{"airlock", "AUTHENTICATION_DENIED", 401, true},       // right password, CAPTCHA now
		{"pat:airlock-pat-A", "OK", 200, false},               // PAT is not subject to CAPTCHA
		{"pat:bogus", "AUTHENTICATED_FAILED", 401, false},
		{"alice", "OK", 200, false},
	}
	for n, s := range steps {
		r := call(t, a, "GET", "/rest/api/2/myself", s.user, nil)
		if r.status != s.status || r.header.Get("X-Seraph-LoginReason") != s.reason {
			t.Fatalf("step %d (%s): %d %q", n, s.user, r.status, r.header.Get("X-Seraph-LoginReason"))
		}
		if r.status == 401 {
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.raw), "<html") {
				t.Errorf("step %d: 401 body is not HTML: %s", n, r.raw)
			}
		}
		got := r.header.Get("X-Authentication-Denied-Reason")
		if s.denied != (got == "CAPTCHA_CHALLENGE; login-url="+a.URL()+"/login.jsp") {
			t.Errorf("step %d: denied reason %q", n, got)
		}
		if r.header.Get("X-AREQUESTID") == "" || r.header.Get("X-AUSERNAME") == "" {
			t.Errorf("step %d: missing X-AREQUESTID/X-AUSERNAME", n)
		}
	}
	if !a.Knobs().CaptchaActive("airlock") {
		t.Error("CaptchaActive")
	}
	a.Knobs().ResetCaptcha("airlock")
	mustStatus(t, call(t, a, "GET", "/rest/api/2/myself", "airlock", nil), 200)
	if r := call(t, a, "GET", "/rest/api/2/serverInfo", "", nil); r.header.Get("X-AUSERNAME") != "anonymous" {
		t.Error("anonymous X-AUSERNAME")
	}
}

func TestRateLimit(t *testing.T) {
	_, a := tsim(t)
	a.Knobs().SetClock(time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC))
	a.Knobs().SetRateLimit(RateLimit{Enabled: true, Capacity: 2, FillRate: 1, IntervalSeconds: 10})
	want := []struct {
		status           int
		remaining, retry string
	}{{200, "1", "0"}, {200, "0", "0"}, {429, "0", "10"}}
	for n, w := range want {
		r := call(t, a, "GET", "/rest/api/2/myself", "airlock", nil)
		h := r.header
		if r.status != w.status || h.Get("X-RateLimit-Remaining") != w.remaining || h.Get("Retry-After") != w.retry ||
			h.Get("X-RateLimit-Limit") != "2" || h.Get("X-RateLimit-FillRate") != "1" || h.Get("X-RateLimit-Interval-Seconds") != "10" {
			t.Errorf("call %d: %d %v", n, r.status, h)
		}
		if h.Get("X-RateLimit-Reset") != "" || h.Get("RateLimit-Reason") != "" {
			t.Error("Cloud-only headers sent")
		}
	}
	mustStatus(t, call(t, a, "GET", "/rest/api/2/myself", "alice", nil), 200) // per user
	a.Knobs().AdvanceClock(10 * time.Second)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/myself", "airlock", nil), 200)
	a.Knobs().SetRateLimit(RateLimit{})
	if r := call(t, a, "GET", "/rest/api/2/myself", "airlock", nil); r.header.Get("X-RateLimit-Limit") != "" {
		t.Error("headers sent with rate limiting off")
	}
}

func multipartBody(t *testing.T, files map[string][]byte) (*bytes.Buffer, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for name, data := range files {
		w, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, mw.FormDataContentType()
}

func upload(t *testing.T, a *Instance, key string, files map[string][]byte, xsrf bool) resp {
	body, ctype := multipartBody(t, files)
	req, _ := http.NewRequest("POST", a.URL()+"/rest/api/2/issue/"+key+"/attachments", body)
	req.Header.Set("Content-Type", ctype)
	if xsrf {
		req.Header.Set("X-Atlassian-Token", "no-check")
	}
	setAuth(req, "airlock")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, raw: raw}
}

func TestAttachments(t *testing.T) {
	s, err := New(Options{Name: "A", ContextPath: "/jira", UploadLimit: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := s.Instance("A")
	_, key := createIssue(t, a, nil)
	r := upload(t, a, key, map[string][]byte{"a b.txt": []byte("hello")}, false)
	if r.status != 403 || string(r.raw) != "XSRF check failed" {
		t.Fatalf("no XSRF header: %d %s", r.status, r.raw)
	}
	mustStatus(t, upload(t, a, key, map[string][]byte{"big.bin": bytes.Repeat([]byte("x"), 101)}, true), 413)
	r = upload(t, a, key, map[string][]byte{"a b.txt": []byte("hello"), "c.png": []byte("\x89PNG")}, true)
	mustStatus(t, r, 200)
	list := r.arr(t)
	if len(list) != 2 {
		t.Fatalf("attachments %s", r.raw)
	}
	var txt map[string]any
	for _, x := range list {
		if m := x.(map[string]any); m["filename"] == "a b.txt" {
			txt = m
		}
	}
	if txt == nil || txt["content"] != a.URL()+"/secure/attachment/"+txt["id"].(string)+"/a%20b.txt" || txt["size"] != 5.0 {
		t.Fatalf("attachment bean %v", txt)
	}
	meta := call(t, a, "GET", "/rest/api/2/attachment/"+txt["id"].(string), "airlock", nil)
	mustStatus(t, meta, 200)
	req, _ := http.NewRequest("GET", txt["content"].(string), nil)
	setAuth(req, "airlock")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(data) != "hello" {
		t.Errorf("content %d %q", res.StatusCode, data)
	}
	res, _ = http.Get(txt["content"].(string))
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("anonymous content fetch: %d", res.StatusCode)
	}
	mustStatus(t, call(t, a, "DELETE", "/rest/api/2/attachment/"+txt["id"].(string), "airlock", nil), 204)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/attachment/"+txt["id"].(string), "airlock", nil), 404)
	g := call(t, a, "GET", "/rest/api/2/issue/"+key+"?expand=changelog", "airlock", nil).obj(t)
	hs := dig(g, "changelog", "histories").([]any)
	last := dig(hs[len(hs)-1], "items").([]any)[0]
	if dig(last, "field") != "Attachment" || dig(last, "fromString") != "a b.txt" {
		t.Errorf("delete history %v", last)
	}
	if m := call(t, a, "GET", "/rest/api/2/attachment/meta", "airlock", nil).obj(t); m["uploadLimit"] != 100.0 || m["enabled"] != true {
		t.Errorf("meta %v", m)
	}
}

func TestCommentsPropertiesLinksWorklogs(t *testing.T) {
	_, a := tsim(t)
	_, key := createIssue(t, a, nil)
	p := "/rest/api/2/issue/" + key
	c1 := call(t, a, "POST", p+"/comment", "airlock", map[string]any{"body": "one [~alice]"})
	mustStatus(t, c1, 201)
	c2 := call(t, a, "POST", p+"/comment", "alice", map[string]any{"body": "two", "visibility": map[string]string{"type": "group", "value": "jira-administrators"}})
	mustStatus(t, c2, 201)
	mustStatus(t, call(t, a, "POST", p+"/comment", "airlock", map[string]any{"body": ""}), 400)
	mustStatus(t, call(t, a, "POST", p+"/comment", "airlock", map[string]any{"body": "x", "visibility": map[string]string{"type": "group", "value": "nope"}}), 400)
	id1 := c1.obj(t)["id"].(string)
	if self := c1.obj(t)["self"].(string); !strings.HasPrefix(self, a.URL()+"/rest/api/2/issue/10000/comment/") {
		t.Errorf("comment self %s", self)
	}
	if l := call(t, a, "GET", p+"/comment", "admin", nil).obj(t); l["total"] != 2.0 {
		t.Errorf("admin sees %v", l["total"])
	}
	if l := call(t, a, "GET", p+"/comment?orderBy=-created&maxResults=1", "airlock", nil).obj(t); l["total"] != 1.0 || l["maxResults"] != 1.0 {
		t.Errorf("restricted comment visible to a non-member: %v", l)
	}
	up := call(t, a, "PUT", p+"/comment/"+id1, "bob", map[string]any{"body": "edited"})
	mustStatus(t, up, 200)
	if dig(up.obj(t), "updateAuthor", "name") != "bob" || dig(up.obj(t), "author", "name") != "airlock" {
		t.Errorf("update authors %s", up.raw)
	}
	mustStatus(t, call(t, a, "GET", p+"/comment/"+id1, "airlock", nil), 200)
	mustStatus(t, call(t, a, "DELETE", p+"/comment/"+id1, "airlock", nil), 204)
	mustStatus(t, call(t, a, "GET", p+"/comment/"+id1, "airlock", nil), 404)

	mustStatus(t, call(t, a, "PUT", p+"/properties/airlock.twin", "airlock", map[string]any{"v": 1}), 201)
	mustStatus(t, call(t, a, "PUT", p+"/properties/airlock.twin", "airlock", map[string]any{"v": 2}), 200)
	mustStatus(t, call(t, a, "PUT", p+"/properties/bad", "airlock", "{not json"), 400)
	g := call(t, a, "GET", p+"/properties/airlock.twin", "airlock", nil).obj(t)
	if g["key"] != "airlock.twin" || dig(g, "value", "v") != 2.0 {
		t.Errorf("property %v", g)
	}
	if k := call(t, a, "GET", p+"/properties", "airlock", nil).obj(t)["keys"].([]any); len(k) != 1 {
		t.Errorf("keys %v", k)
	}
	if pr := call(t, a, "GET", p+"?properties=airlock.twin&fields=summary", "airlock", nil).obj(t); dig(pr, "properties", "airlock.twin", "v") != 2.0 {
		t.Errorf("properties on GET issue: %v", pr["properties"])
	}
	mustStatus(t, call(t, a, "DELETE", p+"/properties/airlock.twin", "airlock", nil), 204)
	mustStatus(t, call(t, a, "GET", p+"/properties/airlock.twin", "airlock", nil), 404)
	created := call(t, a, "POST", "/rest/api/2/issue", "airlock", map[string]any{"fields": map[string]any{
		"project": map[string]string{"key": "ALPHA"}, "issuetype": map[string]string{"name": "Bug"}, "summary": "p"},
		"properties": []map[string]any{{"key": "airlock.twin", "value": map[string]string{"sync": "s1"}}}})
	mustStatus(t, created, 201)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/"+created.obj(t)["key"].(string)+"/properties/airlock.twin", "airlock", nil), 200)

	l := call(t, a, "POST", p+"/remotelink", "airlock", map[string]any{"globalId": "g", "object": map[string]string{"url": "http://x", "title": "X"}})
	mustStatus(t, l, 201)
	lid := l.obj(t)["id"].(float64)
	mustStatus(t, call(t, a, "POST", p+"/remotelink", "airlock", map[string]any{"object": map[string]string{}}), 400)
	if g := call(t, a, "GET", p+"/remotelink?globalId=g", "airlock", nil).obj(t); g["id"] != lid {
		t.Errorf("by globalId %v", g)
	}
	if list := call(t, a, "GET", p+"/remotelink", "airlock", nil).arr(t); len(list) != 1 || dig(list[0], "object", "title") != "X" {
		t.Errorf("links %v", list)
	}
	mustStatus(t, call(t, a, "DELETE", p+"/remotelink?globalId=g", "airlock", nil), 204)
	mustStatus(t, call(t, a, "GET", p+"/remotelink?globalId=g", "airlock", nil), 404)

	w := call(t, a, "POST", p+"/worklog", "airlock", map[string]any{"timeSpentSeconds": 3600, "comment": "w"})
	mustStatus(t, w, 201)
	if w.obj(t)["timeSpent"] != "1h" {
		t.Errorf("worklog %s", w.raw)
	}
	wid := w.obj(t)["id"].(string)
	mustStatus(t, call(t, a, "POST", p+"/worklog", "airlock", map[string]any{"comment": "no time"}), 400)
	mustStatus(t, call(t, a, "PUT", p+"/worklog/"+wid, "airlock", map[string]any{"timeSpent": "2h"}), 200)
	if wl := call(t, a, "GET", p+"/worklog", "airlock", nil).obj(t); wl["total"] != 1.0 || dig(wl["worklogs"].([]any)[0], "timeSpentSeconds") != 7200.0 {
		t.Errorf("worklogs %v", wl)
	}
	mustStatus(t, call(t, a, "DELETE", p+"/worklog/"+wid, "airlock", nil), 204)
}

func TestRequestLogAndAdminPath(t *testing.T) {
	_, a := tsim(t)
	a.Log().Clear()
	_, key := createIssue(t, a, nil)
	call(t, a, "GET", "/rest/api/2/issue/"+key+"/comment/123", "airlock", nil)
	call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil)
	call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock:bad", nil)
	counts := a.Log().Counts()
	want := map[string]int{"POST /rest/api/2/issue": 1, "GET /rest/api/2/issue/{id}": 2, "GET /rest/api/2/issue/{id}/comment/{id}": 1}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("count %s = %d, want %d (all %v)", k, counts[k], v, counts)
		}
	}
	es := a.Log().Find("POST", "/rest/api/2/issue")
	if len(es) != 1 || es[0].Status != 201 || es[0].User != "airlock" || !strings.Contains(es[0].Body, `"summary":"hello"`) {
		t.Errorf("entry %+v", es)
	}
	last := a.Log().Entries()[len(a.Log().Entries())-1]
	if last.Status != 401 || last.User != "" {
		t.Errorf("failed auth entry %+v", last)
	}

	admin := func(method, path string, body any) resp {
		var rd io.Reader
		if body != nil {
			j, _ := json.Marshal(body)
			rd = bytes.NewReader(j)
		}
		req, _ := http.NewRequest(method, a.URL()+"/__sim"+path, rd)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return resp{status: res.StatusCode, raw: raw}
	}
	mustStatus(t, admin("POST", "/knobs", map[string]any{"normalize": true, "latency": "1ms"}), 200)
	if k := a.Knobs().Get(); !k.Normalize || time.Duration(k.Latency) != time.Millisecond {
		t.Errorf("knobs %+v", k)
	}
	r := call(t, a, "PUT", "/rest/api/2/issue/"+key, "airlock", map[string]any{"fields": map[string]any{"summary": "  padded  ", "labels": []string{"b", "a", "b"}}})
	mustStatus(t, r, 204)
	f := call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t)["fields"]
	if dig(f, "summary") != "padded" || len(dig(f, "labels").([]any)) != 2 || dig(f, "labels").([]any)[0] != "a" {
		t.Errorf("normalisation: %v %v", dig(f, "summary"), dig(f, "labels"))
	}
	mustStatus(t, admin("POST", "/clock", map[string]any{"set": "2024-01-02T03:04:05Z"}), 200)
	if m := call(t, a, "GET", "/rest/api/2/serverInfo", "", nil).obj(t); m["serverTime"] != "2024-01-02T03:04:05.000+0000" {
		t.Errorf("serverTime %v", m["serverTime"])
	}
	mustStatus(t, admin("POST", "/clock", map[string]any{"advance": "1h"}), 200)
	if !a.Knobs().Now().Equal(time.Date(2024, 1, 2, 4, 4, 5, 0, time.UTC)) {
		t.Errorf("clock %v", a.Knobs().Now())
	}
	for range 3 {
		call(t, a, "GET", "/rest/api/2/myself", "bob:x", nil)
	}
	mustStatus(t, call(t, a, "GET", "/rest/api/2/myself", "bob", nil), 401)
	mustStatus(t, admin("POST", "/captcha/reset", map[string]any{"username": "bob"}), 200)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/myself", "bob", nil), 200)
	if l := admin("GET", "/log", nil); !strings.Contains(string(l.raw), `"GET /rest/api/2/myself"`) {
		t.Errorf("log over HTTP: %s", l.raw)
	}
	mustStatus(t, admin("POST", "/reset", nil), 200)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil), 404)
	if a.Knobs().Get().Normalize {
		t.Error("reset kept knobs")
	}
	mustStatus(t, admin("DELETE", "/log", nil), 200)
	if len(a.Log().Entries()) != 0 {
		t.Error("log not cleared")
	}
	mustStatus(t, admin("GET", "/nope", nil), 404)
}

func TestFaultKnobs(t *testing.T) {
	_, a := tsim(t)
	a.Knobs().FailNext(2, 503)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/serverInfo", "", nil), 503)
	a.Knobs().SetErrorRate(0, 500)
	a.Knobs().FailNext(1, 500)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/serverInfo", "", nil), 500)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/serverInfo", "", nil), 200)
	a.Knobs().SetFaultEndpoint("PUT /rest/api/2/issue/{id}")
	a.Knobs().FailNext(1, 503)
	mustStatus(t, call(t, a, "GET", "/rest/api/2/serverInfo", "", nil), 200)
	a.Knobs().SetFaultEndpoint("")
	a.Knobs().FailNext(0, 503)
	a.Knobs().TimeoutNext(1, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", a.URL()+"/rest/api/2/serverInfo", nil)
	start := time.Now()
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("hang knob answered %d", res.StatusCode)
	}
	if time.Since(start) > 2*time.Second {
		t.Error("hang did not end with the client")
	}
	mustStatus(t, call(t, a, "GET", "/rest/api/2/serverInfo", "", nil), 200)
}

func TestNoContextPath(t *testing.T) {
	s, _ := tsim(t)
	b := s.Instance("B")
	_, key := createIssue(t, b, nil)
	if key != "BETA-1" {
		t.Errorf("key %s", key)
	}
	m := call(t, b, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t)
	if m["id"] != "30000" || m["self"] != b.URL()+"/rest/api/2/issue/30000" || strings.Contains(b.URL(), "/jira") {
		t.Errorf("B issue %v %v", m["id"], m["self"])
	}
	mustStatus(t, call(t, s.Instance("A"), "GET", "/rest/api/2/issue/30000", "airlock", nil), 404)
}
