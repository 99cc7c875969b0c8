package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/seal"
)

// EnsureSealIdentity makes sure the node has a current sealing identity (issue 15): the one
// given in AIRLOCK_SEAL_IDENTITY (envText) when set, else the stored one, else a new one made
// now. It is stored sealed under AIRLOCK_SECRET_KEY like the Jira credentials. An identity given
// in the environment that differs from the stored one becomes current and the stored one
// previous (it still opens what was sealed to it).
func EnsureSealIdentity(ctx context.Context, db *models.DB, sealer *models.Sealer, envText string) (*models.NodeIdentity, error) {
	if sealer == nil {
		return nil, errors.New("sealing identity: AIRLOCK_SECRET_KEY is needed to store it")
	}
	cur, err := db.CurrentIdentity(ctx)
	if err != nil {
		return nil, err
	}
	var id *seal.Identity
	switch {
	case envText != "":
		if id, err = seal.ParseIdentity(envText); err != nil {
			return nil, fmt.Errorf("AIRLOCK_SEAL_IDENTITY: %w", err)
		}
		if cur != nil && cur.Fingerprint == id.Public().Fingerprint() {
			return cur, nil
		}
	case cur != nil:
		return cur, nil
	default:
		if id, err = seal.Generate(); err != nil {
			return nil, err
		}
	}
	pub := id.Public()
	made, err := db.AddIdentity(ctx, sealer, id.String(), pub.String(), pub.Fingerprint(), envText != "")
	if err != nil {
		// Another process of this node stored one at the same moment (one current identity, one
		// row per fingerprint): use it when it is the one wanted.
		if again, err2 := db.CurrentIdentity(ctx); err2 == nil && again != nil && (envText == "" || again.Fingerprint == pub.Fingerprint()) {
			return again, nil
		}
	}
	return made, err
}

// SealIdentities opens the node's identities that still open envelopes, current first.
func SealIdentities(ctx context.Context, db *models.DB, sealer *models.Sealer) ([]*seal.Identity, error) {
	rows, err := db.Identities(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*seal.Identity, 0, len(rows))
	for i := range rows {
		text, err := rows[i].Secret(sealer)
		if err != nil {
			return nil, err
		}
		id, err := seal.ParseIdentity(text)
		if err != nil {
			return nil, fmt.Errorf("node identity %s: %w", rows[i].Fingerprint, err)
		}
		out = append(out, id)
	}
	return out, nil
}
