package engine

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

// commentFixture is one or more emulated Jiras, a migrated database and, per hop, a connection
// with one twin of freshly created issues.
type commentFixture struct {
	t     *testing.T
	ctx   context.Context
	sim   *jirasim.Sim
	db    *models.DB
	eng   *Engine
	insts map[string]*models.Instance
	hops  []*commentHop
}

// commentHop is one connection (local instance <-> remote instance) with its twin.
type commentHop struct {
	f             *commentFixture
	local, remote string // instance names
	conn          models.Connection
	twin          models.Twin
	rules         Rules
	issue         map[string]*jira.CreatedIssue // by instance name
}

// newCommentFixture starts the named instances and links each neighbouring pair (names[i] local,
// names[i+1] remote) by a connection and a twin of new issues.
func newCommentFixture(t *testing.T, names ...string) *commentFixture {
	t.Helper()
	var opts []jirasim.Options
	for _, n := range names {
		opts = append(opts, jirasim.Options{Name: n})
	}
	sim, err := jirasim.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	f := &commentFixture{t: t, ctx: context.Background(), sim: sim, db: modelstest.Open(t), insts: map[string]*models.Instance{}}
	f.eng = &Engine{DB: f.db, Logger: slog.New(slog.DiscardHandler)}
	for _, n := range names {
		role := models.RolePrivate
		if n == "AB" {
			role = models.RoleRelay
		}
		in := &models.Instance{Name: n, BaseURL: sim.Instance(n).URL(), Role: role, Username: "airlock"}
		if err := f.db.Create(in).Error; err != nil {
			t.Fatal(err)
		}
		f.insts[n] = in
	}
	issues := map[string]*jira.CreatedIssue{}
	for _, n := range names {
		c := f.client(n, "admin")
		made, err := c.CreateIssue(f.ctx, jira.IssueInput{Fields: map[string]any{
			"project": map[string]string{"key": sim.Instance(n).ProjectKey()}, "summary": "comment test",
			"issuetype": map[string]string{"name": "Task"}}})
		if err != nil {
			t.Fatal(err)
		}
		issues[n] = made
	}
	for i := 0; i+1 < len(names); i++ {
		l, r := names[i], names[i+1]
		h := &commentHop{f: f, local: l, remote: r, rules: DefaultRules(),
			issue: map[string]*jira.CreatedIssue{l: issues[l], r: issues[r]}}
		h.conn = models.Connection{Name: l + "-" + r, LocalInstanceID: f.insts[l].ID, RemoteInstanceID: f.insts[r].ID,
			LocalProject: sim.Instance(l).ProjectKey(), RemoteProject: sim.Instance(r).ProjectKey()}
		if err := f.db.Create(&h.conn).Error; err != nil {
			t.Fatal(err)
		}
		lid, rid := issues[l].ID, issues[r].ID
		h.twin = models.Twin{ConnectionID: h.conn.ID, SyncID: "sync-" + l + "-" + r, State: models.TwinActive,
			LocalIssueID: &lid, LocalKey: issues[l].Key, RemoteIssueID: &rid, RemoteKey: issues[r].Key}
		if err := f.db.Create(&h.twin).Error; err != nil {
			t.Fatal(err)
		}
		f.hops = append(f.hops, h)
	}
	return f
}

