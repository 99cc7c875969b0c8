package workers_test

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for creating the shared test database

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
	"github.com/airlock-sync/airlock/workers"
	"github.com/airlock-sync/airlock/workers/workerstest"
)

// The scale-out and shutdown tests run workers as real OS processes: the test binary re-executes
// itself with AIRLOCK_HELPER_WORKER=1 and TestMain turns it into a worker (engine, asynq server,
// sweeper, SIGTERM handling) on the shared Postgres and Redis. Every task start and end is
// appended to a per-process trace file, which the test merges to look for overlaps.
const helperEnv = "AIRLOCK_HELPER_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperWorker())
	}
	os.Exit(m.Run())
}

// helperWorker is the child process: a worker like `airlock worker`, instrumented with the trace.
func helperWorker() int {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	key, err := base64.StdEncoding.DecodeString(os.Getenv("HELPER_KEY"))
	if err != nil {
		logger.Error("key", "err", err)
		return 2
	}
	sealer, err := models.NewSealer(key)
	if err != nil {
		logger.Error("sealer", "err", err)
		return 2
	}
	db, err := models.Open(ctx, models.OpenOptions{DatabaseURL: os.Getenv("HELPER_DB"), MaxOpenConns: 8})
	if err != nil {
		logger.Error("db", "err", err)
		return 1
	}
	defer db.Close()
	broker, err := workers.OpenBroker(ctx, os.Getenv("HELPER_REDIS"), false)
	if err != nil {
		logger.Error("redis", "err", err)
		return 1
	}
	defer broker.Close()
	trace, err := os.OpenFile(filepath.Join(os.Getenv("HELPER_TRACE_DIR"), fmt.Sprintf("trace-%d.log", os.Getpid())), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		logger.Error("trace", "err", err)
		return 1
	}
	defer trace.Close()
	shutdown, _ := time.ParseDuration(os.Getenv("HELPER_SHUTDOWN"))
	e := &engine.Engine{DB: db, Logger: logger, MinPollInterval: 50 * time.Millisecond, CreateSearchGrace: 100 * time.Millisecond,
		Clients: &engine.ClientPool{Sealer: sealer, Configure: func(c *jira.Config) {
			c.BackoffBase, c.BackoffMax = 5*time.Millisecond, 50*time.Millisecond
		}}}
	q := workers.NewQueue(broker)
	defer q.Close()
	srv := workers.NewServer(broker, db, logger, workers.ServerOptions{Concurrency: 4, ShutdownTimeout: shutdown})
	srv.Mux.Use(traceTasks(trace))
	workers.RegisterSync(srv, e, q)
	if os.Getenv("HELPER_UNIQUE") == "0" {
		// The negative control: the same tasks without deterministic ids, which is what the
		// overlap check must catch.
		nu := &nonUniqueQueue{c: asynq.NewClient(broker.ConnOpt())}
		defer nu.c.Close()
		e.Enqueuer = nu
		e.Kick = func(ctx context.Context, id uint, side string) { _ = nu.EnqueuePoll(ctx, id, side) }
	}
	if err := srv.Start(); err != nil {
		logger.Error("start", "err", err)
		return 1
	}
	fmt.Fprintf(trace, "READY %d %d\n", os.Getpid(), time.Now().UnixNano())
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		workers.RunSweeper(sctx, e, 100*time.Millisecond, logger)
	}()
	<-ctx.Done()
	fmt.Fprintf(trace, "TERM %d %d\n", os.Getpid(), time.Now().UnixNano())
	cancel()
	<-done
	srv.Shutdown()
	fmt.Fprintf(trace, "EXIT %d %d\n", os.Getpid(), time.Now().UnixNano())
	return 0
}

// traceTasks appends "S|E key pid unixnano" around every task; one write per line, O_APPEND.
func traceTasks(w io.Writer) asynq.MiddlewareFunc {
	var mu sync.Mutex
	write := func(kind, key string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "%s %s %d %d\n", kind, key, os.Getpid(), time.Now().UnixNano())
	}
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			key := taskKey(t)
			write("S", key)
			defer write("E", key)
			return next.ProcessTask(ctx, t)
		})
	}
}

// taskKey names what a task works on: one twin, or one connection side.
func taskKey(t *asynq.Task) string {
	switch t.Type() {
	case workers.TypePoll:
		var p workers.PollPayload
		_ = json.Unmarshal(t.Payload(), &p)
		return workers.PollTaskID(p.ConnectionID, p.Side)
	case workers.TypeReconcile:
		var p workers.ReconcilePayload
		_ = json.Unmarshal(t.Payload(), &p)
		return workers.ReconcileTaskID(p.TwinID)
	}
	return t.Type()
}

