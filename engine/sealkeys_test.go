package engine

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"testing"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
	"github.com/airlock-sync/airlock/seal"
)

func testSealer(t *testing.T) *models.Sealer {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	s, err := models.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSealIdentityMadeOnceStoredSealed: the first start makes an identity, later starts (and two
// processes starting together) keep it; its secret is stored encrypted; an identity given in
// AIRLOCK_SEAL_IDENTITY becomes current and the old one still opens envelopes; rotate-key
// re-seals it.
func TestSealIdentityMadeOnceStoredSealed(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := testSealer(t)
		var wg sync.WaitGroup
		fps := make([]string, 4)
		for i := range fps {
			wg.Go(func() {
				n, err := EnsureSealIdentity(ctx, db, s, "")
				if err != nil {
					t.Error(err)
					return
				}
				fps[i] = n.Fingerprint
			})
		}
		wg.Wait()
		for _, fp := range fps[1:] {
			if fp != fps[0] {
				t.Fatalf("processes starting together made different identities: %v", fps)
			}
		}
		var rows []models.NodeIdentity
		db.Find(&rows)
		if len(rows) != 1 || rows[0].State != models.IdentityCurrent {
			t.Fatalf("identities %+v, want one current", rows)
		}
		if strings.Contains(string(rows[0].SecretEnc), "AIRLOCK-SEAL-IDENTITY") || strings.Contains(string(rows[0].SecretEnc), "AGE-SECRET") {
			t.Fatal("the identity is stored in plaintext")
		}
		ids, err := SealIdentities(ctx, db, s)
		if err != nil || len(ids) != 1 || ids[0].Public().Fingerprint() != fps[0] {
			t.Fatalf("open the stored identity: %v", err)
		}
		old := ids[0]
		sealedToOld, err := seal.Seal(old, []seal.Public{old.Public()}, seal.KindState, "x", 1, []byte("before the change"))
		if err != nil {
			t.Fatal(err)
		}

		given, _ := seal.Generate()
		n, err := EnsureSealIdentity(ctx, db, s, given.String())
		if err != nil || n.Fingerprint != given.Public().Fingerprint() {
			t.Fatalf("AIRLOCK_SEAL_IDENTITY not taken: %v", err)
		}
		if again, _ := EnsureSealIdentity(ctx, db, s, given.String()); again.ID != n.ID {
			t.Error("the same AIRLOCK_SEAL_IDENTITY was stored twice")
		}
		ids, err = SealIdentities(ctx, db, s)
		if err != nil || len(ids) != 2 || ids[0].Public() != given.Public() {
			t.Fatalf("identities after the change: %d, %v", len(ids), err)
		}
		if _, _, err := seal.Open(sealedToOld, []seal.Public{old.Public()}, ids...); err != nil {
			t.Errorf("the previous identity no longer opens what was sealed to it: %v", err)
		}

		s2 := testSealer(t)
		if _, err := db.RotateSecrets(ctx, s, s2); err != nil {
			t.Fatal(err)
		}
		if ids, err := SealIdentities(ctx, db, s2); err != nil || len(ids) != 2 {
			t.Fatalf("after rotate-key: %v", err)
		}
		if _, err := SealIdentities(ctx, db, s); err == nil {
			t.Error("the identities still open under the old AIRLOCK_SECRET_KEY")
		}
		if _, err := EnsureSealIdentity(ctx, db, s2, "AIRLOCK-SEAL-IDENTITY-1 garbage"); err == nil || !strings.Contains(err.Error(), "AIRLOCK_SEAL_IDENTITY") {
			t.Errorf("a malformed AIRLOCK_SEAL_IDENTITY: %v", err)
		}
	})
}