// client returns a Jira client of instance inst as user (password = login in the seed).
func (f *commentFixture) client(inst, user string) *jira.Client {
	f.t.Helper()
	c, err := jira.New(jira.Config{BaseURL: f.sim.Instance(inst).URL(), Auth: jira.BasicAuth{User: user, Password: user},
		Instance: inst, MaxRetries: -1})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// pair reads both issues fresh, as the reconcile does before calling the E2 functions.
func (h *commentHop) pair() *Pair {
	t := h.f.t
	t.Helper()
	side := func(name, inst string) *Side {
		c := h.f.client(inst, "airlock")
		is, err := c.GetIssue(h.f.ctx, h.issue[inst].ID, jira.GetIssueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return &Side{Name: name, Jira: c, Instance: h.f.insts[inst], Project: h.f.sim.Instance(inst).ProjectKey(), Issue: is}
	}
	twin := h.twin
	return &Pair{Twin: &twin, Conn: &h.conn, Rules: h.rules, Local: side(models.SideLocal, h.local), Remote: side(models.SideRemote, h.remote)}
}

func (h *commentHop) syncComments() [2]bool {
	h.f.t.Helper()
	w, err := h.f.eng.syncComments(h.f.ctx, h.pair())
	if err != nil {
		h.f.t.Fatalf("syncComments %s-%s: %v", h.local, h.remote, err)
	}
	return w
}

// comments lists the comments of the hop's issue on inst, as the sync user sees them.
func (h *commentHop) comments(inst string) []jira.Comment {
	h.f.t.Helper()
	cs, err := h.f.client(inst, "airlock").Comments(h.f.ctx, h.issue[inst].ID, jira.CommentOptions{})
	if err != nil {
		h.f.t.Fatal(err)
	}
	return cs
}

// add posts a comment as a human.
func (h *commentHop) add(inst, user, body string, vis *jira.Visibility) *jira.Comment {
	h.f.t.Helper()
	c, err := h.f.client(inst, user).AddComment(h.f.ctx, h.issue[inst].ID, jira.CommentInput{Body: body, Visibility: vis})
	if err != nil {
		h.f.t.Fatal(err)
	}
	return c
}

func (h *commentHop) rows() []models.CommentTwin {
	h.f.t.Helper()
	var rows []models.CommentTwin
	if err := h.f.db.Where("twin_id = ?", h.twin.ID).Order("id").Find(&rows).Error; err != nil {
		h.f.t.Fatal(err)
	}
	return rows
}

// writes counts the write requests an instance received since its log was last cleared.
func (f *commentFixture) writes(inst string) []jirasim.LogEntry {
	var out []jirasim.LogEntry
	for _, e := range f.sim.Instance(inst).Log().Entries() {
		if e.Method != "GET" {
			out = append(out, e)
		}
	}
	return out
}

func (f *commentFixture) clearLogs() {
	for _, in := range f.sim.Instances() {
		in.Log().Clear()
	}
}

// assertQuiet runs every hop again and fails on any write: the steady state writes nothing.
func (f *commentFixture) assertQuiet(run func(h *commentHop) [2]bool) {
	f.t.Helper()
	f.clearLogs()
	for _, h := range f.hops {
		if w := run(h); w != [2]bool{} {
			f.t.Errorf("hop %s-%s: steady state reported writes %v", h.local, h.remote, w)
		}
	}
	for _, in := range f.sim.Instances() {
		if ws := f.writes(in.Name()); len(ws) > 0 {
			f.t.Errorf("%s received writes in the steady state: %+v", in.Name(), ws)
		}
	}
}

func findComment(cs []jira.Comment, substr string) *jira.Comment {
	for i := range cs {
		if strings.Contains(cs[i].Body, substr) {
			return &cs[i]
		}
	}
	return nil
}

func (f *commentFixture) events(kind string) []models.Event {
	f.t.Helper()
	var evs []models.Event
	if err := f.db.Where("kind = ?", kind).Order("id").Find(&evs).Error; err != nil {
		f.t.Fatal(err)
	}
	return evs
}

var attributionRe = regexp.MustCompile(`^_Alice Able on A, \d{4}-\d\d-\d\d \d\d:\d\d:_ \{anchor:airlock-[0-9a-f]{8}-\d+\}\n\nhello from A$`)

func TestSyncCommentsCreateBothWaysWithAttribution(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	h.add("A", "alice", "hello from A", nil)
	h.add("AB", "bob", "greetings from AB", nil)

	if w := h.syncComments(); w != [2]bool{true, true} {
		t.Fatalf("wrote = %v, want both sides", w)
	}
	ab := h.comments("AB")
	if len(ab) != 2 {
		t.Fatalf("AB has %d comments, want 2", len(ab))
	}
	cp := findComment(ab, "hello from A")
	if cp == nil || !attributionRe.MatchString(cp.Body) {
		t.Fatalf("copy on AB = %+v, want attribution, marker and body", cp)
	}
	if cp.Author == nil || cp.Author.Name != "airlock" {
		t.Errorf("copy author = %+v, want the sync user", cp.Author)
	}
	a := h.comments("A")
	back := findComment(a, "greetings from AB")
	if len(a) != 2 || back == nil || !strings.HasPrefix(back.Body, "_Bob Baker on AB, ") {
		t.Fatalf("A comments = %+v", a)
	}
	rows := h.rows()
	if len(rows) != 2 || rows[0].Baseline != "hello from A" || rows[1].Baseline != "greetings from AB" {
		t.Fatalf("comment twins = %+v, want baselines without attribution", rows)
	}
	evs := f.events("comment")
	if len(evs) != 2 || evs[0].Direction != models.DirLocalToRemote || evs[0].NewValue != "hello from A" ||
		evs[1].Direction != models.DirRemoteToLocal || evs[0].Field != "comment" {
		t.Errorf("events = %+v", evs)
	}
	f.assertQuiet((*commentHop).syncComments)
}

func TestSyncCommentsCustomAttribution(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	h.rules.Comments.Attribution = "[{instance}] {author}\nwrote at {created}"
	c := h.add("A", "alice", "custom", nil)
	h.syncComments()
	cp := findComment(h.comments("AB"), "custom")
	want := "[A] Alice Able wrote at " + c.Created.Format("2006-01-02 15:04") + " {anchor:airlock-"
	if cp == nil || !strings.HasPrefix(cp.Body, want) {
		t.Fatalf("copy = %+v, want prefix %q", cp, want)
	}
}

func TestSyncCommentsEdits(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	orig := h.add("A", "alice", "first version", nil)
	theirs := h.add("AB", "bob", "bob's text", nil)
	h.syncComments()
	alice, bob := f.client("A", "alice"), f.client("AB", "bob")

	steps := []struct {
		name      string
		edit      func()
		wrote     [2]bool
		checkInst string
		want      string // substring expected in the edited comment's counterpart
	}{
		{"original edited on A", func() {
			if _, err := alice.UpdateComment(f.ctx, h.issue["A"].ID, orig.ID, jira.CommentInput{Body: "second version"}); err != nil {
				t.Fatal(err)
			}
		}, [2]bool{false, true}, "AB", "\n\nsecond version"},
		{"original edited on AB", func() {
			if _, err := bob.UpdateComment(f.ctx, h.issue["AB"].ID, theirs.ID, jira.CommentInput{Body: "bob's better text"}); err != nil {
				t.Fatal(err)
			}
		}, [2]bool{true, false}, "A", "\n\nbob's better text"},
		{"copy edited on AB by a human: last edit wins, back to A", func() {
			cp := findComment(h.comments("AB"), "second version")
			body := strings.Replace(cp.Body, "second version", "fixed on AB", 1)
			if _, err := f.client("AB", "admin").UpdateComment(f.ctx, h.issue["AB"].ID, cp.ID, jira.CommentInput{Body: body}); err != nil {
				t.Fatal(err)
			}
		}, [2]bool{true, false}, "A", "fixed on AB"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.edit()
			if w := h.syncComments(); w != s.wrote {
				t.Errorf("wrote = %v, want %v", w, s.wrote)
			}
			if findComment(h.comments(s.checkInst), s.want) == nil {
				t.Errorf("%s has no comment with %q: %+v", s.checkInst, s.want, h.comments(s.checkInst))
			}
			f.assertQuiet((*commentHop).syncComments)
		})
	}
	// The original on A now reads as edited on AB, without any attribution line.
	a := findComment(h.comments("A"), "fixed on AB")
	if a == nil || a.ID != orig.ID || a.Body != "fixed on AB" {
		t.Errorf("original on A = %+v, want the edit carried back", a)
	}
	if rows := h.rows(); rows[0].Baseline != "fixed on AB" {
		t.Errorf("baseline = %q", rows[0].Baseline)
	}
	if len(h.comments("A")) != 2 || len(h.comments("AB")) != 2 {
		t.Errorf("comment counts changed: A %d, AB %d", len(h.comments("A")), len(h.comments("AB")))
	}
}

func TestSyncCommentsDeletes(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	mine := h.add("A", "alice", "delete me on A", nil)
	h.add("AB", "bob", "bob keeps this", nil)
	h.syncComments()

	// The original is deleted on A: our copy on AB goes too.
	if err := f.client("A", "alice").DeleteComment(f.ctx, h.issue["A"].ID, mine.ID); err != nil {
		t.Fatal(err)
	}
	if w := h.syncComments(); w != [2]bool{false, true} {
		t.Errorf("wrote = %v, want remote", w)
	}
	if c := findComment(h.comments("AB"), "delete me on A"); c != nil {
		t.Errorf("copy survived on AB: %+v", c)
	}
	// Someone deletes our copy on A: bob's original on AB stays, the twin is marked deleted.
	cp := findComment(h.comments("A"), "bob keeps this")
	if err := f.client("A", "admin").DeleteComment(f.ctx, h.issue["A"].ID, cp.ID); err != nil {
		t.Fatal(err)
	}
	if w := h.syncComments(); w != [2]bool{} {
		t.Errorf("wrote = %v, want nothing (a human's original is never deleted)", w)
	}
	if findComment(h.comments("AB"), "bob keeps this") == nil {
		t.Error("bob's original on AB was deleted")
	}
	for _, r := range h.rows() {
		if !r.Deleted {
			t.Errorf("twin %+v not marked deleted", r)
		}
	}
	// Deleted twins stay deleted: nothing is recreated.
	f.assertQuiet((*commentHop).syncComments)
	if n := len(h.comments("A")); n != 0 {
		t.Errorf("A has %d comments, want 0", n)
	}
}

func TestSyncCommentsVisibility(t *testing.T) {
	cases := []struct {
		name  string
		allow []string
		vis   *jira.Visibility
		leave bool
	}{
		{"unrestricted leaves", nil, nil, true},
		{"restricted stays home by default", nil, &jira.Visibility{Type: "role", Value: "Administrators"}, false},
		{"restricted to another group stays home", []string{"group:jira-users"}, &jira.Visibility{Type: "group", Value: "jira-administrators"}, false},
		{"allowed group leaves with its visibility", []string{"group:jira-users"}, &jira.Visibility{Type: "group", Value: "jira-users"}, true},
		{"allowed role leaves", []string{"role:Developers"}, &jira.Visibility{Type: "role", Value: "developers"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newCommentFixture(t, "A", "AB")
			h := f.hops[0]
			h.rules.Comments.AllowVisibilities = tc.allow
			const secret = "internal-only-7c1e"
			h.add("A", "admin", secret, tc.vis)
			f.clearLogs()
			w := h.syncComments()
			if w[1] != tc.leave {
				t.Errorf("wrote = %v, want remote write %v", w, tc.leave)
			}
			cp := findComment(h.comments("AB"), secret)
			if !tc.leave {
				if cp != nil {
					t.Fatalf("restricted comment reached AB: %+v", cp)
				}
				for _, e := range f.sim.Instance("AB").Log().Entries() {
					if strings.Contains(e.Body, secret) || strings.Contains(e.Query, secret) {
						t.Fatalf("AB received the restricted text: %+v", e)
					}
				}
				if len(h.rows()) != 0 {
					t.Errorf("a twin was recorded for a comment that stayed home")
				}
				return
			}
			if cp == nil {
				t.Fatal("comment did not leave")
			}
			if !sameVisibility(cp.Visibility, tc.vis) {
				t.Errorf("copy visibility = %+v, want %+v", cp.Visibility, tc.vis)
			}
			f.assertQuiet((*commentHop).syncComments)
		})
	}
}

func TestSyncCommentsRestrictedLaterIsWithdrawn(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	c := h.add("A", "admin", "soon private", nil)
	h.syncComments()
	if _, err := f.client("A", "admin").UpdateComment(f.ctx, h.issue["A"].ID, c.ID,
		jira.CommentInput{Body: "soon private", Visibility: &jira.Visibility{Type: "role", Value: "Administrators"}}); err != nil {
		t.Fatal(err)
	}
	if w := h.syncComments(); w != [2]bool{false, true} {
		t.Errorf("wrote = %v", w)
	}
	if n := len(h.comments("AB")); n != 0 {
		t.Errorf("AB still has %d comments", n)
	}
	f.assertQuiet((*commentHop).syncComments)
	// Unrestricted again: it leaves again, once.
	if _, err := f.client("A", "admin").UpdateComment(f.ctx, h.issue["A"].ID, c.ID,
		jira.CommentInput{Body: "public again", Visibility: &jira.Visibility{}}); err != nil {
		t.Fatal(err)
	}
	h.syncComments()
	if ab := h.comments("AB"); len(ab) != 1 || !strings.HasSuffix(ab[0].Body, "public again") {
		t.Errorf("AB = %+v, want the comment back", ab)
	}
	f.assertQuiet((*commentHop).syncComments)
}

func TestSyncCommentsMentions(t *testing.T) {
	cases := []struct {
		name    string
		from    string // instance the human writes on
		body    string
		rewrite bool
		users   map[string]string
		want    string // content of the copy
	}{
		{"display name", "A", "ping [~bob] and [~alice]", true, nil, "ping Bob Baker and Alice Able"},
		{"mapped user", "A", "ping [~bob]", true, map[string]string{"bob": "alice"}, "ping [~alice]"},
		{"mapped backwards from remote", "AB", "ping [~alice]", true, map[string]string{"bob": "alice"}, "ping [~bob]"},
		{"unknown user keeps the bare name", "A", "ping [~ghost]", true, nil, "ping ghost"},
		{"rewriting off", "A", "ping [~bob]", false, nil, "ping [~bob]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newCommentFixture(t, "A", "AB")
			h := f.hops[0]
			h.rules.Comments.RewriteMentions = tc.rewrite
			h.rules.Users.Map = tc.users
			h.add(tc.from, "admin", tc.body, nil)
			h.syncComments()
			to := "AB"
			if tc.from == "AB" {
				to = "A"
			}
			cs := h.comments(to)
			if len(cs) != 1 || !strings.HasSuffix(cs[0].Body, "\n\n"+tc.want) {
				t.Fatalf("copy on %s = %+v, want content %q", to, cs, tc.want)
			}
			if rows := h.rows(); rows[0].Baseline != tc.body {
				t.Errorf("baseline = %q, want the source text %q", rows[0].Baseline, tc.body)
			}
			f.assertQuiet((*commentHop).syncComments)
		})
	}
}

