package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// chainWorld runs a test over A <-> AB <-> B in the single topology (one node with both
// connections) and the split one (a node per connection).
func chainWorld(t *testing.T, rules Rules, mutate func(*models.Connection), run func(t *testing.T, w *simWorld, nodes []*syncNode)) {
	t.Run("single", func(t *testing.T) {
		w := newSimWorld(t)
		run(t, w, []*syncNode{w.newNode(rules, mutate, [2]string{"A", "AB"}, [2]string{"AB", "B"})})
	})
	t.Run("split", func(t *testing.T) {
		w := newSimWorld(t)
		run(t, w, []*syncNode{w.newNode(rules, mutate, [2]string{"A", "AB"}), w.newNode(rules, mutate, [2]string{"AB", "B"})})
	})
}

// peerAcross follows key through the nodes' twins to its copy on the far end.
func peerAcross(t *testing.T, nodes []*syncNode, key string) string {
	t.Helper()
	var tws []models.Twin
	for _, n := range nodes {
		tws = append(tws, n.twins()...)
	}
	seen := map[string]bool{key: true}
	cur := key
	for range 4 {
		next := ""
		for _, tw := range tws {
			switch {
			case tw.LocalKey == cur && !seen[tw.RemoteKey] && tw.RemoteKey != "":
				next = tw.RemoteKey
			case tw.RemoteKey == cur && !seen[tw.LocalKey] && tw.LocalKey != "":
				next = tw.LocalKey
			}
			if next != "" {
				break
			}
		}
		if next == "" {
			return cur
		}
		seen[next] = true
		cur = next
	}
	return cur
}

func estimateRules() Rules {
	r := testRules()
	r.Fields = append(r.Fields,
		FieldRule{Name: "original", Kind: KindDuration, Local: FieldOriginalEstimate, Remote: FieldOriginalEstimate},
		FieldRule{Name: "remaining", Kind: KindDuration, Local: FieldRemainingEstimate, Remote: FieldRemainingEstimate})
	return r
}

func estimates(t *testing.T, w *simWorld, inst, key string) (orig, remain string) {
	t.Helper()
	is := w.get(inst, key)
	return projectDuration(is.Fields[FieldOriginalEstimate]), projectDuration(is.Fields[FieldRemainingEstimate])
}

func TestSyncEstimatesTravelBothWays(t *testing.T) {
	chainWorld(t, estimateRules(), nil, func(t *testing.T, w *simWorld, nodes []*syncNode) {
		a := w.createIssue("A", map[string]any{"summary": "estimated", "timetracking": map[string]string{"originalEstimate": "1h 30m", "remainingEstimate": "1h"}})
		settle(t, nodes...)
		b := peerAcross(t, nodes, a.Key)
		if !strings.HasPrefix(b, w.project("B")) {
			t.Fatalf("no copy on B: %s", b)
		}
		if o, r := estimates(t, w, "B", b); o != "5400" || r != "3600" {
			t.Fatalf("B estimates %s/%s, want 5400/3600", o, r)
		}
		// Changing only the remaining estimate on B travels back and leaves the original alone.
		w.edit("B", b, map[string]any{"timetracking": map[string]string{"remainingEstimate": "45m"}})
		settle(t, nodes...)
		if o, r := estimates(t, w, "A", a.Key); o != "5400" || r != "2700" {
			t.Fatalf("A estimates %s/%s, want 5400/2700", o, r)
		}
		// The same duration written another way is no change: nothing is written anywhere.
		w.clearLogs()
		w.edit("A", a.Key, map[string]any{"timetracking": map[string]string{"originalEstimate": "90m"}})
		settle(t, nodes...)
		for _, inst := range []string{"AB", "B"} {
			if n := w.writes(inst); n != 0 {
				t.Errorf("%d writes on %s for \"90m\" after \"1h 30m\"", n, inst)
			}
		}
		// Clearing travels too.
		w.edit("A", a.Key, map[string]any{"timetracking": map[string]string{"originalEstimate": "", "remainingEstimate": ""}})
		settle(t, nodes...)
		if o, r := estimates(t, w, "B", b); o != "" || r != "" {
			t.Errorf("B estimates %q/%q after clearing on A", o, r)
		}
	})
}

