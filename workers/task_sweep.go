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

// RunSweeper calls engine.SweepPolls every interval and engine.SweepDirty every DirtySweepEvery
// intervals until ctx ends. It needs no Redis state of its own and every worker may run one:
// deterministic task ids make double dispatch harmless, and because the database is the outbox,
// a flushed Redis loses no change.
func RunSweeper(ctx context.Context, e *engine.Engine, every time.Duration, logger *slog.Logger) {
	if every <= 0 {
		every = DefaultSweepInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for tick := 0; ; tick++ {
		if _, err := e.SweepPolls(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("sweep failed", "err", err)
		}
		if tick%DirtySweepEvery == 0 {
			if _, err := e.SweepDirty(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("sweep failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