func TestSyncCommentsCrashBetweenCreateAndRecord(t *testing.T) {
	cases := []struct {
		name       string
		editSource bool
	}{
		{"row lost", false},
		{"row lost and source edited since", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newCommentFixture(t, "A", "AB")
			h := f.hops[0]
			c := h.add("A", "alice", "exactly once", nil)
			h.add("AB", "bob", "also once", nil)
			h.syncComments()
			// A crash after Jira answered and before the rows were written: drop the rows.
			if err := f.db.Where("twin_id = ?", h.twin.ID).Delete(&models.CommentTwin{}).Error; err != nil {
				t.Fatal(err)
			}
			if tc.editSource {
				if _, err := f.client("A", "alice").UpdateComment(f.ctx, h.issue["A"].ID, c.ID, jira.CommentInput{Body: "exactly once, edited"}); err != nil {
					t.Fatal(err)
				}
			}
			f.clearLogs()
			w := h.syncComments()
			if n := len(f.sim.Instance("AB").Log().Find("POST", "/rest/api/2/issue/")) + len(f.sim.Instance("A").Log().Find("POST", "/rest/api/2/issue/")); n != 0 {
				t.Errorf("%d comments posted again", n)
			}
			if len(h.comments("A")) != 2 || len(h.comments("AB")) != 2 {
				t.Fatalf("duplicates: A %+v, AB %+v", h.comments("A"), h.comments("AB"))
			}
			if len(h.rows()) != 2 {
				t.Errorf("rows = %+v, want both adopted", h.rows())
			}
			if tc.editSource {
				if w != [2]bool{false, true} || findComment(h.comments("AB"), "exactly once, edited") == nil {
					t.Errorf("adopted copy not brought up to date: wrote %v, AB %+v", w, h.comments("AB"))
				}
			} else if w != [2]bool{} {
				t.Errorf("wrote = %v, want nothing", w)
			}
			f.assertQuiet((*commentHop).syncComments)
		})
	}
}

