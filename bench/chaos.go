package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/workers"
)

// ChaosOptions configures the chaos scenario (issue 7 item 1).
type ChaosOptions struct {
	// Ops is the number of random operations people apply on A and B (the issue asks >= 2,000).
	Ops int
	// Kills is the number of SIGKILLs sent to worker processes (each is restarted at once).
	Kills int
	// RedisRestarts is how often the queue is lost: the embedded miniredis is closed and a new,
	// empty one starts on the same address; with REDIS_URL its one database is flushed too.
	RedisRestarts int
	// DBRestarts is how often the database restarts: on Postgres every backend of the nodes'
	// databases is terminated; on SQLite every worker is SIGKILLed at once and restarted.
	DBRestarts int
	// WorkersPerNode is the number of `airlock worker` processes each node runs (default 2).
	WorkersPerNode int
	// ErrorRate, Rate429 and TimeoutRate are the emulators' fault rates while operations run
	// (defaults 5%, 2%, 1%); 429s hit the sync user only, 5xx and timeouts every caller.
	ErrorRate, Rate429, TimeoutRate float64
	// Hang is how long a timed-out call hangs before the emulator gives up with 504 (default 2 s).
	Hang time.Duration
	// IndexLag is the emulators' search lag, while operations run and after (default 1 s, the
	// emulator's realistic default: a search sees a write that long after GET does). It is
	// Jira's behaviour, not a fault, so it stays when the faults stop.
	IndexLag time.Duration
	// PollInterval of every connection side (default 1 s).
	PollInterval time.Duration
	// QuietTimeout bounds the wait for the quiet state after the faults stop (default 10 min).
	QuietTimeout time.Duration
	// Seed makes the operations and the chaos schedule reproducible (default 20240917).
	Seed uint64
	// Binary is the airlock executable run as `airlock worker` (default os.Executable()).
	Binary   string
	Progress func(string)
}

