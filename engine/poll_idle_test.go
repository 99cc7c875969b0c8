package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

func (w *simWorld) searches(inst string) int {
	n := 0
	for _, e := range w.sim.Instance(inst).Log().Entries() {
		if e.User == "airlock" && strings.HasSuffix(e.Path, "/search") {
			n++
		}
	}
	return n
}

// TestIdlePollAfterABatchIsOneSearch (issue 16): after a batch larger than a search page has
// been copied, a quiet connection costs one search per poll and side once the index lag
// allowance has passed (within it, a poll reads the recent changes again, for what Jira had not
// indexed yet). Before, the watermark stopped at the batch's newest `updated` and every poll
// paged through the whole batch again, indefinitely.
func TestIdlePollAfterABatchIsOneSearch(t *testing.T) {
	w := newSimWorld(t)
	r := testRules()
	r.Comments.Enabled, r.Attachments.Enabled = false, false
	n := w.newNode(r, nil, [2]string{"A", "AB"})
	settle(t, n)
	alice := w.human("A", "alice")
	const batch = 230 // more than two pages of 100
	for i := range batch {
		if _, err := alice.CreateIssue(w.ctx, jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": w.project("A")},
			"issuetype": map[string]string{"name": "Task"}, "summary": fmt.Sprintf("batch %d", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, n)
	if got := len(w.issues("AB")); got != batch {
		t.Fatalf("AB has %d issues, want %d", got, batch)
	}
	for _, wait := range []time.Duration{IndexLagAllowance + 10*time.Second, 4 * time.Minute} {
		for _, inst := range []string{"A", "AB"} {
			w.sim.Instance(inst).Knobs().AdvanceClock(wait)
		}
		n.pollAll() // the first poll after the wait may still read the last writes
		w.clearLogs()
		n.pollAll()
		for _, inst := range []string{"A", "AB"} {
			if got := w.searches(inst); got != 1 {
				t.Errorf("%s after the batch: an idle poll of %s made %d searches, want 1", wait, inst, got)
			}
		}
	}
	var wm []models.Watermark
	n.db.Find(&wm)
	for _, m := range wm {
		if m.Cursor == nil {
			t.Fatalf("watermark %s has no cursor", m.Side)
		}
	}
}
