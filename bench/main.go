package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/airlock-sync/airlock/config"
)

// Help is the usage text of `airlock bench`.
const Help = "Usage: airlock bench SCENARIO [flags]\n" +
	"Starts emulated Jiras A, AB and B with a per-call latency and a per-instance concurrency cap, runs\n" +
	"Airlock nodes against them, and prints a table and one JSON line. Scenarios:\n" +
	"  lag    end-to-end lag A->B (and B->A) through AB, split and single topology, per poll interval\n" +
	"  bulk   bulk import of 10,000 issues with 70,000 comments and 500 attachments from A to B\n" +
	"  calls  Jira calls per propagated single-field change per hop, and idle calls per minute\n" +
	"  scale  100,000 twins and 10,000 errors in the database: poll cycle, RSS, console page times\n" +
	"Common flags: --latency 25ms --cap 8 (per emulated Jira), --sweep (default AIRLOCK_SWEEP_INTERVAL),\n" +
	"--workers (default AIRLOCK_WORKER_CONCURRENCY), -v (progress on stderr), --cpuprofile FILE. Per scenario:\n" +
	"  lag    --duration 2m --intervals 2s,5s --topologies split,single --pool 40 --sequential [--sealed]\n" +
	"  bulk   --issues 10000 --comments 7 --attachments 500 --interval 5s --timeout 60m [--subtasks 2 --links --worklogs 3]\n" +
	"         [--sealed]\n" +
	"  --sealed (lag, bulk): run plaintext, then with every relay connection sealed (issue 15), same settings; print\n" +
	"         both and the ratio sealed/plaintext of lag p50/p95, bulk time, time/lower bound and calls per issue\n" +
	"  calls  --idle 1m --changes 10 --interval 5s\n" +
	"  scale  --twins 100000 --errors 10000 --changed 20\n" +
	"  chaos  --ops 2000 --kills 10 --redis-restarts 1 --db-restarts 1 --procs 2 --seed N: convergence with worker\n" +
	"         processes SIGKILLed, the queue lost, the database restarted, 5% 5xx, 2% 429, 1% timeouts (0 lost, 0 dup),\n" +
	"         with a service project's internal and public comments (0 internal comments outside their zone)\n" +
	"Database: SQLite files in a temporary folder, or one fresh database per node on DATABASE_URL.\n" +
	"Queue: an embedded miniredis per node, or REDIS_URL (node k uses database N+k, FLUSHED at start;\n" +
	"chaos uses only database N, which must be empty, for node A and a miniredis for node B)."