func TestSyncCommentsThroughRelay(t *testing.T) {
	f := newCommentFixture(t, "A", "AB", "B")
	ab, abB := f.hops[0], f.hops[1]
	ab.add("A", "alice", "from A via the relay [~bob]", nil)
	runAll := func() {
		ab.syncComments()
		abB.syncComments()
		ab.syncComments()
	}
	runAll()
	b := abB.comments("B")
	if len(b) != 1 {
		t.Fatalf("B has %d comments", len(b))
	}
	if !attributionHeader(t, b[0].Body, "Alice Able on A") || strings.Count(b[0].Body, "{anchor:") != 1 ||
		!strings.HasSuffix(b[0].Body, "\n\nfrom A via the relay Bob Baker") {
		t.Errorf("B copy = %q, want A's attribution once", b[0].Body)
	}
	// A human on B edits the copy: it travels back through AB to A's original.
	if _, err := f.client("B", "admin").UpdateComment(f.ctx, abB.issue["B"].ID, b[0].ID,
		jira.CommentInput{Body: strings.Replace(b[0].Body, "via the relay", "edited on B", 1)}); err != nil {
		t.Fatal(err)
	}
	abB.syncComments()
	ab.syncComments()
	a := ab.comments("A")
	if len(a) != 1 || a[0].Body != "from A edited on B Bob Baker" {
		t.Errorf("A original = %+v", a)
	}
	// And a comment on B reaches A with B's attribution.
	abB.add("B", "bob", "from B", nil)
	abB.syncComments()
	ab.syncComments()
	back := findComment(ab.comments("A"), "from B")
	if back == nil || !attributionHeader(t, back.Body, "Bob Baker on B") {
		t.Errorf("A copy of B's comment = %+v", back)
	}
	f.assertQuiet((*commentHop).syncComments)
	if n := len(ab.comments("AB")); n != 2 {
		t.Errorf("AB has %d comments, want 2", n)
	}
}

