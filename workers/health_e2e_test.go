package workers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// rounds3min is how many polls of one side 3 minutes of 2 s polling make: the tests below drive
// at least that many at the node's 200 ms poll interval (startNode) instead of sleeping 3 minutes.
const (
	rounds3min   = 90
	nodePollTick = 200 * time.Millisecond
)

func errorCounts(n *e2eNode, where string, args ...any) (open, resolved int64) {
	n.db.Model(&models.SyncError{}).Where("resolved_at IS NULL").Where(where, args...).Count(&open)
	n.db.Model(&models.SyncError{}).Where("resolved_at IS NOT NULL").Where(where, args...).Count(&resolved)
	return open, resolved
}

// watch samples the open and resolved counts of where until the open row has counted rounds
// attempts and rounds poll intervals have passed, failing at the first sample whose open count is
// not exactly 1 or whose resolved rows grew by more than one.
func watch(t *testing.T, n *e2eNode, rounds int, tick func(i int), where string, args ...any) models.SyncError {
	t.Helper()
	waitFor(t, "the first error", 30*time.Second, func() bool { o, _ := errorCounts(n, where, args...); return o > 0 })
	_, resolved0 := errorCounts(n, where, args...)
	start := time.Now()
	deadline := start.Add(2 * time.Minute)
	var row models.SyncError
	for i := 0; ; i++ {
		open, resolved := errorCounts(n, where, args...)
		if open != 1 {
			var rows []models.SyncError
			n.db.Where(where, args...).Find(&rows)
			for _, r := range rows {
				t.Logf("row %d open=%v task=%s attempts=%d %s", r.ID, r.ResolvedAt == nil, r.TaskID, r.Attempts, r.Message)
			}
			t.Fatalf("sample %d: %d open errors, want exactly 1", i, open)
		}
		if resolved > resolved0+1 {
			t.Fatalf("sample %d: resolved rows grew from %d to %d", i, resolved0, resolved)
		}
		n.db.Where("resolved_at IS NULL").Where(where, args...).First(&row)
		if row.Attempts >= rounds && time.Since(start) >= time.Duration(rounds)*nodePollTick {
			return row
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d attempts in 2 minutes, want %d", row.Attempts, rounds)
		}
		if tick != nil {
			tick(i)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// While an instance answers 401, every poll of it, every reconcile of a twin on it and every
// connection using it is one open error of that instance: no row per task, and no flapping
// when the other side's polls succeed.
func TestAuthBlockIsOneOpenErrorWithoutChurn(t *testing.T) {
	sim, err := jirasim.New()
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	n := startNode(t, sim, [2]string{"A", "AB"})
	a, ab := simClient(t, sim, "A"), simClient(t, sim, "AB")
	time.Sleep(300 * time.Millisecond)
	for i := range 3 {
		createOn(t, a, "ALPHA", fmt.Sprintf("blocked %d", i))
	}
	waitFor(t, "the issues on AB", 30*time.Second, func() bool {
		for i := range 3 {
			if len(findBySummary(t, ab, jirasim.DefaultProjectKey("AB"), fmt.Sprintf("blocked %d", i))) != 1 {
				return false
			}
		}
		return true
	})
	var onAB []string
	for i := range 3 {
		onAB = append(onAB, findBySummary(t, ab, jirasim.DefaultProjectKey("AB"), fmt.Sprintf("blocked %d", i))[0].Key)
	}
	// The sync user's password changes on A: every call of node A to A now answers 401.
	if err := sim.Instance("A").SetPassword("airlock", "changed"); err != nil {
		t.Fatal(err)
	}
	var instA models.Instance
	n.db.Where("name = ?", "A").First(&instA)
	// Edits on AB keep reconciles of twins on A coming, each of which meets the block.
	edit := func(i int) {
		if i%5 == 0 {
			k := onAB[(i/5)%len(onAB)]
			if err := ab.UpdateIssue(context.Background(), k, jira.IssueInput{Fields: map[string]any{"summary": fmt.Sprintf("edited %d", i)}}, jira.UpdateOptions{}); err != nil {
				t.Error(err)
			}
		}
	}
	row := watch(t, n, rounds3min, edit, "class = ?", models.ClassAuth)
	if row.InstanceID == nil || *row.InstanceID != instA.ID || row.TwinID != nil {
		t.Errorf("auth error not attributed to instance A alone: %+v", row)
	}
	if open, _ := errorCounts(n, "1 = 1"); open != 1 {
		t.Errorf("%d open errors in all, want the one auth error", open)
	}
	n.db.First(&instA, instA.ID)
	if !instA.AuthBlocked {
		t.Error("instance A is not blocked")
	}
}

// One side failing all the time is one open error with a growing attempt count, whatever the
// other side's polls do.
func TestPollErrorsResolvePerSide(t *testing.T) {
	sim, err := jirasim.New()
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	n := startNode(t, sim, [2]string{"A", "AB"})
	time.Sleep(300 * time.Millisecond) // first polls of both sides succeed
	sim.Instance("AB").Knobs().SetErrorRate(1, 503)
	connID := n.conns["A-AB"]
	row := watch(t, n, rounds3min/3, nil, "task_type = ? AND connection_id = ?", "jira:poll", connID)
	if row.Class != models.ClassTransient {
		t.Errorf("class = %s", row.Class)
	}
	var wm models.Watermark
	n.db.Where("connection_id = ? AND side = ?", connID, models.SideLocal).First(&wm)
	if wm.LastPollOK == nil || time.Since(*wm.LastPollOK) > 5*time.Second {
		t.Errorf("the local side stopped polling: %+v", wm)
	}
	sim.Instance("AB").Knobs().SetErrorRate(0, 503)
	waitFor(t, "the remote side's error resolved", 30*time.Second, func() bool { o, _ := errorCounts(n, "id = ?", row.ID); return o == 0 })
}
