package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/airlock-sync/airlock/models"
)

// SkippedFields returns the shared field names left out of a twin's sync (Twin.SkipFields).
func SkippedFields(tw *models.Twin) []string {
	var out []string
	if tw.SkipFields != "" {
		_ = json.Unmarshal([]byte(tw.SkipFields), &out) // unreadable: nothing skipped
	}
	return out
}

// withoutSkipped returns the link with the twin's skipped fields left out of its rules, so that
// the projection, the merge, the writes and the baseline of this twin never see them. The link
// itself is not changed.
func (l *link) withoutSkipped(tw *models.Twin) *link {
	skip := SkippedFields(tw)
	if len(skip) == 0 {
		return l
	}
	cp := *l
	cp.Rules.Fields = slices.DeleteFunc(slices.Clone(l.Rules.Fields), func(f FieldRule) bool { return slices.Contains(skip, f.Name) })
	return &cp
}

// keepSkipped carries the baseline entries of the twin's skipped fields over into the new
// baseline nb: an un-skip resumes the merge from the last agreement before the skip.
func keepSkipped(nb *Baseline, base Baseline, tw *models.Twin) {
	for _, name := range SkippedFields(tw) {
		for _, pair := range [][2]Shared{{nb.Local, base.Local}, {nb.Remote, base.Remote}} {
			if v, ok := pair[1][name]; ok {
				pair[0][name] = v
			}
		}
		if v, ok := base.Rev[name]; ok {
			nb.Rev[name] = v
		}
	}
}

// SkipField leaves one shared field out of one twin's sync, for a value Jira rejects on this
// pair only: the rest of the twin syncs again at once (quarantine cleared, open errors resolved,
// reconcile enqueued, as Retry does). The field's baseline entry is kept, so an un-skip resumes
// the merge where it stopped: a change made meanwhile travels (or is rejected again).
func (e *Engine) SkipField(ctx context.Context, twinID uint, field string) error {
	tw, l, err := e.skipLoad(ctx, twinID, field)
	if err != nil {
		return err
	}
	skip := SkippedFields(tw)
	if !slices.Contains(skip, field) {
		skip = append(skip, field)
		slices.Sort(skip)
	}
	if err := e.setSkipped(ctx, tw, skip); err != nil {
		return err
	}
	e.log().Info("field skipped for one twin", "twin", tw.ID, "connection", l.Conn.ID, "field", field)
	if _, err := e.Retry(ctx, RetryFilter{TwinID: tw.ID}); err != nil {
		return fmt.Errorf("skip %s: %w", field, err)
	}
	return nil
}

// UnskipField syncs a skipped field of one twin again, starting with the field's first sync.
func (e *Engine) UnskipField(ctx context.Context, twinID uint, field string) error {
	var tw models.Twin
	if e.db(ctx).Limit(1).Find(&tw, twinID).RowsAffected == 0 {
		return fmt.Errorf("twin %d: %w", twinID, ErrNotFound)
	}
	skip := slices.DeleteFunc(SkippedFields(&tw), func(s string) bool { return s == field })
	if err := e.setSkipped(ctx, &tw, skip); err != nil {
		return err
	}
	now := e.now()
	if err := e.db(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).Updates(map[string]any{"dirty": true, "dirty_since": now}).Error; err != nil {
		return fmt.Errorf("unskip %s: %w", field, err)
	}
	if e.Enqueuer != nil {
		if err := e.Enqueuer.EnqueueReconcile(ctx, tw.ID, tw.ConnectionID); err != nil {
			e.log().Warn("unskip: cannot enqueue; the sweeper will", "twin", tw.ID, "err", err)
		}
	}
	return nil
}

func (e *Engine) skipLoad(ctx context.Context, twinID uint, field string) (*models.Twin, *link, error) {
	var tw models.Twin
	if e.db(ctx).Limit(1).Find(&tw, twinID).RowsAffected == 0 {
		return nil, nil, fmt.Errorf("twin %d: %w", twinID, ErrNotFound)
	}
	var c models.Connection
	if err := e.db(ctx).First(&c, tw.ConnectionID).Error; err != nil {
		return nil, nil, fmt.Errorf("load connection %d: %w", tw.ConnectionID, err)
	}
	rules, err := ParseRules(c.Rules)
	if err != nil {
		return nil, nil, configError("connection %s: %v", c.Name, err)
	}
	if rules.field(field) == nil {
		return nil, nil, fmt.Errorf("connection %s shares no field %q: %w", c.Name, field, ErrNotFound)
	}
	return &tw, &link{Conn: &c, Rules: rules}, nil
}

func (e *Engine) setSkipped(ctx context.Context, tw *models.Twin, skip []string) error {
	v := ""
	if len(skip) > 0 {
		b, _ := json.Marshal(skip)
		v = string(b)
	}
	if err := e.db(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).Update("skip_fields", v).Error; err != nil {
		return fmt.Errorf("store skipped fields of twin %d: %w", tw.ID, err)
	}
	tw.SkipFields = v
	return nil
}
