package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/models"
)

// RetryFilter selects what Retry retries: one twin, one SyncError, or every open error (and
// quarantined twin) of a connection, optionally of one class.
type RetryFilter struct {
	TwinID       uint
	ErrorID      uint
	All          bool
	Class        string
	ConnectionID uint
}

// RetryResult counts Retry's outcome, for the console's flash and the CLI.
type RetryResult struct {
	Retried int
	Failed  int
}

// Retry is the one retry entry point (console and `airlock retry`): it clears quarantine (the
// twin goes back to active, or pending-create when an issue is missing), marks the twin dirty,
// resolves its open SyncErrors as "retried", unblocks instances whose auth errors are retried,
// and enqueues the reconciles.
func (e *Engine) Retry(ctx context.Context, f RetryFilter) (RetryResult, error) {
	var res RetryResult
	twins := map[uint]bool{}
	var errs []models.SyncError
	q := e.db(ctx).Where("resolved_at IS NULL")
	switch {
	case f.ErrorID != 0:
		q = q.Where("id = ?", f.ErrorID)
	case f.TwinID != 0:
		q = q.Where("twin_id = ?", f.TwinID)
		twins[f.TwinID] = true
	case f.All:
		if f.ConnectionID != 0 {
			q = q.Where("connection_id = ?", f.ConnectionID)
		}
		if f.Class != "" {
			q = q.Where("class = ?", f.Class)
		}
	default:
		return res, fmt.Errorf("retry: name a twin, an error, or --all")
	}
	if err := q.Find(&errs).Error; err != nil {
		return res, fmt.Errorf("retry: find errors: %w", err)
	}
	if f.ErrorID != 0 && len(errs) == 0 {
		return res, fmt.Errorf("retry: error %d: %w", f.ErrorID, ErrNotFound)
	}
	instances := map[uint]bool{}
	for _, se := range errs {
		if se.TwinID != nil {
			twins[*se.TwinID] = true
		}
		if se.Class == models.ClassAuth && se.InstanceID != nil {
			instances[*se.InstanceID] = true
		}
		if se.Class == models.ClassAuth && se.TwinID == nil && se.ConnectionID != nil {
			var c models.Connection
			if e.db(ctx).Limit(1).Find(&c, *se.ConnectionID).RowsAffected > 0 {
				instances[c.LocalInstanceID], instances[c.RemoteInstanceID] = true, true
			}
		}
	}
	if f.All && (f.Class == "" || f.Class == models.ClassConfig || f.Class == models.ClassData || f.Class == models.ClassInternal) {
		var ids []uint
		tq := e.db(ctx).Model(&models.Twin{}).Where("state = ?", models.TwinQuarantined)
		if f.ConnectionID != 0 {
			tq = tq.Where("connection_id = ?", f.ConnectionID)
		}
		if err := tq.Pluck("id", &ids).Error; err != nil {
			return res, fmt.Errorf("retry: find quarantined twins: %w", err)
		}
		for _, id := range ids {
			twins[id] = true
		}
	}
	if f.All && (f.Class == "" || f.Class == models.ClassAuth) {
		var insts []uint
		iq := e.db(ctx).Model(&models.Instance{}).Where("auth_blocked = ?", true)
		if f.ConnectionID != 0 {
			var c models.Connection
			if e.db(ctx).Limit(1).Find(&c, f.ConnectionID).RowsAffected > 0 {
				iq = iq.Where("id IN ?", []uint{c.LocalInstanceID, c.RemoteInstanceID})
			}
		}
		if err := iq.Pluck("id", &insts).Error; err != nil {
			return res, fmt.Errorf("retry: find blocked instances: %w", err)
		}
		for _, id := range insts {
			instances[id] = true
		}
	}
	now := e.now()
	for id := range instances {
		if err := e.DB.UnblockInstance(ctx, id, "retried", now); err != nil {
			return res, fmt.Errorf("retry: %w", err)
		}
	}
	for _, id := range sortedIDs(twins) {
		var tw models.Twin
		if e.db(ctx).Limit(1).Find(&tw, id).RowsAffected == 0 || tw.State == models.TwinUnlinked {
			res.Failed++
			continue
		}
		// A twin whose create never finished (no sync yet) goes back to its create, which finishes
		// it from the agreement of the attempt (engine/create.go), not to a merge without one.
		state := models.TwinActive
		if tw.LocalIssueID == nil || tw.RemoteIssueID == nil || (tw.CreateAttemptedAt != nil && tw.LastSyncedAt == nil) {
			state = models.TwinPendingCreate
		}
		err := e.db(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Model(&models.Twin{}).Where("id = ?", id).Updates(map[string]any{"state": state, "dirty": true,
				"dirty_since": now, "error_count": 0, "next_attempt_at": nil, "last_error": ""}).Error; err != nil {
				return err
			}
			return tx.Model(&models.SyncError{}).Where("twin_id = ? AND resolved_at IS NULL", id).
				Updates(map[string]any{"resolved_at": now, "resolution": "retried"}).Error
		})
		if err != nil {
			res.Failed++
			e.log().Warn("retry failed", "twin", id, "err", err)
			continue
		}
		if e.Enqueuer != nil {
			if err := e.Enqueuer.EnqueueReconcile(ctx, id, tw.ConnectionID); err != nil {
				e.log().Warn("retry: cannot enqueue; the sweeper will", "twin", id, "err", err)
			}
		}
		res.Retried++
	}
	// Errors without a twin (polls, instances) are resolved too: their next run shows whether
	// the cause is gone.
	for _, se := range errs {
		if se.TwinID != nil {
			continue
		}
		if err := e.db(ctx).Model(&models.SyncError{}).Where("id = ?", se.ID).
			Updates(map[string]any{"resolved_at": now, "resolution": "retried"}).Error; err != nil {
			res.Failed++
			continue
		}
		if se.ConnectionID != nil {
			e.db(ctx).Model(&models.Watermark{}).Where("connection_id = ?", *se.ConnectionID).Update("next_poll_at", nil)
		}
		res.Retried++
	}
	return res, nil
}

func sortedIDs(m map[uint]bool) []uint { return slices.Sorted(maps.Keys(m)) }
