package engine

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// Sub-tasks and epics end to end over the emulator: A -> AB -> B in the split topology (one node
// per zone) and the single one (one node runs both connections).

const (
	cfEpicLink = "customfield_10106"
	cfEpicName = "customfield_10107"
)

func structureRules() Rules {
	r := testRules()
	r.Fields = append(r.Fields,
		FieldRule{Name: "epic", Kind: KindEpicLink, Local: cfEpicLink, Remote: cfEpicLink},
		FieldRule{Name: "epicname", Kind: KindText, Local: cfEpicName, Remote: cfEpicName})
	return r
}

type structWorld struct {
	*simWorld
	nodes []*syncNode
	// byConn finds the node and connection of "A-AB" and "B-AB".
	byConn map[string]*syncNode
}

func newStructWorld(t *testing.T, split bool, rules Rules, mutate func(*models.Connection)) *structWorld {
	t.Helper()
	w := &structWorld{simWorld: newSimWorld(t), byConn: map[string]*syncNode{}}
	if split {
		na := w.newNode(rules, mutate, [2]string{"A", "AB"})
		nb := w.newNode(rules, mutate, [2]string{"B", "AB"})
		w.nodes = []*syncNode{na, nb}
		w.byConn["A-AB"], w.byConn["B-AB"] = na, nb
	} else {
		n := w.newNode(rules, mutate, [2]string{"A", "AB"}, [2]string{"B", "AB"})
		w.nodes = []*syncNode{n}
		w.byConn["A-AB"], w.byConn["B-AB"] = n, n
	}
	return w
}

func (w *structWorld) settle() { w.t.Helper(); settle(w.t, w.nodes...) }

// peerIn is the key twinned with key by connection conn ("" when none).
func (w *structWorld) peerIn(conn, key string) string {
	n := w.byConn[conn]
	var c models.Connection
	n.db.Where("name = ?", conn).First(&c)
	var tw models.Twin
	if n.db.Where("connection_id = ? AND (local_key = ? OR remote_key = ?) AND state <> ?", c.ID, key, key, models.TwinUnlinked).
		Limit(1).Find(&tw).RowsAffected == 0 {
		return ""
	}
	if tw.LocalKey == key {
		return tw.RemoteKey
	}
	return tw.LocalKey
}

// onB follows an A key through AB to B.
func (w *structWorld) onB(aKey string) (ab, b string) {
	ab = w.peerIn("A-AB", aKey)
	if ab != "" {
		b = w.peerIn("B-AB", ab)
	}
	return ab, b
}

func (w *structWorld) subtask(inst, parent, summary string) *jira.CreatedIssue {
	w.t.Helper()
	return w.createIssue(inst, map[string]any{"issuetype": map[string]string{"name": "Sub-task"},
		"parent": map[string]string{"key": parent}, "summary": summary})
}

func (w *structWorld) epic(inst, name string) *jira.CreatedIssue {
	w.t.Helper()
	return w.createIssue(inst, map[string]any{"issuetype": map[string]string{"name": "Epic"}, "summary": "epic " + name, cfEpicName: name})
}

func parentKey(is *jira.Issue) string {
	if p, ok := is.Parent(); ok && p != nil {
		return p.Key
	}
	return ""
}

func subtaskSummaries(w *structWorld, inst, key string) []string {
	is := w.get(inst, key)
	sts, _ := is.Subtasks()
	var out []string
	for _, s := range sts {
		out = append(out, s.Fields.Summary)
	}
	sort.Strings(out)
	return out
}

func typeOf(is *jira.Issue) string {
	if t, ok := is.IssueType(); ok && t != nil {
		return t.Name
	}
	return ""
}

