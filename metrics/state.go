package metrics

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/airlock-sync/airlock/models"
)

// QueueInspector is what the queue-depth gauges need of asynq's Inspector.
type QueueInspector interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// StateSource is where the scrape-time gauges come from. Queue may be nil (a process without a
// queue); then the queue gauges are left out.
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
// queue depth per queue and task state.
func (m *Metrics) WatchState(src StateSource) {
	r := m.Registry
	twins := r.Gauge("airlock_twins", "Twins by connection and state (pending-create, active, quarantined, unlinked).", "connection", "state")
	dirty := r.Gauge("airlock_twins_dirty", "Twins with a change not yet reconciled, by connection.", "connection")
	quarantined := r.Gauge("airlock_twins_quarantined", "Quarantined twins (config, data or repeated internal errors), by connection.", "connection")
	oldest := r.Gauge("airlock_twins_dirty_oldest_seconds", "Age of the oldest unreconciled change, by connection (0 when none): the lag that has not landed yet.", "connection")
	openErrs := r.Gauge("airlock_sync_errors_open", "Unresolved SyncError rows by class.", "class")
	up := r.Gauge("airlock_instance_up", "1 when the instance's last call succeeded and it is not blocked after a 401, else 0.", "instance")
	consec := r.Gauge("airlock_instance_consecutive_errors", "Consecutive failed calls to the instance.", "instance")
	blocked := r.Gauge("airlock_instance_auth_blocked", "1 while calls to the instance are stopped after an authentication failure.", "instance")
	conns := r.Gauge("airlock_connection_info", "Always 1: maps the connection label (its id) to its name; paused is true or false.", "connection", "name", "paused")
	queue := r.Gauge("airlock_queue_tasks", "Tasks in the asynq queue, by queue and state (pending, active, scheduled, retry, archived).", "queue", "state")
	stateOK := r.Gauge("airlock_state_scrape_ok", "1 when the scrape-time database and queue reads succeeded, else 0 (their gauges are then stale or missing).", "source")
	logger := src.Logger
	if logger == nil {
		logger = slog.Default()
	}
	timeout := src.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	r.OnScrape(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		for _, g := range []*GaugeVec{twins, dirty, quarantined, oldest, openErrs, up, consec, blocked, conns} {
			g.Reset()
		}
		if err := readState(ctx, src.DB, stateGauges{twins, dirty, quarantined, oldest, openErrs, up, consec, blocked, conns}); err != nil {
			logger.Warn("metrics: cannot read state", "err", err)
			stateOK.Set(0, "database")
		} else {
			stateOK.Set(1, "database")
		}
		if src.Queue == nil {
			return
		}
		queue.Reset()
		ok := 1.0
		// asynq creates a queue with its first task; GetQueueInfo on one that does not exist
		// yet fails with an error of its own (not ErrQueueNotFound), so list them first.
		existing, err := src.Queue.Queues()
		if err != nil {
			logger.Warn("metrics: cannot list queues", "err", err)
			stateOK.Set(0, "queue")
			return
		}
		for _, name := range src.Queues {
			info := &asynq.QueueInfo{}
			var err error
			if slices.Contains(existing, name) {
				info, err = src.Queue.GetQueueInfo(name)
			}
			if err != nil {
				logger.Warn("metrics: cannot read queue", "queue", name, "err", err)
				ok = 0
				continue
			}
			queue.Set(float64(info.Pending), name, "pending")
			queue.Set(float64(info.Active), name, "active")
			queue.Set(float64(info.Scheduled), name, "scheduled")
			queue.Set(float64(info.Retry), name, "retry")
			queue.Set(float64(info.Archived), name, "archived")
		}
		stateOK.Set(ok, "queue")
	})
}

type stateGauges struct {
	twins, dirty, quarantined, oldest, openErrs, up, consec, blocked, conns *GaugeVec
}

func readState(ctx context.Context, db *models.DB, g stateGauges) error {
	now := time.Now()
	var cs []models.Connection
	if err := db.WithContext(ctx).Select("id", "name", "paused").Find(&cs).Error; err != nil {
		return err
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
		return err
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
			return q.Error
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
		return err
	}
	for _, cl := range []string{models.ClassTransient, models.ClassRateLimited, models.ClassAuth, models.ClassConfig, models.ClassData, models.ClassInternal} {
		g.openErrs.Set(0, cl)
	}
	for _, e := range errs {
		g.openErrs.Set(float64(e.N), e.Class)
	}
	var insts []models.Instance
	if err := db.WithContext(ctx).Select("id", "name", "last_ok_at", "last_error_at", "consecutive_errors", "auth_blocked").Find(&insts).Error; err != nil {
		return err
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
