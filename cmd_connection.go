package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/models"
)

const connectionUsage = "airlock connection delete --id N [--remove-properties] [--yes]"

const connectionHelp = "Usage: " + connectionUsage + "\n" +
	"Deletes a connection: its twins (linked issue pairs), their comment and attachment links,\n" +
	"conflicts, watermarks and errors end; every issue in both Jiras stays as it is, and the\n" +
	"activity record of what crossed is kept. Without --yes it only prints what would end.\n\n" +
	"  --id N               the connection (its id is in the console's URL: /connections/N)\n" +
	"  --remove-properties  also remove the connection's airlock.twin entry from the linked issues\n" +
	"                       on both sides (one Jira call per issue; needs the stored credentials)\n" +
	"  --yes                delete; without it nothing changes"

// runConnection runs the connection subcommands (delete), like the console's Delete button.
func runConnection(ctx context.Context, env func(string) string, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "delete" {
		return &config.Error{Var: "arguments", Expect: connectionUsage}
	}
	fs := flag.NewFlagSet("airlock connection delete", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.Uint("id", 0, "the connection to delete")
	props := fs.Bool("remove-properties", false, "also remove its airlock.twin entries from the issues")
	yes := fs.Bool("yes", false, "delete (without it, only show what would end)")
	if err := fs.Parse(args[1:]); err != nil || *id == 0 || fs.NArg() > 0 {
		return &config.Error{Var: "arguments", Expect: connectionUsage}
	}
	n, err := boot(ctx, env, modeMigrate)
	if err != nil {
		return err
	}
	defer n.Close()
	var c models.Connection
	if err := n.db.WithContext(ctx).First(&c, *id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("no connection with id %d", *id)
		}
		return err
	}
	e := n.engine()
	counts, err := e.DeleteCounts(ctx, c.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "connection %d %q: %d twins, %d comment links, %d attachment links, %d open errors, %d open conflicts\n",
		c.ID, c.Name, counts.Twins, counts.CommentTwins, counts.AttachmentTwins, counts.OpenErrors, counts.OpenConflicts)
	if !*yes {
		fmt.Fprintln(stdout, "nothing deleted: add --yes to delete it (every Jira issue stays)")
		return nil
	}
	res, err := e.DeleteConnection(ctx, c.ID, *props)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted connection %q: %d twins ended; every Jira issue stays\n", c.Name, res.Twins)
	if *props {
		fmt.Fprintf(stdout, "removed its airlock.twin entry from %d issues\n", res.PropertiesRemoved)
	}
	for _, p := range res.PropertyErrors {
		fmt.Fprintln(stderr, "airlock: could not remove the airlock.twin entry of", p)
	}
	return nil
}
