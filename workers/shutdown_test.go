package workers_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestGracefulShutdownDuringBusyRun sends SIGTERM to a worker process while reconciles are in
// flight against a slow relay: the worker must stop within the shutdown timeout plus a margin,
// and exit 0; the tasks it could not finish go back to the queue. A restarted worker then
// converges with exactly one issue per origin issue on every Jira: nothing was half-written.
func TestGracefulShutdownDuringBusyRun(t *testing.T) {
	c := newCluster(t)
	defer c.dumpOnFailure()
	// Every call to AB takes 150 ms: a reconcile that creates on AB makes several, so a 500 ms
	// shutdown timeout cuts some of them in the middle.
	c.sim.Instance("AB").Knobs().SetLatency(150 * time.Millisecond)
	const shutdown = 500 * time.Millisecond
	first := c.start(true, shutdown)
	c.waitReady(1)
	s := newScenario(c, uint64(time.Now().UnixNano()))
	for range 12 {
		s.create("A")
	}
	s.run(20, 5*time.Millisecond)
	waitFor(t, "reconciles in flight", 30*time.Second, func() bool { return inFlight(c.spans(), time.Now().UnixNano()) >= 2 })

	sent := time.Now()
	c.term(first, shutdown+10*time.Second)
	took := time.Since(sent)
	t.Logf("worker stopped %s after SIGTERM", took.Round(time.Millisecond))
	term := c.traceLines("TERM")
	if len(term) != 1 {
		t.Fatalf("TERM lines: %v", term)
	}
	at, _ := strconv.ParseInt(term[0][2], 10, 64)
	busy, cut := 0, 0
	for _, sp := range c.spans() {
		if sp.start < at && sp.end > at {
			busy++
			if sp.abandoned {
				cut++ // outlived the timeout: asynq put it back in the queue and the process exited
			}
		}
		if sp.end == 1<<63-1 {
			t.Errorf("task %s started at %d never ended although the process exited", sp.key, sp.start)
		}
	}
	t.Logf("%d tasks in flight at SIGTERM: %d finished, %d handed back after the %s timeout", busy, busy-cut, cut, shutdown)
	if busy == 0 {
		t.Fatal("no task was in flight at SIGTERM: the test did not test a busy shutdown")
	}

	// More changes while no worker runs, then a fresh worker finishes everything.
	s.run(10, 5*time.Millisecond)
	c.sim.Instance("AB").Knobs().SetLatency(0)
	c.start(true, 5*time.Second)
	s.waitConverged(90 * time.Second)
	if ov := overlaps(c.spans()); len(ov) > 0 {
		t.Errorf("overlapping executions: %s", strings.Join(ov, "\n"))
	}
}

// inFlight counts the executions running at the instant now.
func inFlight(spans []span, now int64) int {
	n := 0
	for _, s := range spans {
		if s.start <= now && s.end > now && strings.HasPrefix(s.key, "reconcile:") {
			n++
		}
	}
	return n
}
