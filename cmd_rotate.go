package main

import (
	"context"
	"fmt"
	"io"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/models"
)

// rotateKeyHelp is the --help text of `airlock rotate-key`.
const rotateKeyHelp = "Usage: AIRLOCK_SECRET_KEY_OLD=<old> AIRLOCK_SECRET_KEY=<new> airlock rotate-key\n" +
	"Re-encrypts every stored Jira password and token from the old key to the new one, in one\n" +
	"database transaction: afterwards every credential opens with the new key, or (on any error)\n" +
	"nothing was changed. Stop web and workers first, run this once, then start them with the new\n" +
	"AIRLOCK_SECRET_KEY and unset AIRLOCK_SECRET_KEY_OLD. Running it twice is harmless. See SECURITY.md."

// runRotateKey re-seals every Instance secret from AIRLOCK_SECRET_KEY_OLD to AIRLOCK_SECRET_KEY.
func runRotateKey(ctx context.Context, env func(string) string, args []string, stdout, _ io.Writer) error {
	if err := noArgs("rotate-key", args); err != nil {
		return err
	}
	cfg, err := config.Load(env)
	if err != nil {
		return err
	}
	if cfg.SecretKey == nil {
		return &config.Error{Var: "AIRLOCK_SECRET_KEY", Expect: "the new key (openssl rand -base64 32) that credentials are re-encrypted with"}
	}
	if cfg.SecretKeyOld == nil {
		return &config.Error{Var: "AIRLOCK_SECRET_KEY_OLD", Expect: "the key the credentials are stored with now"}
	}
	oldKey, err := models.NewSealer(cfg.SecretKeyOld)
	if err != nil {
		return err
	}
	newKey, err := models.NewSealer(cfg.SecretKey)
	if err != nil {
		return err
	}
	n, err := boot(ctx, env, modeMigrate)
	if err != nil {
		return err
	}
	defer n.Close()
	res, err := n.db.RotateSecrets(ctx, oldKey, newKey)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-encrypted %d credentials with the new key (%d already used it, %d instances store none)\n",
		res.Resealed, res.AlreadyNew, res.Empty)
	fmt.Fprintln(stdout, "now start web and workers with the new AIRLOCK_SECRET_KEY and unset AIRLOCK_SECRET_KEY_OLD")
	return nil
}
