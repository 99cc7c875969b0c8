package engine

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// linkWorld is A and B synced through the relay AB with issue links on, in the split topology
// (one node per zone) or the single one (one node runs both connections).
type linkWorld struct {
	*simWorld
	nodes []*syncNode
	nodeA *syncNode // holds the A-AB connection
	nodeB *syncNode // holds the B-AB connection
}

func newLinkWorld(t *testing.T, split bool, adjust func(conn string, r *Rules), mutate func(*models.Connection)) *linkWorld {
	t.Helper()
	w := &linkWorld{simWorld: newSimWorld(t)}
	rulesFor := func(conn string) Rules {
		r := testRules()
		r.Links.Enabled = true
		if adjust != nil {
			adjust(conn, &r)
		}
		return r
	}
	if split {
		w.nodeA = w.newNode(rulesFor("A-AB"), mutate, [2]string{"A", "AB"})
		w.nodeB = w.newNode(rulesFor("B-AB"), mutate, [2]string{"B", "AB"})
		w.nodes = []*syncNode{w.nodeA, w.nodeB}
		return w
	}
	w.nodeA = w.newNode(testRules(), mutate, [2]string{"A", "AB"}, [2]string{"B", "AB"})
	for _, c := range w.nodeA.conns {
		doc, _ := json.Marshal(rulesFor(c.Name))
		if err := w.nodeA.db.Model(c).Update("rules", string(doc)).Error; err != nil {
			t.Fatal(err)
		}
	}
	w.nodeB = w.nodeA
	w.nodes = []*syncNode{w.nodeA}
	return w
}

func (w *linkWorld) settle() { w.t.Helper(); settle(w.t, w.nodes...) }

// peers returns the AB and B issues of A's issue key.
func (w *linkWorld) peers(key string) (ab, b string) {
	w.t.Helper()
	ab = w.nodeA.peer(key)
	var tw models.Twin
	if w.nodeB.db.Where("remote_key = ? AND local_key <> ?", ab, key).Limit(1).Find(&tw).RowsAffected > 0 {
		b = tw.LocalKey
	}
	if ab == "" || b == "" {
		w.t.Fatalf("%s did not reach AB (%q) and B (%q)", key, ab, b)
	}
	return ab, b
}

// makeLink makes "from <type's outward> to" as alice.
func (w *simWorld) makeLink(inst, from, typ, to string) {
	w.t.Helper()
	if err := w.human(inst, "alice").CreateIssueLink(w.ctx, jira.IssueLinkInput{Type: jira.IssueLinkType{Name: typ},
		InwardIssue: jira.IssueRefInput{Key: from}, OutwardIssue: jira.IssueRefInput{Key: to}}); err != nil {
		w.t.Fatal(err)
	}
}

// linkList lists an issue's links as "type>OTHER" (this issue is the source) or "type<OTHER".
func (w *simWorld) linkList(inst, key string) []string {
	w.t.Helper()
	is, err := w.human(inst, "admin").GetIssue(w.ctx, key, jira.GetIssueOptions{Fields: []string{"issuelinks"}})
	if err != nil {
		w.t.Fatal(err)
	}
	ls, _ := is.IssueLinks()
	var out []string
	for _, l := range ls {
		if l.OutwardIssue != nil {
			out = append(out, l.Type.Name+">"+l.OutwardIssue.Key)
		} else if l.InwardIssue != nil {
			out = append(out, l.Type.Name+"<"+l.InwardIssue.Key)
		}
	}
	return out
}

// linkIDOn returns the id of the link of type typ from -> to, seen on from.
func (w *simWorld) linkIDOn(inst, from, typ, to string) string {
	w.t.Helper()
	is, err := w.human(inst, "admin").GetIssue(w.ctx, from, jira.GetIssueOptions{Fields: []string{"issuelinks"}})
	if err != nil {
		w.t.Fatal(err)
	}
	ls, _ := is.IssueLinks()
	for _, l := range ls {
		if l.OutwardIssue != nil && l.OutwardIssue.Key == to && l.Type.Name == typ {
			return l.ID
		}
	}
	w.t.Fatalf("no %s link %s -> %s on %s", typ, from, to, inst)
	return ""
}

// wantLinks fails unless the issue's links are exactly want (in any order).
func (w *simWorld) wantLinks(inst, key string, want ...string) {
	w.t.Helper()
	got := w.linkList(inst, key)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		w.t.Errorf("links of %s %s = %v, want %v", inst, key, got, want)
	}
}