func (o *ChaosOptions) defaults() {
	if o.Ops <= 0 {
		o.Ops = 2000
	}
	if o.WorkersPerNode <= 0 {
		o.WorkersPerNode = 2
	}
	if o.Hang <= 0 {
		o.Hang = 2 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.QuietTimeout <= 0 {
		o.QuietTimeout = 10 * time.Minute
	}
	if o.Seed == 0 {
		o.Seed = 20240917
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
}

// DefaultChaos returns the options of the issue: 2,000 operations, 10 kills, one Redis restart,
// one database restart, 5% 5xx, 2% 429 and 1% timeouts.
func DefaultChaos() ChaosOptions {
	return ChaosOptions{Ops: 2000, Kills: 10, RedisRestarts: 1, DBRestarts: 1, ErrorRate: 0.05, Rate429: 0.02, TimeoutRate: 0.01,
		IndexLag: jirasim.DefaultIndexLag}
}

// chaosNode is one node of the split topology whose workers are child processes.
type chaosNode struct {
	name     string
	dataDir  string
	dbURL    string // Postgres database of this node; "" on SQLite
	redisURL string
	db       *models.DB // the bench's own handle, for the checks
	rules    engine.Rules
	drop     func()
}

func (n *chaosNode) ledger() Ledger { return Ledger{Name: n.name, DB: n.db, Rules: n.rules} }

// Chaos runs the convergence scenario while worker processes are killed, the queue is lost, the
// database restarts and the emulators inject 5xx, 429s and timeouts; then it waits for the quiet
// state and reports operations applied, changes lost, duplicates and divergence (all must be 0).
// Each node syncs two paths through the relay: the default projects, and A's service project
// HELP to SUPPORT on B through HELPRELAY, where people write internal notes and public replies;
// no internal note may be found outside its side, stored or in a request body (servicedesk.go).
func Chaos(ctx context.Context, cfg Config, o ChaosOptions) (*Report, error) {
	cfg.defaults()
	o.defaults()
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("chaos: find the airlock binary: %w", err)
		}
		o.Binary = exe
	}
	r := newReport("chaos", map[string]any{"ops": o.Ops, "kills": o.Kills, "redis_restarts": o.RedisRestarts, "db_restarts": o.DBRestarts,
		"workers_per_node": o.WorkersPerNode, "error_rate": o.ErrorRate, "rate_429": o.Rate429, "timeout_rate": o.TimeoutRate,
		"hang": o.Hang.String(), "index_lag": o.IndexLag.String(), "poll": o.PollInterval.String(), "sweep": cfg.SweepEvery.String(),
		"latency": cfg.Latency.String(), "cap": cfg.Cap, "seed": o.Seed, "db": dbKind(cfg), "queue": queueKind(cfg),
		"worker_concurrency": cfg.WorkerConcurrency})
	w, err := NewWorld(cfg)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	w.Throttle()

	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	sealer, err := models.NewSealer(key)
	if err != nil {
		return nil, err
	}

	// The queue: a miniredis on TCP that the child processes reach, or REDIS_URL.
	q := &chaosQueue{url: cfg.RedisURL}
	if err := q.start(ctx); err != nil {
		return nil, err
	}
	defer q.close()

	var nodes []*chaosNode
	defer func() {
		for _, n := range nodes {
			if n.db != nil {
				n.db.Close()
			}
			if n.drop != nil {
				n.drop()
			}
		}
	}()
	for k, name := range []string{"A", "B"} {
		n, err := newChaosNode(ctx, w, cfg, sealer, name, q.nodeURL(k), o.PollInterval)
		if n != nil {
			nodes = append(nodes, n)
		}
		if err != nil {
			return nil, err
		}
	}
	ledgers := func() []Ledger { return []Ledger{nodes[0].ledger(), nodes[1].ledger()} }

	sup := &supervisor{bin: o.Binary, logDir: cfg.TempDir, progress: o.Progress}
	defer sup.stopAll()
	env := func(n *chaosNode) []string {
		return []string{"AIRLOCK_DATA_DIR=" + n.dataDir, "DATABASE_URL=" + n.dbURL, "REDIS_URL=" + n.redisURL,
			"AIRLOCK_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key), "AIRLOCK_SWEEP_INTERVAL=" + cfg.SweepEvery.String(),
			"AIRLOCK_WORKER_CONCURRENCY=" + strconv.Itoa(cfg.WorkerConcurrency), "AIRLOCK_LOG_LEVEL=warn", "AIRLOCK_SHUTDOWN_TIMEOUT=5s"}
	}
	for _, n := range nodes {
		for k := range o.WorkersPerNode {
			if err := sup.start(fmt.Sprintf("%s-%d", n.name, k), env(n)); err != nil {
				return nil, err
			}
		}
	}
	if !PollCycles(ctx, 1, time.Now().Add(60*time.Second), ledgers()...) {
		return nil, fmt.Errorf("chaos: the first polls did not run (worker logs in %s)", cfg.TempDir)
	}
	o.Progress(fmt.Sprintf("%d workers polling", 2*o.WorkersPerNode))

	people := map[string]*jira.Client{}
	readers := map[string]*jira.Client{}
	for _, inst := range []string{"A", "AB", "B"} {
		if people[inst], err = w.Human(inst); err != nil {
			return nil, err
		}
		if readers[inst], err = jira.New(jira.Config{BaseURL: w.Sim.Instance(inst).URL(), Auth: jira.BasicAuth{User: "admin", Password: "admin"},
			Instance: inst + "-admin", MaxConcurrent: 8, MaxRetries: 5, BackoffBase: 20 * time.Millisecond, BackoffMax: time.Second}); err != nil {
			return nil, err
		}
	}
	counter := newFaultCounter(w.Sim)
	sctx, stopCount := context.WithCancel(ctx)
	countDone := make(chan struct{})
	defer stopCount()
	go func() { defer close(countDone); counter.run(sctx) }()
	// Internal notes' text in any request body outside their side, until the check.
	leaks := newLeakScanner(w.Sim)
	lctx, stopLeaks := context.WithCancel(ctx)
	defer stopLeaks()
	go leaks.run(lctx)

	// The chaos schedule: every event at an operation number, spread evenly and shuffled.
	rnd := mrand.New(mrand.NewPCG(o.Seed, 7))
	var events []string
	for range o.Kills {
		events = append(events, "kill")
	}
	for range o.RedisRestarts {
		events = append(events, "redis")
	}
	for range o.DBRestarts {
		events = append(events, "db")
	}
	rnd.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	at := map[int]string{}
	for k, e := range events {
		at[(k+1)*o.Ops/(len(events)+1)] = e
	}

	for _, i := range w.Sim.Instances() {
		i.Knobs().SetIndexLag(o.IndexLag)
	}
	setFaults(w, o, true)
	ops := NewOps(people, o.Seed).WithServiceDesk()
	ops.Structure = true
	var opsLog []string
	ops.Logf = func(format string, args ...any) {
		if len(opsLog) < 20 {
			opsLog = append(opsLog, fmt.Sprintf(format, args...))
		}
	}
	start := time.Now()
	kills, redisRestarts, dbRestarts := 0, 0, 0
	for op := range o.Ops {
		if ctx.Err() != nil {
			setFaults(w, o, false)
			return nil, ctx.Err()
		}
		switch at[op] {
		case "kill":
			victim := sup.names()[rnd.IntN(len(sup.names()))]
			if err := sup.kill(victim, true); err != nil {
				return nil, err
			}
			kills++
			o.Progress(fmt.Sprintf("op %d: SIGKILL worker %s and restart it (%d of %d)", op, victim, kills, o.Kills))
		case "redis":
			if err := q.restart(ctx); err != nil {
				return nil, err
			}
			redisRestarts++
			o.Progress(fmt.Sprintf("op %d: Redis restarted, every queued task lost", op))
		case "db":
			if err := restartDB(ctx, cfg, sup, nodes); err != nil {
				return nil, err
			}
			dbRestarts++
			o.Progress(fmt.Sprintf("op %d: database restarted (%s)", op, dbKind(cfg)))
		}
		ops.Apply(ctx, op)
		if op%200 == 199 {
			o.Progress(fmt.Sprintf("%d operations applied", op+1))
		}
		time.Sleep(ops.Pause())
	}
	opsTime := time.Since(start)
	setFaults(w, o, false)
	stopCount()
	<-countDone
	counter.sample()
	o.Progress(fmt.Sprintf("%d operations in %s (%v, %d failed); faults off, waiting for the quiet state", o.Ops, opsTime.Round(time.Second), ops.Counts(), ops.Failed()))

	quietStart := time.Now()
	lg := ledgers()
	if err := WaitQuiet(ctx, o.QuietTimeout, lg...); err != nil {
		for _, n := range lg {
			for _, line := range Dump(ctx, n) {
				o.Progress(line)
			}
		}
		return nil, fmt.Errorf("chaos: %w (worker logs in %s)", err, cfg.TempDir)
	}
	quietAfter := time.Since(quietStart)
	o.Progress(fmt.Sprintf("quiet after %s; checking that two more poll cycles write nothing", quietAfter.Round(time.Second)))

	mark := time.Now()
	if !PollCycles(ctx, 2, time.Now().Add(time.Minute), lg...) {
		return nil, errors.New("chaos: two poll cycles did not pass after the quiet state")
	}
	var lateWrites []string
	for _, inst := range w.Sim.Instances() {
		for _, e := range inst.Log().Entries() {
			if e.Time.After(mark) && e.User == "airlock" && e.Method != http.MethodGet && !strings.HasSuffix(e.Path, "/search") {
				lateWrites = append(lateWrites, fmt.Sprintf("%s %s %s", inst.Name(), e.Method, e.Path))
			}
		}
	}
	v, err := Verify(ctx, readers, lg, ops)
	if err != nil {
		return nil, fmt.Errorf("chaos: verify: %w", err)
	}
	stopLeaks()
	leaks.leaks(v, ops)
	var syncErrors int64
	for _, n := range lg {
		var c int64
		n.DB.WithContext(ctx).Model(&models.SyncError{}).Count(&c)
		syncErrors += c
	}

	r.add("operations applied", fmt.Sprintf("%d of %d (%d failed)", ops.Applied(), o.Ops, ops.Failed()), ">= 2000", ptr(ops.Applied() >= 2000 && ops.Failed() == 0))
	r.add("worker processes SIGKILLed and restarted", strconv.Itoa(kills), ">= 10", ptr(kills >= 10))
	r.add("unexpected worker exits", strconv.Itoa(sup.unexpected()), "0", ptr(sup.unexpected() == 0))
	r.add("Redis restarts (queue lost)", strconv.Itoa(redisRestarts), ">= 1", ptr(redisRestarts >= 1))
	r.add("database restarts", strconv.Itoa(dbRestarts), ">= 1", ptr(dbRestarts >= 1))
	f := counter.snapshot()
	r.add("calls (all / sync user)", fmt.Sprintf("%d / %d", f.all, f.calls), "", nil)
	r.add("injected 5xx / timeouts (of all calls) / 429 (of the sync user's)", fmt.Sprintf("%d (%.1f%%) / %d (%.1f%%) / %d (%.1f%%)",
		f.s5xx, pct(f.s5xx, f.all), f.timeouts, pct(f.timeouts, f.all), f.s429, pct(f.s429, f.calls)), "5% / 1% / 2% while operations run", nil)
	r.add("time to apply the operations", secs(opsTime), "", nil)
	r.add("time to the quiet state after the faults stop", secs(quietAfter), "", nil)
	r.add("chains verified (A <-> AB <-> B)", strconv.Itoa(v.Chains), "", nil)
	r.add("changes lost", strconv.Itoa(len(v.Lost)), "0", ptr(len(v.Lost) == 0))
	r.add("duplicates (issues, comments, attachments)", strconv.Itoa(len(v.Duplicates)), "0", ptr(len(v.Duplicates) == 0))
	r.add("final divergence (chains whose values differ)", strconv.Itoa(len(v.Divergent)), "0", ptr(len(v.Divergent) == 0))
	turnedInt, turnedPub := ops.Turned()
	r.add("service project: internal comments made / comments turned internal / turned public", fmt.Sprintf("%d / %d / %d",
		ops.InternalComments(), turnedInt, turnedPub), "", nil)
	r.add("internal comments outside their zone", strconv.Itoa(len(v.Outside)), "0", ptr(len(v.Outside) == 0))
	r.add("sync-user writes in two poll cycles after quiet", strconv.Itoa(len(lateWrites)), "0", ptr(len(lateWrites) == 0))
	r.add("sync errors recorded during the run", strconv.FormatInt(syncErrors, 10), "", nil)
	r.Metrics = map[string]any{"ops_applied": ops.Applied(), "ops_failed": ops.Failed(), "ops_by_kind": ops.Counts(), "kills": kills,
		"redis_restarts": redisRestarts, "db_restarts": dbRestarts, "unexpected_exits": sup.unexpected(), "chains": v.Chains, "issues": v.Issues,
		"lost": len(v.Lost), "duplicates": len(v.Duplicates), "divergence": len(v.Divergent), "late_writes": len(lateWrites),
		"internal_comments": ops.InternalComments(), "turned_internal": turnedInt, "turned_public": turnedPub, "internal_outside": len(v.Outside),
		"calls": f.all, "sync_calls": f.calls, "injected_5xx": f.s5xx, "injected_429": f.s429, "injected_timeouts": f.timeouts,
		"ops_s": opsTime.Seconds(), "quiet_s": quietAfter.Seconds(), "sync_errors": syncErrors}
	note := func(prefix string, xs []string) {
		for k, x := range xs {
			if k == 10 {
				r.Notes = append(r.Notes, fmt.Sprintf("%s: ... %d more", prefix, len(xs)-k))
				break
			}
			r.Notes = append(r.Notes, prefix+": "+x)
		}
	}
	note("lost", v.Lost)
	note("duplicate", v.Duplicates)
	note("divergent", v.Divergent)
	note("internal comment outside its zone", v.Outside)
	note("late write", lateWrites)
	note("failed operation", opsLog)
	if dbKind(cfg) == "sqlite" {
		r.Notes = append(r.Notes, "database restart on SQLite: every worker process SIGKILLed at once mid-write, the bench's own handles closed and reopened, the workers restarted (WAL recovery on reopen)")
	}
	r.finish()
	return r, nil
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

// setFaults turns the emulators' fault injection on or off (latency and the cap stay).
func setFaults(w *World, o ChaosOptions, on bool) {
	for _, i := range w.Sim.Instances() {
		i.Knobs().Update(func(s *jirasim.KnobSettings) {
			if on {
				s.ErrorRate, s.ErrorStatus = o.ErrorRate, http.StatusServiceUnavailable
				s.TimeoutRate, s.TimeoutMax = o.TimeoutRate, jirasim.Duration(o.Hang)
				// People are spared the 429s: their client would wait out each one and slow the
				// run without testing anything of Airlock.
				s.Random429 = jirasim.Random429{Rate: o.Rate429, RetryAfter: 1, Users: []string{"airlock"}}
				return
			}
			s.ErrorRate, s.TimeoutRate, s.Random429 = 0, 0, jirasim.Random429{}
		})
	}
}

// newChaosNode stores a node's instances and connection in a fresh database (a SQLite file in
// its data folder, or a new Postgres database) that its worker processes will open.
func newChaosNode(ctx context.Context, w *World, cfg Config, sealer *models.Sealer, name, redisURL string, poll time.Duration) (*chaosNode, error) {
	n := &chaosNode{name: name, dataDir: filepath.Join(cfg.TempDir, "node-"+name), redisURL: redisURL, rules: ConvergeRules(name)}
	if err := os.MkdirAll(n.dataDir, 0o700); err != nil {
		return nil, err
	}
	if cfg.DatabaseURL != "" {
		u, drop, err := createPostgresDB(ctx, cfg.DatabaseURL, "airlock_chaos_"+strings.ToLower(name))
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", name, err)
		}
		n.dbURL, n.drop = u, drop
	}
	if err := n.open(ctx); err != nil {
		return n, err
	}
	if _, err := n.db.Migrate(ctx); err != nil {
		return n, fmt.Errorf("node %s: migrate: %w", name, err)
	}
	insts := map[string]*models.Instance{}
	for _, in := range []string{name, "AB"} {
		role := models.RolePrivate
		if in == "AB" {
			role = models.RoleRelay
		}
		budget := cfg.Cap
		if budget <= 0 {
			budget = 8
		}
		row := &models.Instance{Name: in, BaseURL: w.Sim.Instance(in).URL(), Role: role, AuthType: models.AuthBasic, Username: "airlock", MaxConcurrent: budget}
		if err := row.SetSecret(sealer, "airlock"); err != nil {
			return n, err
		}
		if err := n.db.WithContext(ctx).Create(row).Error; err != nil {
			return n, fmt.Errorf("node %s: store instance %s: %w", name, in, err)
		}
		insts[in] = row
	}
	rj, err := json.Marshal(n.rules)
	if err != nil {
		return n, err
	}
	// Two paths through the relay: the default projects, and the service desk's (servicedesk.go).
	for _, rt := range serviceRoutes(name) {
		c := &models.Connection{Name: rt.name, LocalInstanceID: insts[name].ID, RemoteInstanceID: insts["AB"].ID,
			LocalProject: rt.localProject, RemoteProject: rt.relayProject, PollIntervalMS: int(poll / time.Millisecond),
			Rules: string(rj), ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteIgnore}
		if err := n.db.WithContext(ctx).Create(c).Error; err != nil {
			return n, fmt.Errorf("node %s: store connection %s: %w", name, rt.name, err)
		}
	}
	return n, nil
}