// Work logged on A with the estimate adjusted (Jira's default) lowers A's remaining estimate;
// that value travels as the remaining estimate field and nothing else moves it on B.
func TestSyncRemainingEstimateDoesNotDriftWithWorklogs(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(estimateRules(), nil, [2]string{"A", "AB"})
	a := w.createIssue("A", map[string]any{"summary": "logged", "timetracking": map[string]string{"originalEstimate": "4h", "remainingEstimate": "4h"}})
	settle(t, n)
	ab := n.peer(a.Key)
	if _, err := w.human("A", "alice").AddWorklog(w.ctx, a.Key, jira.WorklogInput{TimeSpent: "1h"}, jira.Estimate{Adjust: jira.EstimateAuto}); err != nil {
		t.Fatal(err)
	}
	// A copy of that worklog on AB, as the worklog sync makes it (the estimate left alone).
	if _, err := w.human("AB", "airlock").AddWorklog(w.ctx, ab, jira.WorklogInput{TimeSpent: "1h"}, jira.Estimate{Adjust: jira.EstimateLeave}); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	if o, r := estimates(t, w, "AB", ab); o != "14400" || r != "10800" {
		t.Fatalf("AB estimates %s/%s, want 14400/10800", o, r)
	}
	if o, r := estimates(t, w, "A", a.Key); o != "14400" || r != "10800" {
		t.Fatalf("A estimates %s/%s, want 14400/10800", o, r)
	}
	w.clearLogs()
	settle(t, n)
	if n := w.writes("A") + w.writes("AB"); n != 0 {
		t.Errorf("%d writes once settled", n)
	}
}

