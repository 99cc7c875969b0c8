package engine

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jira"
)

// writesOf lists the write requests (anything but GET and search) the sync user sent.
func (w *simWorld) writesOf(inst string) []string {
	var out []string
	for _, e := range w.sim.Instance(inst).Log().Entries() {
		if e.User == "airlock" && e.Method != http.MethodGet && !strings.HasSuffix(e.Path, "/search") {
			out = append(out, e.Method+" "+e.Path)
		}
	}
	return out
}

func TestPreviewWritesNothing(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	conn := n.conns[0].ID

	// An issue without a twin: the preview shows the create.
	fresh := w.createIssue("A", map[string]any{"summary": "Printer on fire", "labels": []string{"hot"}, "priority": map[string]string{"name": "High"}})
	// A linked pair where A changed since the last sync: the preview shows the update.
	linked := w.createIssue("A", map[string]any{"summary": "Linked one"})
	settle(t, n)
	w.edit("A", linked.Key, map[string]any{"summary": "Linked one, edited", "labels": []string{"x", "y"}})
	// Transition the A issue to In Progress so a status move is planned.
	if err := w.human("A", "alice").DoTransition(w.ctx, linked.Key, jira.TransitionInput{ID: "11"}); err != nil {
		t.Fatal(err)
	}
	peerKey := n.peer(linked.Key)
	created := w.issues("AB")
	before := len(created)
	// The fresh issue was synced by settle too; make a new one that no poll has seen.
	fresh = w.createIssue("A", map[string]any{"summary": "Unseen issue", "priority": map[string]string{"name": "Low"}})
	w.clearLogs()

	tests := []struct {
		name, key  string
		side       string
		create     bool
		wantFields []string
		wantStatus string
	}{
		{"create", fresh.Key, "local", true, []string{"summary", "priority"}, ""},
		{"update from the local key", linked.Key, "local", false, []string{"labels", "summary"}, "In Progress"},
		{"update from the remote key", peerKey, "remote", false, []string{"labels", "summary"}, "In Progress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := n.e.Preview(w.ctx, conn, strings.ToLower(tt.key))
			if err != nil {
				t.Fatal(err)
			}
			if res.Side != tt.side {
				t.Errorf("side %q, want %q", res.Side, tt.side)
			}
			if len(res.Leaving) == 0 {
				t.Error("no leaving values")
			}
			if len(res.Writes) != 1 {
				t.Fatalf("%d writes, want 1: %+v", len(res.Writes), res.Writes)
			}
			wr := res.Writes[0]
			if wr.Create != tt.create || wr.Side != "remote" {
				t.Errorf("write %+v, want create=%v on remote", wr, tt.create)
			}
			var names []string
			for _, f := range wr.Fields {
				names = append(names, f.Name)
			}
			for _, want := range tt.wantFields {
				if !strings.Contains(strings.Join(names, ","), want) {
					t.Errorf("fields %v lack %s", names, want)
				}
			}
			if wr.Payload == "" || wr.Err != "" {
				t.Errorf("payload %q, err %q", wr.Payload, wr.Err)
			}
			if tt.wantStatus != "" && (wr.Status == nil || wr.Status.To != tt.wantStatus || len(wr.Status.Path) == 0) {
				t.Errorf("status %+v, want a path to %s", wr.Status, tt.wantStatus)
			}
		})
	}
	for _, inst := range []string{"A", "AB"} {
		if ws := w.writesOf(inst); len(ws) > 0 {
			t.Errorf("preview wrote to %s: %v", inst, ws)
		}
	}
	if after := len(w.issues("AB")); after != before {
		t.Errorf("AB has %d issues after the preview, %d before", after, before)
	}
}

func TestPreviewUnknownKey(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	for _, key := range []string{"", "ALPHA-999"} {
		_, err := n.e.Preview(w.ctx, n.conns[0].ID, key)
		if err == nil || !IsPreviewInput(err) {
			t.Errorf("Preview(%q) = %v, want an input error", key, err)
		}
	}
	if _, err := n.e.Preview(w.ctx, 999, "ALPHA-1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown connection: %v", err)
	}
}

// TestPreviewNamesAFieldJiraWouldReject: a rule whose target is read-only on the other side (a
// text into Votes) previews as an error naming the field, not as "would update".
func TestPreviewNamesAFieldJiraWouldReject(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	a := w.createIssue("A", map[string]any{"summary": "Read-only target"})
	settle(t, n)
	r := testRules()
	r.Fields = append(r.Fields, FieldRule{Name: "ref", Kind: KindText, Local: "customfield_10100", Remote: "votes", Direction: DirOut})
	setRules(t, n, n.conns[0], r)
	w.edit("A", a.Key, map[string]any{"customfield_10100": "CR-9"})
	res, err := n.e.Preview(w.ctx, n.conns[0].ID, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Writes) != 1 || !strings.Contains(res.Writes[0].Err, "votes is not on the edit screen") {
		t.Fatalf("writes = %+v, want an error naming votes", res.Writes)
	}
}
