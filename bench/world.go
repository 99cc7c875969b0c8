// Package bench runs Airlock's benchmark scenarios (issue 6) against emulated Jiras: relay lag,
// bulk import throughput, Jira calls per change, and scale of the database and console. Each
// scenario returns a Report (a table and one JSON line); `airlock bench SCENARIO` prints it and
// the tests run every scenario at a tiny scale so none of them rots.
package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx": one database per benchmark node

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/seal"
	"github.com/airlock-sync/airlock/workers"
)

// Defaults of the emulated Jiras (issue 6).
const (
	DefaultLatency = 25 * time.Millisecond
	DefaultCap     = 8
)

// Config is what every scenario shares: the emulated Jiras' latency and concurrency cap, and
// where the nodes keep their database and queue.
type Config struct {
	// Latency is added to every REST call of every emulated Jira.
	Latency time.Duration
	// Cap is the concurrency cap of each emulated Jira (calls beyond it wait for a slot).
	Cap int
	// DatabaseURL selects Postgres (one fresh database per node, dropped at the end); empty
	// means a SQLite file per node in TempDir.
	DatabaseURL string
	// RedisURL selects a real Redis: node k uses database (URL's database + k), flushed at
	// start. Empty means one embedded miniredis per node.
	RedisURL string
	// TempDir holds the SQLite files.
	TempDir string
	// SweepEvery is the workers' sweep period (it dispatches due polls and dirty twins).
	SweepEvery time.Duration
	// WorkerConcurrency is the tasks each node's worker runs at once.
	WorkerConcurrency int
	// Logger receives progress lines; nil discards them.
	Logger *slog.Logger
	// Sealed seals every relay connection (issue 15): each node gets a sealing identity and
	// trusts its partner node's public key (see NodeSpec.SealPartner).
	Sealed bool
}

func (c *Config) defaults() {
	if c.Latency < 0 {
		c.Latency = 0
	}
	if c.Cap < 0 {
		c.Cap = 0
	}
	if c.SweepEvery <= 0 {
		c.SweepEvery = 5 * time.Second
	}
	if c.WorkerConcurrency <= 0 {
		c.WorkerConcurrency = 10
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// World is three emulated Jiras (A, AB, B) and the Airlock nodes syncing them.
type World struct {
	Cfg    Config
	Sim    *jirasim.Sim
	sealer *models.Sealer
	nodes  []*Node
	humans map[string]*jira.Client
	// sealIDs are the nodes' sealing identities by node name, made before the nodes start so a
	// node can trust its partner's key before the partner exists (Cfg.Sealed).
	sealIDs map[string]*seal.Identity
	mu      sync.Mutex
}

// NewWorld starts the emulated Jiras A, AB and B with no latency and no cap yet: seed them
// first, then call Throttle.
func NewWorld(cfg Config) (*World, error) {
	cfg.defaults()
	var opts []jirasim.Options
	for _, n := range []string{"A", "AB", "B"} {
		// Jira's live paging and normalisation, without the index lag of a Data Center cluster
		// (the figures in BENCHMARKS.md are measured so); chaos adds its own lag.
		// The seed adds the service desk path (servicedesk.go), which only the chaos run syncs.
		opts = append(opts, jirasim.Options{Name: n, ContextPath: "/jira", MaxLogEntries: 2000, Knobs: jirasim.NoIndexLag(), Seed: worldSeed(n)})
	}
	sim, err := jirasim.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("start emulated Jiras: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		sim.Close()
		return nil, err
	}
	s, err := models.NewSealer(key)
	if err != nil {
		sim.Close()
		return nil, err
	}
	return &World{Cfg: cfg, Sim: sim, sealer: s, humans: map[string]*jira.Client{}, sealIDs: map[string]*seal.Identity{}}, nil
}

// Throttle turns on the configured latency and concurrency cap on every instance, and starts a
// fresh observation window (request counts and concurrency).
func (w *World) Throttle() {
	for _, i := range w.Sim.Instances() {
		i.Knobs().SetLatency(w.Cfg.Latency)
		i.Knobs().SetMaxConcurrent(w.Cfg.Cap)
	}
	w.ResetObservations()
}

// ResetObservations clears the emulators' request counts and concurrency maxima.
func (w *World) ResetObservations() {
	for _, i := range w.Sim.Instances() {
		i.Log().Clear()
		i.Knobs().ResetConcurrencyStats()
	}
}

// Concurrency returns each instance's observed concurrency.
func (w *World) Concurrency() map[string]jirasim.ConcurrencyStats {
	out := map[string]jirasim.ConcurrencyStats{}
	for _, i := range w.Sim.Instances() {
		out[i.Name()] = i.Knobs().ConcurrencyStats()
	}
	return out
}

// Close stops the nodes, then the emulators.
func (w *World) Close() {
	for i := len(w.nodes) - 1; i >= 0; i-- {
		w.nodes[i].Close()
	}
	w.Sim.Close()
}

// Human returns a client acting as alice (a person, not the sync user) on an instance; its
// calls are not counted as Airlock's.
func (w *World) Human(inst string) (*jira.Client, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c := w.humans[inst]; c != nil {
		return c, nil
	}
	c, err := jira.New(jira.Config{BaseURL: w.Sim.Instance(inst).URL(), Auth: jira.BasicAuth{User: "alice", Password: "alice"},
		Instance: inst + "-alice", MaxConcurrent: 32, MaxRetries: 5, BackoffBase: 20 * time.Millisecond, BackoffMax: time.Second})
	if err != nil {
		return nil, err
	}
	w.humans[inst] = c
	return c, nil
}

// CallCounter counts the HTTP calls one node made, per instance and route (retries included: each
// attempt is a real call).
type CallCounter struct {
	mu sync.Mutex
	m  map[string]map[string]int
}

func (c *CallCounter) observe(call jira.Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]map[string]int{}
	}
	if c.m[call.Instance] == nil {
		c.m[call.Instance] = map[string]int{}
	}
	c.m[call.Instance][call.Route()]++
}

