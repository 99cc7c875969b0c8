package jira

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func addTestdataSeeds(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatalf("seed %s: %v", n, err)
		}
		f.Add(b)
	}
}

func FuzzDecodeIssue(f *testing.F) {
	addTestdataSeeds(f, "issue.json")
	f.Add([]byte(`{"id":"1","key":"A-1","fields":{"updated":"2024-03-01T10:15:30.123+0100","duedate":"2024-04-15","status":null,"labels":"x"}}`))
	f.Add([]byte(`{"fields":{"summary":1,"assignee":[],"created":"bad"},"changelog":{"histories":[{"created":"2012-04-11T14:26+0200","items":[{"from":null}]}]}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		is, err := DecodeIssue(b)
		if err != nil {
			return
		}
		// Accessors never panic, whatever the field shapes.
		is.Summary()
		is.Description()
		is.Environment()
		is.Status()
		is.IssueType()
		is.Priority()
		is.Resolution()
		is.Project()
		is.Labels()
		is.Assignee()
		is.Reporter()
		is.Components()
		is.FixVersions()
		is.Attachments()
		is.Comments()
		is.DueDate()
		is.Updated()
		is.Created()
		out, err := json.Marshal(is)
		if err != nil {
			t.Fatalf("re-marshal a decoded issue: %v", err)
		}
		again, err := DecodeIssue(out)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, out)
		}
		if again.Key != is.Key || again.ID != is.ID || len(again.Fields) != len(is.Fields) {
			t.Fatalf("round trip changed the issue: %+v vs %+v", again, is)
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	addTestdataSeeds(f, "error-screen.json", "error-jql.json", "error-field.json", "error-notfound.json", "duplicate-key-error.json", "unauthorized.html")
	f.Add([]byte(`{"errorMessages":null,"errors":{"a":null,"b":[1]},"warningMessages":["w"]}`))
	f.Add([]byte(strings.Repeat("é", 3000)))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, status := range []int{400, 401, 403, 404, 429, 503} {
			h := http.Header{"Retry-After": {string(b[:min(len(b), 12)])}, "X-Seraph-Loginreason": {"AUTHENTICATED_FAILED"}}
			e := DecodeError(status, h, b)
			if e.Class == ClassNone || e.Class == ClassInternal {
				t.Fatalf("status %d got class %v", status, e.Class)
			}
			if len(e.Body) > maxBodyExcerpt+len("…") {
				t.Fatalf("body excerpt %d bytes", len(e.Body))
			}
			if e.Error() == "" || e.RetryAfter < 0 {
				t.Fatalf("bad error %+v", e)
			}
			_ = e.Message()
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2019-08-13T06:14:23.580+0800", "2019-08-13T06:14:23+0800", "2019-08-13T06:14:23.580Z",
		"2019-08-13T06:14:23.580+07:00", "2012-04-11T14:26+0200", "0000-01-01T00:00:00.000-2359", "2024-02-30T00:00:00.000+0000", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTime(s)
		if err != nil {
			return
		}
		if tm.Year() < 0 || tm.Year() > 9999 {
			return // outside Jira's four-digit format
		}
		out := FormatTime(tm)
		back, err := ParseTime(out)
		if err != nil {
			t.Fatalf("ParseTime(%q) ok, but its formatting %q does not parse: %v", s, out, err)
		}
		if !back.Equal(tm.Truncate(time.Millisecond)) && back.UnixMilli() != tm.UnixMilli() {
			t.Fatalf("round trip %q -> %q: %v != %v", s, out, back, tm)
		}
		if FormatTime(back) != out {
			t.Fatalf("format not stable: %q vs %q", FormatTime(back), out)
		}
		var jt Time
		if err := json.Unmarshal([]byte(`"`+out+`"`), &jt); err != nil || !jt.Equal(back) {
			t.Fatalf("Time JSON: %v", err)
		}
	})
}
