package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/demo"
	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/metrics"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/seal"
	"github.com/airlock-sync/airlock/web"
	"github.com/airlock-sync/airlock/workers"
)

// mode says which process is starting; it decides what may be embedded or generated.
type mode int

const (
	modeDev mode = iota
	modeWeb
	modeWorker
	modeMigrate
)

// node is what every long-running subcommand needs: configuration, logger, database, queue.
type node struct {
	cfg    *config.Config
	log    *slog.Logger
	db     *models.DB
	broker *workers.Broker
	sealer *models.Sealer
	q      *workers.Queue
	eng    *engine.Engine
	// metrics is the process's Prometheus registry; insp reads queue depth for it.
	metrics *metrics.Metrics
	insp    *asynq.Inspector
}

func (n *node) Close() {
	if n.q != nil {
		n.q.Close()
	}
	if n.insp != nil {
		n.insp.Close()
	}
	if n.broker != nil {
		n.broker.Close()
	}
	if n.db != nil {
		n.db.Close()
	}
}

// boot loads the configuration and opens what the mode needs, in the order that gives the
// clearest first error.
func boot(ctx context.Context, env func(string) string, m mode) (*node, error) {
	cfg, err := config.Load(env)
	if err != nil {
		return nil, err
	}
	n := &node{cfg: cfg, log: cfg.Logger()}
	if m == modeWeb || m == modeWorker {
		if cfg.RedisURL == "" {
			return nil, &config.Error{Var: "REDIS_URL", Expect: "a redis://host:port/db URL: `airlock " + m.String() + "` needs a durable queue (only `airlock dev` embeds one)"}
		}
		if cfg.SecretKey == nil {
			return nil, &config.Error{Var: "AIRLOCK_SECRET_KEY", Expect: "32 bytes encoded in base64 (openssl rand -base64 32): required outside `airlock dev`"}
		}
	}
	if m == modeMigrate && cfg.SecretKey == nil {
		// recover and retry (which boot like migrate) may run beside a dev node: use its key.
		if err := cfg.LoadDevSecretKey(); err != nil {
			return nil, err
		}
	}
	if m == modeDev {
		generated, err := cfg.EnsureSecretKey(func() ([]byte, error) {
			k := make([]byte, 32)
			_, err := rand.Read(k)
			return k, err
		})
		if err != nil {
			return nil, err
		}
		if generated {
			n.log.Warn("generated a secret key for Jira credentials; keep it with the database", "file", cfg.DataDir+"/secret.key")
		}
	}
	if cfg.SecretKey != nil {
		if n.sealer, err = models.NewSealer(cfg.SecretKey); err != nil {
			return nil, err
		}
	}
	n.db, err = models.Open(ctx, models.OpenOptions{DatabaseURL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath(), MaxOpenConns: cfg.DBMaxOpenConns, Logger: n.log})
	if err != nil {
		return nil, err
	}
	if sqlDB, err := n.db.DB.DB(); err == nil {
		sqlDB.SetConnMaxLifetime(cfg.DBConnMaxLifetime)
	}
	if m == modeDev || m == modeMigrate {
		applied, err := n.db.Migrate(ctx)
		if err != nil {
			n.Close()
			return nil, err
		}
		v, _ := n.db.SchemaVersion(ctx)
		n.log.Info("database ready", "dialect", n.db.Dialect, "schema_version", v, "applied", applied)
	} else if v, err := n.db.SchemaVersion(ctx); err != nil || v < models.LatestVersion() {
		n.Close()
		return nil, fmt.Errorf("the database schema is at version %d, this build needs %d: run `airlock migrate` first", v, models.LatestVersion())
	}
	if m == modeMigrate {
		return n, nil
	}
	if n.sealer != nil {
		ident, err := engine.EnsureSealIdentity(ctx, n.db, n.sealer, cfg.SealIdentity)
		if err != nil {
			n.Close()
			return nil, err
		}
		n.log.Info("sealing identity ready", "fingerprint", ident.Fingerprint)
		if retired, err := engine.RetireSealIdentities(ctx, n.db, time.Now().Add(-seal.DefaultOverlap)); err != nil || retired > 0 {
			n.log.Info("previous sealing identities past their overlap retired", "retired", retired, "err", err)
		}
	}
	n.broker, err = workers.OpenBrokerWith(ctx, workers.BrokerOptions{URL: cfg.RedisURL, PoolSize: cfg.RedisPoolSize, AllowEmbedded: m == modeDev})
	if err != nil {
		n.Close()
		return nil, err
	}
	n.metrics = metrics.New(appVersion())
	n.insp = asynq.NewInspector(n.broker.ConnOpt())
	n.metrics.WatchState(metrics.StateSource{DB: n.db, Queue: n.insp, Logger: n.log,
		Queues: []string{workers.QueueSync, workers.QueuePoll, workers.QueueDefault}})
	if n.broker.Embedded() {
		n.log.Warn("embedded queue, not durable: queued tasks are lost on exit (the database keeps every change; set REDIS_URL for a real queue)")
	}
	return n, nil
}

