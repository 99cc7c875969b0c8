package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

// recordingEnqueuer remembers the reconciles handed to it.
type recordingEnqueuer struct {
	mu         sync.Mutex
	reconciles []uint
	err        error
}

func (q *recordingEnqueuer) EnqueueReconcile(_ context.Context, twinID, _ uint) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.reconciles = append(q.reconciles, twinID)
	return nil
}

func (q *recordingEnqueuer) EnqueuePoll(context.Context, uint, string) error { return nil }

func TestFieldStates(t *testing.T) {
	rules := []FieldRule{
		{Name: "summary", Kind: KindText, Local: "summary", Remote: "summary"},
		{Name: "priority", Kind: KindPriority, Local: "priority", Remote: "priority"},
		{Name: "issuetype", Kind: KindIssueType, Local: "issuetype", Remote: "issuetype"},
		{Name: "labels", Kind: KindLabels, Local: "labels", Remote: "labels", Direction: DirOut},
	}
	base := Baseline{
		Local:  Shared{"summary": "s", "priority": "High", "issuetype": "Task", "labels": ""},
		Remote: Shared{"summary": "s", "priority": "High", "issuetype": "Bug", "labels": ""},
	}
	tests := []struct {
		name          string
		local, remote Shared
		in            FieldStateInput
		want          map[string]string
		towards       string
	}{
		{name: "all agree", local: Shared{"summary": "s", "priority": "High", "issuetype": "Task"},
			remote: Shared{"summary": "s", "priority": "High", "issuetype": "Task"},
			want:   map[string]string{"summary": FieldStateInSync, "priority": FieldStateInSync, "issuetype": FieldStateInSync, "labels": FieldStateInSync}},
		{name: "local edit pending", local: Shared{"summary": "new", "priority": "High", "issuetype": "Task"},
			remote: Shared{"summary": "s", "priority": "High", "issuetype": "Bug"},
			want:   map[string]string{"summary": FieldStatePending, "issuetype": FieldStateDiffers}, towards: models.SideRemote},
		{name: "failing twin shows error", local: Shared{"summary": "new", "priority": "High"},
			remote: Shared{"summary": "s", "priority": "High"}, in: FieldStateInput{Failing: true},
			want: map[string]string{"summary": FieldStateError, "priority": FieldStateInSync}},
		{name: "open conflict holds", local: Shared{"summary": "l", "priority": "High"}, remote: Shared{"summary": "r", "priority": "Low"},
			in:   FieldStateInput{Conflicts: []models.Conflict{{Field: "summary"}}},
			want: map[string]string{"summary": FieldStateConflict, "priority": FieldStatePending}},
		{name: "manual policy finds a new conflict", local: Shared{"summary": "l"}, remote: Shared{"summary": "r"},
			in: FieldStateInput{Policy: models.PolicyManual}, want: map[string]string{"summary": FieldStateConflict}},
		{name: "one-way field edited on the far side", local: Shared{"summary": "s", "labels": ""}, remote: Shared{"summary": "s", "labels": `["x"]`},
			want: map[string]string{"labels": FieldStateDiffers}},
		{name: "unreadable side", local: Shared{"summary": "s"}, remote: nil, in: FieldStateInput{RemoteOK: false},
			want: map[string]string{"summary": FieldStateUnknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Base, in.Local, in.Remote = base, tt.local, tt.remote
			in.LocalOK = true
			if tt.name != "unreadable side" {
				in.RemoteOK = true
			}
			got := map[string]FieldState{}
			for _, fs := range FieldStates(rules, in) {
				got[fs.Name] = fs
			}
			if len(got) != len(rules) {
				t.Fatalf("%d states for %d rules", len(got), len(rules))
			}
			for name, want := range tt.want {
				if got[name].State != want {
					t.Errorf("%s: state %q (%s), want %q", name, got[name].State, got[name].Note, want)
				}
			}
			if tt.towards != "" && got["summary"].Towards != tt.towards {
				t.Errorf("summary goes towards %q, want %q", got["summary"].Towards, tt.towards)
			}
		})
	}
}

