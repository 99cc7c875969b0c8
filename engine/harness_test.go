package engine

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

// simWorld is three emulated Jiras (A, AB, B) shared by one or more nodes.
type simWorld struct {
	t      *testing.T
	ctx    context.Context
	sim    *jirasim.Sim
	sealer *models.Sealer
}

func newSimWorld(t *testing.T) *simWorld {
	t.Helper()
	return simWorldOf(t, jirasim.Options{Name: "A"}, jirasim.Options{Name: "AB"}, jirasim.Options{Name: "B"})
}

// simWorldOf starts the given instances. The harness polls right after each write without
// letting time pass: search is as current as GET (an instance without knobs of its own gets
// NoIndexLag); paging and normalisation are Jira's.
func simWorldOf(t *testing.T, opts ...jirasim.Options) *simWorld {
	t.Helper()
	for i := range opts {
		if opts[i].Knobs == nil {
			opts[i].Knobs = jirasim.NoIndexLag()
		}
	}
	sim, err := jirasim.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	key := make([]byte, 32)
	rand.Read(key)
	s, err := models.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return &simWorld{t: t, ctx: context.Background(), sim: sim, sealer: s}
}

// human is a Jira client acting as a person (password = login in the seed).
func (w *simWorld) human(inst, user string) *jira.Client {
	w.t.Helper()
	c, err := jira.New(jira.Config{BaseURL: w.sim.Instance(inst).URL(), Auth: jira.BasicAuth{User: user, Password: user},
		Instance: inst + "-" + user, MaxRetries: 5, BackoffBase: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *simWorld) project(inst string) string { return jirasim.DefaultProjectKey(inst) }

// createIssue makes an issue as alice.
func (w *simWorld) createIssue(inst string, fields map[string]any) *jira.CreatedIssue {
	w.t.Helper()
	f := map[string]any{"project": map[string]string{"key": w.project(inst)}, "issuetype": map[string]string{"name": "Task"}}
	for k, v := range fields {
		f[k] = v
	}
	c, err := w.human(inst, "alice").CreateIssue(w.ctx, jira.IssueInput{Fields: f})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *simWorld) edit(inst, key string, fields map[string]any) {
	w.t.Helper()
	if err := w.human(inst, "alice").UpdateIssue(w.ctx, key, jira.IssueInput{Fields: fields}, jira.UpdateOptions{}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *simWorld) get(inst, key string) *jira.Issue {
	w.t.Helper()
	is, err := w.human(inst, "admin").GetIssue(w.ctx, key, jira.GetIssueOptions{})
	if err != nil {
		w.t.Fatalf("get %s on %s: %v", key, inst, err)
	}
	return is
}

// issues lists every issue of an instance's project, oldest first.
func (w *simWorld) issues(inst string) []jira.Issue {
	w.t.Helper()
	is, err := w.human(inst, "admin").SearchAll(w.ctx, jira.SearchQuery{JQL: "project = " + w.project(inst) + " ORDER BY key ASC",
		Fields: []string{"summary", "updated", "status", "labels", "priority", "assignee", "duedate"}}, jira.SearchAllOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	return is
}

// writes counts the write calls (POST, PUT, DELETE) the sync user made on an instance.
func (w *simWorld) writes(inst string) int {
	n := 0
	for _, e := range w.sim.Instance(inst).Log().Entries() {
		if e.User == "airlock" && e.Method != "GET" && !strings.Contains(e.Path, "/search") {
			n++
		}
	}
	return n
}

func (w *simWorld) clearLogs() {
	for _, i := range w.sim.Instances() {
		i.Log().Clear()
	}
}

// syncNode is one Airlock node: its own database and engine, with connections between instances.
type syncNode struct {
	w     *simWorld
	db    *models.DB
	e     *Engine
	insts map[string]*models.Instance
	conns []*models.Connection
	// expect tells which poll or reconcile errors a test provokes on purpose; any other error
	// fails the test, so a broken poll can never pass for "no work".
	expect func(error) bool
}

// fail reports an engine error unless the test declared it expected.
func (n *syncNode) fail(what string, err error) {
	n.w.t.Helper()
	if n.expect != nil && n.expect(err) {
		n.w.t.Logf("%s (expected): %v", what, err)
		return
	}
	n.w.t.Errorf("%s: %v", what, err)
}

// newNode builds a node syncing each pair of instances ("A","AB") with the rules; mutate may
// adjust each connection before it is stored.
func (w *simWorld) newNode(rules Rules, mutate func(*models.Connection), pairs ...[2]string) *syncNode {
	w.t.Helper()
	db := modelstest.Open(w.t)
	n := &syncNode{w: w, db: db, insts: map[string]*models.Instance{}}
	n.e = &Engine{DB: db, Logger: slog.New(slog.DiscardHandler), MinPollInterval: 50 * time.Millisecond, CreateSearchGrace: time.Millisecond,
		Clients: &ClientPool{Sealer: w.sealer, Configure: func(c *jira.Config) {
			c.MaxRetries = 4
			c.BackoffBase = 5 * time.Millisecond
			c.BackoffMax = 50 * time.Millisecond
			c.MaxRetryWait = 10 * time.Second
		}}}
	rj, _ := json.Marshal(rules)
	for _, p := range pairs {
		for _, name := range p {
			if n.insts[name] != nil {
				continue
			}
			role := models.RolePrivate
			if name == "AB" {
				role = models.RoleRelay
			}
			in := &models.Instance{Name: name, BaseURL: w.sim.Instance(name).URL(), Role: role, AuthType: models.AuthBasic, Username: "airlock"}
			if err := in.SetSecret(w.sealer, "airlock"); err != nil {
				w.t.Fatal(err)
			}
			if err := db.Create(in).Error; err != nil {
				w.t.Fatal(err)
			}
			n.insts[name] = in
		}
		c := &models.Connection{Name: p[0] + "-" + p[1], LocalInstanceID: n.insts[p[0]].ID, RemoteInstanceID: n.insts[p[1]].ID,
			LocalProject: w.project(p[0]), RemoteProject: w.project(p[1]), PollIntervalMS: 200, Rules: string(rj),
			ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteIgnore}
		if mutate != nil {
			mutate(c)
		}
		if err := db.Create(c).Error; err != nil {
			w.t.Fatal(err)
		}
		n.conns = append(n.conns, c)
	}
	return n
}

// pollAll polls every side of every connection once and returns the twins marked dirty.
func (n *syncNode) pollAll() int {
	n.w.t.Helper()
	dirty := 0
	for _, c := range n.conns {
		for _, side := range []string{models.SideLocal, models.SideRemote} {
			res, err := n.e.Poll(n.w.ctx, c.ID, side)
			if err != nil {
				n.fail(fmt.Sprintf("poll %s %s", c.Name, side), err)
				continue
			}
			dirty += len(res.Dirty)
		}
	}
	return dirty
}

// reconcileDirty reconciles every dirty twin once and returns how many ran.
func (n *syncNode) reconcileDirty() int {
	n.w.t.Helper()
	var twins []models.Twin
	n.db.Where("dirty = ? AND state IN ?", true, []string{models.TwinActive, models.TwinPendingCreate}).Order("id").Find(&twins)
	for _, tw := range twins {
		if err := n.e.Reconcile(n.w.ctx, tw.ID); err != nil && !errors.Is(err, ErrTwinBusy) {
			n.fail(fmt.Sprintf("reconcile twin %d", tw.ID), err)
		}
	}
	return len(twins)
}

// settle runs poll and reconcile rounds on every node until a whole round finds nothing.
func settle(t *testing.T, nodes ...*syncNode) {
	t.Helper()
	quiet := 0
	for round := 0; round < 40; round++ {
		work := 0
		for _, n := range nodes {
			work += n.pollAll()
			work += n.reconcileDirty()
		}
		if work == 0 {
			quiet++
			if quiet >= 2 {
				return
			}
		} else {
			quiet = 0
		}
	}
	t.Fatalf("no quiet state after 40 rounds")
}

func (n *syncNode) twins() []models.Twin {
	var ts []models.Twin
	n.db.Order("id").Find(&ts)
	return ts
}

// twinOf returns the twin holding an issue key on either side.
func (n *syncNode) twinOf(key string) *models.Twin {
	n.w.t.Helper()
	var tw models.Twin
	if n.db.Where("local_key = ? OR remote_key = ?", key, key).Limit(1).Find(&tw).RowsAffected == 0 {
		n.w.t.Fatalf("no twin for %s", key)
	}
	return &tw
}

// peer returns the key of the issue twinned with key.
func (n *syncNode) peer(key string) string {
	tw := n.twinOf(key)
	if tw.LocalKey == key {
		return tw.RemoteKey
	}
	return tw.LocalKey
}

func fieldString(is *jira.Issue, id string) string {
	raw := is.Fields[id]
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n named
	if json.Unmarshal(raw, &n) == nil && (n.Name != "" || n.Value != "") {
		return n.Name + n.Value
	}
	return strings.TrimSpace(string(raw))
}

func statusOf(is *jira.Issue) string {
	st, _ := is.Status()
	if st == nil {
		return ""
	}
	return st.Name
}

// testRules shares common fields both ways, without comments and attachments (E2's tests cover
// them) unless a test turns them on.
func testRules() Rules {
	r := DefaultRules()
	r.Comments.Enabled = false
	r.Attachments.Enabled = false
	return r
}

var _ = fmt.Sprint

func jirasimUser(name, email, display string) jirasim.SeedUser {
	return jirasim.SeedUser{Name: name, Key: "JIRAUSER" + name, Password: name, DisplayName: display, Email: email}
}

func jsonMarshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// topologies runs a test in the split topology (node A: A <-> AB, node B: AB <-> B) and in the
// single one (one node with both connections).
func topologies(t *testing.T, run func(t *testing.T, split bool)) {
	for _, split := range []bool{true, false} {
		name := "single"
		if split {
			name = "split"
		}
		t.Run(name, func(t *testing.T) { run(t, split) })
	}
}