func attributionHeader(t *testing.T, body, who string) bool {
	t.Helper()
	first, _, _ := strings.Cut(body, "\n")
	return strings.HasPrefix(first, "_"+who+", ") && commentMarkerRe.MatchString(first)
}

func TestSyncCommentsDisabled(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	h.rules.Comments.Enabled = false
	h.add("A", "alice", "stays", nil)
	if w := h.syncComments(); w != [2]bool{} || len(h.comments("AB")) != 0 {
		t.Errorf("comments synced while disabled: wrote %v", w)
	}
}

func TestSyncCommentsPagedComments(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	for i := 0; i < 3; i++ {
		h.add("A", "alice", "paged "+string(rune('a'+i)), nil)
	}
	p := h.pair()
	// An embedded page that holds fewer comments than total must be completed from Jira.
	p.Local.Issue.Fields["comment"] = []byte(`{"startAt":0,"maxResults":1,"total":3,"comments":[]}`)
	if _, err := f.eng.syncComments(f.ctx, p); err != nil {
		t.Fatal(err)
	}
	if n := len(h.comments("AB")); n != 3 {
		t.Errorf("AB has %d comments, want 3", n)
	}
}

func TestCommentTextHelpers(t *testing.T) {
	side := &Side{Name: models.SideLocal, Jira: mustClient(t, "http://jira.example.com/jira")}
	cases := []struct {
		name    string
		body    string
		copy    bool
		content string
	}{
		{"original", "just text\n\nmore", false, "just text\n\nmore"},
		{"copy", "_X on A, 2024-01-02 03:04:_ {anchor:airlock-0123abcd-10100}\n\nbody", true, "body"},
		{"copy with CRLF", "_X:_ {anchor:airlock-0123abcd-7}\r\n\r\nbody\r\nline", true, "body\nline"},
		{"marker not on the first line", "text\n{anchor:airlock-0123abcd-7}", false, "text\n{anchor:airlock-0123abcd-7}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := parseComment(side, jira.Comment{ID: "42", Body: tc.body})
			if v.isCopy() != tc.copy || v.content != tc.content {
				t.Errorf("parse = copy %v content %q", v.isCopy(), v.content)
			}
			if !tc.copy && v.origin != instanceHash("http://jira.example.com/jira/")+"-42" {
				t.Errorf("origin = %q", v.origin)
			}
		})
	}
	if normText("a  \r\nb\t\n\n") != "a\nb" {
		t.Errorf("normText = %q", normText("a  \r\nb\t\n\n"))
	}
	if instanceHash("http://X/") == instanceHash("http://Y/") {
		t.Error("instance hashes collide")
	}
}

