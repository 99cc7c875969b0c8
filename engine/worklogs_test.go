package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// worklogWorld is A's project synced to the relay AB and on to B, with worklogs on, in the split
// topology (one node per zone) or the single one (one node runs both connections).
type worklogWorld struct {
	*simWorld
	nodes []*syncNode
	nodeA *syncNode // the node holding the A-AB connection
	nodeB *syncNode // the node holding the B-AB connection (nodeA in the single topology)
	key   string    // the issue on A
	ab, b string    // its twins on AB and B
}

func worklogRules(adjust func(*Rules)) Rules {
	r := testRules()
	r.Worklogs.Enabled = true
	if adjust != nil {
		adjust(&r)
	}
	return r
}

func newWorklogWorld(t *testing.T, split bool, adjust func(*Rules)) *worklogWorld {
	t.Helper()
	w := &worklogWorld{simWorld: newSimWorld(t)}
	rules := worklogRules(adjust)
	if split {
		w.nodeA = w.newNode(rules, nil, [2]string{"A", "AB"})
		w.nodeB = w.newNode(rules, nil, [2]string{"B", "AB"})
		w.nodes = []*syncNode{w.nodeA, w.nodeB}
	} else {
		w.nodeA = w.newNode(rules, nil, [2]string{"A", "AB"}, [2]string{"B", "AB"})
		w.nodeB = w.nodeA
		w.nodes = []*syncNode{w.nodeA}
	}
	w.settle()
	w.key = w.createIssue("A", map[string]any{"summary": "Printer offline"}).Key
	w.settle()
	w.ab = w.nodeA.peer(w.key)
	var tw models.Twin
	if w.nodeB.db.Where("remote_key = ? AND local_key <> ?", w.ab, w.key).Limit(1).Find(&tw).RowsAffected > 0 {
		w.b = tw.LocalKey
	}
	if w.ab == "" || w.b == "" {
		t.Fatalf("the issue %s did not reach AB (%q) and B (%q)", w.key, w.ab, w.b)
	}
	return w
}

func (w *worklogWorld) settle() { w.t.Helper(); settle(w.t, w.nodes...) }

// keyOn is the world's issue on an instance.
func (w *worklogWorld) keyOn(inst string) string {
	return map[string]string{"A": w.key, "AB": w.ab, "B": w.b}[inst]
}

// logWork logs work on the world's issue as a person (Jira's default adjustEstimate, auto).
func (w *worklogWorld) logWork(inst, user string, seconds int64, started time.Time, comment string, vis *jira.Visibility) *jira.Worklog {
	w.t.Helper()
	st := jira.Time{Time: started}
	wl, err := w.human(inst, user).AddWorklog(w.ctx, w.keyOn(inst), jira.WorklogInput{Comment: comment, Started: &st,
		TimeSpentSeconds: seconds, Visibility: vis}, jira.Estimate{})
	if err != nil {
		w.t.Fatal(err)
	}
	return wl
}

