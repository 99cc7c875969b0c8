package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// A create that fails after Jira made the copy (here: the source's link, a property PUT, answers
// 503) is finished by its retry: the copy still gets the source's status, and an edit the source
// got meanwhile is carried. Found by the Postgres + Redis chaos run: the twin was active after the
// failure with no baseline, its retry took every differing field as a first sync ("fill empty
// targets only") and recorded both values as agreed, so status and the edit never crossed.
func TestCreateInterruptedAfterTheCopyFinishesOnRetry(t *testing.T) {
	for _, tc := range []struct {
		name, inst, endpoint string // a Jira call that answers 503 (the client's retries too)
		crash                bool   // else: the process dies between Jira's create and our commit
	}{
		{name: "source link fails", inst: "A", endpoint: "PUT /rest/api/2/issue/{id}/properties/{id}"},
		{name: "first read of the copy fails", inst: "AB", endpoint: "GET /rest/api/2/issue/{id}"},
		{name: "crash before the copy is recorded", crash: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newSimWorld(t)
			n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
			settle(t, n)
			a := w.createIssue("A", map[string]any{"summary": "Printer on fire"})
			if err := w.human("A", "alice").DoTransition(w.ctx, a.Key, jira.TransitionInput{ID: "11"}); err != nil {
				t.Fatal(err)
			}
			n.pollAll()
			if tc.crash {
				n.e.Hooks = &Hooks{AfterCreate: func(string, *jira.CreatedIssue) error { return errors.New("crash between create and commit") }}
				n.expect = func(err error) bool { return strings.Contains(err.Error(), "crash between") }
				n.reconcileDirty()
				n.e.Hooks = nil
			} else {
				k := w.sim.Instance(tc.inst).Knobs()
				k.SetFaultEndpoint(tc.endpoint)
				k.FailNext(50, 503)
				n.expect = func(err error) bool { return strings.Contains(err.Error(), "503") }
				n.reconcileDirty()
				k.FailNext(0, 503)
				k.SetFaultEndpoint("")
			}
			n.expect = nil
			if got := len(w.issues("AB")); got != 1 {
				t.Fatalf("AB has %d issues after the failed create, want its copy", got)
			}
			w.edit("A", a.Key, map[string]any{"summary": "Printer on fire, again"})
			settle(t, n)
			if got := len(w.issues("AB")); got != 1 {
				t.Fatalf("AB has %d issues, want exactly 1", got)
			}
			tw := n.twinOf(a.Key)
			if tw.State != models.TwinActive {
				t.Fatalf("twin %s: %s", tw.State, tw.LastError)
			}
			ab := w.get("AB", tw.RemoteKey)
			if got := statusOf(ab); got != "In Progress" {
				t.Errorf("copy's status %q, want the source's In Progress", got)
			}
			if got := fieldString(ab, "summary"); got != "Printer on fire, again" {
				t.Errorf("copy's summary %q, want the edit made after the failed create", got)
			}
		})
	}
}

// A twin quarantined in the middle of its create (the copy made and recorded, the agreement not
// yet stored) goes back to its create on retry, not to a merge without a baseline: the copy
// still gets the source's status and the edit made meanwhile.
func TestRetryOfAnUnfinishedCreateFinishesIt(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "Printer on fire"})
	if err := w.human("A", "alice").DoTransition(w.ctx, a.Key, jira.TransitionInput{ID: "11"}); err != nil {
		t.Fatal(err)
	}
	n.pollAll()
	k := w.sim.Instance("A").Knobs()
	k.SetFaultEndpoint("PUT /rest/api/2/issue/{id}/properties/{id}")
	k.FailNext(50, 503)
	n.expect = func(err error) bool { return strings.Contains(err.Error(), "503") }
	n.reconcileDirty()
	n.expect = nil
	k.FailNext(0, 503)
	k.SetFaultEndpoint("")
	tw := n.twinOf(a.Key)
	if tw.RemoteIssueID == nil || tw.LastSyncedAt != nil {
		t.Fatalf("the failed create left remote %v, synced %v: not the state under test", tw.RemoteIssueID, tw.LastSyncedAt)
	}
	// As fail() does after too many internal errors.
	n.db.Model(&models.Twin{}).Where("id = ?", tw.ID).Update("state", models.TwinQuarantined)
	w.edit("A", a.Key, map[string]any{"summary": "Printer on fire, again"})
	if res, err := n.e.Retry(w.ctx, RetryFilter{TwinID: tw.ID}); err != nil || res.Retried != 1 {
		t.Fatalf("retry %+v %v", res, err)
	}
	if st := n.twinOf(a.Key).State; st != models.TwinPendingCreate {
		t.Errorf("retried twin is %s, want back to %s", st, models.TwinPendingCreate)
	}
	settle(t, n)
	ab := w.get("AB", n.twinOf(a.Key).RemoteKey)
	if got := statusOf(ab); got != "In Progress" {
		t.Errorf("copy's status %q, want the source's In Progress", got)
	}
	if got := fieldString(ab, "summary"); got != "Printer on fire, again" {
		t.Errorf("copy's summary %q, want the edit made meanwhile", got)
	}
	if got := len(w.issues("AB")); got != 1 {
		t.Errorf("AB has %d issues, want 1", got)
	}
}
