// Package metrics is Airlock's Prometheus instrumentation: counters and histograms that the
// worker and the Jira client feed as work happens (polls, reconciles, errors by class, Jira calls,
// lag per hop), and gauges read from the database and the queue at scrape time (dirty and
// quarantined twins, open errors, instance health, queue depth). One Metrics per process, with
// its own registry: nothing is registered globally.
//
// It is built on prometheus/client_golang: a prometheus.Registry per process, vectors for what
// the work feeds, a Collector for the scrape-time gauges, and promhttp to serve them. The small
// wrapper in registry.go keeps Airlock's positional-label API and hands the scrape's context to
// the collectors that query the database or the queue.
package metrics

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/airlock-sync/airlock/jira"
)

// Task outcomes used as the result label.
const (
	ResultOK          = "ok"
	ResultError       = "error"
	ResultQuarantined = "quarantined"
)

// Metrics holds the process's registry and the instruments the work feeds.
type Metrics struct {
	// Registry gathers every family; Handler serves it.
	Registry *Registry

	Polls       *CounterVec
	Reconciles  *CounterVec
	Errors      *CounterVec
	TaskSeconds *HistogramVec
	Running     *GaugeVec
	JiraCalls   *CounterVec
	JiraSeconds *HistogramVec
	Lag         *HistogramVec
}

// LagBuckets span a sub-second single-topology hop to a stuck hour (seconds).
var LagBuckets = []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600}

// DurationBuckets are for task and HTTP call durations (seconds).
var DurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// New builds a registry with every Airlock instrument, plus the Go runtime (go_*) and process
// (process_*) collectors; version labels airlock_build_info.
func New(version string) *Metrics {
	r := NewRegistry()
	m := &Metrics{Registry: r}
	m.Polls = r.Counter("airlock_polls_total", "Polls of a connection side, by result.", "connection", "side", "result")
	m.Reconciles = r.Counter("airlock_reconciles_total", "Twin reconciles, by result (ok; error: retried; quarantined: waits for an operator).", "connection", "result")
	m.Errors = r.Counter("airlock_errors_total", "Failed tasks by error class (transient, rate-limited, auth, config, data, internal) and task type.", "class", "task")
	m.TaskSeconds = r.Histogram("airlock_task_duration_seconds", "Time a worker spent on one task, by task type.", DurationBuckets, "task")
	m.Running = r.Gauge("airlock_tasks_running", "Tasks this process is running now, by task type.", "task")
	m.JiraCalls = r.Counter("airlock_jira_requests_total", "HTTP calls to Jira by instance, method, endpoint template and status (0: no response).", "instance", "method", "endpoint", "status")
	m.JiraSeconds = r.Histogram("airlock_jira_request_duration_seconds", "Duration of HTTP calls to Jira, by instance.", DurationBuckets, "instance")
	m.Lag = r.Histogram("airlock_sync_lag_seconds", "Per hop (connection and direction): from the source issue's Jira `updated` to the reconcile that wrote it to the other side.", LagBuckets, "connection", "direction")
	info := r.Gauge("airlock_build_info", "Always 1; the version label names the running build.", "version")
	info.Set(1, version)
	start := r.Gauge("airlock_process_start_time_seconds", "Start of this process, in Unix seconds.")
	start.Set(float64(time.Now().Unix()))
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ID formats a row id as a label value.
func ID(id uint) string { return strconv.FormatUint(uint64(id), 10) }

// Poll counts one poll of a connection side.
func (m *Metrics) Poll(connectionID uint, side, result string) {
	m.Polls.Inc(ID(connectionID), side, result)
}

// Reconcile counts one reconcile of a twin of the connection.
func (m *Metrics) Reconcile(connectionID uint, result string) {
	m.Reconciles.Inc(ID(connectionID), result)
}

// Error counts one failed task by class.
func (m *Metrics) Error(class, task string) { m.Errors.Inc(class, task) }

// Task records how long one task took.
func (m *Metrics) Task(task string, d time.Duration) { m.TaskSeconds.Observe(d.Seconds(), task) }

// SyncLag records the delay of one hop: a change made on the source side at its Jira `updated`,
// written to the other side now. Clock skew between Jira and us can make it negative: it counts
// as 0.
func (m *Metrics) SyncLag(connectionID uint, direction string, d time.Duration) {
	m.Lag.Observe(max(d, 0).Seconds(), ID(connectionID), direction)
}

// ObserveJira is the Jira client's Observer (engine.ClientPool.Observer): one count per HTTP call.
func (m *Metrics) ObserveJira(c jira.Call) {
	m.JiraCalls.Inc(c.Instance, c.Method, c.Endpoint, strconv.Itoa(c.Status))
	m.JiraSeconds.Observe(c.Duration.Seconds(), c.Instance)
}

// Handler serves every family with promhttp (the Prometheus text format unless the scraper asks
// for another).
func (m *Metrics) Handler() http.Handler { return m.Registry.Handler() }

// TokenOK reports whether an Authorization header carries the bearer token, compared in constant
// time. An empty token never matches.
func TokenOK(header, token string) bool {
	got, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

// Protect serves h only to requests with the bearer token; the rest get 401. With an empty token
// it serves everyone (the worker's metrics listener, bound to a private address by the operator).
func Protect(h http.Handler, token string) http.Handler {
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !TokenOK(r.Header.Get("Authorization"), token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="airlock metrics"`)
			http.Error(w, "a valid bearer token (AIRLOCK_METRICS_TOKEN) is required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