// nonUniqueQueue enqueues like workers.Queue but without task ids.
type nonUniqueQueue struct{ c *asynq.Client }

func (q *nonUniqueQueue) enqueue(ctx context.Context, t workers.QueuedTask) error {
	_, err := q.c.EnqueueContext(ctx, t.Task, append([]asynq.Option{asynq.Queue(t.Queue)}, t.Opts...)...)
	return err
}

func (q *nonUniqueQueue) EnqueuePoll(ctx context.Context, id uint, side string) error {
	return q.enqueue(ctx, workers.NewPollTask(id, side))
}

func (q *nonUniqueQueue) EnqueueReconcile(ctx context.Context, twinID, connID uint) error {
	return q.enqueue(ctx, workers.NewReconcileTask(twinID, connID))
}

// cluster is one single-topology node (A<->AB and B<->AB) whose workers are OS processes.
type cluster struct {
	t        *testing.T
	sim      *jirasim.Sim
	db       *models.DB
	dbURL    string
	redisURL string
	key      string
	traceDir string
	procs    []*workerProc
	clients  map[string]*jira.Client
}

type workerProc struct {
	cmd  *exec.Cmd
	done chan error
}

// newCluster needs a real Postgres and Redis (several processes share them); it skips without
// them, and CI (which sets both) fails instead.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	if os.Getenv("REDIS_URL") == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("REDIS_URL is not set: CI must run the scale-out tests")
		}
		t.Skip("REDIS_URL not set: the multi-process tests need a real Redis and Postgres")
	}
	dsn := modelstest.PostgresURL(t)
	c := &cluster{t: t, traceDir: t.TempDir(), clients: map[string]*jira.Client{}}
	c.dbURL = freshPostgres(t, dsn)
	db, err := models.Open(context.Background(), models.OpenOptions{DatabaseURL: c.dbURL, MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.db = db
	b := workerstest.Broker(t)
	o := b.ConnOpt().(asynq.RedisClientOpt)
	u := url.URL{Scheme: "redis", Host: o.Addr, Path: "/" + strconv.Itoa(o.DB)}
	if o.Password != "" {
		u.User = url.UserPassword(o.Username, o.Password)
	}
	c.redisURL = u.String()
	if c.sim, err = jirasim.New(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.sim.Close)
	k := make([]byte, 32)
	rand.Read(k)
	c.key = base64.StdEncoding.EncodeToString(k)
	sealer, _ := models.NewSealer(k)
	rules := engine.DefaultRules()
	rules.Attachments.Enabled = false
	rj, _ := json.Marshal(rules)
	insts := map[string]*models.Instance{}
	for _, name := range []string{"A", "AB", "B"} {
		in := &models.Instance{Name: name, BaseURL: c.sim.Instance(name).URL(), AuthType: models.AuthBasic, Username: "airlock"}
		in.SetSecret(sealer, "airlock")
		if err := db.Create(in).Error; err != nil {
			t.Fatal(err)
		}
		insts[name] = in
		c.clients[name] = simClient(t, c.sim, name)
	}
	for _, p := range [][2]string{{"A", "AB"}, {"B", "AB"}} {
		conn := &models.Connection{Name: p[0] + "-" + p[1], LocalInstanceID: insts[p[0]].ID, RemoteInstanceID: insts[p[1]].ID,
			LocalProject: jirasim.DefaultProjectKey(p[0]), RemoteProject: jirasim.DefaultProjectKey(p[1]), PollIntervalMS: 200,
			Rules: string(rj), ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteIgnore}
		if err := db.Create(conn).Error; err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(c.stopAll)
	return c
}

// freshPostgres creates a database for the test (dropped at cleanup) and returns its URL.
func freshPostgres(t *testing.T, dsn string) string {
	name := "airlock_t_" + strings.ToLower(strings.ReplaceAll(models.RandomToken(6), "-", "_"))
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE "` + name + `"`); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("pgx", dsn); err == nil {
			a.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`)
			a.Close()
		}
	})
	u, _ := url.Parse(dsn)
	u.Path = "/" + name
	return u.String()
}

// start launches one worker process.
func (c *cluster) start(unique bool, shutdown time.Duration) *workerProc {
	c.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	uniq := "1"
	if !unique {
		uniq = "0"
	}
	cmd.Env = append(os.Environ(), helperEnv+"=1", "HELPER_DB="+c.dbURL, "HELPER_REDIS="+c.redisURL, "HELPER_KEY="+c.key,
		"HELPER_TRACE_DIR="+c.traceDir, "HELPER_UNIQUE="+uniq, "HELPER_SHUTDOWN="+shutdown.String())
	logf, err := os.Create(filepath.Join(c.traceDir, fmt.Sprintf("stderr-%d.log", len(c.procs))))
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	p := &workerProc{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logf.Close() }()
	c.procs = append(c.procs, p)
	return p
}

