package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/models"
)

// Decision kinds of a manual conflict (models.Conflict.Decision). Local and remote take that
// side's value as it is when the next reconcile runs; edited writes Decision.Value to both sides.
const (
	DecideLocal  = models.SideLocal
	DecideRemote = models.SideRemote
	DecideEdited = "edited"
)

// MaxDecidedValue bounds an edited value (Jira's text field limit).
const MaxDecidedValue = 32767

// ErrAlreadyDecided is returned when a conflict was decided before (by someone else, or twice).
var ErrAlreadyDecided = errors.New("this conflict was already decided")

// Decision is an operator's answer to one manual conflict.
type Decision struct {
	ConflictID uint
	// Take is DecideLocal, DecideRemote or DecideEdited.
	Take string
	// Value is the value both sides get with DecideEdited, in the remote vocabulary (for a status
	// or an option, the remote side's name).
	Value string
	// By names the console user, for the audit.
	By string
}

// DecisionError says what is wrong with a decision, for the console to show beside the field.
type DecisionError struct {
	Field   string // "take" or "value"
	Message string
}

func (e *DecisionError) Error() string { return e.Field + ": " + e.Message }

// Validate checks a decision before anything is written.
func (d Decision) Validate() error {
	switch d.Take {
	case DecideLocal, DecideRemote, DecideEdited:
	default:
		return &DecisionError{Field: "take", Message: "choose take local, take remote or edit"}
	}
	if d.Take == DecideEdited && len([]rune(d.Value)) > MaxDecidedValue {
		return &DecisionError{Field: "value", Message: fmt.Sprintf("the value is longer than Jira accepts (%d characters at most)", MaxDecidedValue)}
	}
	return nil
}

// Decide records an operator's decision on an open conflict and makes the twin's next reconcile
// write the decided value to both sides: the reconcile reads decided, unapplied conflicts into
// MergeOptions.Decided, writes the value where it differs, and marks the conflict applied. The
// twin is marked dirty and its reconcile enqueued (or left to the sweeper without an Enqueuer).
func (e *Engine) Decide(ctx context.Context, d Decision) (*models.Conflict, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	var c models.Conflict
	q := e.db(ctx).Limit(1).Find(&c, d.ConflictID)
	if q.Error != nil {
		return nil, fmt.Errorf("decide conflict %d: %w", d.ConflictID, q.Error)
	}
	if q.RowsAffected == 0 {
		return nil, fmt.Errorf("decide conflict %d: %w", d.ConflictID, ErrNotFound)
	}
	if c.Decision != "" {
		return &c, ErrAlreadyDecided
	}
	value := d.Value
	switch d.Take {
	case DecideLocal:
		value = c.LocalValue
	case DecideRemote:
		value = c.RemoteValue
	default:
		value = strings.ReplaceAll(value, "\r\n", "\n")
	}
	now := e.now()
	var tw models.Twin
	err := e.db(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&models.Conflict{}).Where("id = ? AND (decision = '' OR decision IS NULL)", c.ID).
			Updates(map[string]any{"decision": d.Take, "value": value, "decided_by": d.By, "decided_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrAlreadyDecided
		}
		if tx.Limit(1).Find(&tw, c.TwinID).RowsAffected == 0 {
			return nil // the twin is gone: the decision is kept for the record only
		}
		upd := map[string]any{"dirty": true}
		if tw.DirtySince == nil {
			upd["dirty_since"] = now
		}
		return tx.Model(&models.Twin{}).Where("id = ?", tw.ID).Updates(upd).Error
	})
	if errors.Is(err, ErrAlreadyDecided) {
		return &c, err
	}
	if err != nil {
		return nil, fmt.Errorf("decide conflict %d: %w", c.ID, err)
	}
	c.Decision, c.Value, c.DecidedBy, c.DecidedAt = d.Take, value, d.By, &now
	if tw.ID != 0 && e.Enqueuer != nil && (tw.State == models.TwinActive || tw.State == models.TwinPendingCreate) {
		if err := e.Enqueuer.EnqueueReconcile(ctx, tw.ID, tw.ConnectionID); err != nil {
			e.log().Warn("decide: cannot enqueue; the sweeper will", "twin", tw.ID, "err", err)
		}
	}
	return &c, nil
}