// open (re)opens the bench's own handle on the node's database.
func (n *chaosNode) open(ctx context.Context) error {
	db, err := models.Open(ctx, models.OpenOptions{DatabaseURL: n.dbURL, SQLitePath: filepath.Join(n.dataDir, "airlock.db"), MaxOpenConns: 4})
	if err != nil {
		return fmt.Errorf("node %s: open database: %w", n.name, err)
	}
	n.db = db
	return nil
}

// createPostgresDB creates a fresh database next to DATABASE_URL's and returns its URL and a
// function that drops it.
func createPostgresDB(ctx context.Context, base, prefix string) (string, func(), error) {
	name := prefix + "_" + strings.ToLower(strings.NewReplacer("-", "_").Replace(models.RandomToken(6)))
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	u.Path = "/" + name
	drop := func() {
		if a, err := sql.Open("pgx", base); err == nil {
			_, _ = a.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`)
			a.Close()
		}
	}
	return u.String(), drop, nil
}

// restartDB restarts the database under every process. Postgres: every backend connected to a
// node database is terminated, so every process sees its connections die mid-statement. SQLite
// has no server: every worker process is SIGKILLed at once (mid-write), the bench's handles are
// closed, and everything reopens the files (WAL recovery).
func restartDB(ctx context.Context, cfg Config, sup *supervisor, nodes []*chaosNode) error {
	if cfg.DatabaseURL != "" {
		admin, err := sql.Open("pgx", cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer admin.Close()
		for _, n := range nodes {
			u, _ := url.Parse(n.dbURL)
			if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
				strings.TrimPrefix(u.Path, "/")); err != nil {
				return fmt.Errorf("terminate the backends of node %s: %w", n.name, err)
			}
		}
		return nil
	}
	if err := sup.killAll(); err != nil {
		return err
	}
	for _, n := range nodes {
		n.db.Close()
		if err := n.open(ctx); err != nil {
			return err
		}
	}
	return sup.restartAll()
}

// chaosQueue is the nodes' Redis. Without REDIS_URL both nodes use an embedded miniredis on TCP
// (node k uses database k). With REDIS_URL, node A uses exactly that one database, which must be
// empty when the run starts (the bench flushes it to lose the queue, so it refuses one holding
// keys it did not create), and node B, the other zone, keeps its own embedded miniredis.
type chaosQueue struct {
	url  string
	addr string
	m    *miniredis.Miniredis
}

// start starts the embedded miniredis and checks that REDIS_URL's database is empty.
func (q *chaosQueue) start(ctx context.Context) error {
	if q.url != "" && q.m == nil {
		if err := q.check(ctx, true); err != nil {
			return err
		}
	}
	m := miniredis.NewMiniRedis()
	m.ClockTTL(true)
	addr := q.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var err error
	for range 50 { // the old listener's port may take a moment to free
		if err = m.StartAddr(addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("start the queue's miniredis on %s: %w", addr, err)
	}
	q.m, q.addr = m, m.Addr()
	return nil
}

func (q *chaosQueue) nodeURL(k int) string {
	if q.url != "" && k == 0 {
		return q.url
	}
	return fmt.Sprintf("redis://%s/%d", q.addr, k)
}

// check refuses REDIS_URL's database when it holds keys this run did not create: any key at the
// start, any key outside asynq's "asynq:" namespace later.
func (q *chaosQueue) check(ctx context.Context, empty bool) error {
	b, err := workers.OpenBroker(ctx, q.url, false)
	if err != nil {
		return err
	}
	defer b.Close()
	rdb := b.Redis()
	if empty {
		n, err := rdb.DBSize(ctx).Result()
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("REDIS_URL %s holds %d keys this run did not create: bench chaos flushes its database to simulate losing Redis, so give it an empty database of its own", redactRedis(q.url), n)
		}
		return nil
	}
	iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		if !strings.HasPrefix(iter.Val(), "asynq:") {
			return fmt.Errorf("REDIS_URL %s now holds key %q that this run did not create: not flushing it", redactRedis(q.url), iter.Val())
		}
	}
	return iter.Err()
}

// restart loses every queued task of both nodes: FLUSHDB of REDIS_URL's database (after checking
// it holds only the run's keys) and a new, empty miniredis on the same address.
func (q *chaosQueue) restart(ctx context.Context) error {
	if q.url != "" {
		if err := q.check(ctx, false); err != nil {
			return err
		}
		b, err := workers.OpenBroker(ctx, q.url, false)
		if err != nil {
			return err
		}
		err = b.Redis().FlushDB(ctx).Err()
		b.Close()
		if err != nil {
			return fmt.Errorf("flush REDIS_URL's database: %w", err)
		}
	}
	q.m.Close()
	return q.start(ctx)
}

// redactRedis hides a Redis password in messages.
func redactRedis(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// close stops the miniredis and removes the run's keys from REDIS_URL's database (only when it
// holds nothing else), so the next run finds it empty.
func (q *chaosQueue) close() {
	if q.m != nil {
		q.m.Close()
	}
	if q.url == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if q.check(ctx, false) != nil {
		return
	}
	if b, err := workers.OpenBroker(ctx, q.url, false); err == nil {
		_ = b.Redis().FlushDB(ctx).Err()
		b.Close()
	}
}

// faultCounter counts the sync user's calls and the injected faults, from the emulators'
// request logs.
type faultCounter struct {
	*logTail
	f faultCounts
}

type faultCounts struct{ all, calls, s5xx, s429, timeouts int }

func newFaultCounter(sim *jirasim.Sim) *faultCounter {
	c := &faultCounter{}
	c.logTail = newLogTail(sim, func(_ *jirasim.Instance, e jirasim.LogEntry) {
		// Injected 5xx and timeouts answer before authentication, so their entries carry no
		// user: they are counted for every caller (people too); 429s and calls are the sync
		// user's.
		switch e.Status {
		case http.StatusGatewayTimeout:
			c.f.timeouts++
		case http.StatusServiceUnavailable:
			c.f.s5xx++
		case http.StatusTooManyRequests:
			c.f.s429++
		}
		c.f.all++
		if e.User == "airlock" {
			c.f.calls++
		}
	})
	return c
}

func (c *faultCounter) snapshot() (f faultCounts) {
	c.locked(func() { f = c.f })
	return f
}
