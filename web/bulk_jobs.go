package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/airlock-sync/airlock/engine"
)

const (
	// bulkMaxRunning bounds the bulk jobs running at once in this process (each holds Jira calls).
	bulkMaxRunning = 2
	// bulkKeepJobs is how many finished jobs the registry remembers for the Bulk page.
	bulkKeepJobs = 20
	// bulkJobTimeout bounds one job's run.
	bulkJobTimeout = 2 * time.Hour
)

// Bulk job states (also badge classes).
const (
	bulkRunning = "running"
	bulkDone    = "done"
	bulkFailed  = "failed"
)

var errBulkBusy = errors.New("two bulk jobs are running already: wait for one to finish")

// bulkArea holds the Bulk handlers and their job registry.
type bulkArea struct {
	s    *Server
	jobs *bulkJobs
}

// bulkJobs is the in-memory registry of this process's bulk jobs and their progress. Jobs run
// in goroutines bounded by a timeout, never in the request; what they created (twins) is in the
// database, so a restart loses only the progress display, not the work.
type bulkJobs struct {
	mu   sync.Mutex
	seq  int
	list []*bulkJob // oldest first
}

// bulkJob is one background bulk job; its fields are guarded by bulkJobs.mu.
type bulkJob struct {
	id           int
	kind, title  string
	connectionID uint
	state        string
	progress     engine.BulkProgress
	message      string
	started      time.Time
	finished     *time.Time
}

// bulkRun is a job's work: it reports progress and returns the final counts.
type bulkRun func(ctx context.Context, report engine.ProgressFunc) (engine.BulkProgress, error)

// start registers a job and runs it in the background.
func (b *bulkJobs) start(log *slog.Logger, kind, title string, connID uint, run bulkRun) (int, error) {
	b.mu.Lock()
	running := 0
	for _, j := range b.list {
		if j.state == bulkRunning {
			running++
		}
	}
	if running >= bulkMaxRunning {
		b.mu.Unlock()
		return 0, errBulkBusy
	}
	b.seq++
	j := &bulkJob{id: b.seq, kind: kind, title: title, connectionID: connID, state: bulkRunning, started: time.Now().UTC()}
	b.list = append(b.list, j)
	b.trimLocked()
	b.mu.Unlock()

	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), bulkJobTimeout)
		defer cancel()
		report := func(p engine.BulkProgress) {
			b.mu.Lock()
			j.progress = p
			b.mu.Unlock()
		}
		res, err := run(ctx, report)
		now := time.Now().UTC()
		b.mu.Lock()
		defer b.mu.Unlock()
		j.progress = res
		j.finished = &now
		switch {
		case err != nil:
			j.state = bulkFailed
			j.message = "Stopped: " + err.Error()
			log.Warn("bulk job failed", "job", j.id, "kind", kind, "err", err)
		case res.Failed > 0:
			j.state = bulkDone
			j.message = fmt.Sprintf("Finished with %d failures (listed below).", res.Failed)
		default:
			j.state = bulkDone
			j.message = "Finished."
		}
		log.Info("bulk job finished", "job", j.id, "kind", kind, "total", res.Total, "done", res.Done, "failed", res.Failed)
	}()
	return j.id, nil
}

// trimLocked forgets the oldest finished jobs beyond bulkKeepJobs.
func (b *bulkJobs) trimLocked() {
	for len(b.list) > bulkKeepJobs {
		drop := -1
		for i, j := range b.list {
			if j.state != bulkRunning {
				drop = i
				break
			}
		}
		if drop < 0 {
			return
		}
		b.list = append(b.list[:drop], b.list[drop+1:]...)
	}
}

// bulkJobSnapshot is a copy of a job taken under the lock.
type bulkJobSnapshot struct {
	ID           int
	Kind, Title  string
	ConnectionID uint
	State        string
	Progress     engine.BulkProgress
	Message      string
	Started      time.Time
	Finished     *time.Time
}

func (j *bulkJob) snapshot() bulkJobSnapshot {
	p := j.progress
	p.Errors = append([]string(nil), p.Errors...)
	return bulkJobSnapshot{ID: j.id, Kind: j.kind, Title: j.title, ConnectionID: j.connectionID, State: j.state, Progress: p,
		Message: j.message, Started: j.started, Finished: j.finished}
}

// get returns a copy of a job.
func (b *bulkJobs) get(id int) (bulkJobSnapshot, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, j := range b.list {
		if j.id == id {
			return j.snapshot(), true
		}
	}
	return bulkJobSnapshot{}, false
}

// recent returns copies of the jobs, newest first.
func (b *bulkJobs) recent() []bulkJobSnapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]bulkJobSnapshot, 0, len(b.list))
	for i := len(b.list) - 1; i >= 0; i-- {
		out = append(out, b.list[i].snapshot())
	}
	return out
}
