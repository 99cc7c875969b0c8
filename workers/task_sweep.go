package workers

import (
	"context"
	"log/slog"
	"time"

	"github.com/airlock-sync/airlock/engine"
)

// DefaultSweepInterval is how often a worker runs the sweeper.
const DefaultSweepInterval = time.Second

// DirtySweepEvery is how many poll sweeps pass between two re-enqueues of dirty twins: polls
// enqueue their reconciles at once, so the dirty sweep is only the safety net for lost tasks.
const DirtySweepEvery = 5

// RunSweeper calls engine.SweepPolls at least every interval, and as soon as the next poll falls
// due (so a side with interval T polls every T, not T plus part of a sweep period), and
// engine.SweepDirty every DirtySweepEvery intervals, until ctx ends. It needs no Redis state of
// its own and every worker may run one: deterministic task ids make double dispatch harmless,
// and because the database is the outbox, a flushed Redis loses no change.
func RunSweeper(ctx context.Context, e *engine.Engine, every time.Duration, logger *slog.Logger) {
	if every <= 0 {
		every = DefaultSweepInterval
	}
	t := time.NewTimer(0)
	defer t.Stop()
	var lastDirty time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := e.SweepPolls(ctx)
		if err != nil && ctx.Err() == nil {
			logger.Warn("sweep failed", "err", err)
		}
		if time.Since(lastDirty) >= DirtySweepEvery*every {
			lastDirty = time.Now()
			if _, err := e.SweepDirty(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("sweep failed", "err", err)
			}
		}
		t.Reset(sweepWait(res.NextDue, time.Now(), every))
	}
}

// sweepWait is how long the sweeper sleeps: until the next poll falls due, at most every, and
// at least a few milliseconds (a due time in the past means the poll is queued or running).
func sweepWait(next, now time.Time, every time.Duration) time.Duration {
	const floor = 5 * time.Millisecond
	if next.IsZero() {
		return every
	}
	return min(max(next.Sub(now), floor), every)
}
