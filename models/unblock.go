package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// UnblockInstance lifts an instance's auth block (its credentials were fixed and tested, or an
// operator retried) and resolves its open auth errors with resolution, in one transaction, so
// the console never shows a block without its error or an error without its block. The polls
// of its connections become due at once.
func (db *DB) UnblockInstance(ctx context.Context, id uint, resolution string, now time.Time) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Updates bumps updated_at, so the client pool builds a fresh, unlocked client.
		if err := tx.Model(&Instance{ID: id}).Updates(map[string]any{"auth_blocked": false, "consecutive_errors": 0}).Error; err != nil {
			return fmt.Errorf("unblock instance %d: %w", id, err)
		}
		if err := tx.Model(&SyncError{}).Where("resolved_at IS NULL AND class = ? AND instance_id = ?", ClassAuth, id).
			Updates(map[string]any{"resolved_at": now.UTC(), "resolution": resolution}).Error; err != nil {
			return fmt.Errorf("unblock instance %d: resolve its auth errors: %w", id, err)
		}
		return tx.Model(&Watermark{}).Where("connection_id IN (?)",
			tx.Model(&Connection{}).Select("id").Where("local_instance_id = ? OR remote_instance_id = ?", id, id)).
			Update("next_poll_at", nil).Error
	})
}
