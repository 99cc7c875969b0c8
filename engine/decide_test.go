package engine

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/airlock-sync/airlock/models"
)

// decideEnqueuer records the reconciles a decision enqueues.
type decideEnqueuer struct {
	mu    sync.Mutex
	twins []uint
}

func (q *decideEnqueuer) EnqueueReconcile(_ context.Context, twinID, _ uint) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.twins = append(q.twins, twinID)
	return nil
}

func (q *decideEnqueuer) EnqueuePoll(context.Context, uint, string) error { return nil }

// conflictedTwin makes a twin A <-> AB under the manual policy whose summary both sides changed.
func conflictedTwin(t *testing.T) (*simWorld, *syncNode, *models.Twin, *models.Conflict) {
	t.Helper()
	w := newSimWorld(t)
	n := w.newNode(testRules(), func(c *models.Connection) { c.ConflictPolicy = models.PolicyManual }, [2]string{"A", "AB"})
	a := w.createIssue("A", map[string]any{"summary": "agreed", "description": "d"})
	settle(t, n)
	peer := n.peer(a.Key)
	w.edit("A", a.Key, map[string]any{"summary": "from A", "description": "d2"})
	w.edit("AB", peer, map[string]any{"summary": "from AB"})
	settle(t, n)
	var cs []models.Conflict
	n.db.Where("decision = ''").Find(&cs)
	if len(cs) != 1 || cs[0].Field != "summary" {
		t.Fatalf("want one open summary conflict, got %+v", cs)
	}
	if got := fieldString(w.get("AB", peer), "description"); got != "d2" {
		t.Fatalf("the rest of the twin should sync while summary is held: description %q", got)
	}
	return w, n, n.twinOf(a.Key), &cs[0]
}

func TestDecideWritesBothSides(t *testing.T) {
	tests := []struct {
		name, take, value, want string
	}{
		{"take local", DecideLocal, "", "from A"},
		{"take remote", DecideRemote, "", "from AB"},
		{"edited", DecideEdited, "agreed at last\r\nsecond line", "agreed at last\nsecond line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, n, tw, c := conflictedTwin(t)
			q := &decideEnqueuer{}
			n.e.Enqueuer = q
			got, err := n.e.Decide(w.ctx, Decision{ConflictID: c.ID, Take: tt.take, Value: tt.value, By: "admin"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Decision != tt.take || got.DecidedBy != "admin" || got.DecidedAt == nil {
				t.Errorf("decision not recorded: %+v", got)
			}
			var row models.Twin
			n.db.First(&row, tw.ID)
			if !row.Dirty || row.DirtySince == nil {
				t.Error("twin not marked dirty")
			}
			if len(q.twins) != 1 || q.twins[0] != tw.ID {
				t.Errorf("enqueued %v, want [%d]", q.twins, tw.ID)
			}
			if err := n.e.Reconcile(w.ctx, tw.ID); err != nil {
				t.Fatal(err)
			}
			for inst, key := range map[string]string{"A": tw.LocalKey, "AB": tw.RemoteKey} {
				if s := fieldString(w.get(inst, key), "summary"); s != tt.want {
					t.Errorf("%s %s summary %q, want %q", inst, key, s, tt.want)
				}
			}
			var after models.Conflict
			n.db.First(&after, c.ID)
			if after.AppliedAt == nil {
				t.Error("conflict not marked applied")
			}
			// A further round writes nothing and opens no new conflict.
			w.clearLogs()
			settle(t, n)
			if k := w.writes("A") + w.writes("AB"); k != 0 {
				t.Errorf("%d writes after the decision was applied", k)
			}
			var open int64
			n.db.Model(&models.Conflict{}).Where("decision = ''").Count(&open)
			if open != 0 {
				t.Errorf("%d open conflicts after the decision", open)
			}
		})
	}
}

func TestDecideRefuses(t *testing.T) {
	w, n, _, c := conflictedTwin(t)
	if _, err := n.e.Decide(w.ctx, Decision{ConflictID: c.ID, Take: "both"}); !errors.As(err, new(*DecisionError)) {
		t.Errorf("unknown take: %v", err)
	}
	if _, err := n.e.Decide(w.ctx, Decision{ConflictID: 9999, Take: DecideLocal}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing conflict: %v", err)
	}
	if _, err := n.e.Decide(w.ctx, Decision{ConflictID: c.ID, Take: DecideLocal}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.e.Decide(w.ctx, Decision{ConflictID: c.ID, Take: DecideRemote}); !errors.Is(err, ErrAlreadyDecided) {
		t.Errorf("second decision: %v", err)
	}
}
