package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

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
	// Families come out sorted, each with HELP then TYPE.
	if i, j := strings.Index(out, "# HELP airlock_errors_total"), strings.Index(out, "# HELP airlock_polls_total"); i < 0 || j < 0 || i > j {
		t.Errorf("families not sorted")
	}
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
	m.WatchState(metrics.StateSource{DB: db, Queues: []string{"sync", "poll", "broken"},
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