func linkRows(n *syncNode) []models.LinkTwin {
	var rows []models.LinkTwin
	n.db.Order("id").Find(&rows)
	return rows
}

func eachLinkTopology(t *testing.T, fn func(t *testing.T, split bool)) {
	for _, split := range []bool{true, false} {
		t.Run(map[bool]string{true: "split", false: "single"}[split], func(t *testing.T) { fn(t, split) })
	}
}

// "A-1 blocks A-2" arrives on AB and B in that direction, its removal travels, and a link made
// on B travels back to A, in both topologies.
func TestLinksTravelThroughRelay(t *testing.T) {
	eachLinkTopology(t, func(t *testing.T, split bool) {
		w := newLinkWorld(t, split, nil, nil)
		a1 := w.createIssue("A", map[string]any{"summary": "Blocker"}).Key
		a2 := w.createIssue("A", map[string]any{"summary": "Blocked"}).Key
		w.settle()
		ab1, b1 := w.peers(a1)
		ab2, b2 := w.peers(a2)

		w.makeLink("A", a1, "Blocks", a2)
		w.settle()
		w.wantLinks("AB", ab1, "Blocks>"+ab2)
		w.wantLinks("AB", ab2, "Blocks<"+ab1)
		w.wantLinks("B", b1, "Blocks>"+b2)
		w.wantLinks("B", b2, "Blocks<"+b1)
		if n := len(linkRows(w.nodeA)); split && n != 1 {
			t.Errorf("node A holds %d link twins, want 1", n)
		}

		w.clearLogs()
		if err := w.human("A", "alice").DeleteIssueLink(w.ctx, w.linkIDOn("A", a1, "Blocks", a2)); err != nil {
			t.Fatal(err)
		}
		w.settle()
		w.wantLinks("AB", ab1)
		w.wantLinks("B", b1)
		w.wantLinks("B", b2)
		if rows := linkRows(w.nodeA); len(rows) != 0 || len(linkRows(w.nodeB)) != 0 {
			t.Errorf("link twins left after the removal: %+v", rows)
		}
		// The audit says what crossed, in the target's keys.
		desc := ab1 + " Blocks " + ab2
		for _, want := range []models.Event{{NewValue: desc}, {OldValue: desc, NewValue: "(deleted)"}} {
			var n int64
			w.nodeA.db.Model(&models.Event{}).Where("kind = ? AND field = ? AND old_value = ? AND new_value = ?", "issuelink", "Blocks", want.OldValue, want.NewValue).Count(&n)
			if n != 1 {
				t.Errorf("%d issuelink events %q -> %q, want 1", n, want.OldValue, want.NewValue)
			}
		}

		// Made on B, the other way round: "B-2 relates to B-1" arrives as "A-2 relates to A-1".
		w.makeLink("B", b2, "Relates", b1)
		w.settle()
		w.wantLinks("AB", ab2, "Relates>"+ab1)
		w.wantLinks("A", a2, "Relates>"+a1)
		w.wantLinks("A", a1, "Relates<"+a2)
		// And its removal on A travels to B.
		if err := w.human("A", "alice").DeleteIssueLink(w.ctx, w.linkIDOn("A", a2, "Relates", a1)); err != nil {
			t.Fatal(err)
		}
		w.settle()
		w.wantLinks("AB", ab2)
		w.wantLinks("B", b2)
	})
}

