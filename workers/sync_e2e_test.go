package workers_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
	"github.com/airlock-sync/airlock/workers"
	"github.com/airlock-sync/airlock/workers/workerstest"
)

// e2eNode is one Airlock node: its own database, broker, worker server, engine and sweeper.
type e2eNode struct {
	db     *models.DB
	broker *workers.Broker
	e      *engine.Engine
	conns  map[string]uint
}

func startNode(t *testing.T, sim *jirasim.Sim, pairs ...[2]string) *e2eNode {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	key := make([]byte, 32)
	rand.Read(key)
	sealer, _ := models.NewSealer(key)
	n := &e2eNode{db: modelstest.Open(t), broker: workerstest.Broker(t), conns: map[string]uint{}}
	insts := map[string]*models.Instance{}
	rules := engine.DefaultRules()
	rules.Attachments.Enabled = false
	rj, _ := json.Marshal(rules)
	for _, p := range pairs {
		for _, name := range p {
			if insts[name] != nil {
				continue
			}
			in := &models.Instance{Name: name, BaseURL: sim.Instance(name).URL(), AuthType: models.AuthBasic, Username: "airlock"}
			in.SetSecret(sealer, "airlock")
			if err := n.db.Create(in).Error; err != nil {
				t.Fatal(err)
			}
			insts[name] = in
		}
		c := &models.Connection{Name: p[0] + "-" + p[1], LocalInstanceID: insts[p[0]].ID, RemoteInstanceID: insts[p[1]].ID,
			LocalProject: jirasim.DefaultProjectKey(p[0]), RemoteProject: jirasim.DefaultProjectKey(p[1]), PollIntervalMS: 200,
			Rules: string(rj), ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteIgnore}
		if err := n.db.Create(c).Error; err != nil {
			t.Fatal(err)
		}
		n.conns[c.Name] = c.ID
	}
	n.e = &engine.Engine{DB: n.db, Logger: logger, MinPollInterval: 50 * time.Millisecond, CreateSearchGrace: 100 * time.Millisecond,
		Clients: &engine.ClientPool{Sealer: sealer, Configure: func(c *jira.Config) {
			c.BackoffBase, c.BackoffMax = 5*time.Millisecond, 50*time.Millisecond
		}}}
	q := workers.NewQueue(n.broker)
	t.Cleanup(q.Close)
	srv := workers.NewServer(n.broker, n.db, logger, workers.ServerOptions{Concurrency: 4, ShutdownTimeout: 2 * time.Second})
	stop, err := workers.StartSync(ctx, srv, n.e, q, 100*time.Millisecond, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return n
}

func simClient(t *testing.T, sim *jirasim.Sim, inst string) *jira.Client {
	c, err := jira.New(jira.Config{BaseURL: sim.Instance(inst).URL(), Auth: jira.BasicAuth{User: "alice", Password: "alice"}, Instance: inst})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func findBySummary(t *testing.T, c *jira.Client, project, summary string) []jira.Issue {
	is, err := c.SearchAll(context.Background(), jira.SearchQuery{JQL: `project = ` + project,
		Fields: []string{"summary", "status", "comment"}}, jira.SearchAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []jira.Issue
	for _, i := range is {
		if s, _ := i.Summary(); s == summary {
			out = append(out, i)
		}
	}
	return out
}

// waitQuiet waits until no node has a twin that is dirty or still to be created, without a break
// for hold (longer than the poll periods), so a late duplicate would have had its chance to
// appear before the test counts copies.
func waitQuiet(t *testing.T, hold time.Duration, nodes ...*e2eNode) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var since time.Time
	for {
		busy := int64(0)
		for _, n := range nodes {
			var c int64
			if err := n.db.Model(&models.Twin{}).Where("dirty = ? OR state = ?", true, models.TwinPendingCreate).Count(&c).Error; err != nil {
				t.Fatal(err)
			}
			busy += c
		}
		switch {
		case busy > 0:
			since = time.Time{}
		case since.IsZero():
			since = time.Now()
		case time.Since(since) >= hold:
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no quiet period of %s within 30 s (%d twins busy)", hold, busy)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func createOn(t *testing.T, c *jira.Client, project, summary string) *jira.CreatedIssue {
	t.Helper()
	ci, err := c.CreateIssue(context.Background(), jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": project},
		"issuetype": map[string]string{"name": "Task"}, "summary": summary}})
	if err != nil {
		t.Fatal(err)
	}
	return ci
}

func TestE2ESplitTopology(t *testing.T) {
	sim, err := jirasim.New()
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	na := startNode(t, sim, [2]string{"A", "AB"})
	nb := startNode(t, sim, [2]string{"B", "AB"})
	defer func() {
		if !t.Failed() {
			return
		}
		for _, n := range []*e2eNode{na, nb} {
			var ts []models.Twin
			n.db.Find(&ts)
			for _, tw := range ts {
				t.Logf("twin %+v", tw)
			}
			var es []models.SyncError
			n.db.Find(&es)
			for _, e := range es {
				t.Logf("error %s %s", e.Class, e.Message)
			}
		}
		for _, e := range sim.Instance("AB").Log().Entries() {
			if e.Method != "GET" {
				t.Logf("AB %s %s %d %s", e.Method, e.Path, e.Status, e.Body)
			}
		}
	}()
	a, b := simClient(t, sim, "A"), simClient(t, sim, "B")
	time.Sleep(300 * time.Millisecond) // first polls set the watermarks
	createOn(t, a, "ALPHA", "split from A")
	waitFor(t, "A's issue on B", 30*time.Second, func() bool { return len(findBySummary(t, b, "BETA", "split from A")) == 1 })
	onB := findBySummary(t, b, "BETA", "split from A")[0]
	if _, err := b.AddComment(context.Background(), onB.Key, jira.CommentInput{Body: "hello from B"}); err != nil {
		t.Fatal(err)
	}
	if err := b.UpdateIssue(context.Background(), onB.Key, jira.IssueInput{Fields: map[string]any{"summary": "split edited on B"}}, jira.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B's edit on A", 30*time.Second, func() bool { return len(findBySummary(t, a, "ALPHA", "split edited on B")) == 1 })
	waitFor(t, "B's comment on A", 30*time.Second, func() bool {
		is := findBySummary(t, a, "ALPHA", "split edited on B")
		if len(is) != 1 {
			return false
		}
		cs, err := a.Comments(context.Background(), is[0].Key, jira.CommentOptions{})
		return err == nil && len(cs) == 1
	})
	waitQuiet(t, time.Second, na, nb)
	for inst, c := range map[string]*jira.Client{"A": a, "AB": simClient(t, sim, "AB"), "B": b} {
		if got := len(findBySummary(t, c, jirasim.DefaultProjectKey(inst), "split edited on B")); got != 1 {
			t.Errorf("%s has %d copies", inst, got)
		}
	}
}

func TestE2ESingleTopologyWithKickAndRedisFlush(t *testing.T) {
	sim, err := jirasim.New()
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	n := startNode(t, sim, [2]string{"A", "AB"}, [2]string{"B", "AB"})
	// Slow regular polls: the next hop must come from Kick.
	n.db.Model(&models.Connection{}).Where("1 = 1").Update("poll_interval_ms", 1500)
	a, b := simClient(t, sim, "A"), simClient(t, sim, "B")
	time.Sleep(300 * time.Millisecond)
	createOn(t, a, "ALPHA", "single from A")
	waitFor(t, "A's issue on B", 30*time.Second, func() bool { return len(findBySummary(t, b, "BETA", "single from A")) == 1 })

	// Every queued task is lost: the outbox in the database still carries every change.
	for i := range 3 {
		createOn(t, a, "ALPHA", "after flush "+string(rune('0'+i)))
	}
	if err := n.broker.Redis().FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "changes after a Redis flush", 30*time.Second, func() bool {
		for i := range 3 {
			if len(findBySummary(t, b, "BETA", "after flush "+string(rune('0'+i)))) != 1 {
				return false
			}
		}
		return true
	})
	// 4 issues, each created on AB and on B. The event of a create is recorded just after the
	// issue appears on B: wait for it, then make sure no create came twice.
	createEvents := func() int64 {
		var events int64
		n.db.Model(&models.Event{}).Where("kind = ?", "create").Count(&events)
		return events
	}
	waitFor(t, "8 create events", 30*time.Second, func() bool { return createEvents() >= 8 })
	waitQuiet(t, 3*time.Second, n) // two of the 1.5 s poll periods
	if events := createEvents(); events != 8 {
		t.Errorf("create events = %d, want 8", events)
	}
}
