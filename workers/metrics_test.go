package workers_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/metrics"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
	"github.com/airlock-sync/airlock/workers"
	"github.com/airlock-sync/airlock/workers/workerstest"
)

// TestMetricsAfterSyncRun runs a small sync with the instrumented worker and scrapes: every
// family where work happened has a non-zero sample, including a transient error provoked with
// the emulator's fault knob.
func TestMetricsAfterSyncRun(t *testing.T) {
	sim, err := jirasim.New()
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, broker := modelstest.Open(t), workerstest.Broker(t)
	key := make([]byte, 32)
	rand.Read(key)
	sealer, _ := models.NewSealer(key)
	ids := map[string]uint{}
	for _, name := range []string{"A", "AB"} {
		in := &models.Instance{Name: name, BaseURL: sim.Instance(name).URL(), AuthType: models.AuthBasic, Username: "airlock"}
		in.SetSecret(sealer, "airlock")
		if err := db.Create(in).Error; err != nil {
			t.Fatal(err)
		}
		ids[name] = in.ID
	}
	rules := engine.DefaultRules()
	rules.Attachments.Enabled = false
	rj, _ := json.Marshal(rules)
	conn := &models.Connection{Name: "A-AB", LocalInstanceID: ids["A"], RemoteInstanceID: ids["AB"], LocalProject: "ALPHA",
		RemoteProject: jirasim.DefaultProjectKey("AB"), PollIntervalMS: 200, Rules: string(rj), ConflictPolicy: models.PolicyNewestWins,
		DeletionPolicy: models.DeleteIgnore}
	if err := db.Create(conn).Error; err != nil {
		t.Fatal(err)
	}
	m := metrics.New("test")
	insp := asynq.NewInspector(broker.ConnOpt())
	defer insp.Close()
	m.WatchState(metrics.StateSource{DB: db, Queue: insp, Logger: logger, Queues: []string{workers.QueueSync, workers.QueuePoll}})
	e := &engine.Engine{DB: db, Logger: logger, MinPollInterval: 50 * time.Millisecond, CreateSearchGrace: 100 * time.Millisecond,
		Clients: &engine.ClientPool{Sealer: sealer, Observer: m.ObserveJira, Configure: func(c *jira.Config) { c.MaxRetries = -1 }}}
	q := workers.NewQueue(broker)
	defer q.Close()
	srv := workers.NewServer(broker, db, logger, workers.ServerOptions{Concurrency: 4, ShutdownTimeout: 2 * time.Second})
	srv.Mux.Use(workers.Instrument(m, db))
	stop, err := workers.StartSync(ctx, srv, e, q, 100*time.Millisecond, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	a, ab := simClient(t, sim, "A"), simClient(t, sim, "AB")
	time.Sleep(300 * time.Millisecond)
	createOn(t, a, "ALPHA", "metrics one")
	waitFor(t, "the issue on AB", 20*time.Second, func() bool { return len(findBySummary(t, ab, "RELAY", "metrics one")) == 1 })
	// One failed write: a transient error, retried by the queue until it lands.
	sim.Instance("AB").Knobs().SetFaultEndpoint("PUT /rest/api/2/issue/")
	sim.Instance("AB").Knobs().FailNext(1, 503)
	onA := findBySummary(t, a, "ALPHA", "metrics one")[0]
	if err := a.UpdateIssue(ctx, onA.Key, jira.IssueInput{Fields: map[string]any{"summary": "metrics two"}}, jira.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the edit on AB", 60*time.Second, func() bool { return len(findBySummary(t, ab, "RELAY", "metrics two")) == 1 })

	var b strings.Builder
	if err := m.Registry.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	cid := metrics.ID(conn.ID)
	for _, want := range []string{
		`airlock_polls_total{connection="` + cid + `",side="local",result="ok"}`,
		`airlock_polls_total{connection="` + cid + `",side="remote",result="ok"}`,
		`airlock_reconciles_total{connection="` + cid + `",result="ok"}`,
		`airlock_reconciles_total{connection="` + cid + `",result="error"}`,
		`airlock_errors_total{class="transient",task="twin:reconcile"}`,
		`airlock_jira_requests_total{instance="AB",method="POST",endpoint="/rest/api/2/issue",status="201"}`,
		`airlock_jira_requests_total{instance="AB",method="PUT",endpoint="/rest/api/2/issue/{key}",status="503"}`,
		`airlock_jira_requests_total{instance="AB",method="GET",endpoint="/rest/api/2/search",status="200"}`,
		`airlock_sync_lag_seconds_count{connection="` + cid + `",direction="local->remote"}`,
		`airlock_task_duration_seconds_count{task="twin:reconcile"}`,
		`airlock_twins{connection="` + cid + `",state="active"}`,
		`airlock_instance_up{instance="AB"}`,
		`airlock_connection_info{connection="` + cid + `",name="A-AB",paused="false"}`,
	} {
		v, ok := sample(out, want)
		if !ok || v <= 0 {
			t.Errorf("%s = %v (present %v), want > 0", want, v, ok)
		}
	}
	for _, want := range []string{
		`airlock_twins_dirty{connection="` + cid + `"}`,
		`airlock_twins_quarantined{connection="` + cid + `"}`,
		`airlock_queue_tasks{queue="sync",state="archived"}`,
		// Present but 0: the 503 was retried successfully, which closes its error ("recovered").
		`airlock_sync_errors_open{class="transient"}`,
	} {
		if _, ok := sample(out, want); !ok {
			t.Errorf("%s missing", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

// sample returns the value of one series in a text exposition.
func sample(out, series string) (float64, bool) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	mm := re.FindStringSubmatch(out)
	if mm == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(mm[1], 64)
	return v, err == nil
}
