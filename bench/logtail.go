package bench

import (
	"context"
	"sync"
	"time"

	"github.com/airlock-sync/airlock/jirasim"
)

// logTail hands every entry of the emulators' request logs to visit exactly once, sampling often
// enough (run: every 250 ms) that the bounded logs drop nothing unseen. visit runs under the
// tail's lock; read what it gathers with locked.
type logTail struct {
	sim   *jirasim.Sim
	visit func(inst *jirasim.Instance, e jirasim.LogEntry)
	mu    sync.Mutex
	seen  map[string]bool
}

func newLogTail(sim *jirasim.Sim, visit func(*jirasim.Instance, jirasim.LogEntry)) *logTail {
	return &logTail{sim: sim, visit: visit, seen: map[string]bool{}}
}

// run samples until ctx ends.
func (t *logTail) run(ctx context.Context) {
	tk := time.NewTicker(250 * time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			t.sample()
		}
	}
}

// sample visits the entries logged since the last sample.
func (t *logTail) sample() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, inst := range t.sim.Instances() {
		for _, e := range inst.Log().Entries() {
			id := inst.Name() + "/" + e.RequestID
			if t.seen[id] {
				continue
			}
			t.seen[id] = true
			t.visit(inst, e)
		}
	}
}

// locked runs f under the tail's lock (what visit gathered is stable there).
func (t *logTail) locked(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f()
}
