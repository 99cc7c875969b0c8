package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

func TestSyncCreateEditBothWaysNoPingPong(t *testing.T) {
	w := newSimWorld(t)
	for _, name := range []string{"A", "AB"} {
		w.sim.Instance(name).Knobs().SetNormalize(true)
	}
	rules := testRules()
	rules.Fields[3].Values = map[string]string{"High": "Highest"} // priority
	rules.Fields = append(rules.Fields, FieldRule{Name: "ref", Kind: KindText, Local: "customfield_10100", Remote: "customfield_10100"},
		FieldRule{Name: "points", Kind: KindNumber, Local: "customfield_10101", Remote: "customfield_10101"},
		FieldRule{Name: "platforms", Kind: KindMultiSelect, Local: "customfield_10103", Remote: "customfield_10103"},
		FieldRule{Name: "assignee", Kind: KindUser, Local: "assignee", Remote: "assignee"},
		FieldRule{Name: "components", Kind: KindComponents, Local: "components", Remote: "components"})
	n := w.newNode(rules, nil, [2]string{"A", "AB"})
	settle(t, n)

	a := w.createIssue("A", map[string]any{"summary": "  Printer on fire  ", "description": "It *burns*", "labels": []string{"zeta", "alpha"},
		"priority": map[string]string{"name": "High"}, "duedate": "2024-06-01", "customfield_10100": "REF-1", "customfield_10101": 3.5,
		"customfield_10103": []map[string]string{{"value": "Linux"}}, "assignee": map[string]string{"name": "bob"},
		"components": []map[string]string{{"name": "Docs"}}})
	settle(t, n)
	abKey := n.peer(a.Key)
	ab := w.get("AB", abKey)
	checks := map[string]string{"summary": "Printer on fire", "description": "It *burns*", "priority": "Highest", "duedate": "2024-06-01",
		"customfield_10100": "REF-1", "assignee": "bob"}
	for f, want := range checks {
		if got := fieldString(ab, f); got != want {
			t.Errorf("AB %s = %q, want %q", f, got, want)
		}
	}
	if ls, _ := ab.Labels(); strings.Join(ls, ",") != "alpha,zeta" {
		t.Errorf("AB labels = %v", ls)
	}
	if got := string(ab.Fields["customfield_10101"]); got != "3.5" {
		t.Errorf("AB points = %s", got)
	}

	// Edit on AB comes back to A, with the priority mapped back.
	w.edit("AB", abKey, map[string]any{"summary": "Printer fixed", "priority": map[string]string{"name": "Highest"}, "labels": []string{"beta"}})
	settle(t, n)
	got := w.get("A", a.Key)
	if fieldString(got, "summary") != "Printer fixed" || fieldString(got, "priority") != "High" {
		t.Errorf("A after AB edit: summary %q priority %q", fieldString(got, "summary"), fieldString(got, "priority"))
	}
	if ls, _ := got.Labels(); strings.Join(ls, ",") != "beta" {
		t.Errorf("A labels = %v", ls)
	}

	// Both sides edit different fields: both travel.
	w.edit("A", a.Key, map[string]any{"description": "from A"})
	w.edit("AB", abKey, map[string]any{"duedate": "2025-01-01"})
	settle(t, n)
	if got := w.get("AB", abKey); fieldString(got, "description") != "from A" || fieldString(got, "duedate") != "2025-01-01" {
		t.Errorf("AB = %q %q", fieldString(got, "description"), fieldString(got, "duedate"))
	}
	if got := w.get("A", a.Key); fieldString(got, "description") != "from A" || fieldString(got, "duedate") != "2025-01-01" {
		t.Errorf("A = %q %q", fieldString(got, "description"), fieldString(got, "duedate"))
	}

	// Steady state: polls find only our own echoes and nothing is written.
	w.clearLogs()
	settle(t, n)
	if wa, wab := w.writes("A"), w.writes("AB"); wa+wab != 0 {
		t.Errorf("steady state wrote %d on A and %d on AB", wa, wab)
	}
	if len(w.issues("AB")) != 1 || len(w.issues("A")) != 1 {
		t.Errorf("issues: A %d, AB %d", len(w.issues("A")), len(w.issues("AB")))
	}
	var evs int64
	n.db.Model(&models.Event{}).Where("kind = ?", "create").Count(&evs)
	if evs != 1 {
		t.Errorf("create events = %d", evs)
	}
}

