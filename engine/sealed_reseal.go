package engine

import (
	"context"
	"fmt"

	"github.com/airlock-sync/airlock/models"
)

// Reseal rewrites this node's state slot on every relay issue of its sealed connections under
// its current identity (after a rotation: the slot written under the previous identity is
// dropped by readers once that key is retired, so what it held must be in the new slot before
// the overlap ends). It returns how many issues were resealed; a twin that fails is skipped
// (its reconcile reports the reason) and counted in the error.
func (e *Engine) Reseal(ctx context.Context) (int, error) {
	var conns []models.Connection
	if err := e.DB.WithContext(ctx).Where("sealed = ?", true).Find(&conns).Error; err != nil {
		return 0, fmt.Errorf("list sealed connections: %w", err)
	}
	done, failed := 0, 0
	var firstErr error
	for i := range conns {
		l, err := e.loadLink(ctx, conns[i].ID)
		if err != nil {
			return done, err
		}
		j, err := e.client(ctx, l, models.SideRemote)
		if err != nil {
			return done, err
		}
		d, ok := j.(*sealedJira)
		if !ok {
			continue
		}
		var ids []string
		if err := e.DB.WithContext(ctx).Model(&models.Twin{}).Where("connection_id = ? AND remote_issue_id IS NOT NULL AND state <> ?",
			conns[i].ID, models.TwinUnlinked).Pluck("remote_issue_id", &ids).Error; err != nil {
			return done, fmt.Errorf("list twins of %s: %w", conns[i].Name, err)
		}
		for _, id := range ids {
			if err := d.reseal(ctx, id); err != nil {
				failed++
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			done++
		}
	}
	if failed > 0 {
		return done, fmt.Errorf("%d sealed issues could not be resealed, the first: %w", failed, firstErr)
	}
	return done, nil
}

// reseal writes the issue's merged state into this node's current slot when it is not there
// yet.
func (d *sealedJira) reseal(ctx context.Context, id string) error {
	v, err := d.view(ctx, id)
	if err != nil {
		return err
	}
	if v.slots[d.mySlot()] == v.maxS && v.maxS > 0 {
		return nil // the current slot already holds the newest state
	}
	old := v.files[d.mySlot()]
	prop, desc, err := d.write(ctx, id, v, nil)
	if err != nil {
		return err
	}
	if err := d.Jira.UpdateIssue(ctx, id, jiraSlotEdit(prop, desc), jiraUpdateDefaults); err != nil {
		return err
	}
	d.dropLargeSlot(ctx, v, old)
	return d.stored(ctx, v)
}
