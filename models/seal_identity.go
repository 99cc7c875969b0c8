package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// NodeIdentity is one of this node's sealing identities (package seal, issue 15): the secret
// text sealed under AIRLOCK_SECRET_KEY like the Jira credentials, and its public line and
// fingerprint in the clear (they are public). The current identity signs and opens envelopes;
// identities replaced by a rotation stay to open envelopes sealed to them until they are
// retired.
type NodeIdentity struct {
	ID          uint   `gorm:"primaryKey"`
	SecretEnc   []byte `gorm:"not null"`
	Public      string `gorm:"type:text;not null"`
	Fingerprint string `gorm:"size:32;not null;uniqueIndex"`
	// State is IdentityCurrent (exactly one), IdentityPrevious (replaced, still opens) or
	// IdentityRetired (no longer signs or is announced; it still opens the envelopes sealed to it
	// before, which stay on the relay: comments and files are not resealed).
	State     string `gorm:"size:16;not null;index"`
	CreatedAt time.Time
	RetiredAt *time.Time
}

// Node identity states.
const (
	IdentityCurrent  = "current"
	IdentityPrevious = "previous"
	IdentityRetired  = "retired"
)

func identityAAD(id uint) []byte {
	return []byte("airlock:node-identity:" + strconv.FormatUint(uint64(id), 10))
}

// Secret opens the identity's secret text.
func (n *NodeIdentity) Secret(s *Sealer) (string, error) {
	pt, err := s.Open(n.SecretEnc, identityAAD(n.ID))
	if err != nil {
		return "", fmt.Errorf("node identity %s: %w", n.Fingerprint, err)
	}
	return string(pt), nil
}

// CurrentIdentity returns the current node identity, or nil when there is none yet.
func (db *DB) CurrentIdentity(ctx context.Context) (*NodeIdentity, error) {
	var n NodeIdentity
	err := db.WithContext(ctx).Where("state = ?", IdentityCurrent).Order("id DESC").Take(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load node identity: %w", err)
	}
	return &n, nil
}

// Identities returns the current and previous identities (current first, then newest first).
func (db *DB) Identities(ctx context.Context) ([]NodeIdentity, error) {
	return db.identitiesIn(ctx, IdentityCurrent, IdentityPrevious)
}

// RetiredIdentities returns the retired identities (newest first): they only open old
// envelopes.
func (db *DB) RetiredIdentities(ctx context.Context) ([]NodeIdentity, error) {
	return db.identitiesIn(ctx, IdentityRetired)
}

func (db *DB) identitiesIn(ctx context.Context, states ...string) ([]NodeIdentity, error) {
	var ns []NodeIdentity
	if err := db.WithContext(ctx).Where("state IN ?", states).
		Order("CASE WHEN state = 'current' THEN 0 ELSE 1 END, id DESC").Find(&ns).Error; err != nil {
		return nil, fmt.Errorf("load node identities: %w", err)
	}
	return ns, nil
}

// AddIdentity stores a new current identity (secret text, public line, fingerprint). With
// replace, the current one becomes previous; without, the store fails when a current identity
// exists (another process made one first). The secret is sealed bound to its row.
func (db *DB) AddIdentity(ctx context.Context, s *Sealer, secret, public, fingerprint string, replace bool) (*NodeIdentity, error) {
	if s == nil {
		return nil, errors.New("store node identity: no AIRLOCK_SECRET_KEY")
	}
	n := &NodeIdentity{Public: public, Fingerprint: fingerprint, State: IdentityCurrent, SecretEnc: []byte{0}}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if replace {
			if err := tx.Model(&NodeIdentity{}).Where("state = ?", IdentityCurrent).Update("state", IdentityPrevious).Error; err != nil {
				return err
			}
		}
		if err := tx.Create(n).Error; err != nil {
			return err
		}
		enc, err := s.Seal([]byte(secret), identityAAD(n.ID))
		if err != nil {
			return err
		}
		n.SecretEnc = enc
		return tx.Model(n).UpdateColumn("secret_enc", enc).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store node identity: %w", err)
	}
	return n, nil
}

// RetireIdentity ends a previous identity's overlap: partners stop trusting it and it is no
// longer announced; it still opens what was sealed to it before.
func (db *DB) RetireIdentity(ctx context.Context, id uint, at time.Time) error {
	res := db.WithContext(ctx).Model(&NodeIdentity{}).Where("id = ? AND state = ?", id, IdentityPrevious).
		Updates(map[string]any{"state": IdentityRetired, "retired_at": at.UTC()})
	if res.Error != nil {
		return fmt.Errorf("retire node identity: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return errors.New("retire node identity: no previous identity with that id (the current one is replaced by a rotation first)")
	}
	return nil
}

// rotateIdentitySecrets re-seals the node identities, counted like instance secrets.
func rotateIdentitySecrets(tx *gorm.DB, oldKey, newKey *Sealer, res *RotateResult) error {
	var ns []NodeIdentity
	if err := tx.Order("id").Find(&ns).Error; err != nil {
		return fmt.Errorf("list node identities: %w", err)
	}
	for i := range ns {
		n := &ns[i]
		secret, err := n.Secret(oldKey)
		if err != nil {
			if _, errNew := n.Secret(newKey); errNew == nil {
				res.AlreadyNew++
				continue
			}
			return fmt.Errorf("node identity %s: opens with neither AIRLOCK_SECRET_KEY_OLD nor AIRLOCK_SECRET_KEY", n.Fingerprint)
		}
		enc, err := newKey.Seal([]byte(secret), identityAAD(n.ID))
		if err != nil {
			return err
		}
		if err := tx.Model(&NodeIdentity{}).Where("id = ?", n.ID).UpdateColumn("secret_enc", enc).Error; err != nil {
			return fmt.Errorf("store the re-sealed node identity %s: %w", n.Fingerprint, err)
		}
		res.Resealed++
	}
	return nil
}