func (m mode) String() string {
	return [...]string{"dev", "web", "worker", "migrate"}[m]
}

// ensureAdmin creates the first console user; dev prints a generated password once.
func (n *node) ensureAdmin(ctx context.Context, m mode) error {
	if n.cfg.AdminPassword == "" && m != modeDev {
		var count int64
		if err := n.db.WithContext(ctx).Model(&models.User{}).Count(&count).Error; err != nil {
			return err
		}
		if count == 0 {
			return &config.Error{Var: "AIRLOCK_ADMIN_PASSWORD", Expect: "a password of at least 10 characters for the first console user (no user exists yet)"}
		}
		return nil
	}
	generated, err := n.db.EnsureAdmin(ctx, n.cfg.AdminUser, n.cfg.AdminPassword)
	if err != nil {
		return err
	}
	if generated != "" {
		// Printed once, on purpose: this is the only way into a fresh dev console.
		n.log.Warn("created the first console user; this password is shown only once", "user", n.cfg.AdminUser, "password", generated)
	}
	return nil
}

func runMigrate(ctx context.Context, env func(string) string, args []string, stdout, _ io.Writer) error {
	if err := noArgs("migrate", args); err != nil {
		return err
	}
	n, err := boot(ctx, env, modeMigrate)
	if err != nil {
		return err
	}
	defer n.Close()
	v, err := n.db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema version %d (%s)\n", v, n.db.Dialect)
	return nil
}

func runDev(ctx context.Context, env func(string) string, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	withDemo := fs.Bool("demo", false, "also run emulated Jiras A, AB and B with a relay A <-> AB <-> B ready")
	sealed := fs.Bool("sealed", false, "with --demo: seal both connections through the relay AB (issue 15)")
	traffic := fs.Bool("traffic", false, "with --demo: create and edit issues on A now and then, as alice")
	ports := fs.String("demo-ports", "fixed", "with --demo: fixed (8081-8083 when free) or random")
	usage := "airlock dev [--demo [--sealed] [--traffic] [--demo-ports fixed|random]]"
	if err := fs.Parse(args); err != nil {
		return &config.Error{Var: "arguments", Value: strings.Join(args, " "), Expect: usage}
	}
	if fs.NArg() > 0 || (*ports != "fixed" && *ports != "random") || (!*withDemo && (*traffic || *sealed || *ports != "fixed")) {
		return &config.Error{Var: "arguments", Value: strings.Join(args, " "), Expect: usage}
	}
	n, err := boot(ctx, env, modeDev)
	if err != nil {
		return err
	}
	defer n.Close()
	if err := n.ensureAdmin(ctx, modeDev); err != nil {
		return err
	}
	if *withDemo {
		addrs := map[string]string{}
		for _, name := range demo.Names {
			addrs[name] = strings.TrimSpace(env(demo.AddrVar(name)))
		}
		d, err := demo.Setup(ctx, n.db, n.sealer, demo.Options{RandomPorts: *ports == "random", Addrs: addrs, Traffic: *traffic, Sealed: *sealed, Logger: n.log})
		if err != nil {
			return err
		}
		defer d.Close()
	}
	stop, err := n.startWorker(ctx)
	if err != nil {
		return err
	}
	defer stop()
	return n.serveWeb(ctx)
}

func runWeb(ctx context.Context, env func(string) string, args []string, _, _ io.Writer) error {
	if err := noArgs("web", args); err != nil {
		return err
	}
	n, err := boot(ctx, env, modeWeb)
	if err != nil {
		return err
	}
	defer n.Close()
	if err := n.ensureAdmin(ctx, modeWeb); err != nil {
		return err
	}
	return n.serveWeb(ctx)
}

func runWorker(ctx context.Context, env func(string) string, args []string, _, _ io.Writer) error {
	if err := noArgs("worker", args); err != nil {
		return err
	}
	n, err := boot(ctx, env, modeWorker)
	if err != nil {
		return err
	}
	defer n.Close()
	stopMetrics, err := n.serveWorkerMetrics()
	if err != nil {
		return err
	}
	defer stopMetrics()
	stop, err := n.startWorker(ctx)
	if err != nil {
		return err
	}
	n.log.Info("worker started", "concurrency", n.cfg.WorkerConcurrency)
	<-ctx.Done()
	// SIGTERM: the sweeper stops dispatching, asynq stops fetching, running tasks get up to
	// AIRLOCK_SHUTDOWN_TIMEOUT, and what is left goes back to the queue.
	n.log.Info("worker stopping", "timeout", n.cfg.ShutdownTimeout)
	stop()
	n.log.Info("worker stopped")
	return nil
}