// Snapshot returns a copy of the counts: instance -> route -> calls.
func (c *CallCounter) Snapshot() map[string]map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]map[string]int{}
	for i, m := range c.m {
		out[i] = map[string]int{}
		for r, n := range m {
			out[i][r] = n
		}
	}
	return out
}

// Reset forgets every count.
func (c *CallCounter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// isSearch tells polls' searches from the work's calls.
func isSearch(route string) bool { return strings.Contains(route, "/search") }

// sum adds the routes of one instance that pass keep.
func sum(m map[string]int, keep func(route string) bool) int {
	n := 0
	for r, v := range m {
		if keep == nil || keep(r) {
			n += v
		}
	}
	return n
}

// NodeSpec describes one Airlock node: the connections it syncs and how.
type NodeSpec struct {
	Name  string
	Pairs [][2]string // (local, remote) instance names, e.g. {"A","AB"}
	// PollInterval of every connection side (0 = the default 5 s).
	PollInterval time.Duration
	Rules        engine.Rules
	// Budget is the MaxConcurrent call budget per instance name (default Cap, or 8 when no cap).
	Budget map[string]int
	// NoWorker builds the node without starting its worker and sweeper (scale scenario).
	NoWorker bool
	// SealPartner names the node whose public key this node's connections trust when the world
	// is sealed. Empty means the node itself when it syncs both A and B (single topology), else
	// the node named after the other private instance (split: node A's partner is node B).
	SealPartner string
}

// Node is one Airlock deployment: database, queue, engine, worker and sweeper.
type Node struct {
	Name   string
	DB     *models.DB
	Broker *workers.Broker
	Engine *engine.Engine
	Queue  *workers.Queue
	Insts  map[string]*models.Instance
	Conns  map[string]*models.Connection // by "A-AB"
	Calls  *CallCounter
	stop   func()
	drop   func()
}

// Close stops the worker and releases the database and queue.
func (n *Node) Close() {
	if n.stop != nil {
		n.stop()
		n.stop = nil
	}
	if n.Queue != nil {
		n.Queue.Close()
		n.Queue = nil
	}
	if n.Broker != nil {
		n.Broker.Close()
		n.Broker = nil
	}
	if n.DB != nil {
		n.DB.Close()
		n.DB = nil
	}
	if n.drop != nil {
		n.drop()
		n.drop = nil
	}
}

// StartNode builds a node, stores its instances and connections, and (unless NoWorker) starts
// its worker and sweeper as `airlock worker` would.
func (w *World) StartNode(ctx context.Context, spec NodeSpec) (*Node, error) {
	idx := len(w.nodes)
	n := &Node{Name: spec.Name, Insts: map[string]*models.Instance{}, Conns: map[string]*models.Connection{}, Calls: &CallCounter{}}
	w.nodes = append(w.nodes, n)
	db, drop, err := openNodeDB(ctx, w.Cfg, spec.Name)
	if err != nil {
		return nil, err
	}
	n.DB, n.drop = db, drop
	if n.Broker, err = openNodeBroker(ctx, w.Cfg.RedisURL, idx); err != nil {
		return nil, err
	}
	n.Queue = workers.NewQueue(n.Broker)
	rj, err := json.Marshal(spec.Rules)
	if err != nil {
		return nil, err
	}
	var partner seal.Public
	if w.Cfg.Sealed {
		// The node's identity is stored as run.go stores it (from AIRLOCK_SEAL_IDENTITY here,
		// so the partner could trust it before this node started).
		self, err := w.sealIdentity(spec.Name)
		if err != nil {
			return nil, err
		}
		nid, err := engine.EnsureSealIdentity(ctx, n.DB, w.sealer, self.String())
		if err != nil {
			return nil, fmt.Errorf("node %s: sealing identity: %w", spec.Name, err)
		}
		if nid.Fingerprint != self.Public().Fingerprint() {
			return nil, fmt.Errorf("node %s: stored sealing identity %s, want %s", spec.Name, nid.Fingerprint, self.Public().Fingerprint())
		}
		pid, err := w.sealIdentity(sealPartner(spec))
		if err != nil {
			return nil, err
		}
		if partner, err = seal.ParsePublic(pid.Public().String()); err != nil {
			return nil, err
		}
	}
	for _, p := range spec.Pairs {
		for _, name := range p {
			if n.Insts[name] != nil {
				continue
			}
			role := models.RolePrivate
			if name == "AB" {
				role = models.RoleRelay
			}
			budget := spec.Budget[name]
			if budget <= 0 {
				budget = w.Cfg.Cap
			}
			if budget <= 0 {
				budget = 8
			}
			in := &models.Instance{Name: name, BaseURL: w.Sim.Instance(name).URL(), Role: role, AuthType: models.AuthBasic,
				Username: "airlock", MaxConcurrent: budget}
			if err := in.SetSecret(w.sealer, "airlock"); err != nil {
				return nil, err
			}
			if err := n.DB.WithContext(ctx).Create(in).Error; err != nil {
				return nil, fmt.Errorf("node %s: store instance %s: %w", spec.Name, name, err)
			}
			n.Insts[name] = in
		}
		c := &models.Connection{Name: p[0] + "-" + p[1], LocalInstanceID: n.Insts[p[0]].ID, RemoteInstanceID: n.Insts[p[1]].ID,
			LocalProject: jirasim.DefaultProjectKey(p[0]), RemoteProject: jirasim.DefaultProjectKey(p[1]),
			PollIntervalMS: int(spec.PollInterval / time.Millisecond), Rules: string(rj),
			ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteIgnore}
		if c.PollIntervalMS <= 0 {
			c.PollIntervalMS = int(engine.DefaultPollInterval / time.Millisecond)
		}
		if err := n.DB.WithContext(ctx).Create(c).Error; err != nil {
			return nil, fmt.Errorf("node %s: store connection %s: %w", spec.Name, c.Name, err)
		}
		if w.Cfg.Sealed {
			if err := engine.SealConnection(ctx, n.DB, c.ID, partner); err != nil {
				return nil, fmt.Errorf("node %s: seal connection %s: %w", spec.Name, c.Name, err)
			}
			if err := n.DB.WithContext(ctx).First(c, c.ID).Error; err != nil {
				return nil, err
			}
		}
		n.Conns[c.Name] = c
	}
	logger := w.Cfg.Logger.With("node", spec.Name)
	n.Engine = &engine.Engine{DB: n.DB, Logger: logger, Enqueuer: n.Queue,
		Clients: &engine.ClientPool{Sealer: w.sealer, Observer: n.Calls.observe}}
	if spec.NoWorker {
		return n, nil
	}
	srv := workers.NewServer(n.Broker, n.DB, logger, workers.ServerOptions{Concurrency: w.Cfg.WorkerConcurrency, ShutdownTimeout: 5 * time.Second})
	n.stop, err = workers.StartSync(ctx, srv, n.Engine, n.Queue, w.Cfg.SweepEvery, logger)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", spec.Name, err)
	}
	return n, nil
}