func TestTwinOpsAgainstEmulator(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	src := w.createIssue("A", map[string]any{"summary": "Printer on fire"})
	settle(t, n)
	q := &recordingEnqueuer{}
	n.e.Enqueuer = q
	tw := n.twinOf(src.Key)

	snap, err := n.e.InspectTwin(w.ctx, tw.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Local.Err != nil || snap.Remote.Err != nil {
		t.Fatalf("read errors: %v / %v", snap.Local.Err, snap.Remote.Err)
	}
	if snap.Local.Summary() != "Printer on fire" || snap.Remote.Key != tw.RemoteKey {
		t.Errorf("snapshot: local %q, remote key %q", snap.Local.Summary(), snap.Remote.Key)
	}
	for _, fs := range snap.Fields {
		if fs.State != FieldStateInSync {
			t.Errorf("after settle %s is %s (%s)", fs.Name, fs.State, fs.Note)
		}
	}

	w.edit("A", src.Key, map[string]any{"summary": "Printer still on fire"})
	snap, err = n.e.InspectTwin(w.ctx, tw.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, fs := range snap.Fields {
		if fs.Name == "summary" && (fs.State != FieldStatePending || fs.Towards != models.SideRemote) {
			t.Errorf("edited summary: %s towards %q", fs.State, fs.Towards)
		}
	}

	res, err := n.e.Resync(w.ctx, tw.ID)
	if err != nil || !res.Enqueued {
		t.Fatalf("resync: %+v, %v", res, err)
	}
	var got models.Twin
	n.db.First(&got, tw.ID)
	if !got.Dirty || got.DirtySince == nil || len(q.reconciles) != 1 || q.reconciles[0] != tw.ID {
		t.Errorf("after resync: dirty %v since %v, enqueued %v", got.Dirty, got.DirtySince, q.reconciles)
	}

	// A slow Jira is reported on its side only, within the timeout.
	w.sim.Instance("AB").Knobs().SetLatency(2 * time.Second)
	start := time.Now()
	snap, err = n.e.InspectTwin(w.ctx, tw.ID, 200*time.Millisecond)
	w.sim.Instance("AB").Knobs().SetLatency(0)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Remote.Err == nil || !strings.Contains(snap.Remote.Err.Error(), "did not answer") || snap.Local.Err != nil {
		t.Errorf("slow remote: local %v, remote %v", snap.Local.Err, snap.Remote.Err)
	}
	if time.Since(start) > 1500*time.Millisecond {
		t.Errorf("inspect took %s despite the timeout", time.Since(start))
	}
	for _, fs := range snap.Fields {
		if fs.State != FieldStateUnknown {
			t.Errorf("%s: %s with a side unread", fs.Name, fs.State)
		}
	}

	ures, err := n.e.Unlink(w.ctx, tw.ID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if len(ures.Cleared) != 2 || len(ures.Problems) != 0 {
		t.Errorf("unlink: %+v", ures)
	}
	n.db.First(&got, tw.ID)
	if got.State != models.TwinUnlinked || got.Dirty {
		t.Errorf("after unlink: state %s dirty %v", got.State, got.Dirty)
	}
	for inst, key := range map[string]string{"A": tw.LocalKey, "AB": tw.RemoteKey} {
		raw, err := w.human(inst, "admin").GetProperty(w.ctx, key, TwinProperty)
		if err == nil && len(ParseTwinValue(raw).Links) != 0 {
			t.Errorf("%s %s still carries links %s", inst, key, raw)
		}
	}
	var ev models.Event
	if n.db.Where("twin_id = ? AND kind = ?", tw.ID, "link").Limit(1).Find(&ev).RowsAffected != 1 || !strings.Contains(ev.NewValue, "admin") {
		t.Errorf("no unlink event: %+v", ev)
	}
	if _, err := n.e.Resync(w.ctx, tw.ID); !errors.Is(err, ErrTwinUnlinked) {
		t.Errorf("resync of an unlinked twin: %v", err)
	}
	if again, err := n.e.Unlink(w.ctx, tw.ID, "admin"); err != nil || len(again.Cleared) != 0 {
		t.Errorf("second unlink: %+v %v", again, err)
	}
	if _, err := n.e.InspectTwin(w.ctx, 99999, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing twin: %v", err)
	}
}

func TestResyncQuarantinedAndQueueDown(t *testing.T) {
	db := modelstest.SQLite(t)
	q := &recordingEnqueuer{err: errors.New("redis down")}
	e := &Engine{DB: db, Enqueuer: q}
	lid, rid := "1", "2"
	tw := models.Twin{ConnectionID: 1, SyncID: "q1", State: models.TwinQuarantined, LocalIssueID: &lid, RemoteIssueID: &rid, LastError: "field x not on screen"}
	if err := db.Create(&tw).Error; err != nil {
		t.Fatal(err)
	}
	res, err := e.Resync(context.Background(), tw.ID)
	if err != nil || !res.Unquarantined {
		t.Fatalf("resync quarantined: %+v %v", res, err)
	}
	var got models.Twin
	db.First(&got, tw.ID)
	if got.State != models.TwinActive || !got.Dirty {
		t.Errorf("state %s dirty %v", got.State, got.Dirty)
	}
	res, err = e.Resync(context.Background(), tw.ID)
	if err != nil || res.Enqueued {
		t.Errorf("queue down: %+v %v (want not enqueued, no error: the sweeper dispatches)", res, err)
	}
}
