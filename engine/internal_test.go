package engine

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

func internalNote(body string) jira.Comment {
	return jira.Comment{Body: body, Properties: []jira.CommentProperty{{Key: jira.ServiceDeskCommentProperty, Value: json.RawMessage(`{"internal":true}`)}}}
}

func TestAttachmentRefs(t *testing.T) {
	for _, tc := range []struct {
		body string
		want []string
	}{
		{"see !shot.png|thumbnail! and [^report.pdf]", []string{"shot.png", "report.pdf"}},
		{"!a b.png!", []string{"a b.png"}},
		{"!wide.png|width=300,height=200!", []string{"wide.png"}},
		{"[the report|^report v2.pdf]", []string{"report v2.pdf"}},
		{"Wow! Great! [link|http://x] [~alice]", nil},
		{"!http://example.com/x.png!", []string{"http://example.com/x.png"}},
	} {
		if got := attachmentRefs(tc.body); !slices.Equal(got, tc.want) {
			t.Errorf("attachmentRefs(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}

// A file stays home when comments reference it and none of them may leave; a leaving comment
// (or none at all) frees it.
func TestHeldAttachments(t *testing.T) {
	role := &jira.Visibility{Type: "role", Value: "Administrators"}
	cs := []jira.Comment{
		internalNote("log attached !internal.png|thumbnail!"),
		{Body: "restricted [^restricted.pdf]", Visibility: role},
		internalNote("also [^both.txt]"),
		{Body: "public reply with [^both.txt] and !public.png!"},
	}
	var rules CommentRules
	held := heldAttachments(&rules, models.SideLocal, cs)
	for name, want := range map[string]bool{"internal.png": true, "restricted.pdf": true, "both.txt": false, "public.png": false, "unreferenced.bin": false} {
		if held[name] != want {
			t.Errorf("held[%s] = %v, want %v", name, held[name], want)
		}
	}
	// Internal notes allowed out of the local side free their files that way only.
	rules.InternalToRemote = true
	if h := heldAttachments(&rules, models.SideLocal, cs); h["internal.png"] || !h["restricted.pdf"] {
		t.Errorf("internal allowed local -> remote: held = %v", h)
	}
	if h := heldAttachments(&rules, models.SideRemote, cs); !h["internal.png"] {
		t.Errorf("internal allowed local -> remote only, yet remote's note frees its file: %v", h)
	}
	rules.AllowVisibilities = []string{"role:administrators"}
	if h := heldAttachments(&rules, models.SideLocal, cs); len(h) != 0 {
		t.Errorf("everything allowed: held = %v", h)
	}
}

func TestCommentLeaves(t *testing.T) {
	note := internalNote("x")
	public := jira.Comment{Body: "y", Properties: []jira.CommentProperty{{Key: jira.ServiceDeskCommentProperty, Value: json.RawMessage(`{"internal":false}`)}}}
	cloudNote := jira.Comment{Body: "z", JSDPublic: new(bool)}
	var r CommentRules
	for _, c := range []jira.Comment{note, cloudNote} {
		if commentLeaves(&r, models.SideLocal, &c) || commentLeaves(&r, models.SideRemote, &c) {
			t.Errorf("internal %+v leaves by default", c)
		}
	}
	if !commentLeaves(&r, models.SideLocal, &public) {
		t.Error("a public service desk comment stays home")
	}
	r.InternalToLocal = true
	if !commentLeaves(&r, models.SideRemote, &note) || commentLeaves(&r, models.SideLocal, &note) {
		t.Error("InternalToLocal must free the remote side's notes only")
	}
	// Both rules hold: an internal note restricted to a role not allowed stays home.
	restricted := internalNote("r")
	restricted.Visibility = &jira.Visibility{Type: "role", Value: "Developers"}
	if commentLeaves(&r, models.SideRemote, &restricted) {
		t.Error("a restricted internal note left")
	}
}
