package workers

import (
	"context"
	"log/slog"
	"time"

	"github.com/airlock-sync/airlock/engine"
)

// DefaultSweepInterval is how often a worker runs the sweeper.
const DefaultSweepInterval = time.Second

// RunSweeper calls engine.Sweep every interval until ctx ends: it enqueues due polls and the
// reconciles of dirty twins. It needs no Redis state of its own and every worker may run one:
// deterministic task ids make double dispatch harmless, and because the database is the outbox,
// a flushed Redis loses no change.
func RunSweeper(ctx context.Context, e *engine.Engine, every time.Duration, logger *slog.Logger) {
	if every <= 0 {
		every = DefaultSweepInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := e.Sweep(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