// serveWorkerMetrics serves /metrics on AIRLOCK_WORKER_METRICS_LISTEN when it is set (the worker
// has no console); the returned function stops it.
func (n *node) serveWorkerMetrics() (stop func(), err error) {
	if n.cfg.WorkerMetricsListen == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", n.cfg.WorkerMetricsListen)
	if err != nil {
		return nil, &config.Error{Var: "AIRLOCK_WORKER_METRICS_LISTEN", Value: n.cfg.WorkerMetricsListen, Expect: "a free host:port (" + err.Error() + ")"}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Protect(n.metrics.Handler(), n.cfg.MetricsToken))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(n.log.Handler(), slog.LevelWarn)}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("worker metrics server stopped", "err", err)
		}
	}()
	n.log.Info("worker metrics listening", "url", "http://"+displayAddr(ln.Addr())+"/metrics")
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}, nil
}

// startWorker runs the sync tasks and the sweeper on the node's queue until stop is called.
func (n *node) startWorker(ctx context.Context) (stop func(), err error) {
	srv := workers.NewServer(n.broker, n.db, n.log, workers.ServerOptions{Concurrency: n.cfg.WorkerConcurrency, ShutdownTimeout: n.cfg.ShutdownTimeout})
	srv.Mux.Use(workers.Instrument(n.metrics, n.db))
	stopSync, err := workers.StartSync(ctx, srv, n.engine(), n.queue(), n.cfg.SweepInterval, n.log)
	if err != nil {
		return nil, err
	}
	// The notifier only reads the database; every worker may run one (notices are claimed).
	nctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		workers.RunNotifier(nctx, &workers.Notifier{DB: n.db, Sealer: n.sealer, Logger: n.log}, workers.DefaultNotifyInterval)
	}()
	go n.resealAfterRotation(nctx)
	return func() {
		cancel()
		<-done
		stopSync()
	}, nil
}

// queue is the node's task client, shared by the worker and the console.
func (n *node) queue() *workers.Queue {
	if n.q == nil {
		n.q = workers.NewQueue(n.broker)
	}
	return n.q
}

// engine is the node's one sync engine (its client pool keeps per-instance pacing).
// resealAfterRotation rewrites the node's sealed state slots under its current identity while a
// previous identity is still in its overlap (a rotation whose reseal did not finish: a restart
// finishes it; slots already current are skipped at the cost of one read each).
func (n *node) resealAfterRotation(ctx context.Context) {
	if n.sealer == nil {
		return
	}
	ids, err := n.db.Identities(ctx)
	if err != nil || len(ids) < 2 {
		return
	}
	done, err := n.engine().Reseal(ctx)
	if err != nil {
		n.log.Warn("resealing after a rotation is incomplete", "resealed", done, "err", err)
		return
	}
	n.log.Info("sealed issues resealed under the current identity", "issues", done)
}

func (n *node) engine() *engine.Engine {
	if n.eng == nil {
		pool := &engine.ClientPool{Sealer: n.sealer, AllowedHosts: n.cfg.JiraAllowlist,
			Limits: jira.Limits{MaxBody: n.cfg.JiraMaxBody, BodyIdleTimeout: n.cfg.JiraBodyIdleTimeout, CallTimeout: n.cfg.JiraCallTimeout}}
		if n.metrics != nil {
			pool.Observer = n.metrics.ObserveJira
		}
		n.eng = &engine.Engine{DB: n.db, Logger: n.log, Clients: pool}
		if n.broker != nil {
			n.eng.Enqueuer = n.queue()
		}
	}
	return n.eng
}

// noArgs refuses arguments a command does not take.
func noArgs(cmd string, args []string) error {
	if len(args) > 0 {
		return &config.Error{Var: "arguments", Value: strings.Join(args, " "), Expect: "none: `airlock " + cmd + "` is configured by environment variables (see airlock --help)"}
	}
	return nil
}

// serveWeb serves the console until ctx ends, then shuts down gracefully.
func (n *node) serveWeb(ctx context.Context) error {
	srv, err := web.New(web.Deps{Config: n.cfg, DB: n.db, Sealer: n.sealer, Queue: n.broker, Logger: n.log, Version: appVersion(), Engine: n.engine()})
	if err != nil {
		return err
	}
	srv.ServeMetrics(n.metrics.Handler())
	ln, err := net.Listen("tcp", n.cfg.Listen)
	if err != nil {
		return &config.Error{Var: "AIRLOCK_LISTEN", Value: n.cfg.Listen, Expect: "a free host:port (" + err.Error() + ")"}
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(n.log.Handler(), slog.LevelWarn)}
	n.log.Info("console listening", "url", "http://"+displayAddr(ln.Addr()))
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
