package web

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
	"github.com/airlock-sync/airlock/workers"
)

// Lag, as the dashboard shows it (DESIGN.md: "per-hop lag"):
//
// The engine records an Event (At = the node's clock when it wrote) for every value it carries,
// and stores on the twin each side's Jira `updated` after each reconcile (LocalUpdated,
// RemoteUpdated). For a value carried local->remote, the source is the local issue, which the
// reconcile did not write, so LocalUpdated is the `updated` of the change that was carried.
// Hence, for each twin and direction, the latest event of the last hour gives one sample:
//
//	lag = event.At - twin.<source>Updated
//
// A sample is skipped when the source's `updated` is later than the event (the source changed
// again since, or was written by a later reconcile, so the pair no longer describes that
// crossing), and when it is earlier than the twin's creation (an issue that existed before
// Airlock first saw it: its age is not lag). Jira's clock and the node's clock are compared, so
// skew between them shows up in the figure. At most dashLagEventCap events of the hour are read.
const (
	dashLagWindow   = time.Hour
	dashLagEventCap = 5000
)

// dashLagStats summarises the lag samples of one connection.
type dashLagStats struct {
	samples     []time.Duration
	median, max time.Duration
}

func (l *dashLagStats) finish() {
	if len(l.samples) == 0 {
		return
	}
	slices.Sort(l.samples)
	l.median = l.samples[len(l.samples)/2]
	l.max = l.samples[len(l.samples)-1]
}

// dashState is what the dashboard knows about this node's instances and connections.
type dashState struct {
	insts      []models.Instance
	conns      []models.Connection
	marks      map[uint]map[string]models.Watermark // connection -> side
	openErrs   map[uint]int64                       // connection -> open errors
	connProb   map[uint]string                      // connection -> latest open error without a twin
	crossed1h  map[uint]int64
	lag        map[uint]*dashLagStats
	instByID   map[uint]*models.Instance
	connFailed map[uint]string
	quarant    map[uint]int64 // connection -> quarantined twins
	waiting    map[uint]dashWaiting
}

// dashWaiting is what a connection still has to carry: the twins waiting to sync (the tile's
// definition, waitingStates) and how long the oldest has waited. The lag figures show it beside
// the lag of delivered changes, so a stalled hop never looks fast.
type dashWaiting struct {
	n      int64
	oldest time.Duration
}

// waitingStates are the twin states whose dirty flag means "a change waits to be carried"
// (a quarantined twin waits for an operator, not for the sync).
var waitingStates = []string{models.TwinActive, models.TwinPendingCreate}

