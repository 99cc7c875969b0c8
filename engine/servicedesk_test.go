package engine

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// serviceDeskWorld is A's service project HELP synced to the relay AB and on to B, in the split
// topology (one node per zone) or the single one (one node runs both connections).
type serviceDeskWorld struct {
	*simWorld
	nodes []*syncNode
	nodeA *syncNode // the node holding the A-AB connection
	key   string    // the request on A's HELP
}

// newServiceDeskWorld syncs HELP on A with AB, and AB with B; adjust may change the rules of each
// connection ("A-AB", "B-AB").
func newServiceDeskWorld(t *testing.T, split bool, adjust func(conn string, r *Rules)) *serviceDeskWorld {
	t.Helper()
	w := &serviceDeskWorld{simWorld: newSimWorld(t)}
	rulesFor := func(conn string) Rules {
		r := DefaultRules()
		if adjust != nil {
			adjust(conn, &r)
		}
		return r
	}
	help := func(c *models.Connection) {
		if c.Name == "A-AB" {
			c.LocalProject = jirasim.ServiceProjectKey
		}
	}
	if split {
		w.nodeA = w.newNode(rulesFor("A-AB"), help, [2]string{"A", "AB"})
		w.nodes = []*syncNode{w.nodeA, w.newNode(rulesFor("B-AB"), nil, [2]string{"B", "AB"})}
	} else {
		// One node, two connections: the rules are stored per connection.
		w.nodeA = w.newNode(DefaultRules(), help, [2]string{"A", "AB"}, [2]string{"B", "AB"})
		for _, c := range w.nodeA.conns {
			doc, _ := json.Marshal(rulesFor(c.Name))
			if err := w.nodeA.db.Model(c).Update("rules", string(doc)).Error; err != nil {
				t.Fatal(err)
			}
		}
		w.nodes = []*syncNode{w.nodeA}
	}
	made, err := w.human("A", "alice").CreateIssue(w.ctx, jira.IssueInput{Fields: map[string]any{
		"project": map[string]string{"key": jirasim.ServiceProjectKey}, "issuetype": map[string]string{"name": "Task"},
		"summary": "Printer offline"}})
	if err != nil {
		t.Fatal(err)
	}
	w.key = made.Key
	return w
}

func (w *serviceDeskWorld) settle() { w.t.Helper(); settle(w.t, w.nodes...) }

// peers returns the request's issues on AB and B.
func (w *serviceDeskWorld) peers() (ab, b string) {
	w.t.Helper()
	ab = w.nodeA.peer(w.key)
	for _, n := range w.nodes {
		var tw models.Twin
		if n.db.Where("remote_key = ? AND local_key <> ?", ab, w.key).Limit(1).Find(&tw).RowsAffected > 0 {
			b = tw.LocalKey
		}
	}
	if ab == "" || b == "" {
		w.t.Fatalf("the request %s did not reach AB (%q) and B (%q)", w.key, ab, b)
	}
	return ab, b
}

// comments reads an issue's comments with their properties, as an administrator.
func (w *serviceDeskWorld) comments(inst, key string) []jira.Comment {
	w.t.Helper()
	cs, err := w.human(inst, "admin").Comments(w.ctx, key, jira.CommentOptions{Expand: []string{"properties"}})
	if err != nil {
		w.t.Fatal(err)
	}
	return cs
}

