package models

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// RotateResult counts what RotateSecrets did.
type RotateResult struct {
	// Resealed secrets were opened with the old key and sealed again with the new one.
	Resealed int
	// AlreadyNew secrets already opened with the new key (a rotation run twice): left as they are.
	AlreadyNew int
	// Empty instances store no secret.
	Empty int
}

// RotateSecrets re-seals every Instance secret (and the node's sealing identities and the
// notification secrets) from oldKey to newKey in one transaction: either
// every secret opens under newKey afterwards, or nothing is written. A secret that opens under
// neither key stops the rotation with an error naming the instance. Run it with web and workers
// stopped (they hold the old key in memory).
func (db *DB) RotateSecrets(ctx context.Context, oldKey, newKey *Sealer) (RotateResult, error) {
	var res RotateResult
	if oldKey == nil || newKey == nil {
		return res, errors.New("rotate secrets: both the old and the new key are required")
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var insts []Instance
		if err := tx.Order("id").Find(&insts).Error; err != nil {
			return fmt.Errorf("list instances: %w", err)
		}
		for i := range insts {
			inst := &insts[i]
			if len(inst.SecretEnc) == 0 {
				res.Empty++
				continue
			}
			secret, err := inst.Secret(oldKey)
			if err != nil {
				if _, errNew := inst.Secret(newKey); errNew == nil {
					res.AlreadyNew++
					continue
				}
				return fmt.Errorf("instance %s (id %d): its secret opens with neither AIRLOCK_SECRET_KEY_OLD nor AIRLOCK_SECRET_KEY", inst.Name, inst.ID)
			}
			if err := inst.SetSecret(newKey, secret); err != nil {
				return err
			}
			// UpdateColumn: the instance's settings did not change, so updated_at stays.
			if err := tx.Model(&Instance{}).Where("id = ?", inst.ID).UpdateColumn("secret_enc", inst.SecretEnc).Error; err != nil {
				return fmt.Errorf("store the re-sealed secret of %s: %w", inst.Name, err)
			}
			res.Resealed++
		}
		if err := rotateIdentitySecrets(tx, oldKey, newKey, &res); err != nil {
			return err
		}
		return rotateNotifySecrets(tx, oldKey, newKey, &res)
	})
	if err != nil {
		return RotateResult{}, fmt.Errorf("rotate secrets: %w", err)
	}
	return res, nil
}

// rotateNotifySecrets re-seals the SMTP password and the webhook URL of the notification
// settings, counted like instance secrets.
func rotateNotifySecrets(tx *gorm.DB, oldKey, newKey *Sealer, res *RotateResult) error {
	var ns NotifySettings
	err := tx.First(&ns, 1).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load notification settings: %w", err)
	}
	for _, what := range []string{"smtp", "webhook"} {
		dst := &ns.SMTPPassEnc
		if what == "webhook" {
			dst = &ns.WebhookURLEnc
		}
		if len(*dst) == 0 {
			continue
		}
		v, err := openFrom(oldKey, *dst, what)
		if err != nil {
			if _, errNew := openFrom(newKey, *dst, what); errNew == nil {
				res.AlreadyNew++
				continue
			}
			return fmt.Errorf("notification %s secret: it opens with neither AIRLOCK_SECRET_KEY_OLD nor AIRLOCK_SECRET_KEY", what)
		}
		if err := sealInto(newKey, dst, v, what); err != nil {
			return err
		}
		res.Resealed++
	}
	return tx.Model(&NotifySettings{}).Where("id = ?", 1).UpdateColumns(map[string]any{"smtp_pass_enc": ns.SMTPPassEnc, "webhook_url_enc": ns.WebhookURLEnc}).Error
}