func mustClient(t *testing.T, base string) *jira.Client {
	t.Helper()
	c, err := jira.New(jira.Config{BaseURL: base, Auth: jira.BasicAuth{User: "u", Password: "p"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The jira client is what the engine calls in production.
var _ Jira = (*jira.Client)(nil)

func TestSyncCommentsBothEditedLastEditWins(t *testing.T) {
	cases := []struct {
		name      string
		laterOn   string // instance whose edit happens later
		wantBody  string
		wantWrote [2]bool
	}{
		{"source edited last", "A", "source edit", [2]bool{false, true}},
		{"copy edited last", "AB", "copy edit", [2]bool{true, false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newCommentFixture(t, "A", "AB")
			h := f.hops[0]
			orig := h.add("A", "alice", "agreed", nil)
			h.syncComments()
			cp := findComment(h.comments("AB"), "agreed")
			editA := func() {
				if _, err := f.client("A", "alice").UpdateComment(f.ctx, h.issue["A"].ID, orig.ID, jira.CommentInput{Body: "source edit"}); err != nil {
					t.Fatal(err)
				}
			}
			editAB := func() {
				body := strings.Replace(cp.Body, "agreed", "copy edit", 1)
				if _, err := f.client("AB", "admin").UpdateComment(f.ctx, h.issue["AB"].ID, cp.ID, jira.CommentInput{Body: body}); err != nil {
					t.Fatal(err)
				}
			}
			// The later edit is made a minute later by the later instance's clock.
			f.sim.Instance(tc.laterOn).Knobs().AdvanceClock(time.Minute)
			if tc.laterOn == "A" {
				editAB()
				editA()
			} else {
				editA()
				editAB()
			}
			if w := h.syncComments(); w != tc.wantWrote {
				t.Errorf("wrote = %v, want %v", w, tc.wantWrote)
			}
			a, ab := h.comments("A"), h.comments("AB")
			if len(a) != 1 || len(ab) != 1 || a[0].Body != tc.wantBody || !strings.HasSuffix(ab[0].Body, "\n\n"+tc.wantBody) {
				t.Errorf("A = %q, AB = %q, want both %q", a[0].Body, ab[0].Body, tc.wantBody)
			}
			f.assertQuiet((*commentHop).syncComments)
		})
	}
}
