package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/seal"
)

// `airlock seal-identity new` prints an identity the node accepts as AIRLOCK_SEAL_IDENTITY, and
// `export` prints back the one a node stored.
func TestSealIdentityNewAndExport(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), envOf(nil), []string{"seal-identity", "new"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	id, err := seal.ParseIdentity(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("not an identity: %v", err)
	}
	if !strings.Contains(errOut.String(), id.Public().Fingerprint()) || strings.Contains(errOut.String(), strings.TrimSpace(out.String())) {
		t.Errorf("stderr must show the fingerprint and never the secret: %s", errOut.String())
	}
	dir := t.TempDir()
	env := envOf(map[string]string{"AIRLOCK_DATA_DIR": dir, "AIRLOCK_SEAL_IDENTITY": strings.TrimSpace(out.String())})
	n, err := boot(context.Background(), env, modeDev)
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	var exported bytes.Buffer
	if code := run(context.Background(), envOf(map[string]string{"AIRLOCK_DATA_DIR": dir}), []string{"seal-identity", "export"}, &exported, &errOut); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut.String())
	}
	if strings.TrimSpace(exported.String()) != strings.TrimSpace(out.String()) {
		t.Errorf("export printed another identity")
	}
	if code := run(context.Background(), envOf(nil), []string{"seal-identity"}, &out, &errOut); code == 0 {
		t.Error("no argument was accepted")
	}
}
