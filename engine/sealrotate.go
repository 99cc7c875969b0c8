package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/seal"
)

// RotateSealIdentity makes a new sealing identity current (issue 15). The one it replaces
// becomes previous until RetireSealIdentities retires it at the end of the overlap; previous and
// retired identities keep opening what was sealed to them. Partners learn the new key from the announcement the engine
// attaches to its envelopes, signed by the old identity.
func RotateSealIdentity(ctx context.Context, db *models.DB, sealer *models.Sealer) (*models.NodeIdentity, error) {
	if sealer == nil {
		return nil, errors.New("rotate the sealing identity: AIRLOCK_SECRET_KEY is needed to store it")
	}
	id, err := seal.Generate()
	if err != nil {
		return nil, fmt.Errorf("rotate the sealing identity: %w", err)
	}
	pub := id.Public()
	n, err := db.AddIdentity(ctx, sealer, id.String(), pub.String(), pub.Fingerprint(), true)
	if err != nil {
		return nil, fmt.Errorf("rotate the sealing identity: %w", err)
	}
	return n, nil
}

// RetireSealIdentities retires the previous identities that were replaced before before (the
// caller passes now minus the overlap, seal.DefaultOverlap) and returns how many it retired. An
// identity was replaced when the next identity was made, so the overlap counts from then, not
// from the day the old identity itself was made.
func RetireSealIdentities(ctx context.Context, db *models.DB, before time.Time) (int, error) {
	var all []models.NodeIdentity
	if err := db.WithContext(ctx).Order("id").Find(&all).Error; err != nil {
		return 0, fmt.Errorf("list node identities: %w", err)
	}
	n := 0
	for i := range all {
		if all[i].State != models.IdentityPrevious {
			continue
		}
		// The identity that replaced it is the next one made; with none (a stray previous row),
		// the overlap counts from its own creation.
		replaced := all[i].CreatedAt
		if i+1 < len(all) {
			replaced = all[i+1].CreatedAt
		}
		if !replaced.Before(before) {
			continue
		}
		if err := db.RetireIdentity(ctx, all[i].ID, time.Now()); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
