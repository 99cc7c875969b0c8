package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/airlock-sync/airlock/models"
)

// QueueInspector is what the queue-depth gauges need of asynq's Inspector.
type QueueInspector interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// StateSource is where the scrape-time gauges come from. Queue may be nil (a process without a
// queue); then the queue gauges are left out, and likewise the database gauges without DB.
type StateSource struct {
	DB     *models.DB
	Queue  QueueInspector
	Queues []string
	Logger *slog.Logger
	// Timeout bounds the queries of one scrape (default 5 s).
	Timeout time.Duration
}

// WatchState adds gauges read at scrape time with a handful of grouped queries: twins by state,
// dirty twins and the age of the oldest, open errors by class, instance health, connections, and
// queue depth per queue and task state. Call it once per Metrics: a second call clashes with the
// first and panics (a programming error).
func (m *Metrics) WatchState(src StateSource) {
	if err := m.Registry.Register(newStateCollector(m.Registry, src)); err != nil {
		panic(fmt.Sprintf("metrics: %v", err))
	}
}

// stateCollector is the Collector of the scrape-time gauges: each scrape reads the database and
// the queue and reports what it read, so rows that no longer exist drop out by themselves.
type stateCollector struct {
	src     StateSource
	logger  *slog.Logger
	timeout time.Duration

	twins, dirty, quarantined, oldest, openErrs, up, consec, blocked, conns, queue, stateOK *prometheus.Desc
}

func newStateCollector(r *Registry, src StateSource) *stateCollector {
	c := &stateCollector{src: src, logger: src.Logger, timeout: src.Timeout}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.timeout <= 0 {
		c.timeout = 5 * time.Second
	}
	c.twins = r.desc("airlock_twins", "Twins by connection and state (pending-create, active, quarantined, unlinked).", "connection", "state")
	c.dirty = r.desc("airlock_twins_dirty", "Twins with a change not yet reconciled, by connection.", "connection")
	c.quarantined = r.desc("airlock_twins_quarantined", "Quarantined twins (config, data or repeated internal errors), by connection.", "connection")
	c.oldest = r.desc("airlock_twins_dirty_oldest_seconds", "Age of the oldest unreconciled change, by connection (0 when none): the lag that has not landed yet.", "connection")
	c.openErrs = r.desc("airlock_sync_errors_open", "Unresolved SyncError rows by class.", "class")
	c.up = r.desc("airlock_instance_up", "1 when the instance's last call succeeded and it is not blocked after a 401, else 0.", "instance")
	c.consec = r.desc("airlock_instance_consecutive_errors", "Consecutive failed calls to the instance.", "instance")
	c.blocked = r.desc("airlock_instance_auth_blocked", "1 while calls to the instance are stopped after an authentication failure.", "instance")
	c.conns = r.desc("airlock_connection_info", "Always 1: maps the connection label (its id) to its name; paused is true or false.", "connection", "name", "paused")
	c.queue = r.desc("airlock_queue_tasks", "Tasks in the asynq queue, by queue and state (pending, active, scheduled, retry, archived).", "queue", "state")
	c.stateOK = r.desc("airlock_state_scrape_ok", "1 when the scrape-time database and queue reads succeeded, else 0 (their gauges are then stale or missing).", "source")
	return c
}

// Describe sends every family the collector reports.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.twins, c.dirty, c.quarantined, c.oldest, c.openErrs, c.up, c.consec, c.blocked, c.conns, c.queue, c.stateOK} {
		ch <- d
	}
}

// Collect reads the state without a caller's context (bounded by the timeout alone); the
// Registry calls CollectContext instead.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.CollectContext(context.Background(), ch)
}

// CollectContext reads the database and the queue with ctx (bounded by the timeout) and sends
// the gauges. A failed read sends only airlock_state_scrape_ok 0 for its source.
func (c *stateCollector) CollectContext(ctx context.Context, ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if c.src.DB != nil {
		g := stateGauges{twins: samples{}, dirty: samples{}, quarantined: samples{}, oldest: samples{}, openErrs: samples{},
			up: samples{}, consec: samples{}, blocked: samples{}, conns: samples{}}
		if err := readState(ctx, c.src.DB, g); err != nil {
			c.logger.Warn("metrics: cannot read state", "err", err)
			ch <- gauge(c.stateOK, 0, "database")
		} else {
			for _, s := range []struct {
				d *prometheus.Desc
				s samples
			}{{c.twins, g.twins}, {c.dirty, g.dirty}, {c.quarantined, g.quarantined}, {c.oldest, g.oldest}, {c.openErrs, g.openErrs},
				{c.up, g.up}, {c.consec, g.consec}, {c.blocked, g.blocked}, {c.conns, g.conns}} {
				s.s.send(ch, s.d)
			}
			ch <- gauge(c.stateOK, 1, "database")
		}
	}
	if c.src.Queue == nil {
		return
	}
	// asynq creates a queue with its first task; GetQueueInfo on one that does not exist yet
	// fails with an error of its own (not ErrQueueNotFound), so list them first.
	existing, err := c.src.Queue.Queues()
	if err != nil {
		c.logger.Warn("metrics: cannot list queues", "err", err)
		ch <- gauge(c.stateOK, 0, "queue")
		return
	}
	ok := 1.0
	for _, name := range c.src.Queues {
		info := &asynq.QueueInfo{}
		if slices.Contains(existing, name) {
			info, err = c.src.Queue.GetQueueInfo(name)
			if err != nil {
				c.logger.Warn("metrics: cannot read queue", "queue", name, "err", err)
				ok = 0
				continue
			}
		}
		ch <- gauge(c.queue, float64(info.Pending), name, "pending")
		ch <- gauge(c.queue, float64(info.Active), name, "active")
		ch <- gauge(c.queue, float64(info.Scheduled), name, "scheduled")
		ch <- gauge(c.queue, float64(info.Retry), name, "retry")
		ch <- gauge(c.queue, float64(info.Archived), name, "archived")
	}
	ch <- gauge(c.stateOK, ok, "queue")
}

