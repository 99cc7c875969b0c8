package bench

import (
	"context"
	"fmt"
	"math"
	"sort"
	"syscall"
	"time"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
)

// BulkOptions sizes the bulk scenario (issue 6 item 2: 10,000 issues, 7 comments each, 500
// attachments).
type BulkOptions struct {
	Issues      int
	Comments    int // per issue
	Attachments int // in total
	// Subtasks and Worklogs per issue, and Links (each issue blocks the one seeded before it):
	// the structure variant of issue 14.
	Subtasks, Worklogs int
	Links              bool
	// Timeout bounds the wait for everything to reach B.
	Timeout time.Duration
	// PollInterval of every connection side (0 = the default 5 s): node B finds the relay's new
	// issues by polling.
	PollInterval time.Duration
	// Progress, when set, receives a line every few seconds.
	Progress func(string)
}

// Bulk seeds A, switches the split topology on (node A: A<->AB, node B: AB<->B) and runs the
// console's bulk sync of every issue of A on node A; node B carries the relay's new issues to B
// through its polls. It measures the time until every issue, comment and attachment is in B.
func Bulk(ctx context.Context, cfg Config, o BulkOptions) (*Report, error) {
	if o.Issues <= 0 {
		return nil, fmt.Errorf("bulk: --issues must be positive")
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Minute
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	w, err := NewWorld(cfg)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	cfg = w.Cfg
	r := newReport("bulk", map[string]any{"issues": o.Issues, "comments_per_issue": o.Comments, "attachments": o.Attachments,
		"subtasks_per_issue": o.Subtasks, "worklogs_per_issue": o.Worklogs, "links": o.Links,
		"latency": cfg.Latency.String(), "cap": cfg.Cap, "topology": "split", "db": dbKind(cfg), "queue": queueKind(cfg),
		"worker_concurrency": cfg.WorkerConcurrency, "sweep": cfg.SweepEvery.String()})

	// The issues are "existing": made an hour ago by the emulator's clock, so the first polls
	// (which look back only a couple of minutes) leave them to the bulk sync.
	w.Sim.Instance("A").Knobs().AdvanceClock(-time.Hour)
	t0 := time.Now()
	seeded, err := w.Seed(ctx, "A", SeedSpec{Issues: o.Issues, Comments: o.Comments, Attachments: o.Attachments, Prefix: "Bulk",
		Subtasks: o.Subtasks, Worklogs: o.Worklogs, Links: o.Links})
	if err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("seeded A in %s: %d issues, %d comments (%.1f MB), %d attachments (%.1f MB)", time.Since(t0).Round(time.Millisecond),
		o.Issues, o.Issues*o.Comments, float64(seeded.CommentBytes)/1e6, min(o.Attachments, o.Issues), float64(seeded.AttachmentBytes)/1e6))
	w.Sim.Instance("A").Knobs().RealClock()
	w.Throttle()

	rules := engine.DefaultRules()
	rules.Worklogs.Enabled = o.Worklogs > 0
	rules.Links.Enabled = o.Links
	half := max(cfg.Cap/2, 1) // the relay's cap is shared by the two nodes
	na, err := w.StartNode(ctx, NodeSpec{Name: "A", Pairs: [][2]string{{"A", "AB"}}, PollInterval: o.PollInterval, Rules: rules, Budget: map[string]int{"AB": half}})
	if err != nil {
		return nil, err
	}
	nb, err := w.StartNode(ctx, NodeSpec{Name: "B", Pairs: [][2]string{{"B", "AB"}}, PollInterval: o.PollInterval, Rules: rules, Budget: map[string]int{"AB": half}})
	if err != nil {
		return nil, err
	}
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	bp, err := na.Engine.SyncJQL(ctx, engine.SyncJQLRequest{ConnectionID: na.Conns["A-AB"].ID, Side: models.SideLocal,
		JQL: `created >= "2000-01-01"`}, nil)
	if err != nil {
		return nil, fmt.Errorf("bulk sync on node A: %w", err)
	}
	queued := time.Since(start)
	progress(fmt.Sprintf("bulk sync queued %d twins in %s (failed %d, skipped %d)", bp.Done, queued.Round(time.Millisecond), bp.Failed, bp.Skipped))

	wantComments := int64(o.Issues * o.Comments)
	wantAtt := int64(min(o.Attachments, o.Issues))
	wantIssues := int64(o.Issues * (1 + o.Subtasks)) // sub-tasks are issues too
	wantWorklogs := int64(o.Issues * o.Worklogs)
	wantLinks := int64(0)
	if o.Links {
		wantLinks = int64(o.Issues - 1)
	}
	var hop1At time.Duration
	lastLog := time.Now()
	err = waitUntil(ctx, o.Timeout, 250*time.Millisecond, "every issue in B", func() (bool, error) {
		la, err := linked(ctx, na.DB, na.Conns["A-AB"].ID)
		if err != nil {
			return false, err
		}
		if hop1At == 0 && la >= wantIssues {
			hop1At = time.Since(start)
		}
		lb, err := linked(ctx, nb.DB, nb.Conns["B-AB"].ID)
		if err != nil {
			return false, err
		}
		ca, cb, aa, ab := childTwins(ctx, na.DB), childTwins(ctx, nb.DB), attTwins(ctx, na.DB), attTwins(ctx, nb.DB)
		wb, lb2 := worklogTwins(ctx, nb.DB), linkTwins(ctx, nb.DB)
		if time.Since(lastLog) > 10*time.Second {
			lastLog = time.Now()
			progress(fmt.Sprintf("%s: A->AB %d issues %d comments %d attachments; AB->B %d issues %d comments %d attachments; load %s",
				time.Since(start).Round(time.Second), la, ca, aa, lb, cb, ab, loadAvg()))
		}
		return lb >= wantIssues && cb >= wantComments && ab >= wantAtt && wb >= wantWorklogs && lb2 >= wantLinks, nil
	})
	elapsed := time.Since(start)
	var ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	if err != nil {
		r.Notes = append(r.Notes, "incomplete: "+err.Error())
	}
	cpu := tv(ru1.Utime) + tv(ru1.Stime) - tv(ru0.Utime) - tv(ru0.Stime)

	// What the work needs at least, per instance (see BENCHMARKS.md): one search page per 1,000
	// issues to find them; per issue and hop one GET of the source (comments and attachment
	// metadata come with it) and one ledger property PUT on it, one create on the target (the
	// ledger property rides in it) and one POST per comment; per attachment one download and
	// one upload.
	// Sub-tasks count as issues; per worklog and per link one POST on the target of each hop
	// (the source's worklogs and links come with its GET).
	n, c, a := int(wantIssues), o.Issues*o.Comments, int(wantAtt)
	wl, lk := int(wantWorklogs), int(wantLinks)
	pages := int(math.Ceil(float64(n) / 1000))
	minCalls := map[string]int{
		"A":  pages + 2*n + a,
		"AB": n + c + wl + lk + a + pages + 2*n + a,
		"B":  n + c + wl + lk + a,
	}
	conc := w.Concurrency()
	bound := time.Duration(0)
	names := []string{"A", "AB", "B"}
	r.add("issues in B", fmt.Sprintf("%d of %d", countB(ctx, nb), n), "", nil)
	if wl+lk > 0 {
		r.add("worklogs and links in B", fmt.Sprintf("%d of %d worklogs, %d of %d links", worklogTwins(ctx, nb.DB), wl, linkTwins(ctx, nb.DB), lk), "", nil)
	}
	r.add("time until all in B", secs(elapsed), "<= 1200 s", ptr(err == nil && elapsed <= 20*time.Minute))
	r.add("issues per second (end to end)", fmt.Sprintf("%.2f", float64(n)/elapsed.Seconds()), "", nil)
	if hop1At > 0 {
		r.add("time until all issues on AB (hop 1)", secs(hop1At), "", nil)
	}
	r.add("bulk sync: twins queued", fmt.Sprintf("%d in %s", bp.Done, secs(queued)), "", nil)
	allCalls := map[string]int{}
	for _, name := range names {
		got := sum(w.Sim.Instance(name).Log().Counts(), nil)
		allCalls[name] = got
		cs := conc[name]
		r.add("calls on "+name, fmt.Sprintf("%d (minimum %d, x%.2f)", got, minCalls[name], float64(got)/float64(max(minCalls[name], 1))), "", nil)
		capOK := cfg.Cap <= 0 || cs.MaxInFlight <= cfg.Cap
		r.add("max concurrent calls on "+name, fmt.Sprintf("%d (served at once %d, queued %d)", cs.MaxInFlight, cs.MaxActive, cs.Queued),
			fmt.Sprintf("<= %d", cfg.Cap), ptr(capOK))
		if cfg.Cap > 0 {
			bound = max(bound, time.Duration(minCalls[name])*cfg.Latency/time.Duration(cfg.Cap))
		}
	}
	if bound > 0 {
		r.add("lower bound (min calls x latency / cap, busiest instance)", secs(bound), "", nil)
		r.add("time / lower bound", fmt.Sprintf("%.2f", elapsed.Seconds()/bound.Seconds()), "<= 2", ptr(err == nil && elapsed <= 2*bound))
	}
	r.add("process CPU during the run", fmt.Sprintf("%.0f s (%.0f%% of %d cores)", cpu.Seconds(), 100*cpu.Seconds()/elapsed.Seconds()/float64(r.Machine.CPUs), r.Machine.CPUs), "", nil)
	errs := openErrors(ctx, na.DB) + openErrors(ctx, nb.DB)
	r.add("sync errors recorded", fmt.Sprint(errs), "", nil)
	r.add("sealed relay connections", fmt.Sprintf("%d of 2", sealedConns(na, nb)), "", nil)
	// Read after the calls were counted: the scan's calls are not the run's.
	if err := w.addPlaintextRow(ctx, r, "plaintext on AB", []string{"Bulk ", "Comment ", "capture-"}); err != nil {
		return nil, err
	}
	r.Metrics["elapsed_s"] = elapsed.Seconds()
	r.Metrics["issues_per_s"] = float64(n) / elapsed.Seconds()
	r.Metrics["calls"] = allCalls
	r.Metrics["min_calls"] = minCalls
	r.Metrics["bound_s"] = bound.Seconds()
	r.Metrics["issues_total"] = n
	r.Metrics["concurrency"] = conc
	r.Metrics["cpu_s"] = cpu.Seconds()
	r.Metrics["seed_comment_bytes"] = seeded.CommentBytes
	r.Metrics["seed_attachment_bytes"] = seeded.AttachmentBytes
	r.Metrics["routes"] = map[string]any{"node_A": na.Calls.Snapshot(), "node_B": nb.Calls.Snapshot()}
	r.Notes = append(r.Notes, topRoutes("node A", na.Calls.Snapshot()), topRoutes("node B", nb.Calls.Snapshot()))
	r.finish()
	return r, nil
}

