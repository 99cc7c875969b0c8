// Command airlock keeps Jira Server / Data Center issues in sync between two private Jira
// instances through a public relay Jira. See README.md and docs in the repository.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/airlock-sync/airlock/bench"
	"github.com/airlock-sync/airlock/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitUsage is the exit code for bad configuration or usage.
const exitUsage = 2

// command is one subcommand.
type command struct {
	name    string
	summary string
	help    string
	run     func(ctx context.Context, env func(string) string, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"dev", "run everything in one process on embedded defaults (SQLite, in-process queue)",
		"Usage: airlock dev [--demo [--traffic] [--sealed] [--demo-ports fixed|random]]\n\n" +
			"Runs the console and a worker in one process. Without DATABASE_URL it uses SQLite in\n" +
			"AIRLOCK_DATA_DIR; without REDIS_URL it embeds an in-memory queue (not durable: the database\n" +
			"outbox makes that safe). Migrations run automatically. Without AIRLOCK_SECRET_KEY a key is\n" +
			"generated into AIRLOCK_DATA_DIR; without AIRLOCK_ADMIN_PASSWORD a password for the first\n" +
			"console user is generated and printed once.\n\n" +
			"  --demo               also start emulated Jiras A, AB and B (127.0.0.1:8081-8083, /jira;\n" +
			"                       JIRASIM_A_ADDR, JIRASIM_AB_ADDR, JIRASIM_B_ADDR choose other addresses)\n" +
			"                       with a relay A <-> AB <-> B configured: no setup by hand\n" +
			"  --traffic            with --demo: create and edit issues on A now and then, as alice\n" +
			"  --sealed             with --demo: seal the relay, so AB holds only envelopes\n" +
			"  --demo-ports MODE    with --demo: fixed (8081-8083 when free, the default) or random", runDev},
	{"web", "serve the console (needs REDIS_URL and AIRLOCK_SECRET_KEY)",
		"Serves the console on AIRLOCK_LISTEN. Needs REDIS_URL, AIRLOCK_SECRET_KEY and a migrated\n" +
			"database (run `airlock migrate` first).", runWeb},
	{"worker", "run the sync worker (needs REDIS_URL and AIRLOCK_SECRET_KEY)",
		"Runs polls and reconciles from the queue. Any number of workers may share one Redis and one\n" +
			"database. Needs REDIS_URL, AIRLOCK_SECRET_KEY and a migrated database.", runWorker},
	{"migrate", "apply pending database migrations",
		"Applies every pending migration, each in its own transaction, and prints the schema version.\n" +
			"Safe to run from several processes at once.", runMigrate},
	{"jirasim", "run the Jira emulator with three instances A, AB and B",
		"Serves three emulated Jira Server instances for demos and experiments:\n" +
			"  A on JIRASIM_A_ADDR (default 127.0.0.1:8081), AB on JIRASIM_AB_ADDR (127.0.0.1:8082),\n" +
			"  B on JIRASIM_B_ADDR (127.0.0.1:8083), each under JIRASIM_CONTEXT_PATH (default /jira).\n" +
			"Users: admin/admin, airlock/airlock (the sync user), alice/alice, bob/bob.", runJirasim},
	{"recover", "rebuild a connection's twin ledger from the airlock.twin properties in Jira",
		"Usage: airlock recover --connection ID\n" +
			"After the database was lost or restored from an old backup: scans both projects of the\n" +
			"connection for issues carrying its airlock.twin link and rebuilds the missing twins, with the\n" +
			"current values as their baseline, so nothing is rewritten and no duplicate is created.", runRecover},
	{"retry", "clear quarantine and retry failed twins",
		"Usage: airlock retry --twin ID | --error ID | --all [--class C] [--connection ID]\n" +
			"Clears the quarantine of the chosen twins, resolves their errors and enqueues their\n" +
			"reconciles (through REDIS_URL when set, else the workers' sweeper picks them up). --all with\n" +
			"--class auth also unblocks instances after their credentials were fixed.", runRetry},
	{"connection", "delete a connection (its twins end, every Jira issue stays)", connectionHelp, runConnection},
	{"rotate-key", "re-encrypt stored Jira credentials from AIRLOCK_SECRET_KEY_OLD to AIRLOCK_SECRET_KEY", rotateKeyHelp, runRotateKey},
	{"seal-identity", "make a new sealing identity for AIRLOCK_SEAL_IDENTITY, or export the stored one", sealIdentityHelp, runSealIdentity},
	{"bench", "run a benchmark scenario (lag, bulk, calls, scale, chaos) against emulated Jiras", bench.Help, runBench},
	{"version", "print the version and the revision it was built from", "Prints Airlock's version, module version and the VCS revision recorded in the build information.", runVersion},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Getenv, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a subcommand and maps errors to exit codes: 2 for usage and configuration, 1 for
// everything else.
func run(ctx context.Context, env func(string) string, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		for _, a := range args[1:] {
			if a == "-h" || a == "-help" || a == "--help" {
				if !strings.HasPrefix(c.help, "Usage:") {
					fmt.Fprintf(stdout, "Usage: airlock %s\n\n", c.name)
				}
				fmt.Fprintf(stdout, "%s\n\nConfiguration comes from environment variables; `airlock --help` lists them.\n", c.help)
				return 0
			}
		}
		err := c.run(ctx, env, args[1:], stdout, stderr)
		if err == nil {
			return 0
		}
		fmt.Fprintln(stderr, "airlock:", err)
		var ce *config.Error
		if errors.As(err, &ce) {
			return exitUsage
		}
		return 1
	}
	fmt.Fprintf(stderr, "airlock: unknown command %q (try airlock --help)\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Airlock keeps Jira Server/DC issues in sync between two private Jiras through a relay Jira.")
	fmt.Fprintln(w, "\nUsage: airlock <command> [--help]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEnvironment variables:")
	for _, o := range config.Options {
		def := o.Default
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(w, "  %-27s %s; default %s\n", o.Var, o.Help, def)
	}
	fmt.Fprintln(w, "\nStart here: airlock dev   (then open http://localhost:8080)")
}