func TestDurationHelpers(t *testing.T) {
	for in, want := range map[string]string{"5400": "90m", "0": "0m", "": "", "89": "1m"} {
		if got, err := durationInput(in); err != nil || got != want {
			t.Errorf("durationInput(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := durationInput("1h"); err == nil {
		t.Error("durationInput accepts a non-number")
	}
	r := estimateRules()
	in, err := BuildUpdate(map[string]string{"original": "5400"}, models.SideRemote, &r, nil)
	if err != nil {
		t.Fatal(err)
	}
	cur := &jira.Issue{Fields: map[string]json.RawMessage{FieldRemainingEstimate: json.RawMessage("1800")}}
	completeTimeTracking(&in, cur)
	got, _ := json.Marshal(in.Fields)
	if string(got) != `{"timetracking":{"originalEstimate":"90m","remainingEstimate":"30m"}}` {
		t.Errorf("write %s: want both parts", got)
	}
	sent := sentShared(in.Fields, &r, models.SideRemote)
	if sent["original"] != "5400" || sent["remaining"] != "1800" {
		t.Errorf("sent %v", sent)
	}
	bad := estimateRules()
	bad.Fields[len(bad.Fields)-1].Remote = "timetracking"
	if errs := bad.Validate(); len(errs) == 0 {
		t.Error("a duration rule on timetracking validates")
	}
}

func watcherRules() Rules {
	r := testRules()
	r.Fields = append(r.Fields, FieldRule{Name: "watchers", Kind: KindWatchers, Local: fieldWatches, Remote: fieldWatches})
	return r
}

func watcherNames(t *testing.T, w *simWorld, inst, key string) string {
	t.Helper()
	ws, err := w.human(inst, "admin").Watchers(w.ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range ws.Watchers {
		names = append(names, u.Name)
	}
	return encodeSet(names)
}

func TestSyncWatchersOffByDefault(t *testing.T) {
	if watcherRule(&Rules{Fields: DefaultRules().Fields}) != nil {
		t.Fatal("DefaultRules share watchers")
	}
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	a := w.createIssue("A", map[string]any{"summary": "watched"})
	settle(t, n)
	if err := w.human("A", "admin").AddWatcher(w.ctx, a.Key, "bob"); err != nil {
		t.Fatal(err)
	}
	w.edit("A", a.Key, map[string]any{"labels": []string{"touched"}})
	settle(t, n)
	ab := n.peer(a.Key)
	if got := watcherNames(t, w, "AB", ab); strings.Contains(got, "bob") || strings.Contains(got, "alice") {
		t.Errorf("AB watchers %s with watchers off", got)
	}
	for _, e := range w.sim.Instance("AB").Log().Entries() {
		if strings.Contains(e.Path, "/watchers") && e.User == "airlock" {
			t.Errorf("watchers call with watchers off: %s %s", e.Method, e.Path)
		}
	}
}

func TestSyncWatchersTravel(t *testing.T) {
	chainWorld(t, watcherRules(), nil, func(t *testing.T, w *simWorld, nodes []*syncNode) {
		a := w.createIssue("A", map[string]any{"summary": "watched"}) // alice watches it (autowatch)
		settle(t, nodes...)
		b := peerAcross(t, nodes, a.Key)
		if got := watcherNames(t, w, "B", b); got != `["airlock","alice"]` {
			t.Fatalf("B watchers %s, want alice (and the sync user, its creator)", got)
		}
		// Settled means settled: the sync user's own autowatch bounces nowhere.
		w.clearLogs()
		settle(t, nodes...)
		for _, inst := range []string{"A", "AB", "B"} {
			if n := w.writes(inst); n != 0 {
				t.Errorf("%d writes on %s once settled", n, inst)
			}
		}
		if got := watcherNames(t, w, "A", a.Key); got != `["alice"]` {
			t.Errorf("A watchers %s, want only alice", got)
		}
		// A watcher change leaves updated alone in Jira: it travels with the issue's next change.
		if err := w.human("A", "admin").AddWatcher(w.ctx, a.Key, "bob"); err != nil {
			t.Fatal(err)
		}
		w.edit("A", a.Key, map[string]any{"labels": []string{"bob-watches"}})
		settle(t, nodes...)
		if got := watcherNames(t, w, "B", b); got != `["airlock","alice","bob"]` {
			t.Errorf("B watchers %s after bob watched on A", got)
		}
		// Removal travels back from B.
		if err := w.human("B", "admin").RemoveWatcher(w.ctx, b, "alice"); err != nil {
			t.Fatal(err)
		}
		w.edit("B", b, map[string]any{"labels": []string{"alice-left"}})
		settle(t, nodes...)
		if got := watcherNames(t, w, "A", a.Key); got != `["bob"]` {
			t.Errorf("A watchers %s after alice stopped watching on B", got)
		}
	})
}

func TestSyncWatchersThroughTheUserMap(t *testing.T) {
	r := watcherRules()
	r.Users.Map = map[string]string{"bob": "alice"}
	w := newSimWorld(t)
	n := w.newNode(r, nil, [2]string{"A", "AB"})
	a := w.createIssue("A", map[string]any{"summary": "watched"})
	if err := w.human("A", "admin").RemoveWatcher(w.ctx, a.Key, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := w.human("A", "admin").AddWatcher(w.ctx, a.Key, "bob"); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	ab := n.peer(a.Key)
	if got := watcherNames(t, w, "AB", ab); got != `["airlock","alice"]` {
		t.Errorf("AB watchers %s, want alice (bob mapped)", got)
	}
}

// The assignee is a user field through the user map; a relay whose edit screen lacks the
// assignee still gets it, through PUT /issue/{k}/assignee.
func TestSyncAssigneeWithoutEditScreen(t *testing.T) {
	ab := jirasim.DefaultSeed("AB")
	ab.Projects[0].EditScreen = []string{"summary", "description", "labels", "priority", "duedate", "issuetype"}
	w := simWorldOf(t, jirasim.Options{Name: "A"}, jirasim.Options{Name: "AB", Seed: ab})
	r := testRules()
	r.Fields = append(r.Fields, FieldRule{Name: "assignee", Kind: KindUser, Local: fieldAssignee, Remote: fieldAssignee})
	r.Users.Map = map[string]string{"bob": "alice"}
	n := w.newNode(r, nil, [2]string{"A", "AB"})
	a := w.createIssue("A", map[string]any{"summary": "assigned"})
	settle(t, n)
	abKey := n.peer(a.Key)
	w.edit("A", a.Key, map[string]any{"assignee": map[string]string{"name": "bob"}, "summary": "assigned to bob"})
	settle(t, n)
	got := w.get("AB", abKey)
	if s := fieldString(got, "assignee"); !strings.Contains(string(got.Fields["assignee"]), `"alice"`) {
		t.Errorf("AB assignee %s, want alice (bob through the user map)", s)
	}
	if s := fieldString(got, "summary"); s != "assigned to bob" {
		t.Errorf("AB summary %q: the rest of the write was lost", s)
	}
	used := false
	for _, e := range w.sim.Instance("AB").Log().Entries() {
		if e.Method == "PUT" && strings.HasSuffix(e.Path, "/assignee") && e.User == "airlock" {
			used = true
		}
	}
	if !used {
		t.Error("no PUT /assignee on AB: the edit screen test is vacuous")
	}
	// Back: AB's assignee alice lands on A as bob; unassigning travels.
	w.edit("A", a.Key, map[string]any{"assignee": nil})
	settle(t, n)
	if raw := string(w.get("AB", abKey).Fields["assignee"]); raw != "" && raw != "null" {
		t.Errorf("AB assignee %s after unassigning on A", raw)
	}
}

// A watcher the target does not know stays behind and is not taken away from its side.
func TestSyncWatcherUnknownOnTheTargetStaysBehind(t *testing.T) {
	r := watcherRules()
	r.Users.Map = map[string]string{"bob": "ghost"}
	w := newSimWorld(t)
	n := w.newNode(r, nil, [2]string{"A", "AB"})
	a := w.createIssue("A", map[string]any{"summary": "watched"})
	if err := w.human("A", "admin").AddWatcher(w.ctx, a.Key, "bob"); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	ab := n.peer(a.Key)
	if got := watcherNames(t, w, "AB", ab); got != `["airlock","alice"]` {
		t.Errorf("AB watchers %s", got)
	}
	w.edit("AB", ab, map[string]any{"labels": []string{"relay-edit"}})
	settle(t, n)
	if got := watcherNames(t, w, "A", a.Key); got != `["alice","bob"]` {
		t.Errorf("A watchers %s: bob was taken away", got)
	}
	w.clearLogs()
	settle(t, n)
	if got := w.writes("A") + w.writes("AB"); got != 0 {
		t.Errorf("%d writes once settled", got)
	}
}

// fakeAssignJira refuses the assignee in PUT fields with the given message.
type fakeAssignJira struct {
	Jira
	refusal string
	calls   []string
}

func (f *fakeAssignJira) UpdateIssue(_ context.Context, id string, in jira.IssueInput, _ jira.UpdateOptions) error {
	if _, ok := in.Fields["assignee"]; ok {
		f.calls = append(f.calls, "PUT fields with assignee")
		return &jira.Error{Status: 400, Errors: map[string]string{"assignee": f.refusal}}
	}
	f.calls = append(f.calls, "PUT fields")
	return nil
}

func (f *fakeAssignJira) Assign(_ context.Context, id, name string) error {
	f.calls = append(f.calls, "PUT assignee "+name)
	return nil
}

func TestAssigneeFallbackOnlyForTheScreen(t *testing.T) {
	e := &Engine{}
	in := jira.IssueInput{Fields: map[string]any{"assignee": map[string]string{"name": "bob"}, "summary": "s"}}
	for refusal, want := range map[string]string{
		"Field 'assignee' cannot be set. It is not on the appropriate screen, or unknown.": "PUT fields with assignee,PUT fields,PUT assignee bob",
		"User 'bob' does not exist.": "PUT fields with assignee",
	} {
		f := &fakeAssignJira{refusal: refusal}
		err := e.updateIssue(context.Background(), &Side{Name: models.SideRemote, Jira: f, Issue: &jira.Issue{ID: "1", Key: "R-1"}}, in, jira.UpdateOptions{})
		if got := strings.Join(f.calls, ","); got != want {
			t.Errorf("%q: calls %s, want %s", refusal, got, want)
		}
		if (err != nil) != strings.Contains(refusal, "exist") {
			t.Errorf("%q: err %v", refusal, err)
		}
	}
}