func (w *serviceDeskWorld) comment(inst, key, body string, internal bool) *jira.Comment {
	w.t.Helper()
	in := jira.CommentInput{Body: body}
	if inst == "A" {
		in.Properties = []jira.EntityProperty{jira.InternalComment(internal)}
	}
	c, err := w.human(inst, "alice").AddComment(w.ctx, key, in)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// assertNowhere fails when text reached an instance: in any request it received, or in any
// comment of issue key there.
func (w *serviceDeskWorld) assertNowhere(text, inst, key string) {
	w.t.Helper()
	for _, e := range w.sim.Instance(inst).Log().Entries() {
		if strings.Contains(e.Body, text) || strings.Contains(e.Query, text) || strings.Contains(e.Path, text) {
			w.t.Errorf("%s received %q: %s %s", inst, text, e.Method, e.Path)
		}
	}
	if c := findComment(w.comments(inst, key), text); c != nil {
		w.t.Errorf("%s %s holds %q in comment %s", inst, key, text, c.ID)
	}
	is := w.get(inst, key)
	raw, _ := json.Marshal(is.Fields)
	if strings.Contains(string(raw), text) {
		w.t.Errorf("%s %s holds %q in its fields", inst, key, text)
	}
}

func keptHome(n *syncNode, key string) (int, int) {
	tw := n.twinOf(key)
	return tw.LocalCommentsKeptHome, tw.RemoteCommentsKeptHome
}

// An agent's internal note on A's service project stays on A, over the relay and in both
// topologies; the public reply travels to AB and B; a reply turned internal is withdrawn from AB
// and B; comments written on B arrive on A internal.
func TestServiceDeskInternalCommentsStayHome(t *testing.T) {
	for _, split := range []bool{true, false} {
		name := map[bool]string{true: "split", false: "single"}[split]
		t.Run(name, func(t *testing.T) {
			w := newServiceDeskWorld(t, split, nil)
			const marker = "INTERNAL-NOTE-5e1d0a"
			w.comment("A", w.key, "agents only: "+marker+" the customer's printer is ours to replace", true)
			reply := w.comment("A", w.key, "We are looking into it.", false)
			w.settle()
			ab, b := w.peers()
			for _, inst := range []struct{ name, key string }{{"AB", ab}, {"B", b}} {
				w.assertNowhere(marker, inst.name, inst.key)
				cs := w.comments(inst.name, inst.key)
				if len(cs) != 1 || !strings.HasSuffix(cs[0].Body, "We are looking into it.") {
					t.Errorf("%s %s comments = %+v, want the public reply only", inst.name, inst.key, cs)
				}
			}
			if l, r := keptHome(w.nodeA, w.key); l != 1 || r != 0 {
				t.Errorf("kept home = %d/%d, want 1 on A", l, r)
			}

			// The reply is turned internal: it is withdrawn from AB and B.
			if err := w.human("A", "alice").SetCommentProperty(w.ctx, reply.ID, jira.ServiceDeskCommentProperty, map[string]bool{"internal": true}); err != nil {
				t.Fatal(err)
			}
			w.settle()
			for _, inst := range []struct{ name, key string }{{"AB", ab}, {"B", b}} {
				if cs := w.comments(inst.name, inst.key); len(cs) != 0 {
					t.Errorf("%s %s still has %+v after the reply turned internal", inst.name, inst.key, cs)
				}
			}
			if l, _ := keptHome(w.nodeA, w.key); l != 2 {
				t.Errorf("kept home on A = %d, want 2", l)
			}

			// A comment written on B arrives on A's request internal.
			w.comment("B", b, "Vendor here: replacement shipped.", false)
			w.settle()
			got := findComment(w.comments("A", w.key), "replacement shipped")
			if got == nil {
				t.Fatal("B's comment did not reach A")
			}
			if !got.Internal() {
				t.Errorf("B's comment arrived public on A's service project: %+v", got.Properties)
			}
			if cs := findComment(w.comments("AB", ab), "replacement shipped"); cs == nil || len(cs.Properties) != 0 {
				t.Errorf("the relay copy = %+v, want one without properties (AB is no service project)", cs)
			}
			// The internal arrival is not counted as kept home, and nothing is echoed back.
			if l, _ := keptHome(w.nodeA, w.key); l != 2 {
				t.Errorf("kept home on A = %d after an arrival, want 2", l)
			}
			if n := len(w.comments("B", b)); n != 1 {
				t.Errorf("B has %d comments, want its own only", n)
			}
		})
	}
}

// With "arriving comments are public" for A, a comment from the relay lands customer-visible; an
// edit of the copy keeps it so. Without it (the other test) it lands internal.
func TestServiceDeskArrivingCommentsPublicWhenChosen(t *testing.T) {
	w := newServiceDeskWorld(t, true, func(conn string, r *Rules) {
		if conn == "A-AB" {
			r.Comments.PublicOnLocal = true
		}
	})
	w.settle()
	ab, _ := w.peers()
	c := w.comment("AB", ab, "Relay says hello", false)
	w.settle()
	got := findComment(w.comments("A", w.key), "Relay says hello")
	if got == nil {
		t.Fatal("the relay's comment did not reach A")
	}
	var v struct{ Internal *bool }
	for _, p := range got.Properties {
		if p.Key == jira.ServiceDeskCommentProperty {
			_ = json.Unmarshal(p.Value, &v)
		}
	}
	if v.Internal == nil || *v.Internal || got.Internal() {
		t.Errorf("copy properties %+v, want sd.public.comment {\"internal\": false}", got.Properties)
	}
	if _, err := w.human("AB", "alice").UpdateComment(w.ctx, ab, c.ID, jira.CommentInput{Body: "Relay says hello again"}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	if got = findComment(w.comments("A", w.key), "hello again"); got == nil || got.Internal() {
		t.Errorf("edited copy = %+v, want it public still", got)
	}
}

// A connection that lets internal notes travel A -> relay carries them (for two teams of one
// company); they arrive on the relay without the property, as AB is no service project.
func TestServiceDeskInternalMayTravelWhenAllowed(t *testing.T) {
	w := newServiceDeskWorld(t, true, func(conn string, r *Rules) {
		if conn == "A-AB" {
			r.Comments.InternalToRemote = true
		}
	})
	w.comment("A", w.key, "internal but shared with our other team", true)
	w.settle()
	ab, b := w.peers()
	for _, inst := range []struct{ name, key string }{{"AB", ab}, {"B", b}} {
		if findComment(w.comments(inst.name, inst.key), "shared with our other team") == nil {
			t.Errorf("the allowed internal note did not reach %s", inst.name)
		}
	}
	if l, _ := keptHome(w.nodeA, w.key); l != 0 {
		t.Errorf("kept home = %d, want 0", l)
	}
}

// An internal copy's local edit stays home: an agent annotating a comment that arrived internal
// does not send the annotation back to the relay.
func TestServiceDeskInternalCopyEditStaysHome(t *testing.T) {
	w := newServiceDeskWorld(t, true, nil)
	w.settle()
	ab, _ := w.peers()
	w.comment("AB", ab, "from the vendor", false)
	w.settle()
	cp := findComment(w.comments("A", w.key), "from the vendor")
	if cp == nil || !cp.Internal() {
		t.Fatalf("copy on A = %+v, want an internal one", cp)
	}
	const marker = "AGENT-ANNOTATION-77aa"
	if _, err := w.human("A", "alice").UpdateComment(w.ctx, w.key, cp.ID, jira.CommentInput{Body: cp.Body + " " + marker}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	w.assertNowhere(marker, "AB", ab)
	if got := findComment(w.comments("A", w.key), marker); got == nil {
		t.Error("the agent's edit was undone on A")
	}
}
