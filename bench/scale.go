package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/web"
)

// ScaleOptions sizes the scale scenario (issue 6 item 4).
type ScaleOptions struct {
	Twins   int // twins seeded in the database (the issue asks 100,000)
	Errors  int // open sync errors seeded (issue 5 asks 10,000)
	Changed int // issues changed on A before each measured poll
	// Rounds is the number of measured polls per database size (the median is reported).
	Rounds   int
	Progress func(string)
}

// Scale measures a poll cycle (and a sweep) with an empty ledger and with Twins twins, the
// process's memory, and the console's list pages rendered through web.New's handler.
func Scale(ctx context.Context, cfg Config, o ScaleOptions) (*Report, error) {
	if o.Twins < 0 || o.Errors < 0 {
		return nil, fmt.Errorf("scale: sizes must not be negative")
	}
	if o.Changed <= 0 {
		o.Changed = 20
	}
	if o.Rounds <= 0 {
		o.Rounds = 5
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
	r := newReport("scale", map[string]any{"twins": o.Twins, "errors": o.Errors, "changed": o.Changed, "rounds": o.Rounds,
		"latency": cfg.Latency.String(), "cap": cfg.Cap, "db": dbKind(cfg)})
	w.Throttle()
	n, err := w.StartNode(ctx, NodeSpec{Name: "A", Pairs: [][2]string{{"A", "AB"}}, Rules: engine.DefaultRules(), NoWorker: true})
	if err != nil {
		return nil, err
	}
	conn := n.Conns["A-AB"]
	seeded, err := w.Seed(ctx, "A", SeedSpec{Issues: o.Changed, Prefix: "Scale", Parallel: 8})
	if err != nil {
		return nil, err
	}
	human, err := w.Human("A")
	if err != nil {
		return nil, err
	}
	// The first poll makes pending twins of the new issues; later polls see them changed.
	if _, err := n.Engine.Poll(ctx, conn.ID, models.SideLocal); err != nil {
		return nil, err
	}
	round := 0
	measure := func() (poll, sweep time.Duration, err error) {
		var polls, sweeps []time.Duration
		for range o.Rounds {
			round++
			for _, k := range seeded.Keys {
				if err := human.UpdateIssue(ctx, k, jira.IssueInput{Fields: map[string]any{"summary": fmt.Sprintf("scale round %d", round)}}, jira.UpdateOptions{}); err != nil {
					return 0, 0, err
				}
			}
			// Clear the dirty flags so every round finds the same work.
			n.DB.WithContext(ctx).Model(&models.Twin{}).Where("dirty = ?", true).Updates(map[string]any{"dirty": false, "dirty_since": nil})
			t := time.Now()
			res, err := n.Engine.Poll(ctx, conn.ID, models.SideLocal)
			if err != nil {
				return 0, 0, err
			}
			polls = append(polls, time.Since(t))
			if len(res.Dirty) != o.Changed {
				return 0, 0, fmt.Errorf("poll marked %d twins dirty, want %d", len(res.Dirty), o.Changed)
			}
			t = time.Now()
			if _, err := n.Engine.Sweep(ctx); err != nil {
				return 0, 0, err
			}
			sweeps = append(sweeps, time.Since(t))
		}
		return percentile(polls, 50), percentile(sweeps, 50), nil
	}
	poll0, sweep0, err := measure()
	if err != nil {
		return nil, fmt.Errorf("measure with an empty ledger: %w", err)
	}
	o.Progress(fmt.Sprintf("empty ledger: poll %s, sweep %s; seeding %d twins and %d errors", poll0, sweep0, o.Twins, o.Errors))
	t := time.Now()
	if err := seedLedger(ctx, n.DB, conn.ID, n.Insts["A"].ID, o.Twins, o.Errors); err != nil {
		return nil, err
	}
	o.Progress(fmt.Sprintf("seeded in %s", time.Since(t).Round(time.Millisecond)))
	poll1, sweep1, err := measure()
	if err != nil {
		return nil, fmt.Errorf("measure with %d twins: %w", o.Twins, err)
	}
	r.add(fmt.Sprintf("poll cycle (%d changed issues), empty ledger", o.Changed), secs(poll0), "", nil)
	r.add(fmt.Sprintf("poll cycle (%d changed issues), %d twins", o.Changed, o.Twins), secs(poll1),
		"independent of the number of twins", ptr(poll1 <= poll0*3/2+50*time.Millisecond))
	r.add("sweep, empty ledger / with twins", fmt.Sprintf("%s / %s", secs(sweep0), secs(sweep1)), "", nil)

	// The console on the same database.
	ccfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		return nil, err
	}
	srv, err := web.New(web.Deps{Config: ccfg, DB: n.DB, Queue: n.Broker, Logger: cfg.Logger, Version: "bench", Engine: n.Engine})
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	u := &models.User{Username: "bench", PasswordHash: "-", IsAdmin: true}
	if err := n.DB.WithContext(ctx).Create(u).Error; err != nil {
		return nil, err
	}
	token, _, err := n.DB.CreateSession(ctx, u, "127.0.0.1", "bench", time.Hour)
	if err != nil {
		return nil, err
	}
	h := srv.Handler()
	pages := []string{"/", "/twins", "/twins?q=ALPHA-99999", "/errors", "/activity", "/conflicts", "/connections", "/instances"}
	pageMetrics := map[string]float64{}
	for _, p := range pages {
		var ds []time.Duration
		status, size := 0, 0
		for range o.Rounds {
			req := httptest.NewRequest(http.MethodGet, p, nil)
			req.AddCookie(&http.Cookie{Name: "airlock_session", Value: token})
			rec := httptest.NewRecorder()
			t := time.Now()
			h.ServeHTTP(rec, req)
			ds = append(ds, time.Since(t))
			status, size = rec.Code, rec.Body.Len()
			if strings.Contains(rec.Body.String(), `data-testid="login-form"`) {
				return nil, fmt.Errorf("console GET %s: the session was refused (login page served)", p)
			}
		}
		med, worst := percentile(ds, 50), slices.Max(ds)
		pageMetrics[p] = med.Seconds()
		r.add("console GET "+p+" (median, worst of "+strconv.Itoa(o.Rounds)+")", fmt.Sprintf("%.1f ms, %.1f ms (HTTP %d, %d KB)",
			float64(med.Microseconds())/1000, float64(worst.Microseconds())/1000, status, size>>10), "< 100 ms", ptr(status == 200 && med < 100*time.Millisecond))
	}
	runtime.GC()
	rss, peak := rssMB()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.add("process RSS now / peak (worker engine + console + emulated Jiras)", fmt.Sprintf("%.0f MB / %.0f MB", rss, peak), "<= 200 MB", ptr(peak <= 200))
	r.add("Go heap in use after GC", fmt.Sprintf("%.0f MB", float64(ms.HeapInuse)/(1<<20)), "", nil)
	r.Metrics["poll_empty_s"] = poll0.Seconds()
	r.Metrics["poll_full_s"] = poll1.Seconds()
	r.Metrics["sweep_empty_s"] = sweep0.Seconds()
	r.Metrics["sweep_full_s"] = sweep1.Seconds()
	r.Metrics["pages_median_s"] = pageMetrics
	r.Metrics["rss_mb"] = rss
	r.Metrics["rss_peak_mb"] = peak
	r.Metrics["heap_inuse_mb"] = float64(ms.HeapInuse) / (1 << 20)
	r.finish()
	return r, nil
}

