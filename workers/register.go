package workers

import (
	"context"
	"log/slog"
	"time"

	"github.com/airlock-sync/airlock/engine"
)

// RegisterSync registers the sync tasks (jira:poll, twin:reconcile) on the server's Mux and wires
// the engine to the queue: reconciles and polls are enqueued through q, and Kick (single
// topology: hand a write to the next hop) enqueues the poll at once.
func RegisterSync(srv *Server, e *engine.Engine, q *Queue) {
	e.Enqueuer = q
	if e.Kick == nil {
		e.Kick = func(ctx context.Context, connectionID uint, side string) {
			if err := q.EnqueuePoll(ctx, connectionID, side); err != nil {
				srv.logger.Warn("cannot kick poll", "connection", connectionID, "side", side, "err", err)
			}
		}
	}
	srv.Mux.Handle(TypePoll, HandlePoll(e))
	srv.Mux.Handle(TypeReconcile, HandleReconcile(e))
}

// StartSync registers the sync tasks, starts the server and runs the sweeper in the background
// until ctx ends; the returned function shuts both down.
func StartSync(ctx context.Context, srv *Server, e *engine.Engine, q *Queue, sweepEvery time.Duration, logger *slog.Logger) (stop func(), err error) {
	RegisterSync(srv, e, q)
	if err := srv.Start(); err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		RunSweeper(sctx, e, sweepEvery, logger)
	}()
	return func() {
		cancel()
		<-done
		srv.Shutdown()
	}, nil
}