// sealIdentity returns the sealing identity of the node named, made on first use.
func (w *World) sealIdentity(node string) (*seal.Identity, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if id := w.sealIDs[node]; id != nil {
		return id, nil
	}
	id, err := seal.Generate()
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", node, err)
	}
	w.sealIDs[node] = id
	return id, nil
}

// sealPartner is the node whose key a node's sealed connections trust (NodeSpec.SealPartner).
func sealPartner(spec NodeSpec) string {
	if spec.SealPartner != "" {
		return spec.SealPartner
	}
	locals := map[string]bool{}
	for _, p := range spec.Pairs {
		locals[p[0]] = true
	}
	if locals["A"] && locals["B"] {
		return spec.Name
	}
	if len(spec.Pairs) > 0 {
		return other(spec.Pairs[0][0])
	}
	return spec.Name
}

// openNodeDB opens a migrated database for one node: a SQLite file, or a fresh Postgres
// database (dropped by the returned function).
func openNodeDB(ctx context.Context, cfg Config, node string) (*models.DB, func(), error) {
	if cfg.DatabaseURL == "" {
		db, err := models.Open(ctx, models.OpenOptions{SQLitePath: filepath.Join(cfg.TempDir, "node-"+node+".db"), MaxOpenConns: 10})
		if err != nil {
			return nil, nil, fmt.Errorf("node %s: open SQLite: %w", node, err)
		}
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, nil, fmt.Errorf("node %s: migrate: %w", node, err)
		}
		return db, nil, nil
	}
	name := "airlock_bench_" + strings.ToLower(node) + "_" + strings.ToLower(strings.NewReplacer("-", "_").Replace(models.RandomToken(6)))
	admin, err := sql.Open("pgx", cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		return nil, nil, fmt.Errorf("node %s: create database: %w", node, err)
	}
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	u.Path = "/" + name
	drop := func() {
		if a, err := sql.Open("pgx", cfg.DatabaseURL); err == nil {
			_, _ = a.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`)
			a.Close()
		}
	}
	db, err := models.Open(ctx, models.OpenOptions{DatabaseURL: u.String(), MaxOpenConns: 10})
	if err != nil {
		drop()
		return nil, nil, fmt.Errorf("node %s: open Postgres: %w", node, err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		drop()
		return nil, nil, fmt.Errorf("node %s: migrate: %w", node, err)
	}
	return db, drop, nil
}

// openNodeBroker opens node idx's queue: an embedded miniredis, or database (base + idx) of the
// real Redis, flushed so no earlier run's tasks remain.
func openNodeBroker(ctx context.Context, redisURL string, idx int) (*workers.Broker, error) {
	if redisURL == "" {
		return workers.OpenBroker(ctx, "", true)
	}
	u, err := url.Parse(redisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	base := 0
	if p := strings.Trim(u.Path, "/"); p != "" {
		if base, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("REDIS_URL: database %q is not a number", p)
		}
	}
	u.Path = "/" + strconv.Itoa(base+idx)
	b, err := workers.OpenBroker(ctx, u.String(), false)
	if err != nil {
		return nil, err
	}
	if err := b.Redis().FlushDB(ctx).Err(); err != nil {
		b.Close()
		return nil, fmt.Errorf("flush Redis database %d: %w", base+idx, err)
	}
	return b, nil
}
