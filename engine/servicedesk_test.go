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

func (w *simWorld) upload(inst, key, name, content string) {
	w.t.Helper()
	if _, err := w.human(inst, "alice").UploadAttachment(w.ctx, key, name, strings.NewReader(content)); err != nil {
		w.t.Fatal(err)
	}
}

func (w *simWorld) attachmentNames(inst, key string) []string {
	w.t.Helper()
	is, err := w.human(inst, "admin").GetIssue(w.ctx, key, jira.GetIssueOptions{Fields: []string{"attachment"}})
	if err != nil {
		w.t.Fatal(err)
	}
	var as []jira.Attachment
	if _, err := is.Field("attachment", &as); err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, a := range as {
		out = append(out, a.Filename)
	}
	return out
}

// Files added with a comment (JSM puts them into the comment body) follow the comment: one added
// with an internal note stays on A, one added with the public reply travels, one no comment
// names travels as before. A file the public reply names later travels then.
func TestServiceDeskAttachmentsOfInternalCommentsStayHome(t *testing.T) {
	w := newServiceDeskWorld(t, true, nil)
	const secret = "PRIVATE-LOG-CONTENT-c0ffee"
	w.upload("A", w.key, "server-log.txt", secret)
	w.comment("A", w.key, "log of the customer's server: [^server-log.txt]", true)
	w.upload("A", w.key, "screenshot.png", "png bytes")
	w.comment("A", w.key, "here is what we see: !screenshot.png|thumbnail!", false)
	w.upload("A", w.key, "manual.pdf", "pdf bytes")
	w.upload("A", w.key, "later.txt", "later bytes")
	w.comment("A", w.key, "internal first: [^later.txt]", true)
	w.settle()
	ab, b := w.peers()
	for _, inst := range []struct{ name, key string }{{"AB", ab}, {"B", b}} {
		got := strings.Join(w.attachmentNames(inst.name, inst.key), ",")
		if got != "screenshot.png,manual.pdf" {
			t.Errorf("%s attachments = %s, want screenshot.png,manual.pdf", inst.name, got)
		}
		w.assertNowhere(secret, inst.name, inst.key)
	}
	w.comment("A", w.key, "for you too: [^later.txt]", false)
	w.settle()
	if got := strings.Join(w.attachmentNames("B", b), ","); !strings.Contains(got, "later.txt") || strings.Contains(got, "server-log.txt") {
		t.Errorf("B attachments = %s, want later.txt to have followed the public comment, server-log.txt not", got)
	}
}

// On a software project the same holds for comments restricted to a role: the file added with a
// role-restricted comment stays home, like the comment.
func TestAttachmentOfRestrictedCommentStaysHome(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(DefaultRules(), nil, [2]string{"A", "AB"})
	a := w.createIssue("A", map[string]any{"summary": "Crash on start"})
	w.upload("A", a.Key, "core.dump", "CORE-DUMP-SECRET-91")
	if _, err := w.human("A", "admin").AddComment(w.ctx, a.Key, jira.CommentInput{Body: "dump: [^core.dump]",
		Visibility: &jira.Visibility{Type: "role", Value: "Administrators"}}); err != nil {
		t.Fatal(err)
	}
	w.upload("A", a.Key, "steps.txt", "steps")
	if _, err := w.human("A", "alice").AddComment(w.ctx, a.Key, jira.CommentInput{Body: "steps: [^steps.txt]"}); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	ab := n.peer(a.Key)
	if got := strings.Join(w.attachmentNames("AB", ab), ","); got != "steps.txt" {
		t.Errorf("AB attachments = %s, want steps.txt only", got)
	}
	for _, e := range w.sim.Instance("AB").Log().Entries() {
		if strings.Contains(e.Body, "CORE-DUMP-SECRET-91") {
			t.Errorf("AB received the restricted comment's file: %s %s", e.Method, e.Path)
		}
	}
}

// The preview says how many internal comments of the request would stay home.
func TestPreviewCountsInternalCommentsKeptHome(t *testing.T) {
	w := newServiceDeskWorld(t, true, nil)
	w.comment("A", w.key, "note one", true)
	w.comment("A", w.key, "note two", true)
	w.comment("A", w.key, "public reply", false)
	res, err := w.nodeA.e.Preview(w.ctx, w.nodeA.conns[0].ID, w.key)
	if err != nil {
		t.Fatal(err)
	}
	if res.CommentsKeptHome != 2 {
		t.Errorf("CommentsKeptHome = %d, want 2", res.CommentsKeptHome)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "2 internal comments stay on A") {
		t.Errorf("notes %q do not say what stays home", res.Notes)
	}
}

// noProjectType stands for a Jira whose issue answer carries no projectTypeKey (older versions):
// the type is then read from GET /project/{key}, once per Jira and project.
type noProjectType struct{ Jira }

func (j noProjectType) GetIssue(ctx context.Context, id string, opt jira.GetIssueOptions) (*jira.Issue, error) {
	is, err := j.Jira.GetIssue(ctx, id, opt)
	if err == nil {
		if pr, ok := is.Project(); ok {
			pr.ProjectTypeKey = ""
			raw, _ := json.Marshal(pr)
			is.Fields["project"] = raw
		}
	}
	return is, err
}

func TestProjectTypeFromProjectWhenIssueLacksIt(t *testing.T) {
	w := newServiceDeskWorld(t, true, nil)
	j := noProjectType{w.human("A", "airlock")}
	e := w.nodeA.e
	w.clearLogs()
	for i := 0; i < 3; i++ {
		is, err := j.GetIssue(w.ctx, w.key, jira.GetIssueOptions{Fields: []string{"project"}})
		if err != nil {
			t.Fatal(err)
		}
		sd, err := e.isServiceDesk(w.ctx, &Side{Name: models.SideLocal, Jira: j, Project: jirasim.ServiceProjectKey, Issue: is})
		if err != nil || !sd {
			t.Fatalf("isServiceDesk = %v, %v; want true", sd, err)
		}
	}
	gets := 0
	for _, le := range w.sim.Instance("A").Log().Entries() {
		if le.Endpoint == "GET /rest/api/2/project/{key}" || strings.HasPrefix(le.Path, "/rest/api/2/project/") {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("%d project reads, want 1 (cached)", gets)
	}
	// A software project is no service desk.
	is, _ := j.GetIssue(w.ctx, w.createIssue("A", map[string]any{"summary": "x"}).Key, jira.GetIssueOptions{Fields: []string{"project"}})
	if sd, err := e.isServiceDesk(w.ctx, &Side{Name: models.SideLocal, Jira: j, Issue: is}); err != nil || sd {
		t.Errorf("ALPHA: isServiceDesk = %v, %v", sd, err)
	}
}
