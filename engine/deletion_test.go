package engine

import (
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// Deletion is noticed when a twin is next reconciled (a change on the surviving side, a resync):
// these tests cover each side, both sides, sub-tasks and the relay, and a paused connection.

func TestSyncDeletionOnTheRemoteSide(t *testing.T) {
	for _, policy := range []string{models.DeleteIgnore, models.DeleteTwin, models.DeleteUnlink} {
		t.Run(policy, func(t *testing.T) {
			w := newSimWorld(t)
			n := w.newNode(testRules(), func(c *models.Connection) { c.DeletionPolicy = policy }, [2]string{"A", "AB"})
			settle(t, n)
			a := w.createIssue("A", map[string]any{"summary": "relay copy goes"})
			settle(t, n)
			abKey := n.peer(a.Key)
			if err := w.human("AB", "admin").DeleteIssue(w.ctx, abKey, false); err != nil {
				t.Fatal(err)
			}
			w.edit("A", a.Key, map[string]any{"summary": "edited after the relay copy went"})
			settle(t, n)
			tw := n.twinOf(a.Key)
			aLeft := len(w.issues("A"))
			raw, _ := w.human("A", "admin").GetProperty(w.ctx, a.Key, TwinProperty)
			switch policy {
			case models.DeleteIgnore:
				if tw.State != models.TwinActive || !strings.Contains(tw.LastError, "deleted") || aLeft != 1 {
					t.Errorf("ignore: %s %q, A issues %d", tw.State, tw.LastError, aLeft)
				}
			case models.DeleteTwin:
				if tw.State != models.TwinUnlinked || aLeft != 0 {
					t.Errorf("delete: %s, A issues %d", tw.State, aLeft)
				}
			case models.DeleteUnlink:
				if tw.State != models.TwinUnlinked || aLeft != 1 || strings.Contains(string(raw), tw.SyncID) {
					t.Errorf("unlink: %s, A issues %d, property %s", tw.State, aLeft, raw)
				}
			}
			if n := len(w.issues("AB")); n != 0 {
				t.Errorf("the deleted relay issue came back: %d issues on AB", n)
			}
		})
	}
}

func TestSyncDeletionOfBothIssues(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), func(c *models.Connection) { c.DeletionPolicy = models.DeleteTwin }, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "both go"})
	settle(t, n)
	abKey := n.peer(a.Key)
	for inst, key := range map[string]string{"A": a.Key, "AB": abKey} {
		if err := w.human(inst, "admin").DeleteIssue(w.ctx, key, false); err != nil {
			t.Fatal(err)
		}
	}
	tw := n.twinOf(a.Key)
	if _, err := n.e.Resync(w.ctx, tw.ID); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	tw = n.twinOf(a.Key)
	if tw.State != models.TwinUnlinked || !strings.Contains(tw.LastError, "both") {
		t.Errorf("twin %s %q, want unlinked after both issues went", tw.State, tw.LastError)
	}
	if len(w.issues("A"))+len(w.issues("AB")) != 0 {
		t.Error("an issue was recreated after both were deleted")
	}
}

func TestSyncDeleteTwinWithSubtasks(t *testing.T) {
	w := newSimWorld(t)
	// Sub-tasks themselves are out of scope (the engine carries no structure yet).
	n := w.newNode(testRules(), func(c *models.Connection) {
		c.DeletionPolicy, c.LocalIssueTypes, c.RemoteIssueTypes = models.DeleteTwin, "Task", "Task"
	}, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "parent"})
	settle(t, n)
	abKey := n.peer(a.Key)
	// Someone on the relay adds a sub-task under the copy: Jira refuses to delete a parent
	// without deleteSubtasks=true, so the policy must ask for it.
	sub, err := w.human("AB", "alice").CreateIssue(w.ctx, jira.IssueInput{Fields: map[string]any{
		"project": map[string]string{"key": w.project("AB")}, "issuetype": map[string]string{"name": "Sub-task"},
		"parent": map[string]string{"key": abKey}, "summary": "child on the relay"}})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	if err := w.human("A", "admin").DeleteIssue(w.ctx, a.Key, false); err != nil {
		t.Fatal(err)
	}
	if _, err := n.e.Resync(w.ctx, n.twinOf(abKey).ID); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	if tw := n.twinOf(abKey); tw.State != models.TwinUnlinked {
		t.Errorf("twin %s %q, want unlinked", tw.State, tw.LastError)
	}
	for _, key := range []string{abKey, sub.Key} {
		if _, err := w.human("AB", "admin").GetIssue(w.ctx, key, jira.GetIssueOptions{}); !jira.IsNotFound(err) {
			t.Errorf("%s on AB: %v, want gone", key, err)
		}
	}
}

