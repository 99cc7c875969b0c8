package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// CallsOptions configures the calls scenario (issue 6 item 3).
type CallsOptions struct {
	// Idle is how long the quiet nodes are watched (the issue asks per minute).
	Idle time.Duration
	// Changes is the number of single-field changes made on A, one at a time.
	Changes int
	// PollInterval of every connection side.
	PollInterval time.Duration
	Progress     func(string)
}

// Calls measures, in the split topology, the Jira calls each node makes per propagated
// single-field change (per hop), and the calls quiet nodes make per minute per connection side.
func Calls(ctx context.Context, cfg Config, o CallsOptions) (*Report, error) {
	if o.Idle <= 0 {
		o.Idle = time.Minute
	}
	if o.Changes <= 0 {
		o.Changes = 10
	}
	if o.PollInterval <= 0 {
		o.PollInterval = engine.DefaultPollInterval
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	w, err := NewWorld(cfg)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	cfg = w.Cfg
	r := newReport("calls", map[string]any{"idle": o.Idle.String(), "changes": o.Changes, "interval": o.PollInterval.String(),
		"latency": cfg.Latency.String(), "cap": cfg.Cap, "sweep": cfg.SweepEvery.String(), "topology": "split", "db": dbKind(cfg), "queue": queueKind(cfg)})
	w.Throttle()
	half := max(cfg.Cap/2, 1)
	na, err := w.StartNode(ctx, NodeSpec{Name: "A", Pairs: [][2]string{{"A", "AB"}}, PollInterval: o.PollInterval, Rules: engine.DefaultRules(), Budget: map[string]int{"AB": half}})
	if err != nil {
		return nil, err
	}
	nb, err := w.StartNode(ctx, NodeSpec{Name: "B", Pairs: [][2]string{{"B", "AB"}}, PollInterval: o.PollInterval, Rules: engine.DefaultRules(), Budget: map[string]int{"AB": half}})
	if err != nil {
		return nil, err
	}
	if err := waitFirstPolls(ctx, w, 3*cfg.SweepEvery+o.PollInterval); err != nil {
		return nil, err
	}
	const pool = 5
	seeded, err := w.Seed(ctx, "A", SeedSpec{Issues: pool, Prefix: "Calls", Parallel: 5})
	if err != nil {
		return nil, err
	}
	if err := waitUntil(ctx, 2*time.Minute, 200*time.Millisecond, "pool on B", func() (bool, error) {
		n, err := linked(ctx, nb.DB, nb.Conns["B-AB"].ID)
		return n >= pool, err
	}); err != nil {
		return nil, err
	}
	settle := o.PollInterval + cfg.SweepEvery + time.Second
	time.Sleep(settle)

	// Idle: nothing changes anywhere.
	o.Progress(fmt.Sprintf("idle for %s", o.Idle))
	na.Calls.Reset()
	nb.Calls.Reset()
	time.Sleep(o.Idle)
	idle := map[string]map[string]map[string]int{"A": na.Calls.Snapshot(), "B": nb.Calls.Snapshot()}
	perMin := func(n int) float64 { return float64(n) * float64(time.Minute) / float64(o.Idle) }
	wantPerMin := float64(time.Minute) / float64(max(o.PollInterval, cfg.SweepEvery))
	sides := []struct{ node, inst, side string }{{"A", "A", "A-AB local"}, {"A", "AB", "A-AB remote"}, {"B", "AB", "B-AB remote"}, {"B", "B", "B-AB local"}}
	idleMetrics := map[string]any{}
	for _, s := range sides {
		m := idle[s.node][s.inst]
		searches, others := sum(m, isSearch), sum(m, func(rt string) bool { return !isSearch(rt) })
		r.add(fmt.Sprintf("idle calls per minute, node %s, %s side", s.node, s.side),
			fmt.Sprintf("%.1f searches + %.1f other", perMin(searches), perMin(others)),
			fmt.Sprintf("one search per poll (%.0f/min at %s), nothing else", 60/o.PollInterval.Seconds(), o.PollInterval),
			ptr(others == 0 && perMin(searches) <= 60/o.PollInterval.Seconds()+1))
		idleMetrics[s.node+" "+s.side] = map[string]float64{"searches_per_min": perMin(searches), "other_per_min": perMin(others)}
	}
	if float64(time.Minute)/float64(o.PollInterval) > wantPerMin+0.01 {
		r.Notes = append(r.Notes, fmt.Sprintf("polls are dispatched by the sweeper every %s, so a %s poll interval cannot poll more than %.0f times a minute",
			cfg.SweepEvery, o.PollInterval, wantPerMin))
	}

	// Changes: one summary edit at a time on A, each waited for on B.
	human, err := w.Human("A")
	if err != nil {
		return nil, err
	}
	na.Calls.Reset()
	nb.Calls.Reset()
	start := time.Now()
	var lastB models.Event
	nb.DB.WithContext(ctx).Order("id DESC").Limit(1).Find(&lastB)
	for i := range o.Changes {
		token := fmt.Sprintf("calls change %d", i)
		if err := human.UpdateIssue(ctx, seeded.Keys[i%pool], jira.IssueInput{Fields: map[string]any{"summary": token}}, jira.UpdateOptions{}); err != nil {
			return nil, err
		}
		if err := waitUntil(ctx, 2*time.Minute, 100*time.Millisecond, token+" on B", func() (bool, error) {
			var n int64
			err := nb.DB.WithContext(ctx).Model(&models.Event{}).Where("id > ? AND kind = ? AND field = ? AND new_value = ?", lastB.ID, "field", "summary", token).Count(&n).Error
			return n > 0, err
		}); err != nil {
			return nil, err
		}
		o.Progress(fmt.Sprintf("change %d of %d arrived", i+1, o.Changes))
	}
	time.Sleep(settle) // the echoes' polls and any late reconcile
	elapsed := time.Since(start)
	busy := map[string]map[string]map[string]int{"A": na.Calls.Snapshot(), "B": nb.Calls.Snapshot()}
	perChange := map[string]float64{}
	for _, hop := range []struct{ node, label string }{{"A", "hop 1 (A to AB, node A)"}, {"B", "hop 2 (AB to B, node B)"}} {
		work, searches := 0, 0
		for _, m := range busy[hop.node] {
			work += sum(m, func(rt string) bool { return !isSearch(rt) })
			searches += sum(m, isSearch)
		}
		pc := float64(work) / float64(o.Changes)
		perChange[hop.node] = pc
		r.add("calls per single-field change, "+hop.label, fmt.Sprintf("%.1f (+ %d poll searches in %s)", pc, searches, elapsed.Round(time.Second)),
			"<= 3", ptr(pc <= 3))
	}
	r.Notes = append(r.Notes, topRoutes(fmt.Sprintf("node A during %d changes", o.Changes), busy["A"]),
		topRoutes(fmt.Sprintf("node B during %d changes", o.Changes), busy["B"]), topRoutes("node A idle", idle["A"]), topRoutes("node B idle", idle["B"]))
	r.Metrics["idle"] = idleMetrics
	r.Metrics["per_change"] = perChange
	r.Metrics["routes_changes"] = busy
	r.Metrics["routes_idle"] = idle
	r.finish()
	return r, nil
}
