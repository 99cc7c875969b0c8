package engine

import (
	"errors"
	"testing"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

func draftNode(w *simWorld) *syncNode {
	return w.newNode(testRules(), func(c *models.Connection) { c.Draft = true }, [2]string{"A", "AB"})
}

func TestDraftSyncsNothingThenActivateWithBackfill(t *testing.T) {
	w := newSimWorld(t)
	n := draftNode(w)
	before := len(w.issues("AB"))
	old := w.createIssue("A", map[string]any{"summary": "Made before activation"})
	settle(t, n)
	if got := len(w.issues("AB")) - before; got != 0 {
		t.Fatalf("a draft created %d issues on AB", got)
	}
	if tw := n.twins(); len(tw) != 0 {
		t.Fatalf("a draft made %d twins", len(tw))
	}
	if _, err := n.e.SyncJQL(w.ctx, SyncJQLRequest{ConnectionID: n.conns[0].ID, Side: models.SideLocal, Scope: true}, nil); err == nil {
		t.Fatal("a bulk sync of a draft was accepted")
	}
	if _, err := n.e.Activate(w.ctx, n.conns[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := n.e.Activate(w.ctx, n.conns[0].ID); !errors.Is(err, ErrNotDraft) {
		t.Fatalf("second activation: %v", err)
	}
	res, err := n.e.Backfill(w.ctx, n.conns[0].ID, true, nil)
	if err != nil || res.Failed != 0 || res.Done < 1 {
		t.Fatalf("backfill = %+v, %v", res, err)
	}
	settle(t, n)
	if n.peer(old.Key) == "" {
		t.Fatalf("%s was not backfilled", old.Key)
	}
	fresh := w.createIssue("A", map[string]any{"summary": "Made after activation"})
	settle(t, n)
	if n.peer(fresh.Key) == "" {
		t.Fatalf("%s made after activation did not sync", fresh.Key)
	}
}

func TestActivateOnlyNewChanges(t *testing.T) {
	w := newSimWorld(t)
	n := draftNode(w)
	before := len(w.issues("AB"))
	old := w.createIssue("A", map[string]any{"summary": "Existing, untouched"})
	touched := w.createIssue("A", map[string]any{"summary": "Existing, edited later"})
	if _, err := n.e.Activate(w.ctx, n.conns[0].ID); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	if got := len(w.issues("AB")) - before; got != 0 {
		t.Fatalf("activation without backfill carried %d existing issues", got)
	}
	w.edit("A", touched.Key, map[string]any{"summary": "Edited after activation"})
	settle(t, n)
	if got := len(w.issues("AB")) - before; got != 1 {
		t.Fatalf("AB has %d new issues, want 1 (the edited one)", got)
	}
	var tw models.Twin
	if n.db.Where("local_key = ?", old.Key).Limit(1).Find(&tw).RowsAffected != 0 {
		t.Errorf("%s got a twin", old.Key)
	}
}

func TestActivateRefusesOverlap(t *testing.T) {
	w := newSimWorld(t)
	i := 0
	n := w.newNode(testRules(), func(c *models.Connection) {
		i++
		c.Name = map[int]string{1: "first", 2: "second"}[i]
		c.Draft = i == 2
	}, [2]string{"A", "AB"}, [2]string{"A", "AB"})
	_, err := n.e.Activate(w.ctx, n.conns[1].ID)
	var oe *OverlapError
	if !errors.As(err, &oe) || oe.Overlaps[0].Other.Name != "first" {
		t.Fatalf("activate = %v, want an overlap with first", err)
	}
	n.db.Model(&models.Connection{}).Where("id = ?", n.conns[1].ID).Update("allow_overlap", true)
	if _, err := n.e.Activate(w.ctx, n.conns[1].ID); err != nil {
		t.Fatalf("activate with overlap allowed: %v", err)
	}
}

func TestDeleteConnectionKeepsIssuesRemovesRows(t *testing.T) {
	w := newSimWorld(t)
	r := testRules()
	r.Comments.Enabled = true
	n := w.newNode(r, nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "Keep me"})
	if _, err := w.human("A", "alice").AddComment(w.ctx, a.Key, jira.CommentInput{Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	abKey := n.peer(a.Key)
	c := n.conns[0]
	counts, err := n.e.DeleteCounts(w.ctx, c.ID)
	if err != nil || counts.Twins != 1 || counts.CommentTwins != 1 {
		t.Fatalf("counts = %+v, %v", counts, err)
	}
	l, _ := n.e.loadLink(w.ctx, c.ID)
	res, err := n.e.DeleteConnection(w.ctx, c.ID, true)
	if err != nil || res.PropertiesRemoved != 2 || len(res.PropertyErrors) != 0 {
		t.Fatalf("delete = %+v, %v", res, err)
	}
	for _, m := range []any{&models.Connection{}, &models.Twin{}, &models.CommentTwin{}, &models.Watermark{}} {
		var k int64
		n.db.Model(m).Count(&k)
		if k != 0 {
			t.Errorf("%T: %d rows left", m, k)
		}
	}
	for inst, key := range map[string]string{"A": a.Key, "AB": abKey} {
		is := w.get(inst, key)
		if fieldString(is, "summary") != "Keep me" {
			t.Errorf("%s on %s changed: %q", key, inst, fieldString(is, "summary"))
		}
		raw, err := w.human(inst, "admin").GetProperty(w.ctx, key, TwinProperty)
		if err == nil && ParseTwinValue(raw).Links[l.Key] != (TwinLink{}) {
			t.Errorf("%s on %s still carries the connection's airlock.twin entry", key, inst)
		}
	}
	// A poll queued before the delete is harmless.
	if _, err := n.e.Poll(w.ctx, c.ID, models.SideLocal); err != nil {
		t.Errorf("poll of a deleted connection: %v", err)
	}
}