func TestSyncConflictPolicies(t *testing.T) {
	for _, policy := range []string{models.PolicyNewestWins, models.PolicyLocalWins, models.PolicyRemoteWins, models.PolicyManual} {
		t.Run(policy, func(t *testing.T) {
			w := newSimWorld(t)
			n := w.newNode(testRules(), func(c *models.Connection) { c.ConflictPolicy = policy }, [2]string{"A", "AB"})
			settle(t, n)
			a := w.createIssue("A", map[string]any{"summary": "base", "description": "d0"})
			settle(t, n)
			abKey := n.peer(a.Key)
			w.edit("A", a.Key, map[string]any{"summary": "from A"})
			time.Sleep(5 * time.Millisecond)                                               // Jira's updated has millisecond precision; a tie goes to local
			w.edit("AB", abKey, map[string]any{"summary": "from AB", "description": "d1"}) // AB is newer
			settle(t, n)
			sa, sab := fieldString(w.get("A", a.Key), "summary"), fieldString(w.get("AB", abKey), "summary")
			want := map[string][2]string{models.PolicyNewestWins: {"from AB", "from AB"}, models.PolicyLocalWins: {"from A", "from A"},
				models.PolicyRemoteWins: {"from AB", "from AB"}, models.PolicyManual: {"from A", "from AB"}}[policy]
			if sa != want[0] || sab != want[1] {
				t.Errorf("summary A %q AB %q, want %v", sa, sab, want)
			}
			if d := fieldString(w.get("A", a.Key), "description"); d != "d1" {
				t.Errorf("the other field did not sync: %q", d)
			}
			var cs []models.Conflict
			n.db.Find(&cs)
			if policy != models.PolicyManual {
				if len(cs) != 0 {
					t.Errorf("conflicts %+v", cs)
				}
				return
			}
			if len(cs) != 1 || cs[0].Field != "summary" || cs[0].LocalValue != "from A" || cs[0].RemoteValue != "from AB" {
				t.Fatalf("conflicts %+v", cs)
			}
			// Held: further rounds do not touch it, nor record it twice.
			w.edit("AB", abKey, map[string]any{"description": "d2"})
			settle(t, n)
			n.db.Find(&cs)
			if len(cs) != 1 || fieldString(w.get("A", a.Key), "summary") != "from A" || fieldString(w.get("A", a.Key), "description") != "d2" {
				t.Fatalf("held field moved or conflict repeated: %+v", cs)
			}
			// The decision is applied to both sides.
			n.db.Model(&cs[0]).Updates(map[string]any{"decision": "edited", "value": "agreed"})
			n.db.Model(&models.Twin{}).Where("id = ?", cs[0].TwinID).Update("dirty", true)
			settle(t, n)
			if sa, sab := fieldString(w.get("A", a.Key), "summary"), fieldString(w.get("AB", abKey), "summary"); sa != "agreed" || sab != "agreed" {
				t.Errorf("after decision A %q AB %q", sa, sab)
			}
		})
	}
}

