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

// TypePoll polls one connection side for changed issues.
const TypePoll = "jira:poll"

// PollPayload names the connection side to poll.
type PollPayload struct {
	ConnectionID uint   `json:"connection_id"`
	Side         string `json:"side"`
}

// PollTaskID is the deterministic id that keeps any number of workers from polling one side twice
// at once.
func PollTaskID(connectionID uint, side string) string {
	return fmt.Sprintf("poll:%d:%s", connectionID, side)
}

// NewPollTask builds the poll task of one connection side (queue "poll").
func NewPollTask(connectionID uint, side string) QueuedTask {
	b, _ := json.Marshal(PollPayload{ConnectionID: connectionID, Side: side})
	return QueuedTask{Task: asynq.NewTask(TypePoll, b), Queue: QueuePoll, ID: PollTaskID(connectionID, side),
		Opts: []asynq.Option{asynq.MaxRetry(1), asynq.Timeout(5 * time.Minute)}}
}

// HandlePoll runs engine.Poll. Permanent failures skip asynq's retries: the sweeper polls again
// at the next interval anyway.
func HandlePoll(e *engine.Engine) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		var p PollPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil {
			return errors.Join(fmt.Errorf("poll payload: %w", err), asynq.SkipRetry)
		}
		if _, err := e.Poll(ctx, p.ConnectionID, p.Side); err != nil {
			if engine.Permanent(err) {
				return errors.Join(err, asynq.SkipRetry)
			}
			return err
		}
		// Only this side's errors: the other side may still be failing (its rows carry its own
		// deterministic task id).
		if err := ResolveRecovered(ctx, e.DB, "twin_id IS NULL AND connection_id = ? AND task_type = ? AND task_id = ?",
			p.ConnectionID, TypePoll, PollTaskID(p.ConnectionID, p.Side)); err != nil {
			e.Logger.Warn("task succeeded but its old errors stay open", "task", t.Type(), "err", err)
		}
		return nil
	}
}