// A link to an issue outside the connection's scope stays on A: no request to AB or B names that
// issue, and the twin counts the link as kept home. Once the issue comes into scope and is
// twinned, the link travels.
func TestLinkToUnsharedIssueStaysHome(t *testing.T) {
	eachLinkTopology(t, func(t *testing.T, split bool) {
		const marker = "UNSHARED-7c41e2"
		w := newLinkWorld(t, split, nil, func(c *models.Connection) {
			if c.Name == "A-AB" {
				c.LocalJQL = "labels = shared"
			}
		})
		a1 := w.createIssue("A", map[string]any{"summary": "Shared", "labels": []string{"shared"}}).Key
		home := w.createIssue("A", map[string]any{"summary": "Private " + marker})
		w.makeLink("A", a1, "Blocks", home.Key)
		w.makeLink("A", home.Key, "Relates", a1)
		w.settle()
		ab1, b1 := w.peers(a1)
		for _, inst := range []string{"AB", "B"} {
			for _, e := range w.sim.Instance(inst).Log().Entries() {
				for _, s := range []string{marker, home.Key, home.ID} {
					if strings.Contains(e.Body, s) || strings.Contains(e.Query, s) || strings.Contains(e.Path, s) {
						t.Errorf("%s received %q: %s %s %s", inst, s, e.Method, e.Path, e.Body)
					}
				}
			}
		}
		w.wantLinks("AB", ab1)
		w.wantLinks("B", b1)
		if tw := w.nodeA.twinOf(a1); tw.LocalLinksKeptHome != 2 || tw.RemoteLinksKeptHome != 0 {
			t.Errorf("links kept home = %d/%d, want 2/0", tw.LocalLinksKeptHome, tw.RemoteLinksKeptHome)
		}

		// The other end comes into scope: its twin's reconcile carries both links.
		w.edit("A", home.Key, map[string]any{"labels": []string{"shared"}})
		w.settle()
		abH, bH := w.peers(home.Key)
		w.wantLinks("AB", ab1, "Blocks>"+abH, "Relates<"+abH)
		w.wantLinks("B", b1, "Blocks>"+bH, "Relates<"+bH)
		if tw := w.nodeA.twinOf(a1); tw.LocalLinksKeptHome != 0 {
			t.Errorf("links kept home = %d after the other end was shared, want 0", tw.LocalLinksKeptHome)
		}
	})
}

// A link made before either end was synced waits for the other end's create (no error) and
// arrives once.
func TestLinkWaitsForPendingEnd(t *testing.T) {
	w := newLinkWorld(t, true, nil, nil)
	a1 := w.createIssue("A", map[string]any{"summary": "one"}).Key
	a2 := w.createIssue("A", map[string]any{"summary": "two"}).Key
	w.makeLink("A", a2, "Duplicate", a1)
	w.settle()
	ab1, b1 := w.peers(a1)
	ab2, b2 := w.peers(a2)
	w.wantLinks("AB", ab2, "Duplicate>"+ab1)
	w.wantLinks("B", b2, "Duplicate>"+b1)
	for _, tw := range w.nodeA.twins() {
		if tw.LastError != "" || tw.State != models.TwinActive {
			t.Errorf("twin %s: state %s, error %q", tw.LocalKey, tw.State, tw.LastError)
		}
	}
}

// The type map: "Blocks" on A is "Duplicate" on AB (and so on B), and AB's "Duplicate" comes back
// as "Blocks"; a type mapped to a name the target lacks is a config error that says so.
func TestLinkTypeMap(t *testing.T) {
	eachLinkTopology(t, func(t *testing.T, split bool) {
		w := newLinkWorld(t, split, func(conn string, r *Rules) {
			if conn == "A-AB" {
				r.Links.Types = map[string]string{"Blocks": "Duplicate"}
			}
		}, nil)
		a1 := w.createIssue("A", map[string]any{"summary": "one"}).Key
		a2 := w.createIssue("A", map[string]any{"summary": "two"}).Key
		a3 := w.createIssue("A", map[string]any{"summary": "three"}).Key
		w.settle()
		ab1, b1 := w.peers(a1)
		ab2, b2 := w.peers(a2)
		_, b3 := w.peers(a3)
		w.makeLink("A", a1, "Blocks", a2)
		w.makeLink("B", b3, "Duplicate", b1)
		w.settle()
		w.wantLinks("AB", ab1, "Duplicate>"+ab2, "Duplicate<"+w.nodeA.peer(a3))
		w.wantLinks("B", b1, "Duplicate>"+b2, "Duplicate<"+b3)
		w.wantLinks("A", a1, "Blocks>"+a2, "Blocks<"+a3)

		// A map to a type AB does not have.
		var c models.Connection
		w.nodeA.db.First(&c, w.nodeA.conns[0].ID)
		r, err := ParseRules(c.Rules)
		if err != nil {
			t.Fatal(err)
		}
		r.Links.Types = map[string]string{"Cloners": "Klont"}
		doc, _ := json.Marshal(r)
		w.nodeA.db.Model(&c).Update("rules", string(doc))
		w.nodeA.expect = func(err error) bool { return strings.Contains(err.Error(), "Klont") }
		w.makeLink("A", a2, "Cloners", a3)
		w.settle()
		tw := w.nodeA.twinOf(a2)
		if tw.State != models.TwinQuarantined || !strings.Contains(tw.LastError, `issue link type "Klont"`) || !strings.Contains(tw.LastError, "map it") {
			t.Errorf("twin %s: state %s, error %q; want a config error naming the type", a2, tw.State, tw.LastError)
		}
		w.wantLinks("AB", ab2, "Duplicate<"+ab1)
	})
}