func TestSyncStatusTwoStepPathAndResolution(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "flow"})
	settle(t, n)
	abKey := n.peer(a.Key)
	hum := w.human("A", "alice")
	move := func(key, transition string, fields map[string]any) {
		t.Helper()
		if err := hum.DoTransition(w.ctx, key, jira.TransitionInput{ID: transition, Fields: fields}); err != nil {
			t.Fatal(err)
		}
	}
	move(a.Key, "31", map[string]any{"resolution": map[string]string{"name": "Won't Do"}}) // To Do -> Done
	settle(t, n)
	ab := w.get("AB", abKey)
	if statusOf(ab) != "Done" {
		t.Fatalf("AB status %q", statusOf(ab))
	}
	if r, _ := ab.Resolution(); r == nil || r.Name != "Won't Do" {
		t.Errorf("AB resolution %+v, want Won't Do", r)
	}
	move(a.Key, "21", nil) // Done -> To Do
	move(a.Key, "11", nil) // To Do -> In Progress
	settle(t, n)
	if s := statusOf(w.get("AB", abKey)); s != "In Progress" {
		t.Errorf("AB status %q after a two-step path", s)
	}
	// The path Done -> In Progress is remembered: a second issue plans it without exploring.
	a2 := w.createIssue("A", map[string]any{"summary": "flow 2"})
	settle(t, n)
	move(a2.Key, "31", nil)
	settle(t, n)
	move(a2.Key, "21", nil)
	move(a2.Key, "11", nil)
	settle(t, n)
	if s := statusOf(w.get("AB", n.peer(a2.Key))); s != "In Progress" {
		t.Errorf("second issue status %q", s)
	}
}

func TestSyncUserMapping(t *testing.T) {
	w := newSimWorld(t)
	if err := w.sim.Instance("A").CreateUser(jirasimUser("carol", "carol@a.example", "Carol Only-On-A")); err != nil {
		t.Fatal(err)
	}
	if err := w.sim.Instance("A").CreateUser(jirasimUser("dave", "dave@example.com", "Dave A")); err != nil {
		t.Fatal(err)
	}
	if err := w.sim.Instance("AB").CreateUser(jirasimUser("dave.ab", "dave@example.com", "Dave AB")); err != nil {
		t.Fatal(err)
	}
	rules := testRules()
	rules.Users = UserMap{Map: map[string]string{"alice": "bob"}, ByName: true, ByEmail: true, DefaultRemote: "admin"}
	rules.Fields = append(rules.Fields, FieldRule{Name: "assignee", Kind: KindUser, Local: "assignee", Remote: "assignee"},
		FieldRule{Name: "reviewer", Kind: KindUser, Local: "customfield_10105", Remote: "customfield_10105"})
	n := w.newNode(rules, nil, [2]string{"A", "AB"})
	settle(t, n)
	tests := []struct{ assignee, want string }{
		{"alice", "bob"},       // explicit map
		{"dave", "dave.ab"},    // by e-mail
		{"carol", "admin"},     // default user
		{"airlock", "airlock"}, // by name
	}
	for _, tc := range tests {
		a := w.createIssue("A", map[string]any{"summary": "user " + tc.assignee, "assignee": map[string]string{"name": tc.assignee},
			"customfield_10105": map[string]string{"name": tc.assignee}})
		settle(t, n)
		ab := w.get("AB", n.peer(a.Key))
		if got := fieldString(ab, "assignee"); got != tc.want {
			t.Errorf("%s -> %q, want %q", tc.assignee, got, tc.want)
		}
		if got := fieldString(ab, "customfield_10105"); got != tc.want {
			t.Errorf("reviewer %s -> %q, want %q", tc.assignee, got, tc.want)
		}
	}
	var ev models.Event
	if n.db.Where("kind = ? AND old_value = ?", "user", "Carol Only-On-A").Limit(1).Find(&ev).RowsAffected == 0 {
		t.Error("no event keeps the original display name of the replaced user")
	}
	// Back: bob on AB is alice on A.
	ab := n.peer(w.issues("A")[0].Key)
	w.edit("AB", ab, map[string]any{"assignee": map[string]string{"name": "bob"}, "summary": "touched"})
	settle(t, n)
	if got := fieldString(w.get("A", w.issues("A")[0].Key), "assignee"); got != "alice" {
		t.Errorf("bob on AB -> %q on A, want alice", got)
	}
}

