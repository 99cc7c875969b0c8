package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// A connection's lifecycle: the console makes it a draft (it syncs nothing), an admin activates
// it after reviewing the mapping, it may be paused and resumed, and it can be deleted, which
// ends its twins and keeps every Jira issue.

// ErrOverlap is returned by Activate when the connection's scope overlaps another's without
// allowance; OverlapError carries the details.
var ErrOverlap = errors.New("scope overlaps another connection")

// OverlapError lists the forbidden overlaps that stop an activation.
type OverlapError struct{ Overlaps []Overlap }

func (e *OverlapError) Error() string {
	o := e.Overlaps[0]
	return fmt.Sprintf("%v: %s on %s", ErrOverlap, o.Other.Name, o.Scope())
}

func (e *OverlapError) Unwrap() error { return ErrOverlap }

// ErrNotDraft is returned by Activate for a connection that is active already.
var ErrNotDraft = errors.New("the connection is already active")

// Activate ends a connection's draft: it checks ownership, sets the watermark of both sides to
// now (so the first poll sees only what changes from now on, never the history) and marks the
// connection active. Existing issues come over only through Backfill.
func (e *Engine) Activate(ctx context.Context, connID uint) (*models.Connection, error) {
	var c models.Connection
	if err := e.db(ctx).First(&c, connID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("connection %d: %w", connID, ErrNotFound)
		}
		return nil, fmt.Errorf("load connection %d: %w", connID, err)
	}
	if !c.Draft {
		return &c, ErrNotDraft
	}
	ovs, err := e.ForbiddenOverlaps(ctx, &c)
	if err != nil {
		return nil, err
	}
	if len(ovs) > 0 {
		return &c, &OverlapError{Overlaps: ovs}
	}
	now := e.now()
	err = e.db(ctx).Transaction(func(tx *gorm.DB) error {
		for _, side := range []string{models.SideLocal, models.SideRemote} {
			wm := models.Watermark{ConnectionID: c.ID, Side: side, Cursor: &now}
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "connection_id"}, {Name: "side"}},
				DoUpdates: clause.Assignments(map[string]any{"cursor": now, "next_poll_at": nil})}).Create(&wm).Error; err != nil {
				return fmt.Errorf("watermark %s: %w", side, err)
			}
		}
		q := tx.Model(&models.Connection{}).Where("id = ? AND draft = ?", c.ID, true).
			Updates(map[string]any{"draft": false, "activated_at": now})
		if q.Error != nil {
			return q.Error
		}
		if q.RowsAffected == 0 {
			return ErrNotDraft
		}
		return nil
	})
	if err != nil {
		return &c, err
	}
	c.Draft, c.ActivatedAt = false, &now
	return &c, nil
}

