package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/engine"
)

// runRecover rebuilds a connection's twin ledger from the airlock.twin properties in Jira.
func runRecover(ctx context.Context, env func(string) string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("airlock recover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := fs.Uint("connection", 0, "the connection whose ledger to rebuild")
	dry := fs.Bool("dry-run", false, "read Jira and list what recover would carry and what would become a conflict; write nothing")
	if err := fs.Parse(args); err != nil {
		return &config.Error{Var: "--connection", Expect: "airlock recover --connection ID [--dry-run]"}
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
	res, err := n.engine().RecoverWith(ctx, uint(*conn), engine.RecoverOptions{DryRun: *dry})
	if err != nil {
		return fmt.Errorf("recover connection %d: %w", *conn, err)
	}
	verb := "restored"
	if *dry {
		verb = "would be restored (dry run: nothing written)"
	}
	fmt.Fprintf(stdout, "scanned %d issues, %d carry this connection's link: %d twins %s, %d skipped (already known or incomplete)\n",
		res.Scanned, res.Linked, res.Restored, verb, res.Skipped)
	for _, tw := range res.Twins {
		it := tw.Items
		if len(tw.ToLocal)+len(tw.ToRemote)+len(tw.Conflicts)+it.Edited+it.EditedBoth+it.Deleted == 0 {
			continue
		}
		fmt.Fprintf(stdout, "%s <-> %s:", tw.LocalKey, tw.RemoteKey)
		if len(tw.ToRemote) > 0 {
			fmt.Fprintf(stdout, " carry to remote: %s;", strings.Join(tw.ToRemote, ", "))
		}
		if len(tw.ToLocal) > 0 {
			fmt.Fprintf(stdout, " carry to local: %s;", strings.Join(tw.ToLocal, ", "))
		}
		if len(tw.Conflicts) > 0 {
			fmt.Fprintf(stdout, " conflicts for the admin: %s;", strings.Join(tw.Conflicts, ", "))
		}
		if it.Edited > 0 {
			fmt.Fprintf(stdout, " comments or worklogs edited on one side: %d, carried;", it.Edited)
		}
		if it.EditedBoth > 0 {
			fmt.Fprintf(stdout, " comments or worklogs edited on both sides: %d, the later edit wins;", it.EditedBoth)
		}
		if it.Deleted > 0 {
			fmt.Fprintf(stdout, " comments, worklogs or attachments deleted on one side: %d (a copy goes too, an original stays);", it.Deleted)
		}
		if tw.NoDigests {
			fmt.Fprint(stdout, " (no digests in the link: written by an older version or under another AIRLOCK_SECRET_KEY)")
		}
		fmt.Fprintln(stdout)
	}
	return nil
}