func TestSyncBadTwinQuarantinedOthersSync(t *testing.T) {
	w := newSimWorld(t)
	rules := testRules()
	rules.Fields = append(rules.Fields, FieldRule{Name: "severity", Kind: KindSelect, Local: "customfield_10102", Remote: "customfield_10102",
		Values: map[string]string{"S1 - Critical": "S0 - Apocalyptic"}})
	n := w.newNode(rules, nil, [2]string{"A", "AB"})
	settle(t, n)
	good := w.createIssue("A", map[string]any{"summary": "good"})
	settle(t, n)
	bad := w.createIssue("A", map[string]any{"summary": "bad", "customfield_10102": map[string]string{"value": "S1 - Critical"}})
	n.expect = func(err error) bool { return ClassOf(err) == models.ClassData }
	settle(t, n)
	n.expect = nil
	tw := n.twinOf(bad.Key)
	if tw.State != models.TwinQuarantined || tw.LastError == "" {
		t.Fatalf("bad twin state %s error %q", tw.State, tw.LastError)
	}
	w.edit("A", good.Key, map[string]any{"summary": "good, edited"})
	settle(t, n)
	if s := fieldString(w.get("AB", n.peer(good.Key)), "summary"); s != "good, edited" {
		t.Errorf("the good twin is blocked: %q", s)
	}
	// Fix the mapping and retry: the twin syncs.
	rules.Fields[len(rules.Fields)-1].Values = nil
	rj, _ := jsonMarshal(rules)
	n.db.Model(&models.Connection{}).Where("id = ?", n.conns[0].ID).Update("rules", rj)
	res, err := n.e.Retry(w.ctx, RetryFilter{TwinID: tw.ID})
	if err != nil || res.Retried != 1 {
		t.Fatalf("retry %+v %v", res, err)
	}
	settle(t, n)
	if tw := n.twinOf(bad.Key); tw.State != models.TwinActive || tw.RemoteKey == "" {
		t.Errorf("after retry: %s %q", tw.State, tw.LastError)
	}
}

func TestSyncCreateCrashIsIdempotent(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	crashes := 0
	n.e.Hooks = &Hooks{AfterCreate: func(side string, c *jira.CreatedIssue) error {
		crashes++
		return errors.New("crash between Jira's create and our commit")
	}}
	a := w.createIssue("A", map[string]any{"summary": "once"})
	n.pollAll()
	n.expect = func(err error) bool { return strings.Contains(err.Error(), "crash between") }
	n.reconcileDirty()
	n.expect = nil
	if crashes != 1 || len(w.issues("AB")) != 1 {
		t.Fatalf("crashes %d, AB issues %d", crashes, len(w.issues("AB")))
	}
	n.e.Hooks = nil
	n.reconcileDirty() // the retried create finds the issue instead of making another
	settle(t, n)
	if got := len(w.issues("AB")); got != 1 {
		t.Fatalf("AB has %d issues, want exactly 1", got)
	}
	tw := n.twinOf(a.Key)
	if tw.State != models.TwinActive || tw.RemoteKey != w.issues("AB")[0].Key {
		t.Errorf("twin %+v", tw)
	}
	// Both issues carry the link.
	for inst, key := range map[string]string{"A": a.Key, "AB": tw.RemoteKey} {
		raw, err := w.human(inst, "admin").GetProperty(w.ctx, key, TwinProperty)
		if err != nil || !strings.Contains(string(raw), tw.SyncID) {
			t.Errorf("%s property %s %v", inst, raw, err)
		}
	}
}

func TestSyncEchoSkippedByPoll(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "echo"})
	settle(t, n)
	w.edit("A", a.Key, map[string]any{"summary": "echo 2"})
	if d := n.pollAll(); d != 1 {
		t.Fatalf("poll marked %d dirty, want 1", d)
	}
	n.reconcileDirty()
	if d := n.pollAll(); d != 0 {
		t.Errorf("our own write came back as %d dirty twins", d)
	}
}