func TestStructureTreeArrivesOnB(t *testing.T) {
	topologies(t, func(t *testing.T, split bool) {
		w := newStructWorld(t, split, structureRules(), nil)
		w.settle()
		ep := w.epic("A", "Checkout")
		story := w.createIssue("A", map[string]any{"issuetype": map[string]string{"name": "Story"}, "summary": "pay by card", cfEpicLink: ep.Key})
		for _, s := range []string{"sub one", "sub two", "sub three"} {
			w.subtask("A", story.Key, s)
		}
		w.settle()
		_, bStory := w.onB(story.Key)
		_, bEpic := w.onB(ep.Key)
		if bStory == "" || bEpic == "" {
			t.Fatalf("story %q or epic %q did not reach B", bStory, bEpic)
		}
		bs := w.get("B", bStory)
		if got := fieldString(bs, cfEpicLink); got != bEpic {
			t.Errorf("B story %s epic link %q, want %s", bStory, got, bEpic)
		}
		be := w.get("B", bEpic)
		if typeOf(be) != "Epic" || fieldString(be, cfEpicName) != "Checkout" {
			t.Errorf("B epic %s: type %q name %q", bEpic, typeOf(be), fieldString(be, cfEpicName))
		}
		if got := subtaskSummaries(w, "B", bStory); strings.Join(got, ",") != "sub one,sub three,sub two" {
			t.Errorf("B story sub-tasks %v", got)
		}
		if n := len(w.issues("B")); n != 5 {
			t.Errorf("B has %d issues, want 5 (epic, story, three sub-tasks)", n)
		}
		for _, n := range w.nodes {
			for _, tw := range n.twins() {
				if tw.State != models.TwinActive || tw.LastError != "" {
					t.Errorf("twin %d %s/%s: %s %q", tw.ID, tw.LocalKey, tw.RemoteKey, tw.State, tw.LastError)
				}
			}
		}
	})
}

// TestStructureSubtaskBeforeParent: the parent existed before the connection was activated and
// was never synced; its new sub-task arrives under the parent's copy in one pass.
func TestStructureSubtaskBeforeParent(t *testing.T) {
	topologies(t, func(t *testing.T, split bool) {
		base := newSimWorld(t)
		parent := base.createIssue("A", map[string]any{"summary": "old parent"})
		time.Sleep(20 * time.Millisecond)
		act := time.Now()
		w := &structWorld{simWorld: base, byConn: map[string]*syncNode{}}
		mut := func(c *models.Connection) { c.ActivatedAt = &act }
		if split {
			na := w.newNode(structureRules(), mut, [2]string{"A", "AB"})
			nb := w.newNode(structureRules(), mut, [2]string{"B", "AB"})
			w.nodes, w.byConn["A-AB"], w.byConn["B-AB"] = []*syncNode{na, nb}, na, nb
		} else {
			n := w.newNode(structureRules(), mut, [2]string{"A", "AB"}, [2]string{"B", "AB"})
			w.nodes, w.byConn["A-AB"], w.byConn["B-AB"] = []*syncNode{n}, n, n
		}
		w.settle()
		if ab, _ := w.onB(parent.Key); ab != "" {
			t.Fatalf("the untouched parent was synced before its sub-task (%s)", ab)
		}
		sub := w.subtask("A", parent.Key, "new child")
		// One pass per hop (A -> AB, AB -> B): one poll and one reconcile of each connection; the
		// single node reaches B at its second pass (in production, kickOthers polls at once).
		for _, n := range append(w.nodes, w.nodes...)[:2] {
			n.pollAll()
			n.reconcileDirty()
		}
		abSub, bSub := w.onB(sub.Key)
		abPar, bPar := w.onB(parent.Key)
		if abSub == "" || abPar == "" || bSub == "" || bPar == "" {
			t.Fatalf("after one pass: sub %q/%q parent %q/%q", abSub, bSub, abPar, bPar)
		}
		if got := parentKey(w.get("AB", abSub)); got != abPar {
			t.Errorf("AB sub-task %s under %q, want %s", abSub, got, abPar)
		}
		if got := parentKey(w.get("B", bSub)); got != bPar {
			t.Errorf("B sub-task %s under %q, want %s", bSub, got, bPar)
		}
		w.settle()
		for _, n := range w.nodes {
			for _, tw := range n.twins() {
				if tw.State != models.TwinActive || tw.LastError != "" || tw.ErrorCount > 1 {
					t.Errorf("twin %s/%s: %s %q, %d errors", tw.LocalKey, tw.RemoteKey, tw.State, tw.LastError, tw.ErrorCount)
				}
			}
		}
		if n := len(w.issues("B")); n != 2 {
			t.Errorf("B has %d issues, want 2", n)
		}
	})
}

