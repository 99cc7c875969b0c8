package metrics_test

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/metrics"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	var b strings.Builder
	if err := m.Registry.Write(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestExposition(t *testing.T) {
	m := metrics.New("v1")
	m.Poll(3, "remote", metrics.ResultOK)
	m.Poll(3, "remote", metrics.ResultOK)
	m.Error("rate-limited", "jira:poll")
	m.ObserveJira(jira.Call{Instance: `A "x"`, Method: "GET", Endpoint: "/rest/api/2/issue/{key}", Status: 200, Duration: 30 * time.Millisecond})
	m.SyncLag(3, "local->remote", 1500*time.Millisecond)
	m.SyncLag(3, "local->remote", 2*time.Second)
	m.SyncLag(3, "local->remote", -time.Second) // clock skew counts as 0
	m.SyncLag(3, "local->remote", 2*time.Hour)
	out := scrape(t, m)
	for _, want := range []string{
		"# TYPE airlock_polls_total counter\n",
		`airlock_polls_total{connection="3",side="remote",result="ok"} 2` + "\n",
		`airlock_errors_total{class="rate-limited",task="jira:poll"} 1` + "\n",
		`airlock_jira_requests_total{instance="A \"x\"",method="GET",endpoint="/rest/api/2/issue/{key}",status="200"} 1` + "\n",
		"# TYPE airlock_sync_lag_seconds histogram\n",
		`airlock_sync_lag_seconds_bucket{connection="3",direction="local->remote",le="0.5"} 1` + "\n",
		`airlock_sync_lag_seconds_bucket{connection="3",direction="local->remote",le="1"} 1` + "\n",
		`airlock_sync_lag_seconds_bucket{connection="3",direction="local->remote",le="2"} 3` + "\n",
		`airlock_sync_lag_seconds_bucket{connection="3",direction="local->remote",le="3600"} 3` + "\n",
		`airlock_sync_lag_seconds_bucket{connection="3",direction="local->remote",le="+Inf"} 4` + "\n",
		`airlock_sync_lag_seconds_sum{connection="3",direction="local->remote"} 7203.5` + "\n",
		`airlock_sync_lag_seconds_count{connection="3",direction="local->remote"} 4` + "\n",
		`airlock_build_info{version="v1"} 1` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// Families come out sorted, each with HELP then TYPE (client_golang's text encoder).
	if i, j := strings.Index(out, "# HELP airlock_errors_total"), strings.Index(out, "# HELP airlock_polls_total"); i < 0 || j < 0 || i > j {
		t.Errorf("families not sorted")
	}
	if !strings.Contains(out, "# HELP airlock_polls_total Polls of a connection side, by result.\n# TYPE airlock_polls_total counter\n") {
		t.Errorf("HELP/TYPE of airlock_polls_total missing")
	}
	// The runtime and process collectors of client_golang are registered too.
	for _, want := range []string{"\ngo_goroutines ", "\nprocess_start_time_seconds "} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", strings.TrimSpace(want))
		}
	}
	if got := m.Polls.Value("3", "remote", metrics.ResultOK); got != 2 {
		t.Errorf("Polls.Value = %v, want 2", got)
	}
	if got := m.Lag.Count("3", "local->remote"); got != 4 {
		t.Errorf("Lag.Count = %v, want 4", got)
	}
}

