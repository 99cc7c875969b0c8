package web

import (
	"context"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/seal"
)

// TestSettingsShowSealingKeys: the Settings page shows the node's public sealing key and its
// fingerprint, and nothing of the secret half.
func TestSettingsShowSealingKeys(t *testing.T) {
	e := newConnEnv(t)
	doc := parse(t, e.get(t, "/settings", e.token))
	if doc.Find(`[data-testid="seal-none"]`).Length() != 1 {
		t.Fatal("a node without an identity does not say so")
	}
	id, _ := seal.Generate()
	n, err := engine.EnsureSealIdentity(context.Background(), e.db, e.s.sealer, id.String())
	if err != nil {
		t.Fatal(err)
	}
	res := e.get(t, "/settings", e.token)
	doc = parse(t, res)
	if got := strings.TrimSpace(doc.Find(`[data-testid="seal-fingerprint"]`).Text()); got != n.Fingerprint || got != id.Public().Fingerprint() {
		t.Errorf("fingerprint shown %q, want %q", got, n.Fingerprint)
	}
	if got := strings.TrimSpace(doc.Find(`[data-testid="seal-public"]`).Text()); got != id.Public().String() {
		t.Errorf("public key shown %q", got)
	}
	html, _ := doc.Html()
	secret := strings.Fields(id.String())
	if strings.Contains(html, secret[1]) || strings.Contains(html, secret[2]) {
		t.Error("the settings page shows the secret half")
	}
}
