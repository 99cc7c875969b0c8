package workers

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"
)

// Queue enqueues Airlock's tasks with deterministic task ids; it implements engine.Enqueuer.
// A task id already queued, running or retrying means "already dispatched" and is not an error;
// an id held by an archived or completed task is freed and the task enqueued again (a twin
// retried after quarantine, a poll after a failure).
type Queue struct {
	client *asynq.Client
	insp   *asynq.Inspector
}

// NewQueue opens a client and an inspector on the broker.
func NewQueue(b *Broker) *Queue {
	return &Queue{client: asynq.NewClient(b.ConnOpt()), insp: asynq.NewInspector(b.ConnOpt())}
}

// Close releases the connections.
func (q *Queue) Close() {
	q.client.Close()
	q.insp.Close()
}

// EnqueuePoll dispatches a poll of one connection side.
func (q *Queue) EnqueuePoll(ctx context.Context, connectionID uint, side string) error {
	return q.enqueue(ctx, NewPollTask(connectionID, side))
}

// EnqueueReconcile dispatches a reconcile of one twin.
func (q *Queue) EnqueueReconcile(ctx context.Context, twinID, connectionID uint) error {
	return q.enqueue(ctx, NewReconcileTask(twinID, connectionID))
}

// QueuedTask is a task with its queue, deterministic id and options, as NewPollTask and
// NewReconcileTask build it.
type QueuedTask struct {
	Task  *asynq.Task
	Queue string
	ID    string
	Opts  []asynq.Option
}

func (q *Queue) enqueue(ctx context.Context, t QueuedTask) error {
	opts := append([]asynq.Option{asynq.TaskID(t.ID), asynq.Queue(t.Queue)}, t.Opts...)
	for attempt := 0; attempt < 2; attempt++ {
		_, err := q.client.EnqueueContext(ctx, t.Task, opts...)
		if err == nil {
			return nil
		}
		if !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
			return fmt.Errorf("enqueue %s: %w", t.ID, err)
		}
		info, ierr := q.insp.GetTaskInfo(t.Queue, t.ID)
		if ierr != nil {
			if errors.Is(ierr, asynq.ErrTaskNotFound) || errors.Is(ierr, asynq.ErrQueueNotFound) {
				continue // gone meanwhile: try again
			}
			return nil // cannot tell: treat as already queued; the sweeper tries again
		}
		if info.State != asynq.TaskStateArchived && info.State != asynq.TaskStateCompleted {
			return nil // already queued, running or retrying
		}
		if derr := q.insp.DeleteTask(t.Queue, t.ID); derr != nil && !errors.Is(derr, asynq.ErrTaskNotFound) {
			return fmt.Errorf("free task id %s: %w", t.ID, derr)
		}
	}
	return nil
}
