package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

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

// SealIdentities opens the node's current and previous identities, current first.
func SealIdentities(ctx context.Context, db *models.DB, sealer *models.Sealer) ([]*seal.Identity, error) {
	rows, err := db.Identities(ctx)
	if err != nil {
		return nil, err
	}
	return openIdentities(rows, sealer)
}

// retiredSealIdentities opens the node's retired identities (they only open old envelopes).
func retiredSealIdentities(ctx context.Context, db *models.DB, sealer *models.Sealer) ([]*seal.Identity, error) {
	rows, err := db.RetiredIdentities(ctx)
	if err != nil {
		return nil, err
	}
	return openIdentities(rows, sealer)
}

func openIdentities(rows []models.NodeIdentity, sealer *models.Sealer) ([]*seal.Identity, error) {
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

// SealKeyring reads a sealed connection's partner keys (an empty keyring when none are set).
func SealKeyring(c *models.Connection) (*seal.Keyring, error) {
	k := &seal.Keyring{}
	if c.SealKeyring == "" {
		return k, nil
	}
	if err := json.Unmarshal([]byte(c.SealKeyring), k); err != nil {
		return nil, configError("connection %s: its partner keys cannot be read: %v", c.Name, err)
	}
	return k, nil
}

// SetSealKeyring stores k in the connection (the caller saves the row).
func SetSealKeyring(c *models.Connection, k *seal.Keyring) error {
	b, err := json.Marshal(k)
	if err != nil {
		return err
	}
	c.SealKeyring = string(b)
	return nil
}

// SealConnection turns sealing on for a connection and trusts the partner keys given (the
// demo, the bench and tests; the console does the same from its form).
func SealConnection(ctx context.Context, db *models.DB, connID uint, partners ...seal.Public) error {
	var c models.Connection
	if err := db.WithContext(ctx).First(&c, connID).Error; err != nil {
		return fmt.Errorf("connection %d: %w", connID, err)
	}
	k, err := SealKeyring(&c)
	if err != nil {
		return err
	}
	for _, p := range partners {
		if err := k.Add(p, time.Now()); err != nil {
			return err
		}
	}
	if err := SetSealKeyring(&c, k); err != nil {
		return err
	}
	return db.WithContext(ctx).Model(&c).Updates(map[string]any{"sealed": true, "seal_keyring": c.SealKeyring}).Error
}

// SealedRulesProblem says, in words, why a connection's rules cannot run through a sealed relay
// in this version ("" when they can): the parts whose Jira shapes would show structure or
// people on the relay are not sealed yet.
func SealedRulesProblem(r *Rules) string {
	var parts []string
	if len(r.Security.Levels) > 0 {
		parts = append(parts, "security levels")
	}
	for i := range r.Fields {
		switch r.Fields[i].Kind {
		case KindEpicLink, KindWatchers, KindParticipants, KindRequestType, KindOrganizations:
			parts = append(parts, "the field "+r.Fields[i].Name+" ("+r.Fields[i].Kind+")")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "a sealed relay does not carry " + strings.Join(parts, ", ") + " yet: turn them off in the mapping or leave the connection unsealed"
}

// SealedConnectionProblem is SealedRulesProblem for a whole connection: its rules, and a JQL
// filter on the relay side, which on a sealed relay could only match envelopes.
func SealedConnectionProblem(c *models.Connection, r *Rules) string {
	if p := SealedRulesProblem(r); p != "" {
		return p
	}
	if strings.TrimSpace(c.RemoteJQL) != "" {
		return "a sealed relay's fields hold only envelopes, so the relay side's JQL filter (" + c.RemoteJQL +
			") cannot match them: clear it and filter on the private side"
	}
	return ""
}