// Both ends reconciling make one link, and a crash between Jira's create and the row (the rows
// lost) makes no second link: the copies are adopted.
func TestLinkNoDuplicates(t *testing.T) {
	eachLinkTopology(t, func(t *testing.T, split bool) {
		w := newLinkWorld(t, split, nil, nil)
		a1 := w.createIssue("A", map[string]any{"summary": "one"}).Key
		a2 := w.createIssue("A", map[string]any{"summary": "two"}).Key
		w.settle()
		ab1, _ := w.peers(a1)
		ab2, _ := w.peers(a2)
		w.makeLink("A", a1, "Blocks", a2)
		n := w.nodeA
		// Each end's reconcile, the destination first, then the source.
		for _, key := range []string{a2, a1} {
			if err := n.e.Reconcile(w.ctx, n.twinOf(key).ID); err != nil {
				t.Fatal(err)
			}
		}
		w.wantLinks("AB", ab1, "Blocks>"+ab2)
		if rows := linkRows(n); len(rows) != 1 {
			t.Fatalf("link twins = %+v, want 1", rows)
		}
		w.settle()

		// A crash after Jira made the copies and before the rows were written: drop the rows.
		if err := n.db.Where("1 = 1").Delete(&models.LinkTwin{}).Error; err != nil {
			t.Fatal(err)
		}
		if err := w.nodeB.db.Where("1 = 1").Delete(&models.LinkTwin{}).Error; err != nil {
			t.Fatal(err)
		}
		for _, nd := range w.nodes {
			nd.db.Model(&models.Twin{}).Where("1 = 1").Update("dirty", true)
		}
		w.clearLogs()
		w.settle()
		for _, inst := range []string{"A", "AB", "B"} {
			if posts := w.sim.Instance(inst).Log().Find("POST", "/rest/api/2/issueLink"); len(posts) != 0 {
				t.Errorf("%d links posted again on %s", len(posts), inst)
			}
		}
		w.wantLinks("AB", ab1, "Blocks>"+ab2)
		w.wantLinks("A", a1, "Blocks>"+a2)
		// One row per connection: A-AB and B-AB.
		if rows := append(linkRows(n), linkRows(w.nodeB)...); (split && len(rows) != 2) || (!split && len(linkRows(n)) != 2) {
			t.Errorf("link twins after adoption: %+v, want one per connection", rows)
		}
	})
}

// The preview says which links would travel (and as which type), which stay home and which are
// already across, without writing.
func TestPreviewMentionsLinks(t *testing.T) {
	w := newLinkWorld(t, true, func(conn string, r *Rules) {
		if conn == "A-AB" {
			r.Links.Types = map[string]string{"Blocks": "Duplicate"}
		}
	}, func(c *models.Connection) {
		if c.Name == "A-AB" {
			c.LocalJQL = "labels = shared"
		}
	})
	a1 := w.createIssue("A", map[string]any{"summary": "one", "labels": []string{"shared"}}).Key
	a2 := w.createIssue("A", map[string]any{"summary": "two", "labels": []string{"shared"}}).Key
	a3 := w.createIssue("A", map[string]any{"summary": "three", "labels": []string{"shared"}}).Key
	home := w.createIssue("A", map[string]any{"summary": "private"}).Key
	w.settle()
	w.makeLink("A", a3, "Relates", a1)
	w.settle()
	w.makeLink("A", a1, "Blocks", a2)
	w.makeLink("A", home, "Relates", a1)
	before := w.writes("AB") + w.writes("A")
	res, err := w.nodeA.e.Preview(w.ctx, w.nodeA.conns[0].ID, a1)
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(res.Notes, "\n")
	for _, want := range []string{
		`The link "Blocks" ` + a1 + " " + a2 + ` would be made on AB as "Duplicate"`,
		"Issue links of " + a1 + " already on AB: 1.",
		"Issue links of " + a1 + " that stay on A because their other issue is not shared with AB (nothing about it leaves): 1.",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("preview notes lack %q:\n%s", want, notes)
		}
	}
	if after := w.writes("AB") + w.writes("A"); after != before {
		t.Errorf("the preview wrote %d times", after-before)
	}
}

