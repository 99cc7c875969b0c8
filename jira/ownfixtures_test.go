package jira

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestOwnFixtures parses the project's own fixtures in testdata/ (written to the
// shapes documented in JIRA-API.md, see testdata/README.md) with the decoders the
// client uses, so the client keeps passing without the shared real captures.
func TestOwnFixtures(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, b []byte)
	}{
		{"issue.json", func(t *testing.T, b []byte) {
			is, err := DecodeIssue(b)
			if err != nil {
				t.Fatal(err)
			}
			up, _ := is.Updated()
			st, _ := is.Status()
			l, _ := is.Labels()
			if is.ID != "10300" || is.Key != "ABC-7" || st.StatusCategory.ID != 4 || !reflect.DeepEqual(l, []string{"safari", "login"}) ||
				up.UnixMilli() != time.Date(2024, 3, 1, 9, 15, 30, 123e6, time.UTC).UnixMilli() {
				t.Errorf("issue = %s %s %+v %v %v", is.ID, is.Key, st, l, up)
			}
			if _, ok := is.Resolution(); ok {
				t.Error("null resolution decoded as set")
			}
			if string(is.Properties["airlock.twin"]) == "" {
				t.Error("properties lost")
			}
		}},
		{"search.json", func(t *testing.T, b []byte) {
			var p SearchPage
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			if p.StartAt != 0 || p.MaxResults != 2 || p.Total != 3 || len(p.Issues) != 2 || p.Issues[1].Key != "ABC-8" {
				t.Fatalf("page = %+v", p)
			}
			if p.Names["customfield_10002"] != "Effort Points" || p.Schema["customfield_10002"].CustomID != 10002 || p.Schema["labels"].Items != "string" {
				t.Errorf("names/schema = %v %v", p.Names, p.Schema)
			}
			var effort *float64
			if ok, err := p.Issues[1].Field("customfield_10002", &effort); ok || err != nil {
				t.Errorf("null custom field: %v %v", ok, err)
			}
			if ok, err := p.Issues[0].Field("customfield_10002", &effort); !ok || err != nil || *effort != 1.457 {
				t.Errorf("number custom field: %v %v", ok, err)
			}
			if st, _ := p.Issues[1].Status(); st.StatusCategory.Key != "new" {
				t.Errorf("status = %+v", st)
			}
		}},
		{"comment.json", func(t *testing.T, b []byte) {
			var c Comment
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			if c.ID == "" || c.Body == "" || c.Author == nil || c.Created.IsZero() {
				t.Errorf("comment = %+v", c)
			}
		}},
		{"comments.json", func(t *testing.T, b []byte) {
			var p CommentPage
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			if p.Total != 3 || p.MaxResults != 2 || len(p.Comments) != 2 || p.Comments[0].Visibility != nil {
				t.Fatalf("page = %+v", p)
			}
			c := p.Comments[1]
			if c.Visibility == nil || *c.Visibility != (Visibility{Type: "role", Value: "Developers"}) || !c.Updated.After(c.Created.Time) || c.Updated.String() != "2024-03-01T09:25:30.500+0100" {
				t.Errorf("comment = %+v", c)
			}
		}},
		{"transitions.json", func(t *testing.T, b []byte) {
			var out struct {
				Transitions []Transition `json:"transitions"`
			}
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Transitions) != 2 || out.Transitions[0].To.ID != "3" || !out.Transitions[1].HasScreen {
				t.Fatalf("transitions = %+v", out.Transitions)
			}
			f := out.Transitions[1].Fields["resolution"]
			if !f.Required || f.Schema.System != "resolution" || len(f.AllowedValues) != 1 {
				t.Errorf("transition field = %+v", f)
			}
		}},
		{"createmeta_issuetypes.json", func(t *testing.T, b []byte) {
			var p CreateMetaPage[IssueType]
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			if !p.IsLast || p.Total != 2 || len(p.Values) != 2 || p.Values[1].Name != "Task" {
				t.Errorf("page = %+v", p)
			}
		}},
		{"createmeta_fields.json", func(t *testing.T, b []byte) {
			var p CreateMetaPage[FieldMeta]
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			if p.IsLast || p.Total != 3 || len(p.Values) != 2 {
				t.Fatalf("page = %+v", p)
			}
			if s := p.Values[0]; s.FieldID != "summary" || !s.Required || s.Schema.System != "summary" {
				t.Errorf("summary = %+v", s)
			}
			if pr := p.Values[1]; !pr.HasDefaultValue || len(pr.AllowedValues) != 2 || len(pr.DefaultValue) == 0 {
				t.Errorf("priority = %+v", pr)
			}
		}},
		{"error-screen.json", func(t *testing.T, b []byte) {
			e := DecodeError(400, nil, b)
			if e.Class != ClassConfig || e.Errors["summary"] == "" || len(e.ErrorMessages) != 0 {
				t.Errorf("error = %+v", e)
			}
		}},
		{"error-notfound.json", func(t *testing.T, b []byte) {
			e := DecodeError(404, nil, b)
			if !IsNotFound(e) || e.Class != ClassData || len(e.ErrorMessages) != 1 {
				t.Errorf("error = %+v", e)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) { tc.check(t, testdata(t, tc.file)) })
	}
}
