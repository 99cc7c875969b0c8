package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// LagOptions configures the lag scenario (issue 6 item 1).
type LagOptions struct {
	// Duration of the edits from each side, one per second (the issue asks two minutes).
	Duration   time.Duration
	Intervals  []time.Duration // poll intervals (default 2 s and the default 5 s)
	Topologies []string        // "split", "single"
	// Pool is the number of synced issues the random edits pick from.
	Pool int
	// Sequential runs the variants one after another; by default they run at once, each with
	// its own emulated Jiras and nodes (they share only the CPU).
	Sequential bool
	Progress   func(string)
}

// LagResult is one variant's measurement of one direction.
type LagResult struct {
	Topology  string          `json:"topology"`
	Interval  time.Duration   `json:"interval"`
	From      string          `json:"from"` // "A" or "B"
	Edits     int             `json:"edits"`
	Arrived   int             `json:"arrived"`
	EndToEnd  []time.Duration `json:"-"`
	Hop1      []time.Duration `json:"-"`
	Hop2      []time.Duration `json:"-"`
	SyncError int64           `json:"sync_errors"`
	// Sealed is how many of the variant's relay connections are sealed; PlainOnAB how many of
	// AB's issues carry the bench's plaintext after the run (0 when sealed), and FirstPlain
	// where the scan found the first.
	Sealed     int    `json:"sealed_connections"`
	PlainOnAB  int    `json:"plaintext_on_ab"`
	FirstPlain string `json:"-"`
}

// Lag measures the end-to-end lag of single-field edits from A to B through AB (and back), per
// hop, at p50, p95 and p99, for each topology and poll interval.
func Lag(ctx context.Context, cfg Config, o LagOptions) (*Report, error) {
	if o.Duration <= 0 {
		o.Duration = 2 * time.Minute
	}
	if len(o.Intervals) == 0 {
		o.Intervals = []time.Duration{2 * time.Second, engine.DefaultPollInterval}
	}
	if len(o.Topologies) == 0 {
		o.Topologies = []string{"split", "single"}
	}
	if o.Pool <= 0 {
		o.Pool = 40
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	cfg.defaults()
	r := newReport("lag", map[string]any{"duration": o.Duration.String(), "pool": o.Pool, "latency": cfg.Latency.String(), "cap": cfg.Cap,
		"sweep": cfg.SweepEvery.String(), "db": dbKind(cfg), "queue": queueKind(cfg), "parallel": !o.Sequential})
	type variant struct {
		topo     string
		interval time.Duration
	}
	var vs []variant
	for _, t := range o.Topologies {
		if t != "split" && t != "single" {
			return nil, fmt.Errorf("lag: unknown topology %q (split or single)", t)
		}
		for _, iv := range o.Intervals {
			vs = append(vs, variant{t, iv})
		}
	}
	results := make([][]*LagResult, len(vs))
	errs := make([]error, len(vs))
	var wg sync.WaitGroup
	for k, v := range vs {
		run := func() {
			c := cfg
			c.TempDir = fmt.Sprintf("%s/lag-%d", cfg.TempDir, k)
			results[k], errs[k] = lagVariant(ctx, c, o, v.topo, v.interval)
		}
		if o.Sequential {
			run()
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); run() }()
	}
	wg.Wait()
	for k, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("lag %s %s: %w", vs[k].topo, vs[k].interval, err)
		}
	}
	var all []map[string]any
	for k, v := range vs {
		for _, res := range results[k] {
			label := fmt.Sprintf("%s %s poll, %s->%s", v.topo, v.interval, res.From, other(res.From))
			p50, p95, p99 := percentile(res.EndToEnd, 50), percentile(res.EndToEnd, 95), percentile(res.EndToEnd, 99)
			target, met := "", (*bool)(nil)
			if v.topo == "split" && v.interval == 2*time.Second {
				target = "p50 <= 3 s, p95 <= 5 s"
				met = ptr(res.Arrived == res.Edits && p50 <= 3*time.Second && p95 <= 5*time.Second)
			}
			r.add(label+": end to end p50/p95/p99", fmt.Sprintf("%s / %s / %s", secs(p50), secs(p95), secs(p99)), target, met)
			r.add(label+": hop 1 (to AB) p50/p95/p99", fmt.Sprintf("%s / %s / %s", secs(percentile(res.Hop1, 50)), secs(percentile(res.Hop1, 95)), secs(percentile(res.Hop1, 99))), "", nil)
			r.add(label+": hop 2 (AB to far side) p50/p95/p99", fmt.Sprintf("%s / %s / %s", secs(percentile(res.Hop2, 50)), secs(percentile(res.Hop2, 95)), secs(percentile(res.Hop2, 99))), "", nil)
			r.add(label+": edits arrived", fmt.Sprintf("%d of %d (sync errors %d)", res.Arrived, res.Edits, res.SyncError), "", nil)
			if res.From == "B" { // once per variant: the scan covers both directions
				vl := fmt.Sprintf("%s %s poll", v.topo, v.interval)
				r.add(vl+": sealed relay connections", fmt.Sprintf("%d of 2", res.Sealed), "", nil)
				val := fmt.Sprint(res.PlainOnAB)
				if res.FirstPlain != "" {
					val += " issues (first: " + res.FirstPlain + ")"
				}
				if cfg.Sealed {
					r.add(vl+": plaintext on AB", val, "0", ptr(res.PlainOnAB == 0))
				} else {
					r.add(vl+": plaintext on AB", val, "", nil)
				}
			}
			all = append(all, map[string]any{"topology": v.topo, "interval_s": v.interval.Seconds(), "from": res.From, "edits": res.Edits,
				"arrived": res.Arrived, "e2e_p50_s": p50.Seconds(), "e2e_p95_s": p95.Seconds(), "e2e_p99_s": p99.Seconds(),
				"hop1_p50_s": percentile(res.Hop1, 50).Seconds(), "hop1_p95_s": percentile(res.Hop1, 95).Seconds(), "hop1_p99_s": percentile(res.Hop1, 99).Seconds(),
				"hop2_p50_s": percentile(res.Hop2, 50).Seconds(), "hop2_p95_s": percentile(res.Hop2, 95).Seconds(), "hop2_p99_s": percentile(res.Hop2, 99).Seconds(),
				"sealed_connections": res.Sealed, "plaintext_on_ab": res.PlainOnAB})
		}
	}
	r.Metrics["variants"] = all
	r.finish()
	return r, nil
}