func (s *Server) dashboardState(ctx context.Context, now time.Time) (*dashState, error) {
	db := s.db.WithContext(ctx)
	st := &dashState{marks: map[uint]map[string]models.Watermark{}, openErrs: map[uint]int64{}, connProb: map[uint]string{},
		crossed1h: map[uint]int64{}, lag: map[uint]*dashLagStats{}, instByID: map[uint]*models.Instance{}, connFailed: map[uint]string{},
		quarant: map[uint]int64{}, waiting: map[uint]dashWaiting{}}
	if err := db.Order("id").Find(&st.insts).Error; err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	for i := range st.insts {
		st.instByID[st.insts[i].ID] = &st.insts[i]
	}
	if err := db.Order("id").Find(&st.conns).Error; err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	var wms []models.Watermark
	if err := db.Find(&wms).Error; err != nil {
		return nil, fmt.Errorf("list watermarks: %w", err)
	}
	for _, w := range wms {
		if st.marks[w.ConnectionID] == nil {
			st.marks[w.ConnectionID] = map[string]models.Watermark{}
		}
		st.marks[w.ConnectionID][w.Side] = w
	}
	var perConn []struct {
		ConnectionID *uint
		N            int64
	}
	if err := db.Model(&models.SyncError{}).Select("connection_id, COUNT(*) AS n").Where("resolved_at IS NULL").
		Group("connection_id").Scan(&perConn).Error; err != nil {
		return nil, fmt.Errorf("count errors per connection: %w", err)
	}
	for _, r := range perConn {
		if r.ConnectionID != nil {
			st.openErrs[*r.ConnectionID] = r.N
		}
	}
	instErrs, err := s.instanceErrors(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range st.conns {
		st.openErrs[c.ID] += instErrs[c.LocalInstanceID]
		if c.RemoteInstanceID != c.LocalInstanceID {
			st.openErrs[c.ID] += instErrs[c.RemoteInstanceID]
		}
	}
	var quar []struct {
		ConnectionID uint
		N            int64
	}
	if err := db.Model(&models.Twin{}).Select("connection_id, COUNT(*) AS n").Where("state = ?", models.TwinQuarantined).
		Group("connection_id").Scan(&quar).Error; err != nil {
		return nil, fmt.Errorf("count quarantined twins: %w", err)
	}
	for _, r := range quar {
		st.quarant[r.ConnectionID] = r.N
	}
	var dirty []struct {
		ConnectionID uint
		N            int64
	}
	if err := db.Model(&models.Twin{}).Select("connection_id, COUNT(*) AS n").Where("dirty = ? AND state IN ?", true, waitingStates).
		Group("connection_id").Scan(&dirty).Error; err != nil {
		return nil, fmt.Errorf("count waiting twins: %w", err)
	}
	for _, r := range dirty {
		w := dashWaiting{n: r.N}
		var oldest models.Twin
		if err := db.Select("dirty_since").Where("connection_id = ? AND dirty = ? AND state IN ? AND dirty_since IS NOT NULL", r.ConnectionID, true, waitingStates).
			Order("dirty_since").Limit(1).Find(&oldest).Error; err != nil {
			return nil, fmt.Errorf("oldest waiting twin: %w", err)
		}
		if oldest.DirtySince != nil {
			w.oldest = max(now.Sub(*oldest.DirtySince), 0)
		}
		st.waiting[r.ConnectionID] = w
	}
	var connErrs []models.SyncError
	if err := db.Select("connection_id", "message", "last_seen").Where("resolved_at IS NULL AND twin_id IS NULL AND connection_id IS NOT NULL").
		Order("last_seen DESC").Limit(100).Find(&connErrs).Error; err != nil {
		return nil, fmt.Errorf("list connection errors: %w", err)
	}
	for _, e := range connErrs {
		if _, seen := st.connProb[*e.ConnectionID]; !seen {
			st.connProb[*e.ConnectionID] = e.Message
		}
	}
	var crossed []struct {
		ConnectionID uint
		N            int64
	}
	if err := db.Model(&models.Event{}).Select("connection_id, COUNT(*) AS n").Where("at > ?", now.Add(-dashLagWindow)).
		Group("connection_id").Scan(&crossed).Error; err != nil {
		return nil, fmt.Errorf("count recent events: %w", err)
	}
	for _, r := range crossed {
		st.crossed1h[r.ConnectionID] = r.N
	}
	if err := s.dashboardLag(ctx, now, st.lag); err != nil {
		return nil, err
	}
	for _, c := range st.conns {
		// Judged as if active, so a paused hop's picture still tells what waits for it.
		active := c
		active.Paused = false
		if h, p := st.health(active); h == "failing" {
			st.connFailed[c.ID] = p
		}
	}
	return st, nil
}

// dashboardLag fills per-connection lag samples (see the comment on dashLagWindow).
func (s *Server) dashboardLag(ctx context.Context, now time.Time, out map[uint]*dashLagStats) error {
	db := s.db.WithContext(ctx)
	var evs []models.Event
	if err := db.Select("twin_id", "connection_id", "direction", "at").
		Where("at > ? AND kind NOT IN ?", now.Add(-dashLagWindow), []string{"delete", "link"}).
		Order("at DESC").Limit(dashLagEventCap).Find(&evs).Error; err != nil {
		return fmt.Errorf("list recent events: %w", err)
	}
	type key struct {
		twin uint
		dir  string
	}
	latest := map[key]models.Event{}
	var ids []uint
	for _, e := range evs {
		k := key{e.TwinID, e.Direction}
		if _, ok := latest[k]; ok {
			continue // events are newest first
		}
		latest[k] = e
		ids = append(ids, e.TwinID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	twins := map[uint]models.Twin{}
	for start := 0; start < len(ids); start += 500 {
		var ts []models.Twin
		if err := db.Select("id", "local_updated", "remote_updated", "created_at").Where("id IN ?", ids[start:min(start+500, len(ids))]).
			Find(&ts).Error; err != nil {
			return fmt.Errorf("load twins for lag: %w", err)
		}
		for _, t := range ts {
			twins[t.ID] = t
		}
	}
	for k, e := range latest {
		t, ok := twins[k.twin]
		if !ok {
			continue
		}
		if d, ok := dashLagSample(e, t); ok {
			if out[e.ConnectionID] == nil {
				out[e.ConnectionID] = &dashLagStats{}
			}
			out[e.ConnectionID].samples = append(out[e.ConnectionID].samples, d)
		}
	}
	for _, l := range out {
		l.finish()
	}
	return nil
}

// dashLagSample is one event's lag: its time minus the source issue's `updated`, when that pair
// still describes the crossing.
func dashLagSample(e models.Event, t models.Twin) (time.Duration, bool) {
	src := t.LocalUpdated
	if e.Direction == models.DirRemoteToLocal {
		src = t.RemoteUpdated
	}
	if src == nil || src.After(e.At) || src.Before(t.CreatedAt) {
		return 0, false
	}
	return e.At.Sub(*src), true
}

// health is the connection's verdict (connHealth), the same for the picture and the table.
func (st *dashState) health(c models.Connection) (string, string) {
	f := connFacts{Draft: c.Draft, Paused: c.Paused, Problem: st.connProb[c.ID], Quarantined: st.quarant[c.ID], OpenErrors: st.openErrs[c.ID]}
	for _, id := range []uint{c.LocalInstanceID, c.RemoteInstanceID} {
		if in := st.instByID[id]; in != nil && in.AuthBlocked && f.Blocked == "" {
			f.Blocked = in.Name
		}
	}
	for i, side := range []string{models.SideLocal, models.SideRemote} {
		if w, ok := st.marks[c.ID][side]; ok {
			f.PollErrs[i] = w.LastError
		}
	}
	return connHealth(f)
}

func dashInstanceHealth(in *models.Instance) string {
	switch {
	case in.AuthBlocked:
		return "blocked"
	case in.ConsecutiveErrors > 0:
		return "failing"
	case in.LastOKAt != nil:
		return "healthy"
	}
	return "untested"
}

// topology places this node's instances on the A - AB - B picture: the first relay in the
// middle, the private instances connected to it first on either side. A node with one private
// side (split deployment) draws the far side dashed as the other node's.
func (st *dashState) topology() views.TopoView {
	var relay *models.Instance
	for i := range st.insts {
		if st.insts[i].Role == models.RoleRelay {
			relay = &st.insts[i]
			break
		}
	}
	hopConns := func(p *models.Instance) []models.Connection {
		var out []models.Connection
		for _, cn := range st.conns {
			if relay != nil && ((cn.LocalInstanceID == p.ID && cn.RemoteInstanceID == relay.ID) ||
				(cn.LocalInstanceID == relay.ID && cn.RemoteInstanceID == p.ID)) {
				out = append(out, cn)
			}
		}
		return out
	}
	var linked, unlinked []*models.Instance
	for i := range st.insts {
		p := &st.insts[i]
		if p.Role == models.RoleRelay {
			continue
		}
		if len(hopConns(p)) > 0 {
			linked = append(linked, p)
		} else {
			unlinked = append(unlinked, p)
		}
	}
	private := append(linked, unlinked...)
	node := func(in *models.Instance, placeholder string) views.TopoNode {
		if in == nil {
			return views.TopoNode{Placeholder: placeholder, Missing: "not added"}
		}
		return views.TopoNode{Name: in.Name, Placeholder: placeholder, Health: dashInstanceHealth(in)}
	}
	hop := func(p *models.Instance) views.TopoHop {
		if p == nil {
			return views.TopoHop{}
		}
		cs := hopConns(p)
		h := views.TopoHop{Linked: len(cs) > 0, Paused: len(cs) > 0}
		var all dashLagStats
		for _, cn := range cs {
			h.Paused = h.Paused && cn.Paused
			if st.connFailed[cn.ID] != "" && !cn.Paused {
				h.Failing = true
			}
			if l := st.lag[cn.ID]; l != nil {
				all.samples = append(all.samples, l.samples...)
			}
		}
		all.finish()
		if len(all.samples) > 0 {
			h.Lag = dashFmtLag(all.median)
		}
		var wait dashWaiting
		for _, cn := range cs {
			w := st.waiting[cn.ID]
			wait.n += w.n
			wait.oldest = max(wait.oldest, w.oldest)
		}
		h.Waiting = dashFmtWaiting(wait)
		return h
	}
	t := views.TopoView{AB: node(relay, "Jira AB (relay)")}
	var a, b *models.Instance
	if len(private) > 0 {
		a = private[0]
	}
	if len(private) > 1 {
		b = private[1]
	}
	t.A, t.HopA = node(a, "Jira A"), hop(a)
	t.B, t.HopB = node(b, "Jira B"), hop(b)
	if b == nil && a != nil && relay != nil && t.HopA.Linked {
		t.B.Missing = "the other node's side"
		t.HopB.Missing = "synced by the other node"
	}
	return t
}

// hopRows lists every connection with its health, polls, lag and errors.
func (st *dashState) hopRows(activityURL, errorsURL string) []views.DashHop {
	rows := make([]views.DashHop, 0, len(st.conns))
	name := func(id uint) string {
		if in := st.instByID[id]; in != nil {
			return in.Name
		}
		return "#" + strconv.FormatUint(uint64(id), 10)
	}
	for _, c := range st.conns {
		id := strconv.FormatUint(uint64(c.ID), 10)
		h := views.DashHop{Name: c.Name, Local: name(c.LocalInstanceID), Remote: name(c.RemoteInstanceID), Health: "ok",
			OpenErrors: st.openErrs[c.ID], Crossed1h: st.crossed1h[c.ID],
			ActivityURL: activityURL + "?connection=" + id, ErrorsURL: errorsURL + "?connection=" + id}
		h.Health, h.Problem = st.health(c)
		if w, ok := st.marks[c.ID][models.SideLocal]; ok {
			h.LastPollLocal, h.PollErrLocal = w.LastPollAt, w.LastError
		}
		if w, ok := st.marks[c.ID][models.SideRemote]; ok {
			h.LastPollRemote, h.PollErrRemote = w.LastPollAt, w.LastError
		}
		if l := st.lag[c.ID]; l != nil && len(l.samples) > 0 {
			h.LagSamples, h.LagMedian, h.LagMax = len(l.samples), dashFmtLag(l.median), dashFmtLag(l.max)
		}
		h.Waiting, h.WaitingTwins = dashFmtWaiting(st.waiting[c.ID]), st.waiting[c.ID].n
		rows = append(rows, h)
	}
	return rows
}

// dashFmtWaiting is "3 waiting, oldest 2m 10s", or "" when nothing waits.
func dashFmtWaiting(w dashWaiting) string {
	if w.n == 0 {
		return ""
	}
	return fmt.Sprintf("%d waiting, oldest %s", w.n, dashFmtLag(w.oldest))
}

// dashFmtLag shows a duration the way an operator reads it: "4s", "2m 10s", "3h 5m".
func dashFmtLag(d time.Duration) string {
	switch {
	case d < time.Second:
		return "<1s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
}

// dashboardErrorClasses counts open errors per class.
func (s *Server) dashboardErrorClasses(ctx context.Context) ([]views.DashClassCount, error) {
	var rows []struct {
		Class string
		N     int64
	}
	if err := s.db.WithContext(ctx).Model(&models.SyncError{}).Select("class, COUNT(*) AS n").Where("resolved_at IS NULL").
		Group("class").Order("class").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count errors by class: %w", err)
	}
	out := make([]views.DashClassCount, 0, len(rows))
	for _, r := range rows {
		out = append(out, views.DashClassCount{Class: r.Class, N: r.N})
	}
	return out, nil
}

// dashboardRecent is the last 10 events with their twins.
func (s *Server) dashboardRecent(ctx context.Context) ([]views.DashEvent, error) {
	var evs []models.Event
	if err := s.db.WithContext(ctx).Order("at DESC, id DESC").Limit(10).Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("list recent events: %w", err)
	}
	ids := make([]uint, 0, len(evs))
	for _, e := range evs {
		ids = append(ids, e.TwinID)
	}
	labels, err := s.twinLabels(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]views.DashEvent, 0, len(evs))
	for _, e := range evs {
		out = append(out, views.DashEvent{At: e.At, Twin: nameOr(labels, e.TwinID), TwinURL: s.twinURL(e.TwinID),
			Direction: e.Direction, Kind: e.Kind, Field: e.Field, Value: e.NewValue})
	}
	return out, nil
}

// dashQueueTimeout bounds the queue read so an unreachable Redis cannot hold the dashboard.
const dashQueueTimeout = 2 * time.Second

// dashQueueDepth reads the sync, poll and default queues through an asynq Inspector, or says why
// it cannot.
func (s *Server) dashQueueDepth(ctx context.Context) ([]views.DashQueue, string) {
	insp := s.inspector()
	if insp == nil {
		return nil, "Queue depth is not available in this console process (it has no access to the job queue)."
	}
	type answer struct {
		qs  []views.DashQueue
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		var a answer
		known, err := insp.Queues()
		if err != nil {
			ch <- answer{err: err}
			return
		}
		for _, name := range []string{workers.QueueSync, workers.QueuePoll, workers.QueueDefault} {
			if !slices.Contains(known, name) {
				a.qs = append(a.qs, views.DashQueue{Name: name}) // nothing was ever queued there
				continue
			}
			info, err := insp.GetQueueInfo(name)
			if err != nil {
				a.err = err
				break
			}
			q := views.DashQueue{Name: name, Pending: info.Pending, Active: info.Active, Scheduled: info.Scheduled,
				Retry: info.Retry, Archived: info.Archived}
			if info.Pending > 0 && info.Latency > 0 {
				q.Latency = dashFmtLag(info.Latency)
			}
			a.qs = append(a.qs, q)
		}
		ch <- a
	}()
	select {
	case a := <-ch:
		if a.err != nil {
			s.log.Warn("dashboard: cannot read queue depth", "err", a.err)
			return nil, "The queue (Redis) did not answer: queue depth is unknown right now."
		}
		return a.qs, ""
	case <-time.After(dashQueueTimeout):
		return nil, "The queue (Redis) did not answer within 2 seconds: queue depth is unknown right now."
	case <-ctx.Done():
		return nil, "Queue depth was not read: the request ended."
	}
}
