package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"github.com/airlock-sync/airlock/models"
)

// RetryAfterer is implemented by errors that say how long to wait (429 Retry-After).
type RetryAfterer interface {
	RetryAfterDuration() time.Duration
}

// ServerOptions configures the worker server.
type ServerOptions struct {
	Concurrency     int
	ShutdownTimeout time.Duration
}

// Server is the asynq worker server with Airlock's queues, retry policy and error recording.
type Server struct {
	srv    *asynq.Server
	Mux    *asynq.ServeMux
	logger *slog.Logger
}

// NewServer builds the worker server; callers register handlers on Mux before Run.
func NewServer(b *Broker, db *models.DB, logger *slog.Logger, o ServerOptions) *Server {
	rec := &Recorder{DB: db, Logger: logger}
	if o.Concurrency <= 0 {
		o.Concurrency = 10
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 25 * time.Second
	}
	srv := asynq.NewServer(b.ConnOpt(), asynq.Config{
		Concurrency:     o.Concurrency,
		Queues:          QueueWeights,
		ErrorHandler:    rec.ErrorHandler(),
		RetryDelayFunc:  RetryDelay,
		IsFailure:       IsFailure,
		ShutdownTimeout: o.ShutdownTimeout,
		// Pick up new tasks within 100 ms rather than asynq's 1 s: relay lag is a product figure.
		// Idle, that is ten cheap Redis reads a second per worker process.
		TaskCheckInterval: 100 * time.Millisecond,
		// Retries (and 429 waits) are due at their time, not up to 5 s later.
		DelayedTaskCheckInterval: time.Second,
		Logger:                   slogAdapter{logger.With("component", "asynq")},
		LogLevel:                 asynq.WarnLevel,
	})
	return &Server{srv: srv, Mux: asynq.NewServeMux(), logger: logger}
}

// IsFailure tells asynq which errors count as failures: waiting out a 429 does not.
func IsFailure(err error) bool {
	return err != nil && Classify(err) != models.ClassRateLimited
}

// RetryDelay honours Retry-After, and otherwise backs off exponentially with jitter
// (2s, 4s, 8s ... capped at 10 minutes).
func RetryDelay(n int, err error, _ *asynq.Task) time.Duration {
	var ra RetryAfterer
	if errors.As(err, &ra) && ra.RetryAfterDuration() > 0 {
		return ra.RetryAfterDuration()
	}
	d := 2 * time.Second << min(n, 9)
	d = min(d, 10*time.Minute)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// Start runs the server in the background.
func (s *Server) Start() error {
	if err := s.srv.Start(s.Mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	return nil
}

// Shutdown stops fetching new tasks, waits for running ones up to the shutdown timeout and hands
// the rest back to the queue.
func (s *Server) Shutdown() { s.srv.Shutdown() }

// Run starts the server and blocks until ctx is done, then shuts it down.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	s.Shutdown()
	return nil
}

// slogAdapter lets asynq log through slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a slogAdapter) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a slogAdapter) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a slogAdapter) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
