package engine

import (
	"context"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
	"github.com/airlock-sync/airlock/seal"
)

// TestRotateAndRetireSealIdentities: a rotation makes a new current identity and keeps the old
// one opening envelopes; retiring counts the overlap from the rotation, so the old identity is
// kept until the overlap has passed and then opens nothing.
func TestRotateAndRetireSealIdentities(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := testSealer(t)
		first, err := EnsureSealIdentity(ctx, db, s, "")
		if err != nil {
			t.Fatal(err)
		}
		// The first identity was made long ago: only the rotation's date counts.
		old := time.Now().Add(-30 * 24 * time.Hour)
		db.Model(&models.NodeIdentity{}).Where("id = ?", first.ID).Update("created_at", old)
		next, err := RotateSealIdentity(ctx, db, s)
		if err != nil {
			t.Fatal(err)
		}
		if next.Fingerprint == first.Fingerprint || next.State != models.IdentityCurrent {
			t.Fatalf("rotation gave %+v", next)
		}
		cur, _ := db.CurrentIdentity(ctx)
		if cur == nil || cur.ID != next.ID {
			t.Fatalf("current identity %+v, want the new one", cur)
		}
		ids, err := SealIdentities(ctx, db, s)
		if err != nil || len(ids) != 2 || ids[0].Public().Fingerprint() != next.Fingerprint || ids[1].Public().Fingerprint() != first.Fingerprint {
			t.Fatalf("identities after rotation: %d, %v", len(ids), err)
		}
		// The old identity still opens what was sealed to it.
		env, err := seal.Seal(ids[0], []seal.Public{ids[1].Public()}, seal.KindState, "x", 1, []byte("secret"))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := seal.Open(env, []seal.Public{ids[0].Public()}, ids...); err != nil {
			t.Fatalf("the previous identity no longer opens: %v", err)
		}

		if n, err := RetireSealIdentities(ctx, db, time.Now().Add(-seal.DefaultOverlap)); err != nil || n != 0 {
			t.Fatalf("retired %d (%v) inside the overlap, want 0", n, err)
		}
		if n, err := RetireSealIdentities(ctx, db, time.Now().Add(time.Minute)); err != nil || n != 1 {
			t.Fatalf("retired %d (%v) after the overlap, want 1", n, err)
		}
		var rows []models.NodeIdentity
		db.Order("id").Find(&rows)
		if len(rows) != 2 || rows[0].State != models.IdentityRetired || rows[0].RetiredAt == nil || rows[1].State != models.IdentityCurrent {
			t.Fatalf("identities %+v", rows)
		}
		if ids, _ := SealIdentities(ctx, db, s); len(ids) != 1 {
			t.Fatalf("%d identities still open envelopes, want 1", len(ids))
		}
		if n, err := RetireSealIdentities(ctx, db, time.Now().Add(time.Hour)); err != nil || n != 0 {
			t.Fatalf("retired %d (%v) again", n, err)
		}
	})
}