// seedLedger writes twins (with realistic baselines), one event per twin (spread over 30 days)
// and open errors (spread over the last errs seconds) straight into the database, in batches.
func seedLedger(ctx context.Context, db *models.DB, connID, instID uint, twins, errs int) error {
	base := `{"local":{"summary":"Customer cannot export the quarterly report","description":"Steps: open the report, click export. ` +
		`Expected a file, got a spinner.","labels":"bench,customer","priority":"High","issuetype":"Task","duedate":"2025-06-01","status":"In Progress"},` +
		`"remote":{"summary":"Customer cannot export the quarterly report","description":"Steps: open the report, click export. ` +
		`Expected a file, got a spinner.","labels":"bench,customer","priority":"High","issuetype":"Task","duedate":"2025-06-01","status":"In Progress"}}`
	now := time.Now().UTC()
	const batch = 1000
	for start := 0; start < twins; start += batch {
		var rows []models.Twin
		for i := start; i < min(start+batch, twins); i++ {
			lid, rid := strconv.Itoa(1_000_000+i), strconv.Itoa(2_000_000+i)
			rows = append(rows, models.Twin{ConnectionID: connID, SyncID: fmt.Sprintf("bench-%08d", i), State: models.TwinActive,
				LocalIssueID: &lid, LocalKey: fmt.Sprintf("OLD-%d", i), RemoteIssueID: &rid, RemoteKey: fmt.Sprintf("ORELAY-%d", i),
				Baseline: base, LocalUpdated: &now, RemoteUpdated: &now, LastSyncedAt: &now})
		}
		if err := db.WithContext(ctx).Create(&rows).Error; err != nil {
			return fmt.Errorf("seed twins: %w", err)
		}
		var evs []models.Event
		for k, tw := range rows {
			// One event per twin, spread over the last 30 days (about one every 26 s).
			at := now.Add(-time.Duration(start+k) * 26 * time.Second)
			evs = append(evs, models.Event{TwinID: tw.ID, ConnectionID: connID, At: at, Direction: models.DirLocalToRemote, Kind: "field",
				Field: "summary", OldValue: "before", NewValue: "Customer cannot export the quarterly report"})
		}
		if err := db.WithContext(ctx).Create(&evs).Error; err != nil {
			return fmt.Errorf("seed events: %w", err)
		}
	}
	classes := []string{models.ClassTransient, models.ClassConfig, models.ClassData, models.ClassInternal, models.ClassRateLimited}
	for start := 0; start < errs; start += batch {
		var rows []models.SyncError
		for i := start; i < min(start+batch, errs); i++ {
			c := connID
			in := instID
			rows = append(rows, models.SyncError{ConnectionID: &c, InstanceID: &in, Fingerprint: fmt.Sprintf("bench-%d", i),
				Class: classes[i%len(classes)], TaskType: "twin:reconcile", TaskID: fmt.Sprintf("reconcile:%d", i),
				Message:  fmt.Sprintf("update AB issue RELAY-%d: 400 Field 'customfield_10102' cannot be set", i),
				Request:  `PUT /rest/api/2/issue/20001 {"fields":{"customfield_10102":{"value":"S9"}}}`,
				Response: `{"errorMessages":[],"errors":{"customfield_10102":"Option value 'S9' is not valid"}}`,
				Attempts: 1 + i%5, FirstSeen: now.Add(-time.Duration(i) * time.Second), LastSeen: now})
		}
		if err := db.WithContext(ctx).Create(&rows).Error; err != nil {
			return fmt.Errorf("seed errors: %w", err)
		}
	}
	return nil
}
