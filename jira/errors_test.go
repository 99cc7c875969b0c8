package jira

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDecodeErrorClassification(t *testing.T) {
	html := testdata(t, "unauthorized.html")
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       []byte
		wantClass  Class
		wantMsg    string // substring of Message()
		wantAfter  time.Duration
		wantErrors map[string]string
	}{
		{"HTML 401", 401, http.Header{"X-Seraph-Loginreason": {"AUTHENTICATED_FAILED"}, "Content-Type": {"text/html"}}, html, ClassAuth, "", 0, nil},
		{"CAPTCHA", 403, http.Header{"X-Seraph-Loginreason": {"AUTHENTICATION_DENIED"}, "X-Authentication-Denied-Reason": {"CAPTCHA_CHALLENGE; login-url=https://j/login.jsp"}}, nil, ClassAuth, "", 0, nil},
		{"403 permission", 403, nil, []byte(`{"errorMessages":["You do not have permission to edit issues in this project."],"errors":{}}`), ClassConfig, "permission", 0, nil},
		{"403 XSRF", 403, nil, []byte("XSRF check failed"), ClassConfig, "", 0, nil},
		{"404", 404, nil, testdata(t, "error-notfound.json"), ClassData, "Issue Does Not Exist", 0, nil},
		{"400 field value", 400, nil, testdata(t, "error-field.json"), ClassData, "customfield_10000: abcfsd", 0, map[string]string{"customfield_10000": "abcfsd"}},
		{"400 not on screen", 400, nil, testdata(t, "error-screen.json"), ClassConfig, "not on the appropriate screen", 0, nil},
		{"400 JQL", 400, nil, testdata(t, "error-jql.json"), ClassConfig, "Error in the JQL Query", 0, nil},
		{"400 duplicate keys", 400, nil, testdata(t, "duplicate-key-error.json"), ClassData, "a; b; a: y; c: z", 0, map[string]string{"a": "y", "c": "z"}},
		{"408", 408, nil, nil, ClassTransient, "", 0, nil},
		{"409 generic", 409, nil, []byte(`{"errorMessages":["conflict"]}`), ClassData, "conflict", 0, nil},
		{"413", 413, nil, nil, ClassData, "", 0, nil},
		{"429", 429, http.Header{"Retry-After": {"7"}, "X-Ratelimit-Remaining": {"0"}}, nil, ClassRateLimited, "", 7 * time.Second, nil},
		{"500", 500, nil, []byte("<html>oops</html>"), ClassTransient, "", 0, nil},
		{"503 with Retry-After", 503, http.Header{"Retry-After": {"30"}}, nil, ClassTransient, "", 30 * time.Second, nil},
		{"non-string error values", 400, nil, []byte(`{"errorMessages":[],"errors":{"n":5,"o":{"x":1}}}`), ClassData, "n: 5; o: {\"x\":1}", 0, nil},
		{"warnings", 400, nil, []byte(`{"errorMessages":["x"],"errors":{},"warningMessages":["The value 'Z' does not exist for the field 'project'."]}`), ClassConfig, "x", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := DecodeError(tc.status, tc.header, tc.body)
			if e.Class != tc.wantClass {
				t.Errorf("class = %v, want %v", e.Class, tc.wantClass)
			}
			if !strings.Contains(e.Message(), tc.wantMsg) {
				t.Errorf("message = %q, want %q", e.Message(), tc.wantMsg)
			}
			if e.RetryAfter != tc.wantAfter {
				t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tc.wantAfter)
			}
			for k, v := range tc.wantErrors {
				if e.Errors[k] != v {
					t.Errorf("errors[%s] = %q, want %q", k, e.Errors[k], v)
				}
			}
			if len(e.Body) > maxBodyExcerpt+len("…") {
				t.Errorf("body excerpt is %d bytes", len(e.Body))
			}
			if e.Error() == "" || !strings.Contains(e.Error(), http.StatusText(tc.status)) {
				t.Errorf("Error() = %q", e.Error())
			}
		})
	}
}

func TestBodyExcerptBounded(t *testing.T) {
	big := strings.Repeat("é", 5000) // multi-byte: the cut must stay valid UTF-8
	e := DecodeError(500, nil, []byte(big))
	if len(e.Body) > maxBodyExcerpt+len("…") || !strings.HasSuffix(e.Body, "…") || strings.Contains(e.Body, "\uFFFD") {
		t.Errorf("excerpt len %d, suffix ok %v", len(e.Body), strings.HasSuffix(e.Body, "…"))
	}
}

// TestSearch400IsConfig: any 400 from a search is a JQL problem, not a data one.
func TestSearch400IsConfig(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 400, []byte(`{"errorMessages":["The value 'NOPE' does not exist for the field 'project'."],"errors":{}}`))
	})
	c, _ := newTestClient(t, f)
	_, err := c.Search(context.Background(), SearchQuery{JQL: "project = NOPE"})
	if ClassOf(err) != ClassConfig {
		t.Errorf("class = %v (%v)", ClassOf(err), err)
	}
	var je *Error
	if !errors.As(err, &je) || je.Endpoint != "/jira/rest/api/2/search" || je.Template != "/rest/api/2/search" || je.Method != "GET" || je.Instance != "A" {
		t.Errorf("error = %+v", je)
	}
}

// TestHTMLOn200: an SSO or proxy page answering 200 is a config error, not a panic.
func TestHTMLOn200(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>Log in</body></html>"))
	})
	c, _ := newTestClient(t, f)
	_, err := c.Myself(context.Background())
	if ClassOf(err) != ClassConfig || !strings.Contains(err.Error(), "HTML") {
		t.Errorf("err = %v (class %v)", err, ClassOf(err))
	}
}

func TestClassOf(t *testing.T) {
	tests := []struct {
		err  error
		want Class
	}{
		{nil, ClassNone},
		{context.DeadlineExceeded, ClassTransient},
		{errors.New("boom"), ClassInternal},
		{&Error{Class: ClassData}, ClassData},
	}
	for _, tc := range tests {
		if got := ClassOf(tc.err); got != tc.want {
			t.Errorf("ClassOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if ClassRateLimited.String() != "rate-limited" || Class(99).String() != "class(99)" {
		t.Error("Class.String")
	}
	if !IsNotFound(DecodeError(404, nil, nil)) || IsNotFound(DecodeError(400, nil, nil)) {
		t.Error("IsNotFound")
	}
}
