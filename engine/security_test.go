package engine

import (
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// securityWorld is A, AB and B where A has Staff (the sync user is in it), Management (it is
// not) and Legal (it is); AB has Partners (it is); B has Staff and Management.
func securityWorld(t *testing.T) *simWorld {
	t.Helper()
	a := jirasim.DefaultSeed("A")
	a.Projects[0].SecurityLevels = append(a.Projects[0].SecurityLevels,
		jirasim.SeedSecurityLevel{ID: "10102", Name: "Legal", Users: []string{"admin", "airlock", "alice"}})
	ab := jirasim.DefaultSeed("AB")
	ab.Projects[0].SecurityLevels = []jirasim.SeedSecurityLevel{{ID: "10200", Name: "Partners", Users: []string{"admin", "airlock", "alice"}}}
	return simWorldOf(t, jirasim.Options{Name: "A", Seed: a}, jirasim.Options{Name: "AB", Seed: ab}, jirasim.Options{Name: "B"})
}

// mentions lists the requests of inst whose path, query or body names any of the words.
func mentions(w *simWorld, inst string, words ...string) []string {
	var out []string
	for _, e := range w.sim.Instance(inst).Log().Entries() {
		for _, s := range words {
			if s != "" && (strings.Contains(e.Path, s) || strings.Contains(e.Query, s) || strings.Contains(e.Body, s)) {
				out = append(out, e.Method+" "+e.Path+" "+e.Body)
				break
			}
		}
	}
	return out
}

func level(name string) map[string]string { return map[string]string{"name": name} }

func TestSecurityLevelIssueNeverLeaves(t *testing.T) {
	w := securityWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	w.clearLogs()
	secret := w.createIssue("A", map[string]any{"summary": "staff only secret", "security": level("Staff")})
	hidden := w.createIssue("A", map[string]any{"summary": "management only secret", "security": level("Management")})
	open := w.createIssue("A", map[string]any{"summary": "open issue"})
	settle(t, n)
	if got := mentions(w, "AB", secret.Key, secret.ID, "staff only secret", hidden.Key, "management only secret"); len(got) > 0 {
		t.Errorf("AB heard of the secured issues: %v", got)
	}
	for _, k := range []string{secret.Key, hidden.Key} {
		var c int64
		n.db.Model(&models.Twin{}).Where("local_key = ?", k).Count(&c)
		if c != 0 {
			t.Errorf("%s has a twin", k)
		}
	}
	if n.peer(open.Key) == "" {
		t.Fatal("the open issue did not travel")
	}
	// A create of a pending twin whose issue got its level meanwhile (as a bulk sync makes
	// them) makes no copy either.
	pend := w.createIssue("A", map[string]any{"summary": "pending then secured"})
	if _, err := n.e.Poll(w.ctx, n.conns[0].ID, models.SideLocal); err != nil {
		t.Fatal(err)
	}
	w.edit("A", pend.Key, map[string]any{"security": level("Legal")})
	tw := n.twinOf(pend.Key)
	if err := n.e.Reconcile(w.ctx, tw.ID); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	if got := mentions(w, "AB", pend.Key, "pending then secured"); len(got) > 0 {
		t.Errorf("AB heard of the pending secured issue: %v", got)
	}
	home, err := n.e.SecurityKeptHome(w.ctx, n.conns[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	// The Management issue is invisible to the sync user: it counts nowhere.
	if home.Local != 2 || home.Remote != 0 || strings.Join(home.Levels, ",") != "local: Legal,local: Staff" {
		t.Errorf("kept home %+v, want 2 local (Legal, Staff)", home)
	}
	// Without the level the issue travels.
	w.edit("A", secret.Key, map[string]any{"security": nil, "summary": "no longer secret"})
	settle(t, n)
	if n.peer(secret.Key) == "" {
		t.Error("the issue did not travel once its level was removed")
	}
}

func TestSecurityLevelSetWithdrawsTwin(t *testing.T) {
	chainWorld(t, testRules(), func(c *models.Connection) { c.DeletionPolicy = models.DeleteTwin }, func(t *testing.T, w *simWorld, nodes []*syncNode) {
		a := w.createIssue("A", map[string]any{"summary": "shared at first"})
		settle(t, nodes...)
		b := peerAcross(t, nodes, a.Key)
		if !strings.HasPrefix(b, w.project("B")) {
			t.Fatalf("the issue did not reach B: %s", b)
		}
		ab := nodes[0].peer(a.Key)
		w.edit("A", a.Key, map[string]any{"security": level("Staff"), "summary": "secret now"})
		settle(t, nodes...)
		if len(nodes) == 2 {
			// Node B notices the relay issue is gone at its next reconcile of the twin, as for any
			// deletion through the relay.
			if _, err := nodes[1].e.Resync(w.ctx, nodes[1].twinOf(b).ID); err != nil {
				t.Fatal(err)
			}
			settle(t, nodes...)
		}
		for inst, key := range map[string]string{"AB": ab, "B": b} {
			if _, err := w.human(inst, "admin").GetIssue(w.ctx, key, jira.GetIssueOptions{}); !jira.IsNotFound(err) {
				t.Errorf("%s %s: %v, want withdrawn", inst, key, err)
			}
		}
		if got := mentions(w, "AB", "secret now"); len(got) > 0 {
			t.Errorf("the edit made with the level reached AB: %v", got)
		}
		tw := nodes[0].twinOf(a.Key)
		if tw.State != models.TwinUnlinked || !Withdrawn(tw.LastError) {
			t.Errorf("twin %s %q, want unlinked, withdrawn", tw.State, tw.LastError)
		}
		// Nothing is sent after that.
		w.clearLogs()
		w.edit("A", a.Key, map[string]any{"summary": "secret and edited"})
		settle(t, nodes...)
		if got := mentions(w, "AB", a.Key, a.ID, "secret"); len(got) > 0 || w.writes("AB") != 0 {
			t.Errorf("AB got %d writes after the withdrawal: %v", w.writes("AB"), got)
		}
	})
}

func TestSecurityLevelWithdrawalFollowsPolicy(t *testing.T) {
	for _, policy := range []string{models.DeleteIgnore, models.DeleteUnlink} {
		t.Run(policy, func(t *testing.T) {
			w := securityWorld(t)
			n := w.newNode(testRules(), func(c *models.Connection) { c.DeletionPolicy = policy }, [2]string{"A", "AB"})
			a := w.createIssue("A", map[string]any{"summary": "shared at first"})
			settle(t, n)
			ab := n.peer(a.Key)
			w.edit("A", a.Key, map[string]any{"security": level("Legal")})
			settle(t, n)
			tw := n.twinOf(a.Key)
			if !Withdrawn(tw.LastError) {
				t.Errorf("twin %q, want withdrawn", tw.LastError)
			}
			raw, _ := w.human("AB", "admin").GetProperty(w.ctx, ab, TwinProperty)
			switch policy {
			case models.DeleteIgnore:
				if tw.State != models.TwinActive || !strings.Contains(string(raw), tw.SyncID) {
					t.Errorf("ignore: %s, property %s", tw.State, raw)
				}
			case models.DeleteUnlink:
				if tw.State != models.TwinUnlinked || strings.Contains(string(raw), tw.SyncID) {
					t.Errorf("unlink: %s, property %s", tw.State, raw)
				}
			}
			w.clearLogs()
			w.edit("A", a.Key, map[string]any{"summary": "edited behind the level"})
			w.edit("AB", ab, map[string]any{"summary": "edited on the relay"})
			settle(t, n)
			if got := w.writes("AB") + w.writes("A"); got != 0 {
				t.Errorf("%d writes after the withdrawal", got)
			}
			if s := fieldString(w.get("AB", ab), "summary"); s != "edited on the relay" {
				t.Errorf("AB summary %q", s)
			}
			if s := fieldString(w.get("A", a.Key), "summary"); s != "edited behind the level" {
				t.Errorf("A summary %q", s)
			}
		})
	}
}

// A level the sync user is outside of hides the issue (404): the deletion policy applies.
func TestSecurityLevelHidingTheIssueWithdraws(t *testing.T) {
	w := securityWorld(t)
	n := w.newNode(testRules(), func(c *models.Connection) { c.DeletionPolicy = models.DeleteTwin }, [2]string{"A", "AB"})
	a := w.createIssue("A", map[string]any{"summary": "shared at first"})
	settle(t, n)
	ab := n.peer(a.Key)
	w.edit("A", a.Key, map[string]any{"security": level("Management")})
	if _, err := n.e.Resync(w.ctx, n.twinOf(a.Key).ID); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	if _, err := w.human("AB", "admin").GetIssue(w.ctx, ab, jira.GetIssueOptions{}); !jira.IsNotFound(err) {
		t.Errorf("AB %s: %v, want deleted", ab, err)
	}
	if tw := n.twinOf(a.Key); tw.State != models.TwinUnlinked || !strings.Contains(tw.LastError, "hidden from the sync user by a security level") {
		t.Errorf("twin %s %q", tw.State, tw.LastError)
	}
}

func TestSecurityLevelMapCarriesTheLevel(t *testing.T) {
	mapped := func(m map[string]string) Rules {
		r := testRules()
		r.Security.Levels = m
		return r
	}
	w := securityWorld(t)
	na := w.newNode(mapped(map[string]string{"Staff": "Partners"}), nil, [2]string{"A", "AB"})
	nb := w.newNode(mapped(map[string]string{"Partners": "Staff"}), nil, [2]string{"AB", "B"})
	nodes := []*syncNode{na, nb}
	a := w.createIssue("A", map[string]any{"summary": "staff travels", "security": level("Staff")})
	legal := w.createIssue("A", map[string]any{"summary": "legal stays", "security": level("Legal")})
	settle(t, nodes...)
	b := peerAcross(t, nodes, a.Key)
	if !strings.HasPrefix(b, w.project("B")) {
		t.Fatalf("the mapped issue did not reach B: %s", b)
	}
	if lv := securityLevel(w.get("AB", na.peer(a.Key))); lv != "Partners" {
		t.Errorf("AB level %q, want Partners", lv)
	}
	if lv := securityLevel(w.get("B", b)); lv != "Staff" {
		t.Errorf("B level %q, want Staff", lv)
	}
	if got := mentions(w, "AB", legal.Key, "legal stays"); len(got) > 0 {
		t.Errorf("an unmapped level reached AB: %v", got)
	}
	// Removing the level on B travels back.
	w.edit("B", b, map[string]any{"security": nil})
	settle(t, nodes...)
	if lv := securityLevel(w.get("A", a.Key)); lv != "" {
		t.Errorf("A level %q after B removed it", lv)
	}
	// A level in no map set on B withdraws the twin from B's side (unmapped on AB-B's remote).
	w.clearLogs()
	w.edit("B", b, map[string]any{"security": level("Management")})
	if _, err := nb.e.Resync(w.ctx, nb.twinOf(b).ID); err != nil {
		t.Fatal(err)
	}
	settle(t, nodes...)
	if tw := nb.twinOf(b); tw.State != models.TwinActive || !strings.Contains(tw.LastError, "deleted") && !Withdrawn(tw.LastError) {
		t.Errorf("twin on node B %s %q", tw.State, tw.LastError)
	}
	if n := w.writes("AB"); n != 0 {
		t.Errorf("%d writes on AB after B hid the issue", n)
	}
	r := mapped(map[string]string{"Staff": ""})
	if errs := r.Validate(); len(errs) == 0 {
		t.Error("a level map entry without a remote level validates")
	}
}

func TestSecurityLevelPreviewSaysItStaysHome(t *testing.T) {
	w := securityWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	a := w.createIssue("A", map[string]any{"summary": "staff only", "security": level("Staff")})
	w.clearLogs()
	res, err := n.e.Preview(w.ctx, n.conns[0].ID, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Writes) != 0 || len(res.Notes) == 0 || !strings.Contains(res.Notes[len(res.Notes)-1], `stays home: security level "Staff"`) {
		t.Errorf("preview writes %d, notes %q", len(res.Writes), res.Notes)
	}
	if got := mentions(w, "AB", a.Key, "staff only"); len(got) > 0 {
		t.Errorf("the preview told AB about it: %v", got)
	}
	// With the level mapped the preview shows the create, carrying the mapped level.
	r := testRules()
	r.Security.Levels = map[string]string{"Staff": "Partners"}
	doc, _ := jsonMarshal(r)
	n.db.Model(&models.Connection{}).Where("id = ?", n.conns[0].ID).Update("rules", doc)
	res, err = n.e.Preview(w.ctx, n.conns[0].ID, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Writes) != 1 || !res.Writes[0].Create || !strings.Contains(res.Writes[0].Payload, `"id": "10200"`) {
		t.Errorf("mapped preview %+v", res.Writes)
	}
}

func TestSecurityWithdrawalIsAnEvent(t *testing.T) {
	w := securityWorld(t)
	n := w.newNode(testRules(), func(c *models.Connection) { c.DeletionPolicy = models.DeleteIgnore }, [2]string{"A", "AB"})
	a := w.createIssue("A", map[string]any{"summary": "shared at first"})
	settle(t, n)
	w.edit("A", a.Key, map[string]any{"security": level("Staff")})
	settle(t, n)
	w.edit("A", a.Key, map[string]any{"summary": "again"})
	settle(t, n)
	var evs []models.Event
	n.db.Where("kind = ? AND field = ?", "delete", "security").Find(&evs)
	if len(evs) != 1 || !Withdrawn(evs[0].NewValue) || evs[0].OldValue != a.Key {
		t.Errorf("events %+v, want one withdrawal of %s", evs, a.Key)
	}
}