func TestLinkRulesTypeNames(t *testing.T) {
	r := LinkRules{Types: map[string]string{"Blocks": "Hindert", "Ablocks": "Hindert", "Relates": "Relates"}}
	for _, c := range []struct{ got, want string }{
		{r.RemoteType("Blocks"), "Hindert"},
		{r.RemoteType("Cloners"), "Cloners"},
		{r.LocalType("Hindert"), "Ablocks"}, // the first local name in name order
		{r.LocalType("Duplicate"), "Duplicate"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	bad := Rules{Links: LinkRules{Types: map[string]string{"Blocks": " "}}}
	if errs := bad.Validate(); len(errs) != 1 || errs[0].Path != "links.types" {
		t.Errorf("Validate = %v, want one links.types error", errs)
	}
}

// readPair reads both issues of the twin holding key, as a reconcile starting now would.
func (n *syncNode) readPair(key string) *Pair {
	n.w.t.Helper()
	tw := n.twinOf(key)
	l, err := n.e.loadLink(n.w.ctx, tw.ConnectionID)
	if err != nil {
		n.w.t.Fatal(err)
	}
	p, err := n.e.pair(n.w.ctx, l, tw)
	if err != nil {
		n.w.t.Fatal(err)
	}
	for _, s := range []*Side{p.Local, p.Remote} {
		if s.Issue, err = n.e.getIssue(n.w.ctx, s, *twinIssueID(tw, s.Name), &l.Rules, false); err != nil {
			n.w.t.Fatal(err)
		}
	}
	return p
}

// Two reconciles of one link's ends running side by side, each with issues read before the
// other wrote: the second neither removes the link the first made (absent from its read, but
// there) nor makes a second one, even when it also missed the first's row.
func TestLinkConcurrentEndsStaleReads(t *testing.T) {
	for _, rowSeen := range []bool{true, false} {
		t.Run(map[bool]string{true: "row seen", false: "row missed"}[rowSeen], func(t *testing.T) {
			w := newLinkWorld(t, true, nil, nil)
			a1 := w.createIssue("A", map[string]any{"summary": "one"}).Key
			a2 := w.createIssue("A", map[string]any{"summary": "two"}).Key
			w.settle()
			ab1, ab2 := w.nodeA.peer(a1), w.nodeA.peer(a2)
			w.makeLink("A", a1, "Blocks", a2)
			n := w.nodeA
			p1, p2 := n.readPair(a1), n.readPair(a2) // both read before either writes
			if wrote, err := n.e.syncLinks(w.ctx, p1); err != nil || wrote != [2]bool{false, true} {
				t.Fatalf("first end: wrote %v, %v", wrote, err)
			}
			if !rowSeen {
				n.db.Where("1 = 1").Delete(&models.LinkTwin{})
			}
			if _, err := n.e.syncLinks(w.ctx, p2); err != nil {
				t.Fatalf("second end: %v", err)
			}
			w.wantLinks("AB", ab1, "Blocks>"+ab2)
			w.wantLinks("A", a1, "Blocks>"+a2)
			if rows := linkRows(n); len(rows) != 1 {
				t.Errorf("link twins = %+v, want 1", rows)
			}
			w.settle()
			w.wantLinks("AB", ab1, "Blocks>"+ab2)
			w.wantLinks("A", a1, "Blocks>"+a2)
		})
	}
}

// Deleting a connection forgets its link twins.
func TestDeleteConnectionForgetsLinkTwins(t *testing.T) {
	w := newLinkWorld(t, true, nil, nil)
	a1 := w.createIssue("A", map[string]any{"summary": "one"}).Key
	a2 := w.createIssue("A", map[string]any{"summary": "two"}).Key
	w.makeLink("A", a1, "Blocks", a2)
	w.settle()
	if len(linkRows(w.nodeA)) != 1 {
		t.Fatalf("link twins = %+v, want 1", linkRows(w.nodeA))
	}
	if _, err := w.nodeA.e.DeleteConnection(w.ctx, w.nodeA.conns[0].ID, false); err != nil {
		t.Fatal(err)
	}
	if rows := linkRows(w.nodeA); len(rows) != 0 {
		t.Errorf("link twins left after the delete: %+v", rows)
	}
}
