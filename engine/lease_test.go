package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/models"
)

// TestLeaseOneRunAtATime: while one run holds a twin, another run of the same twin writes nothing
// and leaves it dirty; an expired lease (a killed worker's) is taken over.
func TestLeaseOneRunAtATime(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "before"})
	settle(t, n)
	tw := n.twinOf(a.Key)
	held, _, cancel, err := n.e.claimTwin(w.ctx, tw.ID)
	if err != nil || held == nil {
		t.Fatalf("claim: %v %v", held, err)
	}
	defer cancel()
	w.edit("A", a.Key, map[string]any{"summary": "while another run holds the twin"})
	n.pollAll()
	w.clearLogs()
	if err := n.e.Reconcile(w.ctx, tw.ID); !errors.Is(err, ErrTwinBusy) {
		t.Fatalf("a second run of a leased twin answered %v, want ErrTwinBusy", err)
	}
	if wr := w.writes("AB"); wr != 0 {
		t.Errorf("a second run of a leased twin wrote %d times", wr)
	}
	if tw := n.twinOf(a.Key); !tw.Dirty {
		t.Error("the skipped run cleared the dirty flag: the change would wait for the next edit")
	}
	held.release(w.ctx)
	settle(t, n)
	if s := fieldString(w.get("AB", n.peer(a.Key)), "summary"); s != "while another run holds the twin" {
		t.Errorf("after the lease ended AB has %q", s)
	}

	// A worker killed mid-run leaves its lease behind: it expires, and the next run proceeds.
	if _, _, c, err := n.e.claimTwin(w.ctx, tw.ID); err != nil {
		t.Fatal(err)
	} else {
		c() // stop renewing without releasing, as a killed process would
	}
	w.edit("A", a.Key, map[string]any{"summary": "after a crash"})
	n.pollAll()
	n.reconcileDirty()
	if s := fieldString(w.get("AB", n.peer(a.Key)), "summary"); s == "after a crash" {
		t.Fatal("a run went ahead while a (crashed) lease was still valid")
	}
	n.db.Model(&models.Twin{}).Where("id = ?", tw.ID).Update("lease_until", time.Now().Add(-time.Second))
	settle(t, n)
	if s := fieldString(w.get("AB", n.peer(a.Key)), "summary"); s != "after a crash" {
		t.Errorf("after the lease expired AB has %q", s)
	}
}
