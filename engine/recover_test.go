package engine

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// recoverRules carry comments (attachments stay off to keep the test short).
func recoverRules() Rules {
	r := DefaultRules()
	r.Attachments.Enabled = false
	return r
}

func comments(t *testing.T, w *simWorld, inst, key string) []jira.Comment {
	t.Helper()
	cs, err := w.human(inst, "admin").Comments(w.ctx, key, jira.CommentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestRecoverCarriesEditsMadeDuringOutage: node A's database is lost; meanwhile A's issue is edited
// and commented, and another field is edited on both sides. Recover and settle: AB holds the edit
// and the comment once, and the field edited on both follows the conflict policy (newest wins).
func TestRecoverCarriesEditsMadeDuringOutage(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(recoverRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "before", "description": "agreed text"})
	settle(t, n)
	abKey := n.peer(a.Key)

	// The ledger is gone. While no node runs, people keep working on both Jiras.
	w.edit("A", a.Key, map[string]any{"summary": "edited during outage"})
	if _, err := w.human("A", "alice").AddComment(w.ctx, a.Key, jira.CommentInput{Body: "written during the outage"}); err != nil {
		t.Fatal(err)
	}
	w.edit("A", a.Key, map[string]any{"description": "A's text during the outage"})
	w.sim.Instance("AB").Knobs().AdvanceClock(2 * 60e9) // AB's edit is the newer one
	w.edit("AB", abKey, map[string]any{"description": "AB's later text"})

	n2 := w.newNode(recoverRules(), nil, [2]string{"A", "AB"})
	dry, err := n2.e.RecoverWith(w.ctx, n2.conns[0].ID, RecoverOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dry.Twins) != 1 || strings.Join(dry.Twins[0].ToRemote, ",") != "summary" || dry.Twins[0].NoDigests {
		t.Fatalf("dry run: %+v", dry.Twins)
	}
	if len(n2.twins()) != 0 {
		t.Fatal("a dry run wrote twins")
	}
	res, err := n2.e.Recover(w.ctx, n2.conns[0].ID)
	if err != nil || res.Restored != 1 {
		t.Fatalf("recover %+v %v", res, err)
	}
	settle(t, n2)
	ab := w.get("AB", abKey)
	if s := fieldString(ab, "summary"); s != "edited during outage" {
		t.Errorf("AB summary %q: the edit made during the outage was not carried", s)
	}
	for inst, key := range map[string]string{"A": a.Key, "AB": abKey} {
		if d := fieldString(w.get(inst, key), "description"); d != "AB's later text" {
			t.Errorf("%s description %q, want the newer edit (AB's)", inst, d)
		}
	}
	var outage int
	for _, c := range comments(t, w, "AB", abKey) {
		if strings.Contains(c.Body, "written during the outage") {
			outage++
		}
	}
	if outage != 1 {
		t.Errorf("AB holds %d copies of the comment written during the outage, want 1", outage)
	}
	if got := len(comments(t, w, "A", a.Key)); got != 1 {
		t.Errorf("A has %d comments, want 1 (nothing copied back)", got)
	}
	if got := len(w.issues("AB")); got != 1 {
		t.Errorf("AB has %d issues, want 1", got)
	}
}

// TestRecoverBothChangedUnderManualPolicyIsAConflict: with the manual policy a field changed on
// both sides during the outage becomes a Conflict, the rest of the twin syncs.
func TestRecoverBothChangedUnderManualPolicyIsAConflict(t *testing.T) {
	w := newSimWorld(t)
	manual := func(c *models.Connection) { c.ConflictPolicy = models.PolicyManual }
	n := w.newNode(testRules(), manual, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "before", "description": "agreed"})
	settle(t, n)
	abKey := n.peer(a.Key)
	w.edit("A", a.Key, map[string]any{"summary": "A's summary", "description": "A's text"})
	w.edit("AB", abKey, map[string]any{"summary": "AB's summary"})

	n2 := w.newNode(testRules(), manual, [2]string{"A", "AB"})
	if _, err := n2.e.Recover(w.ctx, n2.conns[0].ID); err != nil {
		t.Fatal(err)
	}
	settle(t, n2)
	var cs []models.Conflict
	n2.db.Find(&cs)
	if len(cs) != 1 || cs[0].Field != "summary" || cs[0].LocalValue != "A's summary" || cs[0].RemoteValue != "AB's summary" {
		t.Fatalf("conflicts %+v, want one on summary", cs)
	}
	if d := fieldString(w.get("AB", abKey), "description"); d != "A's text" {
		t.Errorf("AB description %q: the one-sided edit did not cross", d)
	}
	if s := fieldString(w.get("A", a.Key), "summary"); s != "A's summary" {
		t.Errorf("A's summary overwritten while the conflict is open: %q", s)
	}
}

// TestRecoverWithoutDigestsMakesConflicts: a link written before digests existed (or under a lost
// key) cannot tell which side changed: differing fields become Conflicts, equal ones settle.
func TestRecoverWithoutDigestsMakesConflicts(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "before", "description": "same on both"})
	settle(t, n)
	abKey := n.peer(a.Key)
	// Strip the digests, as a property written by an older version would be.
	human := w.human("A", "admin")
	raw, err := human.GetProperty(w.ctx, a.Key, TwinProperty)
	if err != nil {
		t.Fatal(err)
	}
	v := ParseTwinValue(raw)
	if len(v.Links) != 1 {
		t.Fatalf("links %s", raw)
	}
	for k, lk := range v.Links {
		if lk.Digests == nil {
			t.Fatalf("no digests were written: %s", raw)
		}
		lk.Digests = nil
		v.Links[k] = lk
	}
	if err := human.SetProperty(w.ctx, a.Key, TwinProperty, v); err != nil {
		t.Fatal(err)
	}
	w.edit("A", a.Key, map[string]any{"summary": "edited during outage"})

	n2 := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	res, err := n2.e.Recover(w.ctx, n2.conns[0].ID)
	if err != nil || res.Restored != 1 || !res.Twins[0].NoDigests {
		t.Fatalf("recover %+v %v", res, err)
	}
	settle(t, n2)
	var cs []models.Conflict
	n2.db.Find(&cs)
	if len(cs) != 1 || cs[0].Field != "summary" || cs[0].LocalValue != "edited during outage" || cs[0].RemoteValue != "before" {
		b, _ := json.Marshal(cs)
		t.Fatalf("conflicts %s, want one on summary", b)
	}
	if s := fieldString(w.get("AB", abKey), "summary"); s != "before" {
		t.Errorf("AB summary %q: decided without the admin", s)
	}
}