// term sends SIGTERM and waits for a clean exit.
func (c *cluster) term(p *workerProc, within time.Duration) {
	c.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			c.t.Errorf("worker %d exited with %v after SIGTERM", p.cmd.Process.Pid, err)
		}
	case <-time.After(within):
		_ = p.cmd.Process.Kill()
		c.t.Errorf("worker %d did not stop within %s of SIGTERM", p.cmd.Process.Pid, within)
	}
}

func (c *cluster) stopAll() {
	for _, p := range c.procs {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, p := range c.procs {
		select {
		case err := <-p.done:
			p.done <- err
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
		}
	}
}

// dumpOnFailure logs the workers' stderr and the open errors when the test failed.
func (c *cluster) dumpOnFailure() {
	if !c.t.Failed() {
		return
	}
	files, _ := filepath.Glob(filepath.Join(c.traceDir, "stderr-*.log"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if len(b) > 4000 {
			b = b[len(b)-4000:]
		}
		c.t.Logf("%s:\n%s", filepath.Base(f), b)
	}
	var es []models.SyncError
	c.db.Where("resolved_at IS NULL").Limit(20).Find(&es)
	for _, e := range es {
		c.t.Logf("open error %s %s: %s", e.Class, e.TaskType, e.Message)
	}
}

// waitReady waits until every started worker wrote its READY line.
func (c *cluster) waitReady(n int) {
	c.t.Helper()
	waitFor(c.t, "workers ready", 30*time.Second, func() bool {
		return len(c.traceLines("READY")) >= n
	})
}

// traceLines returns the trace lines of one kind from every worker.
func (c *cluster) traceLines(kind string) [][]string {
	files, _ := filepath.Glob(filepath.Join(c.traceDir, "trace-*.log"))
	var out [][]string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) > 0 && fs[0] == kind {
				out = append(out, fs)
			}
		}
		fh.Close()
	}
	return out
}

// span is one task execution in one process.
type span struct {
	key        string
	pid        string
	start, end int64
	abandoned  bool // cut at process exit
}

// spans pairs the S and E lines of every process. A start without an end was abandoned when the
// process exited (asynq hands such a task back after the shutdown timeout): it ends at the
// process's EXIT line, or lasts forever when there is none (still running, or killed).
func (c *cluster) spans() []span {
	files, _ := filepath.Glob(filepath.Join(c.traceDir, "trace-*.log"))
	var out []span
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			c.t.Fatal(err)
		}
		open := map[string][]int{} // key -> indexes into out of unfinished spans
		for _, line := range strings.Split(string(b), "\n") {
			fs := strings.Fields(line)
			if len(fs) == 3 && fs[0] == "EXIT" {
				at, _ := strconv.ParseInt(fs[2], 10, 64)
				for _, idx := range open {
					for _, i := range idx {
						out[i].end, out[i].abandoned = at, true
					}
				}
				open = map[string][]int{}
				continue
			}
			if len(fs) != 4 || (fs[0] != "S" && fs[0] != "E") {
				continue
			}
			at, _ := strconv.ParseInt(fs[3], 10, 64)
			if fs[0] == "S" {
				out = append(out, span{key: fs[1], pid: fs[2], start: at, end: 1<<63 - 1})
				open[fs[1]] = append(open[fs[1]], len(out)-1)
				continue
			}
			if idx := open[fs[1]]; len(idx) > 0 {
				out[idx[0]].end = at
				open[fs[1]] = idx[1:]
			}
		}
	}
	return out
}

// overlaps lists, per key, the executions that ran at the same time as another of the same key.
func overlaps(spans []span) []string {
	byKey := map[string][]span{}
	for _, s := range spans {
		byKey[s.key] = append(byKey[s.key], s)
	}
	var out []string
	for key, ss := range byKey {
		slices.SortFunc(ss, func(a, b span) int { return cmp.Compare(a.start, b.start) })
		var last span
		for i, s := range ss {
			if i > 0 && s.start < last.end {
				out = append(out, fmt.Sprintf("%s: pid %s [%d, %d] overlaps pid %s [%d, %d]", key, last.pid, last.start, last.end, s.pid, s.start, s.end))
			}
			if i == 0 || s.end > last.end {
				last = s
			}
		}
	}
	slices.Sort(out)
	return out
}

