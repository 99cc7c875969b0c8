package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/workers"
)

// runRetry clears quarantine and re-dispatches: one twin, one error, or all errors of a class in a
// connection (engine.Retry, the same entry point as the console).
func runRetry(ctx context.Context, env func(string) string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock retry", flag.ContinueOnError)
	fs.SetOutput(stderr)
	twin := fs.Uint("twin", 0, "retry one twin")
	errID := fs.Uint("error", 0, "retry the twin (or instance) of one sync error")
	all := fs.Bool("all", false, "retry every open error (with --class and/or --connection)")
	class := fs.String("class", "", "with --all: only errors of this class (transient, auth, config, data, internal)")
	conn := fs.Uint("connection", 0, "with --all: only this connection")
	usage := "airlock retry --twin ID | --error ID | --all [--class C] [--connection ID]"
	if err := fs.Parse(args); err != nil {
		return &config.Error{Var: "arguments", Expect: usage}
	}
	chosen := 0
	for _, set := range []bool{*twin != 0, *errID != 0, *all} {
		if set {
			chosen++
		}
	}
	if chosen != 1 {
		return &config.Error{Var: "arguments", Expect: usage}
	}
	n, err := boot(ctx, env, modeMigrate)
	if err != nil {
		return err
	}
	defer n.Close()
	e := n.engine()
	// Enqueue through the real queue when there is one; without it, the workers' sweeper picks
	// the dirty twins up within a second.
	if n.cfg.RedisURL != "" {
		b, err := workers.OpenBroker(ctx, n.cfg.RedisURL, false)
		if err != nil {
			return err
		}
		defer b.Close()
		q := workers.NewQueue(b)
		defer q.Close()
		e.Enqueuer = q
	}
	res, err := e.Retry(ctx, engine.RetryFilter{TwinID: *twin, ErrorID: *errID, All: *all, Class: *class, ConnectionID: *conn})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "retried %d, failed %d\n", res.Retried, res.Failed)
	return nil
}
