package engine

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/models"
)

// UnblockInstance lifts an instance's auth block (its credentials were fixed, or an operator
// retried) and resolves its open auth errors with resolution, in one transaction, so the
// console never shows a block without its error or an error without its block. The polls of
// its connections run at the next sweep.
func (e *Engine) UnblockInstance(ctx context.Context, id uint, resolution string) error {
	now := e.now()
	return e.db(ctx).Transaction(func(tx *gorm.DB) error {
		// Updates bumps updated_at, so the client pool builds a fresh, unlocked client.
		if err := tx.Model(&models.Instance{ID: id}).Updates(map[string]any{"auth_blocked": false, "consecutive_errors": 0}).Error; err != nil {
			return fmt.Errorf("unblock instance %d: %w", id, err)
		}
		if err := tx.Model(&models.SyncError{}).Where("resolved_at IS NULL AND class = ? AND instance_id = ?", models.ClassAuth, id).
			Updates(map[string]any{"resolved_at": now, "resolution": resolution}).Error; err != nil {
			return fmt.Errorf("unblock instance %d: resolve its auth errors: %w", id, err)
		}
		return tx.Model(&models.Watermark{}).Where("connection_id IN (?)",
			tx.Model(&models.Connection{}).Select("id").Where("local_instance_id = ? OR remote_instance_id = ?", id, id)).
			Update("next_poll_at", nil).Error
	})
}