// TestOddLabelValues: a wrong number of label values or invalid UTF-8 never panics (client_golang
// would) and lands in a predictable series.
func TestOddLabelValues(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		want   string
	}{
		{"too few", []string{"7"}, `airlock_reconciles_total{connection="7",result=""} 1`},
		{"too many", []string{"7", "ok", "extra"}, `airlock_reconciles_total{connection="7",result="ok"} 1`},
		{"invalid utf-8", []string{"7", "a\xffb"}, "airlock_reconciles_total{connection=\"7\",result=\"a\uFFFDb\"} 1"},
		{"none", nil, `airlock_reconciles_total{connection="",result=""} 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := metrics.New("t")
			m.Reconciles.Inc(tc.values...)
			m.Reconciles.Add(-5, tc.values...) // counters only go up: ignored
			if out := scrape(t, m); !strings.Contains(out, tc.want+"\n") {
				t.Errorf("missing %q in\n%s", tc.want, grep(out, "airlock_reconciles_total"))
			}
		})
	}
}

func TestGaugeAndReset(t *testing.T) {
	m := metrics.New("t")
	m.Running.Add(1, "twin:reconcile")
	m.Running.Add(1, "twin:reconcile")
	m.Running.Add(-1, "twin:reconcile")
	m.Running.Set(4, "jira:poll")
	out := scrape(t, m)
	for _, want := range []string{`airlock_tasks_running{task="twin:reconcile"} 1`, `airlock_tasks_running{task="jira:poll"} 4`} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %q", want)
		}
	}
	m.Running.Reset()
	if out := scrape(t, m); strings.Contains(out, "airlock_tasks_running{") {
		t.Errorf("series survived Reset:\n%s", grep(out, "airlock_tasks_running"))
	}
}

func TestHandler(t *testing.T) {
	m := metrics.New("t")
	m.Poll(1, "local", metrics.ResultOK)
	h := m.Handler()
	for _, tc := range []struct {
		name, target, accept, encoding string
		wantType, wantEncoding         string
		want, notWant                  []string
	}{
		{name: "text by default", target: "/metrics", wantType: "text/plain; version=0.0.4",
			want: []string{`airlock_polls_total{connection="1",side="local",result="ok"} 1`, "# TYPE airlock_build_info gauge", "go_goroutines "}},
		{name: "gzip when asked", target: "/metrics", encoding: "gzip", wantType: "text/plain; version=0.0.4", wantEncoding: "gzip",
			want: []string{`airlock_polls_total{connection="1",side="local",result="ok"} 1`}},
		{name: "name filter", target: "/metrics?name[]=airlock_polls_total", wantType: "text/plain; version=0.0.4",
			want: []string{"airlock_polls_total{"}, notWant: []string{"airlock_build_info", "go_goroutines"}},
		{name: "protobuf when asked", target: "/metrics", accept: "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
			wantType: "application/vnd.google.protobuf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.target, nil)
			if tc.accept != "" {
				r.Header.Set("Accept", tc.accept)
			}
			if tc.encoding != "" {
				r.Header.Set("Accept-Encoding", tc.encoding)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, tc.wantType) {
				t.Errorf("Content-Type %q, want %s...", ct, tc.wantType)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
			if ce := w.Header().Get("Content-Encoding"); ce != tc.wantEncoding {
				t.Errorf("Content-Encoding %q, want %q", ce, tc.wantEncoding)
			}
			var body io.Reader = w.Body
			if tc.wantEncoding == "gzip" {
				zr, err := gzip.NewReader(w.Body)
				if err != nil {
					t.Fatal(err)
				}
				body = zr
			}
			b, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.want {
				if !strings.Contains(string(b), want) {
					t.Errorf("body lacks %q", want)
				}
			}
			for _, no := range tc.notWant {
				if strings.Contains(string(b), no) {
					t.Errorf("body has %q", no)
				}
			}
		})
	}
}

type ctxKey struct{}

// ctxCollector reports the value its scrape context carries, and whether it was cancelled.
type ctxCollector struct{ d *prometheus.Desc }

func (c ctxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.d }
func (c ctxCollector) Collect(ch chan<- prometheus.Metric) {
	c.CollectContext(context.Background(), ch)
}
func (c ctxCollector) CollectContext(ctx context.Context, ch chan<- prometheus.Metric) {
	v, _ := ctx.Value(ctxKey{}).(string)
	ch <- prometheus.MustNewConstMetric(c.d, prometheus.GaugeValue, 1, v, strconv.FormatBool(ctx.Err() != nil))
}

// TestScrapeContext: a registered Collector reads with the scrape's own context (the request's in
// the handler), and clashing registrations fail when made.
func TestScrapeContext(t *testing.T) {
	m := metrics.New("t")
	c := ctxCollector{prometheus.NewDesc("test_scrape_ctx", "Context seen by the collector.", []string{"value", "cancelled"}, nil)}
	if err := m.Registry.Register(c); err != nil {
		t.Fatal(err)
	}
	ctx := context.WithValue(context.Background(), ctxKey{}, "write")
	var b strings.Builder
	if err := m.Registry.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if want := `test_scrape_ctx{cancelled="false",value="write"} 1`; !strings.Contains(b.String(), want) {
		t.Errorf("Write: missing %q in\n%s", want, grep(b.String(), "test_scrape_ctx"))
	}
	cctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "http"))
	cancel()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil).WithContext(cctx))
	if want := `test_scrape_ctx{cancelled="true",value="http"} 1`; !strings.Contains(w.Body.String(), want) {
		t.Errorf("Handler: missing %q in\n%s", want, grep(w.Body.String(), "test_scrape_ctx"))
	}

	for _, tc := range []struct {
		name   string
		labels []string
	}{
		{"same name, other labels", []string{"x"}},
		{"same name and labels", []string{"connection", "side", "result"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clash := ctxCollector{prometheus.NewDesc("airlock_polls_total", "Other.", tc.labels, nil)}
			if err := m.Registry.Register(clash); err == nil {
				t.Errorf("Register of a second airlock_polls_total succeeded")
			}
		})
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("a second WatchState did not panic")
			}
		}()
		db := modelstest.SQLite(t)
		m.WatchState(metrics.StateSource{DB: db})
		m.WatchState(metrics.StateSource{DB: db})
	}()
}

type brokenInspector struct{}

func (brokenInspector) Queues() ([]string, error) { return nil, errors.New("redis down") }
func (brokenInspector) GetQueueInfo(string) (*asynq.QueueInfo, error) {
	return nil, errors.New("redis down")
}

// TestStateSourcesDown: when the database or the queue cannot be read, the scrape still answers,
// says so in airlock_state_scrape_ok, and reports no stale rows.
func TestStateSourcesDown(t *testing.T) {
	db := modelstest.SQLite(t)
	in := &models.Instance{Name: "A", BaseURL: "http://a", AuthType: models.AuthBasic}
	if err := db.Create(in).Error; err != nil {
		t.Fatal(err)
	}
	m := metrics.New("t")
	m.WatchState(metrics.StateSource{DB: db, Queue: brokenInspector{}, Queues: []string{"sync"}, Logger: slog.New(slog.DiscardHandler)})
	if out := scrape(t, m); !strings.Contains(out, `airlock_instance_up{instance="A"} 1`+"\n") {
		t.Fatalf("instance gauge missing while the database is up:\n%s", grep(out, "airlock_instance"))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	out := scrape(t, m)
	for _, want := range []string{`airlock_state_scrape_ok{source="database"} 0`, `airlock_state_scrape_ok{source="queue"} 0`} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %q", want)
		}
	}
	for _, stale := range []string{"airlock_instance_up{", "airlock_queue_tasks{"} {
		if strings.Contains(out, stale) {
			t.Errorf("%s reported while its source is down", stale)
		}
	}
	if !strings.Contains(out, `airlock_polls_total`) && !strings.Contains(out, "airlock_build_info{") {
		t.Errorf("the rest of the registry is missing")
	}
}

// TestConcurrentUse runs the instruments and scrapes at once (meant for -race).
func TestConcurrentUse(t *testing.T) {
	m := metrics.New("t")
	m.WatchState(metrics.StateSource{DB: modelstest.SQLite(t), Queue: fakeInspector{"sync": {Pending: 1}}, Queues: []string{"sync"}})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 200 {
				m.Poll(uint(i), "local", metrics.ResultOK)
				m.Task("jira:poll", time.Millisecond)
				m.ObserveJira(jira.Call{Instance: "A", Method: "GET", Endpoint: "/x", Status: 200})
			}
		})
		wg.Go(func() {
			for range 5 {
				var b strings.Builder
				if err := m.Registry.Write(context.Background(), &b); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for i := range 4 {
		if got := m.Polls.Value(metrics.ID(uint(i)), "local", metrics.ResultOK); got != 200 {
			t.Errorf("polls of %d = %v, want 200", i, got)
		}
	}
}

// grep returns the lines of out that contain s (short failure messages).
func grep(out, s string) string {
	var keep []string
	for l := range strings.Lines(out) {
		if strings.Contains(l, s) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

func TestTokenOK(t *testing.T) {
	for _, tc := range []struct {
		header, token string
		want          bool
	}{
		{"Bearer secret-token-123456", "secret-token-123456", true},
		{"Bearer secret-token-12345", "secret-token-123456", false},
		{"bearer secret-token-123456", "secret-token-123456", false},
		{"secret-token-123456", "secret-token-123456", false},
		{"Bearer ", "", false},
		{"", "", false},
	} {
		if got := metrics.TokenOK(tc.header, tc.token); got != tc.want {
			t.Errorf("TokenOK(%q, %q) = %v, want %v", tc.header, tc.token, got, tc.want)
		}
	}
}

func TestProtect(t *testing.T) {
	h := metrics.Protect(metrics.New("t").Handler(), "tok-0123456789abcdef")
	for _, tc := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer nope", 401}, {"Bearer tok-0123456789abcdef", 200}} {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("auth %q: %d, want %d", tc.auth, w.Code, tc.want)
		}
	}
}

type fakeInspector map[string]*asynq.QueueInfo

func (f fakeInspector) Queues() ([]string, error) { return []string{"sync", "broken"}, nil }

func (f fakeInspector) GetQueueInfo(q string) (*asynq.QueueInfo, error) {
	if i, ok := f[q]; ok {
		return i, nil
	}
	if q == "broken" {
		return nil, errors.New("redis down")
	}
	return nil, errors.New(`NOT_FOUND: queue "` + q + `" does not exist`)
}

func TestStateGauges(t *testing.T) {
	db := modelstest.SQLite(t)
	a := &models.Instance{Name: "A", BaseURL: "http://a", AuthType: models.AuthBasic, ConsecutiveErrors: 2}
	ab := &models.Instance{Name: "AB", BaseURL: "http://ab", AuthType: models.AuthBasic}
	for _, in := range []*models.Instance{a, ab} {
		if err := db.Create(in).Error; err != nil {
			t.Fatal(err)
		}
	}
	c := &models.Connection{Name: "A-AB", LocalInstanceID: a.ID, RemoteInstanceID: ab.ID, LocalProject: "ALPHA", RemoteProject: "RELAY"}
	if err := db.Create(c).Error; err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-90 * time.Second).UTC()
	for i, tw := range []models.Twin{
		{State: models.TwinActive, Dirty: true, DirtySince: &old},
		{State: models.TwinActive},
		{State: models.TwinQuarantined, Dirty: true},
		{State: models.TwinQuarantined},
		{State: models.TwinPendingCreate, Dirty: true},
	} {
		tw.ConnectionID = c.ID
		tw.SyncID = models.RandomToken(8)
		id := string(rune('1' + i))
		tw.LocalIssueID = &id
		if err := db.Create(&tw).Error; err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	for _, e := range []models.SyncError{
		{Fingerprint: "f1", Class: models.ClassConfig, TaskType: "twin:reconcile", FirstSeen: now, LastSeen: now},
		{Fingerprint: "f2", Class: models.ClassConfig, TaskType: "twin:reconcile", FirstSeen: now, LastSeen: now},
		{Fingerprint: "f3", Class: models.ClassAuth, TaskType: "jira:poll", FirstSeen: now, LastSeen: now, ResolvedAt: &now},
	} {
		if err := db.Create(&e).Error; err != nil {
			t.Fatal(err)
		}
	}
	m := metrics.New("t")
	m.WatchState(metrics.StateSource{DB: db, Queues: []string{"sync", "poll", "broken"}, Logger: slog.New(slog.DiscardHandler),
		Queue: fakeInspector{"sync": {Pending: 4, Active: 2, Retry: 1}}})
	out := scrape(t, m)
	cid := metrics.ID(c.ID)
	for _, want := range []string{
		`airlock_twins{connection="` + cid + `",state="active"} 2`,
		`airlock_twins{connection="` + cid + `",state="quarantined"} 2`,
		`airlock_twins_dirty{connection="` + cid + `"} 2`,
		`airlock_twins_quarantined{connection="` + cid + `"} 2`,
		`airlock_sync_errors_open{class="config"} 2`,
		`airlock_sync_errors_open{class="auth"} 0`,
		`airlock_instance_up{instance="A"} 0`,
		`airlock_instance_up{instance="AB"} 1`,
		`airlock_instance_consecutive_errors{instance="A"} 2`,
		`airlock_connection_info{connection="` + cid + `",name="A-AB",paused="false"} 1`,
		`airlock_queue_tasks{queue="sync",state="pending"} 4`,
		`airlock_queue_tasks{queue="sync",state="active"} 2`,
		`airlock_queue_tasks{queue="poll",state="pending"} 0`,
		`airlock_state_scrape_ok{source="database"} 1`,
		`airlock_state_scrape_ok{source="queue"} 0`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %q", want)
		}
	}
	if !strings.Contains(out, `airlock_twins_dirty_oldest_seconds{connection="`+cid+`"} 9`) { // 90.x seconds
		t.Errorf("oldest dirty age missing:\n%s", out)
	}
}