func other(side string) string {
	if side == "A" {
		return "B"
	}
	return "A"
}

// hopKey names where a hop's write is recorded: a node's connection, in one direction.
type hopKey struct {
	node   *Node
	connID uint
	dir    string
}

// lagVariant runs one topology at one poll interval: edits from A, then from B.
func lagVariant(ctx context.Context, cfg Config, o LagOptions, topo string, interval time.Duration) ([]*LagResult, error) {
	w, err := NewWorld(cfg)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	w.Throttle()
	rules := engine.DefaultRules()
	rules.Attachments.Enabled = false
	conn := map[string]hopKey{} // "A-AB" -> node and connection
	if topo == "split" {
		half := max(cfg.Cap/2, 1)
		for _, side := range []string{"A", "B"} {
			n, err := w.StartNode(ctx, NodeSpec{Name: side, Pairs: [][2]string{{side, "AB"}}, PollInterval: interval, Rules: rules,
				Budget: map[string]int{"AB": half}})
			if err != nil {
				return nil, err
			}
			conn[side+"-AB"] = hopKey{node: n, connID: n.Conns[side+"-AB"].ID}
		}
	} else {
		n, err := w.StartNode(ctx, NodeSpec{Name: "S", Pairs: [][2]string{{"A", "AB"}, {"B", "AB"}}, PollInterval: interval, Rules: rules})
		if err != nil {
			return nil, err
		}
		conn["A-AB"] = hopKey{node: n, connID: n.Conns["A-AB"].ID}
		conn["B-AB"] = hopKey{node: n, connID: n.Conns["B-AB"].ID}
	}
	label := fmt.Sprintf("lag %s %s", topo, interval)
	// The first polls set the watermarks; then the pool is created on A and carried to B.
	if err := waitFirstPolls(ctx, w, 3*cfg.SweepEvery+interval); err != nil {
		return nil, err
	}
	seeded, err := w.Seed(ctx, "A", SeedSpec{Issues: o.Pool, Prefix: "Lag pool", Parallel: 8})
	if err != nil {
		return nil, err
	}
	far := conn["B-AB"]
	if err := waitUntil(ctx, 3*time.Minute, 200*time.Millisecond, label+": pool on B", func() (bool, error) {
		n, err := linked(ctx, far.node.DB, far.connID)
		return n >= int64(o.Pool), err
	}); err != nil {
		return nil, err
	}
	o.Progress(fmt.Sprintf("%s: pool of %d issues on B", label, o.Pool))
	var peers []string // B's key for each pool issue, in A's order
	for _, k := range seeded.Keys {
		var tw models.Twin
		a := conn["A-AB"]
		if err := a.node.DB.WithContext(ctx).Where("connection_id = ? AND local_key = ?", a.connID, k).First(&tw).Error; err != nil {
			return nil, fmt.Errorf("twin of %s: %w", k, err)
		}
		var tb models.Twin
		if err := far.node.DB.WithContext(ctx).Where("connection_id = ? AND remote_key = ?", far.connID, tw.RemoteKey).First(&tb).Error; err != nil {
			return nil, fmt.Errorf("twin of %s on B: %w", tw.RemoteKey, err)
		}
		peers = append(peers, tb.LocalKey)
	}
	time.Sleep(2 * max(interval, cfg.SweepEvery)) // let the pool's echoes settle
	var out []*LagResult
	for _, from := range []string{"A", "B"} {
		keys := seeded.Keys
		if from == "B" {
			keys = peers
		}
		hop1 := conn[from+"-AB"]
		hop1.dir = models.DirLocalToRemote
		hop2 := conn[other(from)+"-AB"]
		hop2.dir = models.DirRemoteToLocal
		res, err := lagRun(ctx, w, o, from, keys, hop1, hop2)
		if err != nil {
			return nil, err
		}
		res.Topology, res.Interval = topo, interval
		for _, n := range w.nodes {
			res.SyncError += openErrors(ctx, n.DB)
		}
		o.Progress(fmt.Sprintf("%s from %s: %d of %d edits arrived, p50 %s", label, from, res.Arrived, res.Edits, secs(percentile(res.EndToEnd, 50))))
		out = append(out, res)
	}
	// After both directions: AB holds the pool's summaries and every edit's token unless sealed.
	plain, first, err := w.plaintextOnAB(ctx, []string{"Lag pool", "lag from "})
	if err != nil {
		return nil, err
	}
	sealed := 0
	for _, h := range conn {
		if h.node.Conns[connName(h)].Sealed {
			sealed++
		}
	}
	for _, res := range out {
		res.Sealed, res.PlainOnAB, res.FirstPlain = sealed, plain, first
	}
	return out, nil
}