// TestSyncDeletionThroughTheRelay: A's issue is deleted; node A (policy delete) deletes the relay
// issue; node B then finds the relay issue gone and applies its own policy to B's issue.
func TestSyncDeletionThroughTheRelay(t *testing.T) {
	for _, bPolicy := range []string{models.DeleteTwin, models.DeleteUnlink} {
		t.Run("node B "+bPolicy, func(t *testing.T) {
			w := newSimWorld(t)
			na := w.newNode(testRules(), func(c *models.Connection) { c.DeletionPolicy = models.DeleteTwin }, [2]string{"A", "AB"})
			nb := w.newNode(testRules(), func(c *models.Connection) { c.DeletionPolicy = bPolicy }, [2]string{"B", "AB"})
			settle(t, na, nb)
			a := w.createIssue("A", map[string]any{"summary": "travels, then goes"})
			settle(t, na, nb)
			abKey := na.peer(a.Key)
			bKey := nb.peer(abKey)
			if bKey == "" || len(w.issues("B")) != 1 {
				t.Fatalf("the issue did not reach B (relay %s)", abKey)
			}
			if err := w.human("A", "admin").DeleteIssue(w.ctx, a.Key, false); err != nil {
				t.Fatal(err)
			}
			// Node A notices at its next reconcile of the twin (here a resync); deleting the relay
			// issue is node A's policy. Node B then meets the 404 on the relay and applies its own.
			if _, err := na.e.Resync(w.ctx, na.twinOf(abKey).ID); err != nil {
				t.Fatal(err)
			}
			settle(t, na)
			if n := len(w.issues("AB")); n != 0 {
				t.Fatalf("node A's delete policy left %d relay issues", n)
			}
			if _, err := nb.e.Resync(w.ctx, nb.twinOf(bKey).ID); err != nil {
				t.Fatal(err)
			}
			settle(t, na, nb)
			tw := nb.twinOf(bKey)
			bLeft := len(w.issues("B"))
			switch bPolicy {
			case models.DeleteTwin:
				if tw.State != models.TwinUnlinked || bLeft != 0 {
					t.Errorf("node B delete: %s, B issues %d", tw.State, bLeft)
				}
			case models.DeleteUnlink:
				raw, _ := w.human("B", "admin").GetProperty(w.ctx, bKey, TwinProperty)
				if tw.State != models.TwinUnlinked || bLeft != 1 || strings.Contains(string(raw), tw.SyncID) {
					t.Errorf("node B unlink: %s, B issues %d, property %s", tw.State, bLeft, raw)
				}
			}
			if len(w.issues("A")) != 0 || len(w.issues("AB")) != 0 {
				t.Error("a deleted issue came back")
			}
		})
	}
}

// TestSyncPausedConnectionWritesNothing checks the emulators' request logs, not just the flag.
func TestSyncPausedConnectionWritesNothing(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "before the pause"})
	settle(t, n)
	abKey := n.peer(a.Key)
	if err := n.db.Model(&models.Connection{}).Where("id = ?", n.conns[0].ID).Update("paused", true).Error; err != nil {
		t.Fatal(err)
	}
	w.clearLogs()
	w.edit("A", a.Key, map[string]any{"summary": "edited while paused"})
	w.edit("AB", abKey, map[string]any{"labels": []string{"relay-edit"}})
	w.createIssue("A", map[string]any{"summary": "created while paused"})
	w.clearLogs() // only what Airlock does from here counts
	for range 5 {
		n.pollAll()
		n.reconcileDirty()
	}
	for _, inst := range []string{"A", "AB"} {
		if got := w.writes(inst); got != 0 {
			t.Errorf("a paused connection made %d writes on %s", got, inst)
		}
	}
	if s := fieldString(w.get("AB", abKey), "summary"); s != "before the pause" {
		t.Errorf("AB summary %q while paused", s)
	}
	if got := len(w.issues("AB")); got != 1 {
		t.Errorf("AB has %d issues while paused, want 1", got)
	}
	// Resumed, everything held back crosses.
	if err := n.db.Model(&models.Connection{}).Where("id = ?", n.conns[0].ID).Update("paused", false).Error; err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	if s := fieldString(w.get("AB", abKey), "summary"); s != "edited while paused" {
		t.Errorf("after resume AB summary %q", s)
	}
	if got := len(w.issues("AB")); got != 2 {
		t.Errorf("after resume AB has %d issues, want 2", got)
	}
}