// Backfill syncs every issue in the connection's scope on both sides (local first), as a bulk
// job does: an issue without a twin gets a pending twin, then each is reconciled (reconcile) or
// enqueued. Progress counts both sides together.
func (e *Engine) Backfill(ctx context.Context, connID uint, reconcile bool, progress ProgressFunc) (BulkProgress, error) {
	var total BulkProgress
	for _, side := range []string{models.SideLocal, models.SideRemote} {
		base := total
		res, err := e.SyncJQL(ctx, SyncJQLRequest{ConnectionID: connID, Side: side, Scope: true, Reconcile: reconcile}, func(p BulkProgress) {
			sum := base
			sum.Total += p.Total
			sum.Done += p.Done
			sum.Failed += p.Failed
			sum.Skipped += p.Skipped
			sum.Errors = append(append([]string(nil), base.Errors...), p.Errors...)
			if progress != nil {
				progress(sum)
			}
		})
		total.Total += res.Total
		total.Done += res.Done
		total.Failed += res.Failed
		total.Skipped += res.Skipped
		total.Errors = append(total.Errors, res.Errors...)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// DeleteCounts is what deleting a connection ends, for the confirmation and the report.
type DeleteCounts struct {
	Twins, CommentTwins, AttachmentTwins, OpenErrors, OpenConflicts int64
}

// DeleteCounts counts the rows a delete of the connection removes.
func (e *Engine) DeleteCounts(ctx context.Context, connID uint) (DeleteCounts, error) {
	return CountConnectionRows(ctx, e.DB, connID)
}

// CountConnectionRows is Engine.DeleteCounts on a database.
func CountConnectionRows(ctx context.Context, db *models.DB, connID uint) (DeleteCounts, error) {
	var d DeleteCounts
	twins := db.WithContext(ctx).Model(&models.Twin{}).Select("id").Where("connection_id = ?", connID)
	for _, c := range []struct {
		n *int64
		q *gorm.DB
	}{
		{&d.Twins, db.WithContext(ctx).Model(&models.Twin{}).Where("connection_id = ? AND state <> ?", connID, models.TwinUnlinked)},
		{&d.CommentTwins, db.WithContext(ctx).Model(&models.CommentTwin{}).Where("twin_id IN (?) AND deleted = ?", twins, false)},
		{&d.AttachmentTwins, db.WithContext(ctx).Model(&models.AttachmentTwin{}).Where("twin_id IN (?) AND deleted = ?", twins, false)},
		{&d.OpenErrors, db.WithContext(ctx).Model(&models.SyncError{}).Where("connection_id = ? AND resolved_at IS NULL", connID)},
		{&d.OpenConflicts, db.WithContext(ctx).Model(&models.Conflict{}).Where("twin_id IN (?) AND decision = ?", twins, "")},
	} {
		if err := c.q.Count(c.n).Error; err != nil {
			return d, fmt.Errorf("count rows of connection %d: %w", connID, err)
		}
	}
	return d, nil
}

// DeleteResult reports a connection delete.
type DeleteResult struct {
	DeleteCounts
	// PropertiesRemoved counts the issues whose airlock.twin entry of this connection was removed;
	// PropertyErrors lists the issues where that failed (the delete goes on: the entry is inert).
	PropertiesRemoved int
	PropertyErrors    []string
}

// propertyDeleter is the property delete of *jira.Client (not in the Jira interface: only a
// connection delete needs it).
type propertyDeleter interface {
	DeleteProperty(ctx context.Context, idOrKey, prop string) error
}

// DeleteConnection removes a connection and everything Airlock stored for it: its twins and
// their comment and attachment twins, conflicts, watermarks and sync errors. Every Jira issue
// stays as it is. The record of what crossed (events) is kept. With removeProperties, this
// connection's entry in the airlock.twin property of every linked issue on both sides is removed
// first (the property is deleted when no other connection's entry is left).
func (e *Engine) DeleteConnection(ctx context.Context, connID uint, removeProperties bool) (DeleteResult, error) {
	var res DeleteResult
	counts, err := e.DeleteCounts(ctx, connID)
	if err != nil {
		return res, err
	}
	res.DeleteCounts = counts
	if removeProperties {
		l, err := e.loadLink(ctx, connID)
		if err != nil {
			return res, err
		}
		if err := e.removeProperties(ctx, l, &res); err != nil {
			return res, err
		}
	}
	err = e.db(ctx).Transaction(func(tx *gorm.DB) error {
		twins := tx.Model(&models.Twin{}).Select("id").Where("connection_id = ?", connID)
		for _, del := range []struct {
			model any
			where string
			arg   any
		}{
			{&models.CommentTwin{}, "twin_id IN (?)", twins},
			{&models.AttachmentTwin{}, "twin_id IN (?)", twins},
			{&models.WorklogTwin{}, "twin_id IN (?)", twins},
			{&models.TwinStructure{}, "twin_id IN (?)", twins},
			{&models.Conflict{}, "twin_id IN (?)", twins},
			{&models.SyncError{}, "twin_id IN (?)", twins},
			{&models.SyncError{}, "connection_id = ?", connID},
			{&models.LinkTwin{}, "connection_id = ?", connID},
			{&models.Watermark{}, "connection_id = ?", connID},
			{&models.Twin{}, "connection_id = ?", connID},
			{&models.Connection{}, "id = ?", connID},
		} {
			if err := tx.Where(del.where, del.arg).Delete(del.model).Error; err != nil {
				return fmt.Errorf("delete %T of connection %d: %w", del.model, connID, err)
			}
		}
		return nil
	})
	return res, err
}

// removeProperties removes this connection's airlock.twin entry from every linked issue.
func (e *Engine) removeProperties(ctx context.Context, l *link, res *DeleteResult) error {
	var twins []models.Twin
	if err := e.db(ctx).Where("connection_id = ?", l.Conn.ID).Find(&twins).Error; err != nil {
		return fmt.Errorf("list twins: %w", err)
	}
	for _, side := range []string{models.SideLocal, models.SideRemote} {
		j, err := e.client(ctx, l, side)
		if err != nil {
			return fmt.Errorf("%s side: %w", side, err)
		}
		for i := range twins {
			id := twinIssueID(&twins[i], side)
			if id == nil {
				continue
			}
			key := twins[i].LocalKey
			if side == models.SideRemote {
				key = twins[i].RemoteKey
			}
			if err := dropLink(ctx, j, *id, l.Key); err != nil {
				res.PropertyErrors = append(res.PropertyErrors, fmt.Sprintf("%s on %s: %v", key, l.inst(side).Name, err))
				continue
			}
			res.PropertiesRemoved++
		}
	}
	return nil
}

// dropLink removes connKey's entry from an issue's airlock.twin property, deleting the property
// when it holds no other entry. A missing issue or property is nothing to do.
func dropLink(ctx context.Context, j Jira, issueID, connKey string) error {
	raw, err := j.GetProperty(ctx, issueID, TwinProperty)
	if jira.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", TwinProperty, err)
	}
	v := ParseTwinValue(raw)
	if _, ok := v.Links[connKey]; !ok {
		return nil
	}
	delete(v.Links, connKey)
	if d, ok := j.(propertyDeleter); ok && len(v.Links) == 0 {
		if err := d.DeleteProperty(ctx, issueID, TwinProperty); err != nil && !jira.IsNotFound(err) {
			return fmt.Errorf("delete %s: %w", TwinProperty, err)
		}
		return nil
	}
	b, _ := json.Marshal(v)
	if err := j.SetProperty(ctx, issueID, TwinProperty, json.RawMessage(b)); err != nil {
		return fmt.Errorf("write %s: %w", TwinProperty, err)
	}
	return nil
}