// connName finds the name of a hop's connection on its node.
func connName(h hopKey) string {
	for name, c := range h.node.Conns {
		if c.ID == h.connID {
			return name
		}
	}
	return ""
}

// waitFirstPolls waits until every connection side of every node has polled once.
func waitFirstPolls(ctx context.Context, w *World, timeout time.Duration) error {
	return waitUntil(ctx, timeout+10*time.Second, 100*time.Millisecond, "first polls", func() (bool, error) {
		for _, n := range w.nodes {
			var c int64
			if err := n.DB.WithContext(ctx).Model(&models.Watermark{}).Where("last_poll_ok IS NOT NULL").Count(&c).Error; err != nil {
				return false, err
			}
			if c < int64(2*len(n.Conns)) {
				return false, nil
			}
		}
		return true, nil
	})
}

// lagRun makes one edit per second on `from` for o.Duration (each at a random moment of its
// second), each a new summary on a random pool issue that has no edit in flight, and times each
// edit's arrival through both hops.
func lagRun(ctx context.Context, w *World, o LagOptions, from string, keys []string, hop1, hop2 hopKey) (*LagResult, error) {
	human, err := w.Human(from)
	if err != nil {
		return nil, err
	}
	res := &LagResult{From: from}
	type edit struct {
		key        string
		at         time.Time
		hop1, hop2 time.Time
	}
	var mu sync.Mutex
	edits := map[string]*edit{} // token -> edit
	busy := map[string]bool{}   // pool keys with an edit in flight
	var lastID [2]uint
	for k, h := range []hopKey{hop1, hop2} {
		var ev models.Event
		h.node.DB.WithContext(ctx).Order("id DESC").Limit(1).Find(&ev)
		lastID[k] = ev.ID
	}
	track := func() error {
		for k, h := range []hopKey{hop1, hop2} {
			var evs []models.Event
			if err := h.node.DB.WithContext(ctx).Where("id > ? AND connection_id = ? AND direction = ? AND kind = ? AND field = ?",
				lastID[k], h.connID, h.dir, "field", "summary").Order("id").Find(&evs).Error; err != nil {
				return err
			}
			mu.Lock()
			for _, ev := range evs {
				lastID[k] = max(lastID[k], ev.ID)
				e := edits[ev.NewValue]
				if e == nil {
					continue
				}
				if k == 0 && e.hop1.IsZero() {
					e.hop1 = ev.At
				}
				if k == 1 && e.hop2.IsZero() {
					e.hop2 = ev.At
					delete(busy, e.key)
				}
			}
			mu.Unlock()
		}
		return nil
	}
	tctx, stop := context.WithCancel(ctx)
	defer stop()
	trackErr := make(chan error, 1)
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-tctx.Done():
				trackErr <- nil
				return
			case <-t.C:
				if err := track(); err != nil && tctx.Err() == nil {
					trackErr <- err
					return
				}
			}
		}
	}()
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	tick := time.NewTicker(time.Second)
	end := time.Now().Add(o.Duration)
	seq := 0
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
		// At a random moment within the second: polls keep to a wall-clock grid, so edits made
		// at one fixed phase of it would all wait the same part of a period, and that phase (set
		// by when the run started) would decide the figure instead of the sync.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(rnd.Int64N(int64(900 * time.Millisecond)))):
		}
		mu.Lock()
		var free []string
		for _, k := range keys {
			if !busy[k] {
				free = append(free, k)
			}
		}
		mu.Unlock()
		if len(free) == 0 {
			continue // every pool issue has an edit in flight: the pool is too small for the lag
		}
		key := free[rnd.IntN(len(free))]
		seq++
		token := fmt.Sprintf("lag from %s #%d %s", from, seq, strings.ToUpper(fmt.Sprintf("%x", rnd.Uint32())))
		mu.Lock()
		busy[key] = true
		mu.Unlock()
		if err := human.UpdateIssue(ctx, key, jira.IssueInput{Fields: map[string]any{"summary": token}}, jira.UpdateOptions{}); err != nil {
			return nil, fmt.Errorf("edit %s: %w", key, err)
		}
		mu.Lock()
		edits[token] = &edit{key: key, at: time.Now()}
		mu.Unlock()
	}
	tick.Stop()
	// Stragglers get a grace period.
	_ = waitUntil(ctx, 60*time.Second, 200*time.Millisecond, "stragglers", func() (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return len(busy) == 0, nil
	})
	stop()
	if err := <-trackErr; err != nil {
		return nil, err
	}
	_ = track()
	mu.Lock()
	defer mu.Unlock()
	res.Edits = len(edits)
	for _, e := range edits {
		if e.hop2.IsZero() {
			continue
		}
		res.Arrived++
		res.EndToEnd = append(res.EndToEnd, e.hop2.Sub(e.at))
		if !e.hop1.IsZero() {
			res.Hop1 = append(res.Hop1, e.hop1.Sub(e.at))
			res.Hop2 = append(res.Hop2, e.hop2.Sub(e.hop1))
		}
	}
	return res, nil
}
