package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/airlock-sync/airlock/config"
)

// runRecover rebuilds a connection's twin ledger from the airlock.twin properties in Jira.
func runRecover(ctx context.Context, env func(string) string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock recover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := fs.Uint("connection", 0, "the connection whose ledger to rebuild")
	if err := fs.Parse(args); err != nil {
		return &config.Error{Var: "--connection", Expect: "airlock recover --connection ID"}
	}
	if *conn == 0 {
		return &config.Error{Var: "--connection", Expect: "a connection id: airlock recover --connection ID"}
	}
	n, err := boot(ctx, env, modeMigrate)
	if err != nil {
		return err
	}
	defer n.Close()
	if n.sealer == nil {
		return &config.Error{Var: "AIRLOCK_SECRET_KEY", Expect: "the key the Jira credentials were stored with"}
	}
	res, err := n.engine().Recover(ctx, uint(*conn))
	if err != nil {
		return fmt.Errorf("recover connection %d: %w", *conn, err)
	}
	fmt.Fprintf(stdout, "scanned %d issues, %d carry this connection's link: %d twins restored, %d skipped (already known or incomplete)\n",
		res.Scanned, res.Linked, res.Restored, res.Skipped)
	return nil
}
