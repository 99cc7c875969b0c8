package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/airlock-sync/airlock/engine"
)

// TypeReconcile reconciles one twin.
const TypeReconcile = "twin:reconcile"

// ReconcilePayload names the twin (and its connection, for error attribution).
type ReconcilePayload struct {
	TwinID       uint `json:"twin_id"`
	ConnectionID uint `json:"connection_id"`
}

// ReconcileTaskID is the deterministic id that keeps one reconcile per twin at a time.
func ReconcileTaskID(twinID uint) string { return fmt.Sprintf("reconcile:%d", twinID) }

// NewReconcileTask builds the reconcile task of one twin (queue "sync").
func NewReconcileTask(twinID, connectionID uint) QueuedTask {
	b, _ := json.Marshal(ReconcilePayload{TwinID: twinID, ConnectionID: connectionID})
	return QueuedTask{Task: asynq.NewTask(TypeReconcile, b), Queue: QueueSync, ID: ReconcileTaskID(twinID),
		Opts: []asynq.Option{asynq.MaxRetry(8), asynq.Timeout(10 * time.Minute)}}
}

// HandleReconcile runs engine.Reconcile. Quarantined twins and auth, config and data errors skip
// asynq's retries (the Recorder still writes the SyncError); transient ones retry with backoff.
func HandleReconcile(e *engine.Engine) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		var p ReconcilePayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil {
			return errors.Join(fmt.Errorf("reconcile payload: %w", err), asynq.SkipRetry)
		}
		ran, err := e.ReconcileRan(ctx, p.TwinID)
		if err != nil {
			if errors.Is(err, engine.ErrTwinBusy) {
				return nil // the run that holds the twin resolves its errors; the sweeper comes back
			}
			if engine.Permanent(err) {
				return errors.Join(err, asynq.SkipRetry)
			}
			return err
		}
		if !ran {
			return nil // skipped (quarantined, unlinked, paused): its open errors still stand
		}
		if err := ResolveRecovered(ctx, e.DB, "twin_id = ?", p.TwinID); err != nil {
			e.Logger.Warn("task succeeded but its old errors stay open", "task", t.Type(), "err", err)
		}
		return nil
	}
}