// Main runs `airlock bench SCENARIO [flags]`: it parses the flags, runs the scenario and prints
// its table and JSON line to stdout.
func Main(ctx context.Context, env func(string) string, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &config.Error{Var: "scenario", Expect: "one of lag, bulk, calls, scale (airlock bench --help)"}
	}
	scenario, args := args[0], args[1:]
	base, err := config.Load(env)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("bench "+scenario, flag.ContinueOnError)
	fs.SetOutput(stderr)
	latency := fs.Duration("latency", DefaultLatency, "latency added to every emulated Jira call")
	capN := fs.Int("cap", DefaultCap, "concurrency cap of each emulated Jira (0 = none)")
	sweep := fs.Duration("sweep", base.SweepInterval, "sweeper period of every node (dispatches due polls)")
	workers := fs.Int("workers", base.WorkerConcurrency, "tasks each node's worker runs at once")
	verbose := fs.Bool("v", false, "log progress to stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	var run func(context.Context, Config, func(string)) (*Report, error)
	sealed := new(bool)
	sealedUsage := "measure plaintext and then a sealed relay (issue 15) with the same settings, side by side with the ratios"
	switch scenario {
	case "lag":
		o := LagOptions{}
		fs.DurationVar(&o.Duration, "duration", 2*time.Minute, "how long edits are made from each side (one per second)")
		intervals := fs.String("intervals", "2s,5s", "poll intervals to measure, comma separated")
		topologies := fs.String("topologies", "split,single", "topologies to measure, comma separated")
		fs.IntVar(&o.Pool, "pool", 40, "issues the random edits pick from")
		fs.BoolVar(&o.Sequential, "sequential", false, "run the variants one after the other instead of at once")
		fs.BoolVar(sealed, "sealed", false, sealedUsage)
		run = func(ctx context.Context, cfg Config, p func(string)) (*Report, error) {
			o.Intervals, o.Topologies = nil, nil
			for _, s := range strings.Split(*intervals, ",") {
				d, err := time.ParseDuration(strings.TrimSpace(s))
				if err != nil {
					return nil, &config.Error{Var: "--intervals", Value: s, Expect: "durations like 2s,5s"}
				}
				o.Intervals = append(o.Intervals, d)
			}
			for _, t := range strings.Split(*topologies, ",") {
				o.Topologies = append(o.Topologies, strings.TrimSpace(t))
			}
			o.Progress = p
			return Lag(ctx, cfg, o)
		}
	case "bulk":
		o := BulkOptions{}
		fs.IntVar(&o.Issues, "issues", 10000, "issues in A")
		fs.IntVar(&o.Comments, "comments", 7, "comments per issue")
		fs.IntVar(&o.Attachments, "attachments", 500, "attachments in A (one per issue on the first issues)")
		fs.IntVar(&o.Subtasks, "subtasks", 0, "sub-tasks per issue")
		fs.IntVar(&o.Worklogs, "worklogs", 0, "worklogs per issue")
		fs.BoolVar(&o.Links, "links", false, "link each issue to the one before it (Blocks)")
		fs.DurationVar(&o.Timeout, "timeout", 60*time.Minute, "give up waiting after this long")
		fs.DurationVar(&o.PollInterval, "interval", 5*time.Second, "poll interval of every connection side")
		fs.BoolVar(sealed, "sealed", false, sealedUsage)
		run = func(ctx context.Context, cfg Config, p func(string)) (*Report, error) {
			o.Progress = p
			return Bulk(ctx, cfg, o)
		}
	case "calls":
		o := CallsOptions{}
		fs.DurationVar(&o.Idle, "idle", time.Minute, "idle period measured")
		fs.IntVar(&o.Changes, "changes", 10, "single-field changes measured")
		fs.DurationVar(&o.PollInterval, "interval", 5*time.Second, "poll interval of every connection side")
		run = func(ctx context.Context, cfg Config, p func(string)) (*Report, error) {
			o.Progress = p
			return Calls(ctx, cfg, o)
		}
	case "scale":
		o := ScaleOptions{}
		fs.IntVar(&o.Twins, "twins", 100000, "twins seeded in the database")
		fs.IntVar(&o.Errors, "errors", 10000, "open sync errors seeded in the database")
		fs.IntVar(&o.Changed, "changed", 20, "issues changed in A before each measured poll")
		run = func(ctx context.Context, cfg Config, p func(string)) (*Report, error) {
			o.Progress = p
			return Scale(ctx, cfg, o)
		}
	case "chaos":
		o := DefaultChaos()
		fs.IntVar(&o.Ops, "ops", o.Ops, "random operations on A and B")
		fs.IntVar(&o.Kills, "kills", 10, "worker processes SIGKILLed (and restarted)")
		fs.IntVar(&o.RedisRestarts, "redis-restarts", 1, "queue losses (miniredis restarted, or FLUSHDB on REDIS_URL)")
		fs.IntVar(&o.DBRestarts, "db-restarts", 1, "database restarts (Postgres backends terminated; SQLite: all workers killed at once)")
		fs.IntVar(&o.WorkersPerNode, "procs", 2, "`airlock worker` processes per node")
		fs.Uint64Var(&o.Seed, "seed", 20240917, "seed of the operations and the chaos schedule")
		fs.DurationVar(&o.QuietTimeout, "quiet-timeout", 10*time.Minute, "give up waiting for the quiet state after this long")
		run = func(ctx context.Context, cfg Config, p func(string)) (*Report, error) {
			o.Progress = p
			return Chaos(ctx, cfg, o)
		}
	default:
		return &config.Error{Var: "scenario", Value: scenario, Expect: "one of lag, bulk, calls, scale"}
	}
	if err := fs.Parse(args); err != nil {
		return &config.Error{Var: "flags", Value: strings.Join(args, " "), Expect: err.Error()}
	}
	if fs.NArg() > 0 {
		return &config.Error{Var: "arguments", Value: strings.Join(fs.Args(), " "), Expect: "flags only"}
	}
	dir, err := os.MkdirTemp("", "airlock-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logger := slog.New(slog.DiscardHandler)
	progress := func(string) {}
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		progress = func(s string) { fmt.Fprintf(stderr, "%s %s\n", time.Now().Format("15:04:05"), s) }
	}
	cfg := Config{Latency: *latency, Cap: *capN, DatabaseURL: env("DATABASE_URL"), RedisURL: env("REDIS_URL"),
		TempDir: dir, SweepEvery: *sweep, WorkerConcurrency: *workers, Logger: logger}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var r *Report
	if *sealed {
		r, err = SideBySide(ctx, cfg, run, progress)
	} else {
		r, err = run(ctx, cfg, progress)
	}
	if err != nil {
		return fmt.Errorf("bench %s: %w", scenario, err)
	}
	if err := r.WriteTable(stdout); err != nil {
		return err
	}
	return r.WriteJSON(stdout)
}