// scenario plays random user operations on the three Jiras: creates on A and B, summary edits on
// the origin or on the relay copy, comments. Every issue carries a tag in its summary
// ("t17 v3"), so copies are found by tag whatever edit won.
type scenario struct {
	c       *cluster
	rnd     *mrand.Rand
	origins map[string]string // tag -> origin instance
	keys    map[string]string // tag -> key on the origin
	tags    []string
	version map[string]int
	notes   map[string]int // tag -> comments added
}

func newScenario(c *cluster, seed uint64) *scenario {
	c.t.Logf("scenario seed %d", seed)
	return &scenario{c: c, rnd: mrand.New(mrand.NewPCG(seed, 1)), origins: map[string]string{}, keys: map[string]string{},
		version: map[string]int{}, notes: map[string]int{}}
}

func (s *scenario) create(inst string) {
	tag := fmt.Sprintf("t%d", len(s.tags))
	ci := createOn(s.c.t, s.c.clients[inst], jirasim.DefaultProjectKey(inst), tag+" v0")
	s.origins[tag], s.keys[tag] = inst, ci.Key
	s.tags = append(s.tags, tag)
}

// run plays n operations, pausing pause between them.
func (s *scenario) run(n int, pause time.Duration) {
	ctx := context.Background()
	for range n {
		p := s.rnd.IntN(100)
		switch {
		case len(s.tags) < 3 || p < 30:
			s.create("A")
		case p < 45:
			s.create("B")
		case p < 90:
			tag := s.tags[s.rnd.IntN(len(s.tags))]
			s.version[tag]++
			inst, key := s.origins[tag], s.keys[tag]
			if p >= 80 { // on the relay copy, when it exists yet
				if is := s.find("AB", tag); len(is) == 1 {
					inst, key = "AB", is[0].Key
				}
			}
			summary := fmt.Sprintf("%s v%d", tag, s.version[tag])
			if err := s.c.clients[inst].UpdateIssue(ctx, key, jira.IssueInput{Fields: map[string]any{"summary": summary}}, jira.UpdateOptions{}); err != nil {
				s.c.t.Fatalf("edit %s on %s: %v", key, inst, err)
			}
		default:
			tag := s.tags[s.rnd.IntN(len(s.tags))]
			if _, err := s.c.clients[s.origins[tag]].AddComment(ctx, s.keys[tag], jira.CommentInput{Body: "note " + tag}); err != nil {
				s.c.t.Fatal(err)
			}
			s.notes[tag]++
		}
		time.Sleep(pause)
	}
}

// find returns the issues of inst's project whose summary carries tag.
func (s *scenario) find(inst, tag string) []jira.Issue {
	var out []jira.Issue
	for _, is := range s.all(inst) {
		if sum, _ := is.Summary(); strings.HasPrefix(sum, tag+" ") {
			out = append(out, is)
		}
	}
	return out
}

func (s *scenario) all(inst string) []jira.Issue {
	is, err := s.c.clients[inst].SearchAll(context.Background(), jira.SearchQuery{JQL: "project = " + jirasim.DefaultProjectKey(inst),
		Fields: []string{"summary", "comment"}}, jira.SearchAllOptions{})
	if err != nil {
		s.c.t.Fatal(err)
	}
	return is
}

// converged reports whether every tag has exactly one issue on each Jira, all three with the same
// summary and the origin's number of comments, and no twin is dirty or failing. The reason is for
// the log.
func (s *scenario) converged() (bool, string) {
	byInst := map[string]map[string][]jira.Issue{}
	for _, inst := range []string{"A", "AB", "B"} {
		byInst[inst] = map[string][]jira.Issue{}
		for _, is := range s.all(inst) {
			sum, _ := is.Summary()
			tag, _, _ := strings.Cut(sum, " ")
			byInst[inst][tag] = append(byInst[inst][tag], is)
		}
		if len(byInst[inst]) != len(s.tags) {
			return false, fmt.Sprintf("%s has %d tags, want %d", inst, len(byInst[inst]), len(s.tags))
		}
	}
	for _, tag := range s.tags {
		var first string
		for _, inst := range []string{"A", "AB", "B"} {
			is := byInst[inst][tag]
			if len(is) != 1 {
				return false, fmt.Sprintf("%s has %d copies of %s", inst, len(is), tag)
			}
			sum, _ := is[0].Summary()
			if first == "" {
				first = sum
			} else if sum != first {
				return false, fmt.Sprintf("%s: %q on %s, %q elsewhere", tag, sum, inst, first)
			}
			if cs, err := s.c.clients[inst].Comments(context.Background(), is[0].Key, jira.CommentOptions{}); err != nil || len(cs) != s.notes[tag] {
				return false, fmt.Sprintf("%s on %s has %d comments, want %d (%v)", tag, inst, len(cs), s.notes[tag], err)
			}
		}
	}
	var dirty int64
	s.c.db.Model(&models.Twin{}).Where("dirty = ? OR state <> ?", true, models.TwinActive).Count(&dirty)
	if dirty > 0 {
		return false, fmt.Sprintf("%d twins dirty or not active", dirty)
	}
	return true, ""
}

