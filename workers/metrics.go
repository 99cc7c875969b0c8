package workers

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hibiken/asynq"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/metrics"
	"github.com/airlock-sync/airlock/models"
)

// Instrument wraps the task handlers with metrics: polls and reconciles by result, failures by
// class, task durations, running tasks, and the lag of every hop a reconcile carried. Install it
// with srv.Mux.Use before the server starts.
func Instrument(m *metrics.Metrics, db *models.DB) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			start := time.Now()
			m.Running.Add(1, t.Type())
			err := next.ProcessTask(ctx, t)
			m.Running.Add(-1, t.Type())
			m.Task(t.Type(), time.Since(start))
			result := metrics.ResultOK
			if err != nil {
				result = metrics.ResultError
				var te *engine.TwinError
				if errors.As(err, &te) && te.Quarantined {
					result = metrics.ResultQuarantined
				}
				m.Error(Classify(err), t.Type())
			}
			switch t.Type() {
			case TypePoll:
				var p PollPayload
				if json.Unmarshal(t.Payload(), &p) == nil {
					m.Poll(p.ConnectionID, p.Side, result)
				}
			case TypeReconcile:
				var p ReconcilePayload
				if json.Unmarshal(t.Payload(), &p) == nil {
					m.Reconcile(p.ConnectionID, result)
					if err == nil {
						observeLag(ctx, m, db, p.TwinID, start)
					}
				}
			}
			return err
		})
	}
}

// observeLag records, for each direction a reconcile carried something (an Event since start),
// the time from the source issue's `updated` (as the reconcile stored it) to now. Two cheap
// indexed reads after a successful reconcile; a failure only skips the sample.
func observeLag(ctx context.Context, m *metrics.Metrics, db *models.DB, twinID uint, start time.Time) {
	if db == nil {
		return
	}
	var dirs []string
	if err := db.WithContext(ctx).Model(&models.Event{}).Where("twin_id = ? AND at >= ?", twinID, start.UTC().Add(-time.Millisecond)).
		Distinct().Pluck("direction", &dirs).Error; err != nil || len(dirs) == 0 {
		return
	}
	var tw models.Twin
	if q := db.WithContext(ctx).Select("id", "connection_id", "local_updated", "remote_updated").Limit(1).Find(&tw, twinID); q.Error != nil || q.RowsAffected == 0 {
		return
	}
	now := time.Now()
	for _, d := range dirs {
		src := tw.LocalUpdated
		if d == models.DirRemoteToLocal {
			src = tw.RemoteUpdated
		}
		if src != nil {
			m.SyncLag(tw.ConnectionID, d, now.Sub(*src))
		}
	}
}