// sealedConns counts the nodes' connections that are sealed.
func sealedConns(nodes ...*Node) int {
	n := 0
	for _, node := range nodes {
		for _, c := range node.Conns {
			if c.Sealed {
				n++
			}
		}
	}
	return n
}

func tv(t syscall.Timeval) time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
}

func childTwins(ctx context.Context, db *models.DB) int64 {
	var n int64
	db.WithContext(ctx).Model(&models.CommentTwin{}).Where("local_id IS NOT NULL AND remote_id IS NOT NULL AND deleted = ?", false).Count(&n)
	return n
}

func attTwins(ctx context.Context, db *models.DB) int64 {
	var n int64
	db.WithContext(ctx).Model(&models.AttachmentTwin{}).Where("local_id IS NOT NULL AND remote_id IS NOT NULL AND deleted = ?", false).Count(&n)
	return n
}

func worklogTwins(ctx context.Context, db *models.DB) int64 {
	var n int64
	db.WithContext(ctx).Model(&models.WorklogTwin{}).Where("local_id IS NOT NULL AND remote_id IS NOT NULL AND deleted = ?", false).Count(&n)
	return n
}

func linkTwins(ctx context.Context, db *models.DB) int64 {
	var n int64
	db.WithContext(ctx).Model(&models.LinkTwin{}).Where("local_link_id IS NOT NULL AND remote_link_id IS NOT NULL").Count(&n)
	return n
}

func countB(ctx context.Context, nb *Node) int64 {
	n, _ := linked(ctx, nb.DB, nb.Conns["B-AB"].ID)
	return n
}

func openErrors(ctx context.Context, db *models.DB) int64 {
	var n int64
	db.WithContext(ctx).Model(&models.SyncError{}).Where("resolved_at IS NULL").Count(&n)
	return n
}

// topRoutes lists a node's calls per instance and route, busiest first.
func topRoutes(label string, m map[string]map[string]int) string {
	type kv struct {
		k string
		v int
	}
	var all []kv
	for inst, routes := range m {
		for r, v := range routes {
			all = append(all, kv{inst + " " + r, v})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v || all[i].v == all[j].v && all[i].k < all[j].k })
	s := label + " calls:"
	for _, e := range all {
		s += fmt.Sprintf(" %s=%d;", e.k, e.v)
	}
	return s
}

func dbKind(cfg Config) string {
	if cfg.DatabaseURL != "" {
		return "postgres"
	}
	return "sqlite"
}

func queueKind(cfg Config) string {
	if cfg.RedisURL != "" {
		return "redis"
	}
	return "miniredis"
}
