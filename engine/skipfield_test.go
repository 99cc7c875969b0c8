package engine

import (
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/models"
)

// TestSkipFieldLetsTheRestOfTheTwinSync: a twin quarantined because the relay rejects one field
// (a text longer than its 255 characters) syncs its other fields once that field is skipped for
// this twin, while the field still syncs for every other twin; un-skipping brings it back.
func TestSkipFieldLetsTheRestOfTheTwinSync(t *testing.T) {
	w := newSimWorld(t)
	rules := testRules()
	rules.Fields = append(rules.Fields, FieldRule{Name: "details", Kind: KindText, Local: "environment", Remote: "customfield_10100"})
	n := w.newNode(rules, nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "Long one", "environment": "short"})
	other := w.createIssue("A", map[string]any{"summary": "Other", "environment": "fine"})
	settle(t, n)

	w.edit("A", a.Key, map[string]any{"summary": "Long one, edited", "environment": strings.Repeat("x", 300)})
	n.pollAll()
	n.expect = func(err error) bool { return ClassOf(err) == models.ClassData } // the rejected field
	n.reconcileDirty()
	n.expect = nil
	tw := n.twinOf(a.Key)
	if tw.State != models.TwinQuarantined {
		t.Fatalf("setup: twin state %s (last error %q), want quarantined for the rejected field", tw.State, tw.LastError)
	}

	if err := n.e.SkipField(w.ctx, tw.ID, "details"); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	tw = n.twinOf(a.Key)
	ab := w.get("AB", tw.RemoteKey)
	if tw.State != models.TwinActive || fieldString(ab, "summary") != "Long one, edited" {
		t.Errorf("after skip: state %s, AB summary %q: the rest of the twin did not sync", tw.State, fieldString(ab, "summary"))
	}
	if got := fieldString(ab, "customfield_10100"); got != "short" {
		t.Errorf("AB details = %q, want the old value left alone", got)
	}
	if got := SkippedFields(tw); len(got) != 1 || got[0] != "details" {
		t.Errorf("skipped fields = %v", got)
	}
	var open int64
	n.db.Model(&models.SyncError{}).Where("twin_id = ? AND resolved_at IS NULL", tw.ID).Count(&open)
	if open != 0 {
		t.Errorf("%d errors still open after the skip", open)
	}
	// Only that twin skips it.
	w.edit("A", other.Key, map[string]any{"environment": "changed"})
	settle(t, n)
	if got := fieldString(w.get("AB", n.peer(other.Key)), "customfield_10100"); got != "changed" {
		t.Errorf("other twin's details = %q, want changed", got)
	}

	// Un-skip after the value was fixed: the field syncs again.
	w.edit("A", a.Key, map[string]any{"environment": "short again"})
	if err := n.e.UnskipField(w.ctx, tw.ID, "details"); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	if got := fieldString(w.get("AB", tw.RemoteKey), "customfield_10100"); got != "short again" {
		t.Errorf("after un-skip AB details = %q, want short again", got)
	}
	if err := n.e.SkipField(w.ctx, tw.ID, "nonesuch"); err == nil {
		t.Error("skipping a field the connection does not share succeeded")
	}
}