func (s *scenario) waitConverged(d time.Duration) {
	s.c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, why := s.converged()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			s.c.t.Fatalf("not converged after %s: %s", d, why)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestScaleOutThreeWorkers runs three worker processes on one Postgres and one Redis under a
// random scenario of 100 operations and proves, from the task traces, that no twin was ever
// reconciled by two workers at once and no connection side polled twice at once, that all three
// did work, and that the result converges with no duplicate issue.
func TestScaleOutThreeWorkers(t *testing.T) {
	c := newCluster(t)
	defer c.dumpOnFailure()
	// Slow Jira calls widen every task, so a double dispatch would show as an overlap.
	for _, in := range []string{"A", "AB", "B"} {
		c.sim.Instance(in).Knobs().SetLatency(3 * time.Millisecond)
	}
	for range 3 {
		c.start(true, 5*time.Second)
	}
	c.waitReady(3)
	s := newScenario(c, uint64(time.Now().UnixNano()))
	s.run(100, 15*time.Millisecond)
	s.waitConverged(90 * time.Second)
	c.stopAll()

	sp := c.spans()
	pids := map[string]int{}
	reconciles, polls := 0, 0
	for _, x := range sp {
		pids[x.pid]++
		if strings.HasPrefix(x.key, "reconcile:") {
			reconciles++
		} else {
			polls++
		}
	}
	t.Logf("%d reconciles and %d polls by %d processes %v", reconciles, polls, len(pids), pids)
	if len(pids) != 3 {
		t.Errorf("%d processes ran tasks, want 3", len(pids))
	}
	if reconciles < len(s.tags)*2 {
		t.Errorf("only %d reconciles for %d issues", reconciles, len(s.tags))
	}
	if ov := overlaps(sp); len(ov) > 0 {
		t.Errorf("%d overlapping executions, first: %s", len(ov), strings.Join(ov[:min(5, len(ov))], "\n"))
	}
}

// TestScaleOutOverlapCheckCatchesDoubleDispatch is the negative control: the same workers with
// the deterministic task ids removed must show overlaps, or the check above proves nothing.
func TestScaleOutOverlapCheckCatchesDoubleDispatch(t *testing.T) {
	c := newCluster(t)
	defer c.dumpOnFailure()
	for _, in := range []string{"A", "AB", "B"} {
		c.sim.Instance(in).Knobs().SetLatency(20 * time.Millisecond)
	}
	for range 3 {
		c.start(false, 2*time.Second)
	}
	c.waitReady(3)
	s := newScenario(c, 7)
	for range 10 {
		s.create("A")
	}
	waitFor(t, "overlapping executions", 30*time.Second, func() bool { return len(overlaps(c.spans())) > 0 })
	t.Logf("without task ids: %d overlaps, e.g. %s", len(overlaps(c.spans())), overlaps(c.spans())[0])
}

func TestOverlaps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spans []span
		want  int
	}{
		{"sequential", []span{{key: "k", pid: "1", start: 0, end: 10}, {key: "k", pid: "2", start: 10, end: 20}, {key: "k", pid: "1", start: 25, end: 30}}, 0},
		{"other keys", []span{{key: "a", pid: "1", start: 0, end: 10}, {key: "b", pid: "2", start: 5, end: 20}}, 0},
		{"overlap", []span{{key: "k", pid: "1", start: 0, end: 10}, {key: "k", pid: "2", start: 5, end: 20}}, 1},
		{"inside a long one", []span{{key: "k", pid: "1", start: 0, end: 100}, {key: "k", pid: "2", start: 10, end: 20}, {key: "k", pid: "3", start: 30, end: 40}}, 2},
		{"unfinished", []span{{key: "k", pid: "1", start: 0, end: 1<<63 - 1}, {key: "k", pid: "2", start: 50, end: 60}}, 1},
	} {
		if got := len(overlaps(tc.spans)); got != tc.want {
			t.Errorf("%s: %d overlaps, want %d", tc.name, got, tc.want)
		}
	}
}