// editWork changes a worklog as an administrator (auto estimate).
func (w *worklogWorld) editWork(inst, id string, seconds int64, started time.Time, comment string, vis *jira.Visibility) {
	w.t.Helper()
	if _, err := w.human(inst, "admin").ReplaceWorklog(w.ctx, w.keyOn(inst), id, jira.WorklogEdit{Comment: comment,
		Started: jira.Time{Time: started}, TimeSpentSeconds: seconds, Visibility: vis}, jira.Estimate{}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *worklogWorld) deleteWork(inst, id string) {
	w.t.Helper()
	if err := w.human(inst, "admin").DeleteWorklog(w.ctx, w.keyOn(inst), id, jira.Estimate{}); err != nil {
		w.t.Fatal(err)
	}
}

// worklogs reads the worklogs of the world's issue on inst as an administrator.
func (w *worklogWorld) worklogs(inst string) []jira.Worklog {
	w.t.Helper()
	ws, err := w.human(inst, "admin").Worklogs(w.ctx, w.keyOn(inst))
	if err != nil {
		w.t.Fatal(err)
	}
	return ws
}

// only returns the one worklog on inst, failing when there are more or none.
func (w *worklogWorld) only(inst string) jira.Worklog {
	w.t.Helper()
	ws := w.worklogs(inst)
	if len(ws) != 1 {
		w.t.Fatalf("%s has %d worklogs, want 1: %+v", inst, len(ws), ws)
	}
	return ws[0]
}

// assertCopy checks that the only worklog on inst carries exactly seconds, started and the text.
func (w *worklogWorld) assertCopy(inst string, seconds int64, started time.Time, text string) jira.Worklog {
	w.t.Helper()
	wl := w.only(inst)
	if wl.TimeSpentSeconds != seconds {
		w.t.Errorf("%s: %d seconds, want %d", inst, wl.TimeSpentSeconds, seconds)
	}
	if !wl.Started.Equal(started) || wl.Started.UnixMilli() != started.UnixMilli() {
		w.t.Errorf("%s: started %s, want %s", inst, wl.Started, jira.FormatTime(started))
	}
	if _, content, _ := strings.Cut(wl.Comment, "\n\n"); content != text {
		w.t.Errorf("%s: comment %q, want a header and %q", inst, wl.Comment, text)
	}
	return wl
}

// assertQuietRound polls and reconciles once more and fails on any write by the sync user.
func (w *worklogWorld) assertQuietRound() {
	w.t.Helper()
	w.clearLogs()
	for _, n := range w.nodes {
		n.pollAll()
		n.reconcileDirty()
	}
	for _, inst := range []string{"A", "AB", "B"} {
		if n := w.writes(inst); n != 0 {
			w.t.Errorf("%s received %d writes in the steady state: no ping-pong expected", inst, n)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := jira.ParseTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// Worklogs created, edited and deleted on B arrive on A through AB with exact seconds and
// started, B's author named on both; and the same from A to B.
func TestWorklogsTravelBothWaysThroughTheRelay(t *testing.T) {
	topologies(t, func(t *testing.T, split bool) {
		w := newWorklogWorld(t, split, nil)
		started := mustTime(t, "2010-08-17T16:35:47.466+0200")
		orig := w.logWork("B", "alice", 5401, started, "replaced the fuser", nil)
		w.settle()
		onA := w.assertCopy("A", 5401, started, "replaced the fuser")
		onAB := w.assertCopy("AB", 5401, started, "replaced the fuser")
		headA, _, _ := strings.Cut(onA.Comment, "\n")
		headAB, _, _ := strings.Cut(onAB.Comment, "\n")
		if headA != headAB || !strings.Contains(headA, "Alice Able logged work on B") || !strings.Contains(headA, "{anchor:airlock-") {
			t.Errorf("headers: A %q, AB %q: want B's attribution kept through the relay", headA, headAB)
		}

		later := mustTime(t, "2010-08-18T18:36:00.589-0500")
		w.editWork("B", orig.ID, 7322, later, "replaced the fuser and the drum", nil)
		w.settle()
		w.assertCopy("A", 7322, later, "replaced the fuser and the drum")
		w.assertCopy("AB", 7322, later, "replaced the fuser and the drum")
		w.assertQuietRound()

		// An edit of the copy on A travels back to the original on B, through AB.
		onA = w.only("A")
		head, _, _ := strings.Cut(onA.Comment, "\n\n")
		w.editWork("A", onA.ID, 4000, started, head+"\n\nthe drum was fine", nil)
		w.settle()
		w.assertCopy("AB", 4000, started, "the drum was fine")
		if wl := w.only("B"); wl.ID != orig.ID || wl.TimeSpentSeconds != 4000 || wl.Comment != "the drum was fine" || !wl.Started.Equal(started) {
			t.Errorf("B's original after the edit of its copy on A: %+v", wl)
		}
		w.assertQuietRound()

		w.deleteWork("B", orig.ID)
		w.settle()
		for _, inst := range []string{"A", "AB"} {
			if ws := w.worklogs(inst); len(ws) != 0 {
				t.Errorf("%s keeps %d worklogs after the delete on B", inst, len(ws))
			}
		}

		onA2 := w.logWork("A", "bob", 61, started, "calibrated", nil)
		w.settle()
		onB := w.assertCopy("B", 61, started, "calibrated")
		if head, _, _ := strings.Cut(onB.Comment, "\n"); !strings.Contains(head, "Bob Baker logged work on A") {
			t.Errorf("B's copy names %q, want A's author and instance", head)
		}
		w.editWork("A", onA2.ID, 3599, later, "", nil)
		w.settle()
		w.assertCopy("AB", 3599, later, "")
		if wl := w.only("B"); wl.TimeSpentSeconds != 3599 || strings.Contains(wl.Comment, "calibrated") {
			t.Errorf("B after the edit on A: %d s, %q", wl.TimeSpentSeconds, wl.Comment)
		}
		w.deleteWork("A", onA2.ID)
		w.settle()
		for _, inst := range []string{"AB", "B"} {
			if ws := w.worklogs(inst); len(ws) != 0 {
				t.Errorf("%s keeps %d worklogs after the delete on A", inst, len(ws))
			}
		}
		w.assertQuietRound()
	})
}

// remaining reads an issue's remaining estimate in seconds.
func (w *worklogWorld) remaining(inst string) int64 {
	w.t.Helper()
	is, err := w.human(inst, "admin").GetIssue(w.ctx, w.keyOn(inst), jira.GetIssueOptions{Fields: []string{"timetracking"}})
	if err != nil {
		w.t.Fatal(err)
	}
	tt, err := is.TimeTracking()
	if err != nil {
		w.t.Fatal(err)
	}
	return tt.RemainingEstimateSeconds
}

// Copies leave the target's remaining estimate alone through create, edit and delete, though the
// person logging on the source lets Jira reduce theirs (adjustEstimate auto).
func TestWorklogCopiesLeaveTheRemainingEstimate(t *testing.T) {
	topologies(t, testWorklogCopiesLeaveTheRemainingEstimate)
}

func testWorklogCopiesLeaveTheRemainingEstimate(t *testing.T, split bool) {
	w := newWorklogWorld(t, split, nil)
	for _, inst := range []string{"A", "AB", "B"} {
		w.edit(inst, w.keyOn(inst), map[string]any{"timetracking": map[string]string{"originalEstimate": "10h", "remainingEstimate": "10h"}})
	}
	w.settle()
	check := func(when string) {
		t.Helper()
		for _, inst := range []string{"AB", "B"} {
			if got := w.remaining(inst); got != 36000 {
				t.Errorf("%s: %s remaining estimate %d s, want 36000 (10h) untouched", when, inst, got)
			}
		}
	}
	wl := w.logWork("A", "alice", 7200, time.Now(), "two hours", nil)
	w.settle()
	if got := w.remaining("A"); got != 36000-7200 {
		t.Fatalf("A's own estimate is %d: the person's worklog should have reduced it (auto)", got)
	}
	w.assertCopy("B", 7200, wl.Started.Time, "two hours")
	check("after the create")
	w.editWork("A", wl.ID, 10800, wl.Started.Time, "three hours", nil)
	w.settle()
	w.assertCopy("B", 10800, wl.Started.Time, "three hours")
	check("after the edit")
	w.deleteWork("A", wl.ID)
	w.settle()
	if n := len(w.worklogs("B")); n != 0 {
		t.Fatalf("B keeps %d worklogs", n)
	}
	check("after the delete")
	for _, inst := range []string{"AB", "B"} {
		n := 0
		for _, e := range w.sim.Instance(inst).Log().Entries() {
			if e.User == "airlock" && e.Method != "GET" && strings.Contains(e.Path, "/worklog") {
				n++
				if !strings.Contains(e.Query, "adjustEstimate=leave") {
					t.Errorf("%s: %s %s?%s without adjustEstimate=leave", inst, e.Method, e.Path, e.Query)
				}
			}
		}
		if n < 3 {
			t.Errorf("%s: %d worklog writes by the sync user, want the create, the edit and the delete", inst, n)
		}
	}
}

// A restricted worklog stays home: nothing of it (its text, its origin marker) reaches AB; one
// restricted after it was copied is withdrawn from AB and B; an allowed restriction travels with
// its visibility.
func TestWorklogRestrictedStaysHome(t *testing.T) {
	topologies(t, func(t *testing.T, split bool) {
		w := newWorklogWorld(t, split, func(r *Rules) { r.Worklogs.AllowVisibilities = []string{"role:Developers"} })
		admins := &jira.Visibility{Type: "role", Value: "Administrators"}
		secret := w.logWork("A", "admin", 600, time.Now(), "payroll-secret-771", admins)
		public := w.logWork("A", "alice", 900, time.Now(), "public-work-332", nil)
		devs := w.logWork("A", "alice", 1200, time.Now(), "developers-work-554", &jira.Visibility{Type: "role", Value: "Developers"})
		w.settle()
		marker := "airlock-" + instanceHash(w.sim.Instance("A").URL()) + "-" + secret.ID
		for _, inst := range []string{"AB", "B"} {
			for _, e := range w.sim.Instance(inst).Log().Entries() {
				for _, s := range []string{"payroll-secret-771", marker} {
					if strings.Contains(e.Body, s) || strings.Contains(e.Query, s) || strings.Contains(e.Path, s) {
						t.Errorf("%s received %q: %s %s", inst, s, e.Method, e.Path)
					}
				}
			}
			ws := w.worklogs(inst)
			if len(ws) != 2 {
				t.Fatalf("%s has %d worklogs, want the public one and the Developers one", inst, len(ws))
			}
			for _, wl := range ws {
				if strings.Contains(wl.Comment, "developers-work-554") && (wl.Visibility == nil || wl.Visibility.Value != "Developers") {
					t.Errorf("%s: the allowed restriction arrived as %+v", inst, wl.Visibility)
				}
			}
		}
		_ = devs
		w.editWork("A", public.ID, 900, public.Started.Time, "public-work-332", admins)
		w.settle()
		for _, inst := range []string{"AB", "B"} {
			for _, wl := range w.worklogs(inst) {
				if strings.Contains(wl.Comment, "public-work-332") {
					t.Errorf("%s still holds the worklog restricted after it was copied", inst)
				}
			}
		}
		// Unrestricted again, it leaves again.
		w.editWork("A", public.ID, 900, public.Started.Time, "public-work-332", &jira.Visibility{Type: "role", Value: "Developers"})
		w.settle()
		found := 0
		for _, wl := range w.worklogs("B") {
			if strings.Contains(wl.Comment, "public-work-332") {
				found++
			}
		}
		if found != 1 {
			t.Errorf("B holds %d copies of the worklog allowed again, want 1", found)
		}
	})
}

// crashOnce makes the next insert into table fail, as if the process died between Jira's answer
// and the database commit.
func crashOnce(t *testing.T, db *models.DB, table string) {
	t.Helper()
	armed := true
	name := "test:crash:" + table
	if err := db.Callback().Create().Before("gorm:create").Register(name, func(tx *gorm.DB) {
		if armed && tx.Statement.Table == table {
			armed = false
			tx.AddError(errors.New("simulated crash before the commit"))
		}
	}); err != nil {
		t.Fatal(err)
	}
}

// A crash after the copy was posted and before its twin row was written: the next run adopts the
// copy by its origin marker and posts nothing again.
func TestWorklogCopyAdoptedAfterCrash(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(worklogRules(nil), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "crash"})
	settle(t, n)
	ab := n.peer(a.Key)
	st := jira.Time{Time: mustTime(t, "2024-05-01T10:02:03.004+0000")}
	if _, err := w.human("A", "alice").AddWorklog(w.ctx, a.Key, jira.WorklogInput{Comment: "once only", Started: &st, TimeSpentSeconds: 4242}, jira.Estimate{}); err != nil {
		t.Fatal(err)
	}
	crashOnce(t, n.db, "worklog_twins")
	n.expect = func(err error) bool { return strings.Contains(err.Error(), "simulated crash") }
	w.clearLogs()
	n.pollAll()
	n.reconcileDirty()
	var rows int64
	n.db.Model(&models.WorklogTwin{}).Count(&rows)
	abWs, err := w.human("AB", "admin").Worklogs(w.ctx, ab)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 0 || len(abWs) != 1 {
		t.Fatalf("after the crash: %d twin rows, %d worklogs on AB; want the copy posted and no row", rows, len(abWs))
	}
	n.expect = nil
	if _, err := n.e.Resync(w.ctx, n.twinOf(a.Key).ID); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	abWs, _ = w.human("AB", "admin").Worklogs(w.ctx, ab)
	n.db.Model(&models.WorklogTwin{}).Count(&rows)
	if len(abWs) != 1 || rows != 1 {
		t.Fatalf("after the retry: %d worklogs on AB, %d twin rows; want 1 and 1 (adopted, no duplicate)", len(abWs), rows)
	}
	posts := 0
	for _, e := range w.sim.Instance("AB").Log().Entries() {
		if e.Method == "POST" && strings.HasSuffix(e.Path, "/worklog") {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("AB received %d worklog POSTs, want 1", posts)
	}
	if abWs[0].TimeSpentSeconds != 4242 || abWs[0].Started.UnixMilli() != st.UnixMilli() {
		t.Errorf("adopted copy: %d s from %s", abWs[0].TimeSpentSeconds, abWs[0].Started)
	}
}

// Edits on both sides of a worklog twin: the later one wins, in either order, and the twin then
// stays quiet.
func TestWorklogEditsOnBothSidesLaterWins(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(worklogRules(nil), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "both edit"})
	settle(t, n)
	ab := n.peer(a.Key)
	st := jira.Time{Time: mustTime(t, "2024-05-01T10:02:03.004+0200")}
	orig, err := w.human("A", "alice").AddWorklog(w.ctx, a.Key, jira.WorklogInput{Comment: "first", Started: &st, TimeSpentSeconds: 300}, jira.Estimate{})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	one := func(inst, key string) jira.Worklog {
		t.Helper()
		ws, err := w.human(inst, "admin").Worklogs(w.ctx, key)
		if err != nil || len(ws) != 1 {
			t.Fatalf("%s %s: %d worklogs (%v), want 1", inst, key, len(ws), err)
		}
		return ws[0]
	}
	edit := func(inst, key string, wl jira.Worklog, seconds int64, text string) {
		t.Helper()
		body := text
		if head, _, ok := strings.Cut(wl.Comment, "\n\n"); ok && strings.Contains(head, "{anchor:") {
			body = head + "\n\n" + text
		}
		if _, err := w.human(inst, "admin").ReplaceWorklog(w.ctx, key, wl.ID, jira.WorklogEdit{Comment: body, Started: wl.Started,
			TimeSpentSeconds: seconds}, jira.Estimate{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // the next edit is later in `updated`
	}
	expect := func(seconds int64, text string) {
		t.Helper()
		la, lab := one("A", a.Key), one("AB", ab)
		if la.TimeSpentSeconds != seconds || lab.TimeSpentSeconds != seconds {
			t.Errorf("seconds: A %d, AB %d, want %d", la.TimeSpentSeconds, lab.TimeSpentSeconds, seconds)
		}
		if la.Comment != text || !strings.HasSuffix(lab.Comment, "\n\n"+text) {
			t.Errorf("comments: A %q, AB %q, want %q", la.Comment, lab.Comment, text)
		}
	}
	copyWl := one("AB", ab)
	edit("AB", ab, copyWl, 600, "copy edited first")
	edit("A", a.Key, *orig, 900, "origin edited later")
	settle(t, n)
	expect(900, "origin edited later")

	edit("A", a.Key, one("A", a.Key), 1200, "origin edited first")
	edit("AB", ab, one("AB", ab), 1500, "copy edited later")
	settle(t, n)
	expect(1500, "copy edited later")

	w.clearLogs()
	n.pollAll()
	n.reconcileDirty()
	for _, inst := range []string{"A", "AB"} {
		if k := w.writes(inst); k != 0 {
			t.Errorf("%s received %d writes after settling: ping-pong", inst, k)
		}
	}
}

// Worklogs the issue's embedded page does not hold (it holds 20) are read from the worklog
// endpoint, so all of them travel.
func TestWorklogsBeyondTheIssuePage(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(worklogRules(nil), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "many"})
	settle(t, n)
	c := w.human("A", "alice")
	for i := range 23 {
		if _, err := c.AddWorklog(w.ctx, a.Key, jira.WorklogInput{Comment: fmt.Sprintf("part %d", i), TimeSpentSeconds: int64(60 + i)}, jira.Estimate{}); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, n)
	ws, err := w.human("AB", "admin").Worklogs(w.ctx, n.peer(a.Key))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 23 {
		t.Fatalf("AB has %d worklogs, want 23", len(ws))
	}
	seen := map[int64]bool{}
	for _, wl := range ws {
		seen[wl.TimeSpentSeconds] = true
	}
	if len(seen) != 23 {
		t.Errorf("AB's worklogs are not the 23 distinct ones: %v", seen)
	}
}

func TestWorklogRulesRoundTripJSON(t *testing.T) {
	r := worklogRules(func(r *Rules) {
		r.Worklogs.AllowVisibilities = []string{"group:jira-users"}
		r.Worklogs.Attribution = "{author} @ {instance}"
	})
	doc, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseRules(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if !back.Worklogs.Enabled || back.Worklogs.Attribution != "{author} @ {instance}" || len(back.Worklogs.AllowVisibilities) != 1 {
		t.Errorf("worklog rules after a round trip: %+v", back.Worklogs)
	}
}

// The preview says how many worklogs (and how much time) leave, and how many restricted ones stay
// home; copies are not counted.
func TestPreviewMentionsWorklogs(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(worklogRules(nil), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "preview"})
	c := w.human("A", "alice")
	for _, in := range []jira.WorklogInput{
		{Comment: "one", TimeSpentSeconds: 3600},
		{Comment: "two", TimeSpentSeconds: 1801},
		{Comment: "home", TimeSpentSeconds: 60, Visibility: &jira.Visibility{Type: "role", Value: "Developers"}},
	} {
		if _, err := c.AddWorklog(w.ctx, a.Key, in, jira.Estimate{}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := n.e.Preview(w.ctx, n.conns[0].ID, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(res.Notes, "\n")
	for _, want := range []string{"Worklogs: 2 of " + a.Key + " (1h 30m 1s in all) are shared with AB", "Worklogs: 1 restricted worklog(s) of " + a.Key + " stay on A"} {
		if !strings.Contains(notes, want) {
			t.Errorf("preview notes lack %q:\n%s", want, notes)
		}
	}
	settle(t, n)
	res, err = n.e.Preview(w.ctx, n.conns[0].ID, n.peer(a.Key))
	if err != nil {
		t.Fatal(err)
	}
	if notes := strings.Join(res.Notes, "\n"); strings.Contains(notes, "Worklogs:") {
		t.Errorf("the relay issue holds only copies, yet the preview counts them:\n%s", notes)
	}
}

// A worklog logged before its issue was ever synced arrives with the issue, on AB and on B.
func TestWorklogOfANewIssueArrivesWithIt(t *testing.T) {
	w := newSimWorld(t)
	na := w.newNode(worklogRules(nil), nil, [2]string{"A", "AB"})
	nb := w.newNode(worklogRules(nil), nil, [2]string{"B", "AB"})
	settle(t, na, nb)
	a := w.createIssue("A", map[string]any{"summary": "born with work"})
	st := jira.Time{Time: mustTime(t, "2023-01-02T03:04:05.678+0530")}
	if _, err := w.human("A", "alice").AddWorklog(w.ctx, a.Key, jira.WorklogInput{Comment: "before the sync", Started: &st, TimeSpentSeconds: 777}, jira.Estimate{}); err != nil {
		t.Fatal(err)
	}
	settle(t, na, nb)
	ab := na.peer(a.Key)
	b := nb.peer(ab)
	for inst, key := range map[string]string{"AB": ab, "B": b} {
		ws, err := w.human(inst, "admin").Worklogs(w.ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != 1 || ws[0].TimeSpentSeconds != 777 || ws[0].Started.UnixMilli() != st.UnixMilli() || !strings.HasSuffix(ws[0].Comment, "\n\nbefore the sync") {
			t.Errorf("%s %s worklogs: %+v", inst, key, ws)
		}
	}
}

// The author goes through the user map where it maps them: the attribution names the mapped
// user as the target knows them.
func TestWorklogAuthorThroughUserMap(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(worklogRules(func(r *Rules) { r.Users.Map = map[string]string{"bob": "alice"} }), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "mapped"})
	settle(t, n)
	for _, user := range []string{"bob", "admin"} {
		if _, err := w.human("A", user).AddWorklog(w.ctx, a.Key, jira.WorklogInput{Comment: "by " + user, TimeSpentSeconds: 60}, jira.Estimate{}); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, n)
	ws, err := w.human("AB", "admin").Worklogs(w.ctx, n.peer(a.Key))
	if err != nil {
		t.Fatal(err)
	}
	heads := map[string]string{}
	for _, wl := range ws {
		head, content, _ := strings.Cut(wl.Comment, "\n\n")
		heads[content] = head
	}
	if !strings.HasPrefix(heads["by bob"], "_Alice Able logged work on A:_ {anchor:") {
		t.Errorf("bob's worklog is attributed %q, want the mapped user alice", heads["by bob"])
	}
	if !strings.HasPrefix(heads["by admin"], "_Administrator logged work on A:_ {anchor:") {
		t.Errorf("admin's worklog is attributed %q, want their own name", heads["by admin"])
	}
}

// Deleting a connection removes its worklog twins with its other rows (the worklogs stay).
func TestDeleteConnectionRemovesWorklogTwins(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(worklogRules(nil), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "gone connection"})
	if _, err := w.human("A", "alice").AddWorklog(w.ctx, a.Key, jira.WorklogInput{Comment: "stays", TimeSpentSeconds: 60}, jira.Estimate{}); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	var k int64
	n.db.Model(&models.WorklogTwin{}).Count(&k)
	if k != 1 {
		t.Fatalf("%d worklog twins before the delete, want 1", k)
	}
	if _, err := n.e.DeleteConnection(w.ctx, n.conns[0].ID, false); err != nil {
		t.Fatal(err)
	}
	n.db.Model(&models.WorklogTwin{}).Count(&k)
	if k != 0 {
		t.Errorf("%d worklog twins left after the connection was deleted", k)
	}
}

// A source that takes an allowed restriction passes it to its copy; a copy a person restricted
// on its side keeps that restriction when the source's edits arrive.
func TestWorklogVisibilityChanges(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(worklogRules(func(r *Rules) { r.Worklogs.AllowVisibilities = []string{"role:Developers"} }), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "visibility"})
	settle(t, n)
	ab := n.peer(a.Key)
	c := w.human("A", "admin")
	st := jira.Time{Time: mustTime(t, "2024-05-01T10:02:03.004+0000")}
	one, err := c.AddWorklog(w.ctx, a.Key, jira.WorklogInput{Comment: "gets restricted", Started: &st, TimeSpentSeconds: 60}, jira.Estimate{})
	if err != nil {
		t.Fatal(err)
	}
	two, err := c.AddWorklog(w.ctx, a.Key, jira.WorklogInput{Comment: "copy restricted", Started: &st, TimeSpentSeconds: 120}, jira.Estimate{})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	copyOf := func(text string) jira.Worklog {
		t.Helper()
		ws, err := w.human("AB", "admin").Worklogs(w.ctx, ab)
		if err != nil {
			t.Fatal(err)
		}
		for _, wl := range ws {
			if strings.Contains(wl.Comment, text) {
				return wl
			}
		}
		t.Fatalf("no copy of %q on AB: %+v", text, ws)
		return jira.Worklog{}
	}
	devs := &jira.Visibility{Type: "role", Value: "Developers"}
	if _, err := c.ReplaceWorklog(w.ctx, a.Key, one.ID, jira.WorklogEdit{Comment: "gets restricted", Started: st, TimeSpentSeconds: 60, Visibility: devs}, jira.Estimate{}); err != nil {
		t.Fatal(err)
	}
	cp := copyOf("copy restricted")
	if _, err := w.human("AB", "admin").ReplaceWorklog(w.ctx, ab, cp.ID, jira.WorklogEdit{Comment: cp.Comment, Started: cp.Started,
		TimeSpentSeconds: cp.TimeSpentSeconds, Visibility: &jira.Visibility{Type: "role", Value: "Administrators"}}, jira.Estimate{}); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	if got := copyOf("gets restricted"); visKey(got.Visibility) != "role:Developers" {
		t.Errorf("the copy of the restricted source is %+v, want role Developers", got.Visibility)
	}
	if _, err := c.ReplaceWorklog(w.ctx, a.Key, two.ID, jira.WorklogEdit{Comment: "copy restricted, source edited", Started: st, TimeSpentSeconds: 180}, jira.Estimate{}); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	got := copyOf("copy restricted, source edited")
	if got.TimeSpentSeconds != 180 || visKey(got.Visibility) != "role:Administrators" {
		t.Errorf("the copy restricted on AB: %d s, %+v; want the source's edit and its own restriction", got.TimeSpentSeconds, got.Visibility)
	}
	if ws, _ := w.human("A", "admin").Worklogs(w.ctx, a.Key); len(ws) != 2 || visKey(ws[1].Visibility) != "" {
		t.Errorf("A's worklogs after the copy was restricted on AB: %+v", ws)
	}
}

// unrestricted shows the worklogs of one issue as unrestricted (Jira can lift a restriction in
// its UI; the emulator's REST update keeps it), and hides the issue's embedded page so the list
// is what the sync reads.
type unrestricted struct {
	*jira.Client
}

func (u unrestricted) Worklogs(ctx context.Context, idOrKey string) ([]jira.Worklog, error) {
	ws, err := u.Client.Worklogs(ctx, idOrKey)
	for i := range ws {
		ws[i].Visibility = nil
	}
	return ws, err
}

// A source whose allowed restriction is lifted: its copy is posted again unrestricted (Jira keeps
// a restriction that an update leaves out), once, and the twin is then quiet.
func TestWorklogLiftedRestrictionPostsTheCopyAgain(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	h.rules = worklogRules(func(r *Rules) { r.Worklogs.AllowVisibilities = []string{"role:Developers"} })
	st := jira.Time{Time: mustTime(t, "2024-05-01T10:02:03.004+0000")}
	if _, err := f.client("A", "alice").AddWorklog(f.ctx, h.issue["A"].ID, jira.WorklogInput{Comment: "soon public", Started: &st, TimeSpentSeconds: 90,
		Visibility: &jira.Visibility{Type: "role", Value: "Developers"}}, jira.Estimate{}); err != nil {
		t.Fatal(err)
	}
	run := func(lift bool) [2]bool {
		t.Helper()
		p := h.pair()
		if lift {
			p.Local.Jira = unrestricted{p.Local.Jira.(*jira.Client)}
			delete(p.Local.Issue.Fields, "worklog")
		}
		wrote, err := f.eng.syncWorklogs(f.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return wrote
	}
	run(false)
	abWs := func() []jira.Worklog {
		ws, err := f.client("AB", "admin").Worklogs(f.ctx, h.issue["AB"].ID)
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	if ws := abWs(); len(ws) != 1 || visKey(ws[0].Visibility) != "role:Developers" {
		t.Fatalf("the allowed restriction did not travel: %+v", ws)
	}
	before := abWs()[0].ID
	if wrote := run(true); !wrote[1] {
		t.Error("lifting the restriction wrote nothing to AB")
	}
	ws := abWs()
	if len(ws) != 1 || ws[0].ID == before || ws[0].Visibility != nil || ws[0].TimeSpentSeconds != 90 || !strings.HasSuffix(ws[0].Comment, "\n\nsoon public") {
		t.Fatalf("after the lift AB holds %+v, want one new unrestricted copy", ws)
	}
	if wrote := run(true); wrote != [2]bool{} {
		t.Errorf("the twin is not quiet after the lift: wrote %v", wrote)
	}
	var rows []models.WorklogTwin
	f.db.Find(&rows)
	if len(rows) != 1 || rows[0].Visibility != "" || *rows[0].RemoteID != ws[0].ID {
		t.Errorf("worklog twins after the lift: %+v", rows)
	}
}
