package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/seal"
)

// sealIdentityHelp is the --help text of `airlock seal-identity`.
const sealIdentityHelp = "Usage: airlock seal-identity new | export\n" +
	"A node's sealing identity (sealed relay, issue 15) opens and signs what crosses a sealed relay;\n" +
	"without it the node cannot read what AB holds for it. It is stored in the database, sealed\n" +
	"under AIRLOCK_SECRET_KEY, or given by AIRLOCK_SEAL_IDENTITY from your secret store.\n\n" +
	"  new      print a new identity (the secret line) on stdout and its public key and fingerprint on\n" +
	"           stderr: put the secret line into your secret store as AIRLOCK_SEAL_IDENTITY before\n" +
	"           the node's first start\n" +
	"  export   print the node's current stored identity (needs the database and AIRLOCK_SECRET_KEY),\n" +
	"           to move it into your secret store. Anyone holding it can read and forge this node's\n" +
	"           envelopes: never paste it into a ticket or a chat."

// runSealIdentity makes or exports a sealing identity.
func runSealIdentity(ctx context.Context, env func(string) string, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || (args[0] != "new" && args[0] != "export") {
		return &config.Error{Var: "arguments", Value: fmt.Sprint(args), Expect: "new or export (see airlock seal-identity --help)"}
	}
	var id *seal.Identity
	if args[0] == "new" {
		var err error
		if id, err = seal.Generate(); err != nil {
			return err
		}
	} else {
		n, err := boot(ctx, env, modeMigrate)
		if err != nil {
			return err
		}
		defer n.Close()
		if n.sealer == nil {
			return &config.Error{Var: "AIRLOCK_SECRET_KEY", Expect: "the key the node's identity is stored under"}
		}
		cur, err := n.db.CurrentIdentity(ctx)
		if err != nil {
			return err
		}
		if cur == nil {
			return errors.New("this node has no sealing identity yet: it is made at the node's first start")
		}
		text, err := cur.Secret(n.sealer)
		if err != nil {
			return err
		}
		if id, err = seal.ParseIdentity(text); err != nil {
			return err
		}
	}
	pub := id.Public()
	fmt.Fprintln(stdout, id.String())
	fmt.Fprintf(stderr, "public key:  %s\nfingerprint: %s\n", pub.String(), pub.Fingerprint())
	return nil
}