// gauge is one constant gauge sample; label values are made valid UTF-8 so it cannot fail.
func gauge(d *prometheus.Desc, v float64, values ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, labelValues(values, len(values))...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}

// samples accumulates the values of one gauge family by label values before they are sent, so
// each series goes out once.
type samples map[string]*sample

type sample struct {
	values []string
	v      float64
}

func (s samples) at(values []string) *sample {
	k := strings.Join(values, "\xff")
	p := s[k]
	if p == nil {
		p = &sample{values: values}
		s[k] = p
	}
	return p
}

// Set sets the value of the label values.
func (s samples) Set(v float64, values ...string) { s.at(values).v = v }

// Add adds v to the value of the label values.
func (s samples) Add(v float64, values ...string) { s.at(values).v += v }

func (s samples) send(ch chan<- prometheus.Metric, d *prometheus.Desc) {
	for _, p := range s {
		ch <- gauge(d, p.v, p.values...)
	}
}

type stateGauges struct {
	twins, dirty, quarantined, oldest, openErrs, up, consec, blocked, conns samples
}

func readState(ctx context.Context, db *models.DB, g stateGauges) error {
	now := time.Now()
	var cs []models.Connection
	if err := db.WithContext(ctx).Select("id", "name", "paused").Find(&cs).Error; err != nil {
		return fmt.Errorf("read connections: %w", err)
	}
	for _, c := range cs {
		paused := "false"
		if c.Paused {
			paused = "true"
		}
		g.conns.Set(1, ID(c.ID), c.Name, paused)
		g.dirty.Set(0, ID(c.ID))
		g.quarantined.Set(0, ID(c.ID))
		g.oldest.Set(0, ID(c.ID))
	}
	var rows []struct {
		ConnectionID uint
		State        string
		Dirty        bool
		N            int64
	}
	if err := db.WithContext(ctx).Model(&models.Twin{}).Select("connection_id, state, dirty, COUNT(*) AS n").
		Group("connection_id, state, dirty").Scan(&rows).Error; err != nil {
		return fmt.Errorf("count twins: %w", err)
	}
	for _, r := range rows {
		c := ID(r.ConnectionID)
		g.twins.Add(float64(r.N), c, r.State)
		if r.Dirty && r.State != models.TwinUnlinked && r.State != models.TwinQuarantined {
			g.dirty.Add(float64(r.N), c)
		}
		if r.State == models.TwinQuarantined {
			g.quarantined.Add(float64(r.N), c)
		}
	}
	for _, c := range cs {
		var tw models.Twin
		q := db.WithContext(ctx).Select("id", "dirty_since").
			Where("connection_id = ? AND dirty = ? AND dirty_since IS NOT NULL AND state IN ?", c.ID, true,
				[]string{models.TwinActive, models.TwinPendingCreate}).
			Order("dirty_since").Limit(1).Find(&tw)
		if q.Error != nil {
			return fmt.Errorf("find oldest dirty twin of connection %d: %w", c.ID, q.Error)
		}
		if q.RowsAffected > 0 && tw.DirtySince != nil {
			g.oldest.Set(max(now.Sub(*tw.DirtySince), 0).Seconds(), ID(c.ID))
		}
	}
	var errs []struct {
		Class string
		N     int64
	}
	if err := db.WithContext(ctx).Model(&models.SyncError{}).Select("class, COUNT(*) AS n").Where("resolved_at IS NULL").
		Group("class").Scan(&errs).Error; err != nil {
		return fmt.Errorf("count open sync errors: %w", err)
	}
	for _, cl := range []string{models.ClassTransient, models.ClassRateLimited, models.ClassAuth, models.ClassConfig, models.ClassData, models.ClassInternal} {
		g.openErrs.Set(0, cl)
	}
	for _, e := range errs {
		g.openErrs.Set(float64(e.N), e.Class)
	}
	var insts []models.Instance
	if err := db.WithContext(ctx).Select("id", "name", "last_ok_at", "last_error_at", "consecutive_errors", "auth_blocked").Find(&insts).Error; err != nil {
		return fmt.Errorf("read instances: %w", err)
	}
	for _, in := range insts {
		healthy := !in.AuthBlocked && in.ConsecutiveErrors == 0
		g.up.Set(b2f(healthy), in.Name)
		g.consec.Set(float64(in.ConsecutiveErrors), in.Name)
		g.blocked.Set(b2f(in.AuthBlocked), in.Name)
	}
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