// TestStructureParentOutOfScope: the scope holds Tasks and Sub-tasks, the parent is a Story.
func TestStructureParentOutOfScope(t *testing.T) {
	for _, choice := range []string{"", ParentOutOfScopeSkip, ParentOutOfScopeStandalone} {
		t.Run("choice "+choice, func(t *testing.T) {
			w := newSimWorld(t)
			r := structureRules()
			r.Structure.OutOfScopeParent = choice
			n := w.newNode(r, func(c *models.Connection) { c.LocalIssueTypes = "Task,Sub-task" }, [2]string{"A", "AB"})
			settle(t, n)
			story := w.createIssue("A", map[string]any{"issuetype": map[string]string{"name": "Story"}, "summary": "a story stays home"})
			sw := &structWorld{simWorld: w}
			sub := sw.subtask("A", story.Key, "child of a story")
			inScope := w.createIssue("A", map[string]any{"summary": "a task travels"})
			n.expect = func(err error) bool {
				return choice == "" && strings.Contains(err.Error(), "outside this connection's scope")
			}
			settle(t, n)
			if n.peer(inScope.Key) == "" {
				t.Error("the task in scope did not travel")
			}
			tw := n.twinOf(sub.Key)
			abIssues := w.issues("AB")
			switch choice {
			case "":
				if tw.State != models.TwinQuarantined || !strings.Contains(tw.LastError, "parent "+story.Key+" is outside") ||
					!strings.Contains(tw.LastError, "issue type Story") {
					t.Errorf("twin %s %q, want a config error naming the parent and why", tw.State, tw.LastError)
				}
				if len(abIssues) != 1 {
					t.Errorf("AB has %d issues, want the task only", len(abIssues))
				}
			case ParentOutOfScopeSkip:
				if tw.State != models.TwinUnlinked || !strings.Contains(tw.LastError, "skipped") {
					t.Errorf("twin %s %q, want skipped", tw.State, tw.LastError)
				}
				if len(abIssues) != 1 {
					t.Errorf("AB has %d issues, want the task only", len(abIssues))
				}
				for _, e := range w.sim.Instance("AB").Log().Entries() {
					if e.Method != "GET" && strings.Contains(e.Body, "child of a story") {
						t.Errorf("the skipped sub-task was sent: %s %s", e.Method, e.Path)
					}
				}
			case ParentOutOfScopeStandalone:
				ab := n.peer(sub.Key)
				if ab == "" {
					t.Fatalf("the sub-task did not travel standalone: %s %q", tw.State, tw.LastError)
				}
				is := w.get("AB", ab)
				if typeOf(is) != "Task" || parentKey(is) != "" {
					t.Errorf("AB %s: type %q parent %q, want a standalone Task", ab, typeOf(is), parentKey(is))
				}
				if len(abIssues) != 2 {
					t.Errorf("AB has %d issues, want 2", len(abIssues))
				}
			}
		})
	}
}

func TestStructureSubtaskMoveTravels(t *testing.T) {
	topologies(t, func(t *testing.T, split bool) {
		w := newStructWorld(t, split, structureRules(), nil)
		w.settle()
		p1 := w.createIssue("A", map[string]any{"summary": "first parent"})
		p2 := w.createIssue("A", map[string]any{"summary": "second parent"})
		sub := w.subtask("A", p1.Key, "moving child")
		w.settle()
		_, bSub := w.onB(sub.Key)
		_, bP1 := w.onB(p1.Key)
		if got := parentKey(w.get("B", bSub)); bSub == "" || got != bP1 {
			t.Fatalf("before the move B sub-task %q under %q, want %s", bSub, got, bP1)
		}
		if err := w.sim.Instance("A").MoveSubtask(sub.Key, p2.Key, "alice"); err != nil {
			t.Fatal(err)
		}
		w.edit("A", sub.Key, map[string]any{"summary": "moved child"})
		w.settle()
		abSub, bSub := w.onB(sub.Key)
		abP2, bP2 := w.onB(p2.Key)
		if abSub == "" || bSub == "" {
			t.Fatalf("the moved sub-task lost its twins: AB %q B %q", abSub, bSub)
		}
		if got := parentKey(w.get("AB", abSub)); got != abP2 {
			t.Errorf("AB sub-task %s under %q, want %s", abSub, got, abP2)
		}
		bIs := w.get("B", bSub)
		if got := parentKey(bIs); got != bP2 {
			t.Errorf("B sub-task %s under %q, want %s", bSub, got, bP2)
		}
		if s := fieldString(bIs, "summary"); s != "moved child" {
			t.Errorf("B sub-task summary %q", s)
		}
		for _, inst := range []string{"AB", "B"} {
			if n := len(w.issues(inst)); n != 3 {
				t.Errorf("%s has %d issues, want 3 (the old copy deleted)", inst, n)
			}
		}
		for _, n := range w.nodes {
			for _, tw := range n.twins() {
				if tw.State != models.TwinActive || tw.LastError != "" {
					t.Errorf("twin %s/%s: %s %q", tw.LocalKey, tw.RemoteKey, tw.State, tw.LastError)
				}
			}
		}
	})
}

