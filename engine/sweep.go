package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/airlock-sync/airlock/models"
)

// SweepBatch bounds the dirty twins one sweep dispatches.
const SweepBatch = 1000

// SweepResult counts what one sweep dispatched.
type SweepResult struct {
	Polls      int
	Reconciles int
	// NextDue is the earliest time a poll of an active side falls due after this sweep (zero
	// when none is scheduled): the sweeper wakes then, so a poll starts on time.
	NextDue time.Time
}

// Sweep is the outbox's dispatcher: it enqueues the polls that are due (every side of every
// connection that is active and not paused) and a reconcile for every dirty twin whose backoff has passed.
// Task ids are deterministic, so running it in every worker, or twice, is harmless; and since
// the database is the source of truth, losing every queued task loses no change.
func (e *Engine) Sweep(ctx context.Context) (SweepResult, error) {
	res, err := e.SweepPolls(ctx)
	if err != nil {
		return res, err
	}
	n, err := e.SweepDirty(ctx)
	res.Reconciles = n
	return res, err
}

// SweepPolls enqueues the polls that are due. It is cheap (one row per connection side), so
// the worker runs it often: a poll interval can be no finer than this cadence.
func (e *Engine) SweepPolls(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	if e.Enqueuer == nil {
		return res, fmt.Errorf("sweep: no enqueuer")
	}
	now := e.now()
	var conns []models.Connection
	if err := e.db(ctx).Where("paused = ? AND draft = ?", false, false).Find(&conns).Error; err != nil {
		return res, fmt.Errorf("sweep: connections: %w", err)
	}
	var wms []models.Watermark
	if err := e.db(ctx).Find(&wms).Error; err != nil {
		return res, fmt.Errorf("sweep: watermarks: %w", err)
	}
	due := map[string]bool{}
	at := map[string]time.Time{}
	for _, w := range wms {
		k := fmt.Sprint(w.ConnectionID, w.Side)
		due[k] = w.NextPollAt == nil || !w.NextPollAt.After(now)
		if w.NextPollAt != nil {
			at[k] = *w.NextPollAt
		}
	}
	for _, c := range conns {
		for _, side := range []string{models.SideLocal, models.SideRemote} {
			k := fmt.Sprint(c.ID, side)
			d, ok := due[k]
			if ok && !d {
				if res.NextDue.IsZero() || at[k].Before(res.NextDue) {
					res.NextDue = at[k]
				}
				continue
			}
			if err := e.Enqueuer.EnqueuePoll(ctx, c.ID, side); err != nil {
				return res, fmt.Errorf("sweep: enqueue poll: %w", err)
			}
			res.Polls++
		}
	}
	return res, nil
}

// SweepDirty re-enqueues a reconcile for every dirty twin whose backoff has passed (at most
// SweepBatch): the outbox's safety net for tasks a flushed or restarted Redis lost. Polls
// enqueue their reconciles at once, so this may run less often than SweepPolls.
func (e *Engine) SweepDirty(ctx context.Context) (int, error) {
	if e.Enqueuer == nil {
		return 0, fmt.Errorf("sweep: no enqueuer")
	}
	now := e.now()
	n := 0
	var twins []models.Twin
	if err := e.db(ctx).Select("id", "connection_id").
		Where("dirty = ? AND state IN ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?)", true,
			[]string{models.TwinActive, models.TwinPendingCreate}, now).
		Where("connection_id IN (?)", e.db(ctx).Model(&models.Connection{}).Select("id").Where("paused = ? AND draft = ?", false, false)).
		Order("dirty_since").Limit(SweepBatch).Find(&twins).Error; err != nil {
		return n, fmt.Errorf("sweep: dirty twins: %w", err)
	}
	for _, t := range twins {
		if err := e.Enqueuer.EnqueueReconcile(ctx, t.ID, t.ConnectionID); err != nil {
			return n, fmt.Errorf("sweep: enqueue reconcile: %w", err)
		}
		n++
	}
	return n, nil
}