// TestStructureMoveOfAnOriginalAsksForAHand: the copy on AB is moved by a person; the original
// on A cannot be re-created, so the twin says to move it by hand.
func TestStructureMoveOfAnOriginalAsksForAHand(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(structureRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	p1 := w.createIssue("A", map[string]any{"summary": "first parent"})
	p2 := w.createIssue("A", map[string]any{"summary": "second parent"})
	sub := (&structWorld{simWorld: w}).subtask("A", p1.Key, "child")
	settle(t, n)
	abSub, abP2 := n.peer(sub.Key), n.peer(p2.Key)
	if err := w.sim.Instance("AB").MoveSubtask(abSub, abP2, "alice"); err != nil {
		t.Fatal(err)
	}
	n.expect = func(err error) bool { return strings.Contains(err.Error(), "by hand") }
	settle(t, n)
	tw := n.twinOf(sub.Key)
	if tw.State != models.TwinQuarantined || !strings.Contains(tw.LastError, "move "+sub.Key+" to parent "+p2.Key+" by hand") {
		t.Errorf("twin %s %q, want a config error asking to move %s by hand", tw.State, tw.LastError, sub.Key)
	}
	if got := parentKey(w.get("A", sub.Key)); got != p1.Key {
		t.Errorf("A sub-task under %q", got)
	}
}

func TestStructureEpicLinkChangesTravel(t *testing.T) {
	topologies(t, func(t *testing.T, split bool) {
		w := newStructWorld(t, split, structureRules(), nil)
		w.settle()
		e1, e2 := w.epic("A", "One"), w.epic("A", "Two")
		story := w.createIssue("A", map[string]any{"summary": "story", cfEpicLink: e1.Key})
		w.settle()
		_, bStory := w.onB(story.Key)
		_, bE1 := w.onB(e1.Key)
		if got := fieldString(w.get("B", bStory), cfEpicLink); got != bE1 {
			t.Fatalf("B epic link %q, want %s", got, bE1)
		}
		// Changed on A: B follows (epic two had no twin yet? it has: epics are synced as issues).
		w.edit("A", story.Key, map[string]any{cfEpicLink: e2.Key})
		w.settle()
		_, bE2 := w.onB(e2.Key)
		if got := fieldString(w.get("B", bStory), cfEpicLink); got != bE2 || bE2 == "" {
			t.Errorf("after the change B epic link %q, want %s", got, bE2)
		}
		// Removed on A: removed on B.
		w.edit("A", story.Key, map[string]any{cfEpicLink: nil})
		w.settle()
		if got := fieldString(w.get("B", bStory), cfEpicLink); got != "" && got != "null" {
			t.Errorf("after the removal B epic link %q, want none", got)
		}
		// Set on B: travels back to A.
		w.edit("B", bStory, map[string]any{cfEpicLink: bE1})
		w.settle()
		if got := fieldString(w.get("A", story.Key), cfEpicLink); got != e1.Key {
			t.Errorf("after B set it, A epic link %q, want %s", got, e1.Key)
		}
		// A new epic made on B, linked there: created on A first, then linked.
		e3 := w.epic("B", "Three")
		w.edit("B", bStory, map[string]any{cfEpicLink: e3.Key})
		w.settle()
		ab3 := w.peerIn("B-AB", e3.Key)
		a3 := w.peerIn("A-AB", ab3)
		if got := fieldString(w.get("A", story.Key), cfEpicLink); a3 == "" || got != a3 {
			t.Errorf("A epic link %q, want the copy %q of B's new epic", got, a3)
		}
	})
}

// TestStructureEpicCreatedFirst: an issue linked to an epic that was never synced brings the
// epic along, in one pass.
func TestStructureEpicCreatedFirst(t *testing.T) {
	w := newSimWorld(t)
	ep := (&structWorld{simWorld: w}).epic("A", "Old")
	time.Sleep(20 * time.Millisecond)
	act := time.Now()
	n := w.newNode(structureRules(), func(c *models.Connection) { c.ActivatedAt = &act }, [2]string{"A", "AB"})
	settle(t, n)
	story := w.createIssue("A", map[string]any{"summary": "new story", cfEpicLink: ep.Key})
	n.pollAll()
	n.reconcileDirty()
	abEpic := n.peer(ep.Key)
	if got := fieldString(w.get("AB", n.peer(story.Key)), cfEpicLink); abEpic == "" || got != abEpic {
		t.Errorf("AB epic link %q, want the epic's copy %q", got, abEpic)
	}
}

func TestStructureRulesValidateAndRoundTrip(t *testing.T) {
	r := structureRules()
	r.Structure = StructureRules{OutOfScopeParent: ParentOutOfScopeStandalone, StandaloneType: "Task"}
	doc, _ := json.Marshal(r)
	back, err := ParseRules(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if back.Structure != r.Structure || back.field("epic").Kind != KindEpicLink {
		t.Errorf("round trip: %+v", back.Structure)
	}
	r.Structure.OutOfScopeParent = "drop"
	if errs := r.Validate(); len(errs) == 0 || errs[0].Path != "structure.out_of_scope_parent" {
		t.Errorf("validate: %v", errs)
	}
}

// TestStructurePreviewSaysWhereSubtasksGo: the preview names an out-of-scope parent and the
// rules' outcome, a parent to be copied first, and writes nothing.
func TestStructurePreviewSaysWhereSubtasksGo(t *testing.T) {
	w := newSimWorld(t)
	sw := &structWorld{simWorld: w}
	r := structureRules()
	r.Structure.OutOfScopeParent = ParentOutOfScopeSkip
	n := w.newNode(r, func(c *models.Connection) { c.LocalIssueTypes = "Task,Sub-task,Epic" }, [2]string{"A", "AB"})
	story := w.createIssue("A", map[string]any{"issuetype": map[string]string{"name": "Story"}, "summary": "story"})
	task := w.createIssue("A", map[string]any{"summary": "task"})
	ep := sw.epic("A", "Later")
	w.edit("A", task.Key, map[string]any{cfEpicLink: ep.Key})
	outside := sw.subtask("A", story.Key, "under a story")
	inside := sw.subtask("A", task.Key, "under a task")
	w.clearLogs()
	notes := func(key string) string {
		res, err := n.e.Preview(w.ctx, n.conns[0].ID, key)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(res.Notes, "\n")
	}
	if got := notes(outside.Key); !strings.Contains(got, "parent is outside this connection's scope") || !strings.Contains(got, "Story") ||
		!strings.Contains(got, "skip such sub-tasks") {
		t.Errorf("out-of-scope notes: %s", got)
	}
	if got := notes(inside.Key); !strings.Contains(got, "Sub-task of "+task.Key+", which has no copy yet") {
		t.Errorf("in-scope notes: %s", got)
	}
	if got := notes(task.Key); !strings.Contains(got, "Epic link "+ep.Key+": the epic has no copy yet") {
		t.Errorf("epic notes: %s", got)
	}
	if got := w.writes("A") + w.writes("AB"); got != 0 {
		t.Errorf("the preview wrote %d times", got)
	}
	if len(n.twins()) != 0 {
		t.Errorf("the preview made twins")
	}
}

// TestStructureDeleteParentWithSubtasks: a parent and its sub-tasks deleted on A (policy
// delete) take their copies on AB and B with them.
func TestStructureDeleteParentWithSubtasks(t *testing.T) {
	topologies(t, func(t *testing.T, split bool) {
		w := newStructWorld(t, split, structureRules(), func(c *models.Connection) { c.DeletionPolicy = models.DeleteTwin })
		w.settle()
		parent := w.createIssue("A", map[string]any{"summary": "parent goes"})
		subs := []*jira.CreatedIssue{w.subtask("A", parent.Key, "one"), w.subtask("A", parent.Key, "two")}
		w.settle()
		if n := len(w.issues("B")); n != 3 {
			t.Fatalf("B has %d issues before the delete", n)
		}
		if err := w.human("A", "admin").DeleteIssue(w.ctx, parent.Key, true); err != nil {
			t.Fatal(err)
		}
		// Deletion is noticed at the next reconcile of each twin (here a resync of each).
		resync := func(conn string, keys ...string) {
			n := w.byConn[conn]
			for _, k := range keys {
				var c models.Connection
				n.db.Where("name = ?", conn).First(&c)
				var tw models.Twin
				if n.db.Where("connection_id = ? AND (local_key = ? OR remote_key = ?)", c.ID, k, k).Limit(1).Find(&tw).RowsAffected == 0 {
					t.Fatalf("no twin of %s in %s", k, conn)
				}
				if _, err := n.e.Resync(w.ctx, tw.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		_, bPar := w.onB(parent.Key)
		var bSubs []string
		for _, s := range subs {
			_, b := w.onB(s.Key)
			bSubs = append(bSubs, b)
		}
		resync("A-AB", append([]string{parent.Key}, subs[0].Key, subs[1].Key)...)
		w.settle()
		if n := len(w.issues("AB")); n != 0 {
			t.Errorf("AB has %d issues after the delete", n)
		}
		resync("B-AB", append([]string{bPar}, bSubs...)...)
		w.settle()
		if n := len(w.issues("B")); n != 0 {
			t.Errorf("B has %d issues after the delete", n)
		}
	})
}

// TestStructureMoveKeepsComments: a moved sub-task's comments, written on A and on B, are on
// every issue of the chain exactly once after the copies are re-created.
func TestStructureMoveKeepsComments(t *testing.T) {
	topologies(t, func(t *testing.T, split bool) {
		r := structureRules()
		r.Comments.Enabled = true
		w := newStructWorld(t, split, r, nil)
		w.settle()
		p1 := w.createIssue("A", map[string]any{"summary": "first parent"})
		p2 := w.createIssue("A", map[string]any{"summary": "second parent"})
		sub := w.subtask("A", p1.Key, "child with talk")
		w.settle()
		_, bSub := w.onB(sub.Key)
		for _, c := range []struct{ inst, key, body string }{{"A", sub.Key, "said on A"}, {"B", bSub, "said on B"}} {
			if _, err := w.human(c.inst, "alice").AddComment(w.ctx, c.key, jira.CommentInput{Body: c.body}); err != nil {
				t.Fatal(err)
			}
		}
		w.settle()
		if err := w.sim.Instance("A").MoveSubtask(sub.Key, p2.Key, "alice"); err != nil {
			t.Fatal(err)
		}
		w.settle()
		abSub, bSub := w.onB(sub.Key)
		for _, at := range []struct{ inst, key string }{{"A", sub.Key}, {"AB", abSub}, {"B", bSub}} {
			cs, err := w.human(at.inst, "admin").Comments(w.ctx, at.key, jira.CommentOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var bodies []string
			for _, c := range cs {
				bodies = append(bodies, c.Body)
			}
			all := strings.Join(bodies, "\n---\n")
			if len(cs) != 2 || strings.Count(all, "said on A") != 1 || strings.Count(all, "said on B") != 1 {
				t.Errorf("%s %s has %d comments:\n%s", at.inst, at.key, len(cs), all)
			}
		}
	})
}

// TestStructureSubtaskFromB: a sub-task added on B under the copy of A's story arrives on A
// under the story itself.
func TestStructureSubtaskFromB(t *testing.T) {
	topologies(t, func(t *testing.T, split bool) {
		w := newStructWorld(t, split, structureRules(), nil)
		w.settle()
		story := w.createIssue("A", map[string]any{"issuetype": map[string]string{"name": "Story"}, "summary": "story"})
		w.settle()
		_, bStory := w.onB(story.Key)
		sub := w.subtask("B", bStory, "added on B")
		w.settle()
		ab := w.peerIn("B-AB", sub.Key)
		a := w.peerIn("A-AB", ab)
		if a == "" {
			t.Fatalf("B's sub-task did not reach A (AB %q)", ab)
		}
		if got := parentKey(w.get("A", a)); got != story.Key {
			t.Errorf("A sub-task %s under %q, want %s", a, got, story.Key)
		}
	})
}

// TestStructureMoveOutOfScope: a sub-task moved under a parent outside the scope stops with a
// config error that says why; its copy stays where it was.
func TestStructureMoveOutOfScope(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(structureRules(), func(c *models.Connection) { c.LocalIssueTypes = "Task,Sub-task" }, [2]string{"A", "AB"})
	settle(t, n)
	p1 := w.createIssue("A", map[string]any{"summary": "task parent"})
	story := w.createIssue("A", map[string]any{"issuetype": map[string]string{"name": "Story"}, "summary": "story stays home"})
	sub := (&structWorld{simWorld: w}).subtask("A", p1.Key, "child")
	settle(t, n)
	abSub, abP1 := n.peer(sub.Key), n.peer(p1.Key)
	if err := w.sim.Instance("A").MoveSubtask(sub.Key, story.Key, "alice"); err != nil {
		t.Fatal(err)
	}
	w.edit("A", sub.Key, map[string]any{"summary": "child, moved"})
	n.expect = func(err error) bool { return strings.Contains(err.Error(), "outside this connection's scope") }
	settle(t, n)
	tw := n.twinOf(sub.Key)
	if tw.State != models.TwinQuarantined || !strings.Contains(tw.LastError, "moved to parent "+story.Key+", which is outside") {
		t.Errorf("twin %s %q", tw.State, tw.LastError)
	}
	if got := parentKey(w.get("AB", abSub)); got != abP1 {
		t.Errorf("AB copy under %q, want %s", got, abP1)
	}
	var copies int64
	n.db.Model(&models.Twin{}).Where("local_key = ?", story.Key).Count(&copies)
	if copies != 0 || len(w.issues("AB")) != 2 {
		t.Error("the out-of-scope story was copied")
	}
}

// TestStructureMoveSurvivesACrash: the run that re-creates a moved sub-task's copy dies right
// after Jira made the new copy; the retry adopts that copy (no second one) and deletes the old.
func TestStructureMoveSurvivesACrash(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(structureRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	p1 := w.createIssue("A", map[string]any{"summary": "first parent"})
	p2 := w.createIssue("A", map[string]any{"summary": "second parent"})
	sub := (&structWorld{simWorld: w}).subtask("A", p1.Key, "child")
	settle(t, n)
	oldCopy := n.peer(sub.Key)
	if err := w.sim.Instance("A").MoveSubtask(sub.Key, p2.Key, "alice"); err != nil {
		t.Fatal(err)
	}
	w.edit("A", sub.Key, map[string]any{"summary": "child, moved"})
	crashed := false
	n.e.Hooks = &Hooks{AfterCreate: func(side string, c *jira.CreatedIssue) error {
		if !crashed {
			crashed = true
			return transientError("crash after the create of %s", c.Key)
		}
		return nil
	}}
	n.expect = func(err error) bool { return strings.Contains(err.Error(), "crash after the create") }
	settle(t, n)
	if !crashed {
		t.Fatal("the hook never ran")
	}
	newCopy := n.peer(sub.Key)
	if newCopy == oldCopy {
		t.Fatalf("the copy was not replaced (%s)", newCopy)
	}
	if _, err := w.human("AB", "admin").GetIssue(w.ctx, oldCopy, jira.GetIssueOptions{}); !jira.IsNotFound(err) {
		t.Errorf("old copy %s: %v, want deleted", oldCopy, err)
	}
	if got := parentKey(w.get("AB", newCopy)); got != n.peer(p2.Key) {
		t.Errorf("new copy under %q, want %s", got, n.peer(p2.Key))
	}
	if got := len(w.issues("AB")); got != 3 {
		t.Errorf("AB has %d issues, want 3", got)
	}
	if tw := n.twinOf(sub.Key); tw.State != models.TwinActive || tw.LastError != "" {
		t.Errorf("twin %s %q", tw.State, tw.LastError)
	}
}

// TestStructureEpicOutOfScopeStaysHome: an epic outside the scope is not copied, and the copy
// of an issue linked to it has no epic link.
func TestStructureEpicOutOfScopeStaysHome(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(structureRules(), func(c *models.Connection) { c.LocalIssueTypes = "Task" }, [2]string{"A", "AB"})
	settle(t, n)
	ep := (&structWorld{simWorld: w}).epic("A", "Private")
	task := w.createIssue("A", map[string]any{"summary": "linked to a private epic", cfEpicLink: ep.Key})
	settle(t, n)
	ab := n.peer(task.Key)
	if got := fieldString(w.get("AB", ab), cfEpicLink); got != "" && got != "null" {
		t.Errorf("AB copy epic link %q, want none", got)
	}
	if got := len(w.issues("AB")); got != 1 {
		t.Errorf("AB has %d issues, want the task only", got)
	}
	for _, e := range w.sim.Instance("AB").Log().Entries() {
		if strings.Contains(e.Body, "Private") || strings.Contains(e.Body, ep.Key) {
			t.Errorf("the private epic left A: %s %s %s", e.Method, e.Path, e.Body)
		}
	}
}

// TestStructureParentHeldByADeadRunIsAWaitNotAnError: the parent's twin is leased by a run that
// died (a worker killed mid-sync). The sub-task waits for it without an error, a backoff or a
// quarantine, and follows its parent as soon as the lease runs out. Before, the wait was a
// transient error whose backoff grew past the chaos smoke test's bound (found by CI).
func TestStructureParentHeldByADeadRunIsAWaitNotAnError(t *testing.T) {
	base := newSimWorld(t)
	w := &structWorld{simWorld: base, byConn: map[string]*syncNode{}}
	n := w.newNode(structureRules(), nil, [2]string{"A", "AB"})
	w.nodes, w.byConn["A-AB"] = []*syncNode{n}, n
	w.settle()
	parent := w.createIssue("A", map[string]any{"summary": "parent"})
	sub := w.subtask("A", parent.Key, "child")
	n.pollAll()
	ptw, ctw := n.twinOf(parent.Key), n.twinOf(sub.Key)
	if ptw == nil || ctw == nil {
		t.Fatal("the poll made no pending twins")
	}
	// A dead run holds the parent.
	until := time.Now().Add(time.Minute)
	if err := n.db.Model(&models.Twin{}).Where("id = ?", ptw.ID).Updates(map[string]any{"lease_token": "dead-run", "lease_until": until}).Error; err != nil {
		t.Fatal(err)
	}
	if err := n.e.Reconcile(w.ctx, ctw.ID); !errors.Is(err, ErrTwinBusy) {
		t.Fatalf("child reconcile while the parent is held: %v, want a wait (ErrTwinBusy)", err)
	}
	got := n.twinOf(sub.Key)
	if got.ErrorCount != 0 || got.LastError != "" || got.NextAttemptAt != nil || got.State != models.TwinPendingCreate || !got.Dirty {
		t.Errorf("the wait left state %s dirty=%v errors=%d next=%v %q; want pending, dirty, no error, no backoff",
			got.State, got.Dirty, got.ErrorCount, got.NextAttemptAt, got.LastError)
	}
	var errs int64
	n.db.Model(&models.SyncError{}).Count(&errs)
	if errs != 0 {
		t.Errorf("%d sync errors recorded for a wait", errs)
	}
	// The lease runs out: the next dispatch syncs the parent first, then the child under it.
	if err := n.db.Model(&models.Twin{}).Where("id = ?", ptw.ID).Update("lease_until", time.Now().Add(-time.Second)).Error; err != nil {
		t.Fatal(err)
	}
	if err := n.e.Reconcile(w.ctx, ctw.ID); err != nil {
		t.Fatal(err)
	}
	abSub, abPar := n.peer(sub.Key), n.peer(parent.Key)
	if abSub == "" || abPar == "" || parentKey(w.get("AB", abSub)) != abPar {
		t.Errorf("after the lease ran out: sub %q parent %q (AB parent of sub %q)", abSub, abPar, parentKey(w.get("AB", abSub)))
	}
}
