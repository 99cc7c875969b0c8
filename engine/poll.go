package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// PollOverlap is subtracted from the watermark in every poll query: JQL literals have minute
// precision and search lags writes.
const PollOverlap = 2 * time.Minute

// IndexLagAllowance is how far behind Jira's clock the watermark stays: a change made this long
// before a search may still be missing from its answer (Jira indexes after the write), so the
// next poll looks at it again.
const IndexLagAllowance = 30 * time.Second

// DefaultPollInterval is a connection's poll period when it sets none.
const DefaultPollInterval = 5 * time.Second

// PollResult says what one poll found.
type PollResult struct {
	Hits    int    // issues the search returned
	Dirty   []uint // twins marked dirty (including new pending twins)
	Created int    // pending-create twins made
	Adopted int    // issues linked to an existing twin from their airlock.twin property
}

// PollInterval is the effective poll period of a connection.
func (e *Engine) PollInterval(c *models.Connection) time.Duration {
	min := e.MinPollInterval
	if min <= 0 {
		min = time.Second
	}
	d := time.Duration(c.PollIntervalMS) * time.Millisecond
	if c.PollIntervalMS <= 0 {
		d = DefaultPollInterval
	}
	return max(d, min)
}

// PollJQL is the poll query of one side: the scope, the window from the watermark minus the
// overlap (a literal in the sync user's zone), newest first in a stable order, so the scan can
// stop at what an earlier poll already saw.
func PollJQL(project, issueTypes, extra string, from time.Time, loc *time.Location) string {
	return ScopeJQL(project, issueTypes, extra) + " AND updated >= " + jira.JQLTime(from, loc) + " ORDER BY updated DESC, key DESC"
}

func quoteJQL(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Poll runs one poll of a connection side: search the scope since the watermark, then in one
// transaction mark changed twins dirty, make pending twins for new issues, and advance the
// watermark to the newest `updated` seen; then enqueue the reconciles. Paused and draft
// connections do nothing; a connection whose scope overlaps an older one's without allowance
// fails with a config error and makes no twin (see ownership.go).
func (e *Engine) Poll(ctx context.Context, connID uint, side string) (*PollResult, error) {
	l, err := e.loadLink(ctx, connID)
	if errors.Is(err, ErrNotFound) {
		return &PollResult{}, nil // deleted since the poll was queued
	}
	if err != nil {
		return nil, err
	}
	start := e.now()
	res, err := e.poll(ctx, l, side)
	now := e.now()
	next := nextPoll(start, now, e.PollInterval(l.Conn), l.inst(side).Role == models.RoleRelay)
	upd := map[string]any{"last_poll_at": now, "next_poll_at": next}
	if err != nil {
		upd["last_error"] = clip(err.Error())
		e.noteAuthFailure(ctx, l, err)
	} else {
		upd["last_error"] = ""
		upd["last_poll_ok"] = now
	}
	if uerr := e.ensureWatermark(ctx, connID, side); uerr == nil {
		e.DB.WithContext(context.WithoutCancel(ctx)).Model(&models.Watermark{}).
			Where("connection_id = ? AND side = ?", connID, side).Updates(upd)
	}
	if err != nil {
		return nil, fmt.Errorf("poll %s side of %s: %w", side, l.Conn.Name, err)
	}
	inst := l.inst(side)
	e.DB.WithContext(ctx).Model(&models.Instance{}).Where("id = ?", inst.ID).
		UpdateColumns(map[string]any{"last_ok_at": now, "consecutive_errors": 0})
	for _, id := range res.Dirty {
		if e.Enqueuer == nil {
			break
		}
		if err := e.Enqueuer.EnqueueReconcile(ctx, id, connID); err != nil {
			e.log().Warn("cannot enqueue reconcile; the sweeper will", "twin", id, "err", err)
		}
	}
	return res, nil
}

// nextPoll is when a side whose poll started at start (and ended at now) is due again. Polls
// keep to a grid of the interval on the wall clock, so a side polls every interval however long
// each poll takes and however late the sweeper saw it: private sides at whole multiples of the
// interval, relay sides half an interval later. Two nodes never talk, but their clocks agree
// (NTP), so a change node A carries to the relay right after its poll of A is found by node B's
// poll of the relay half an interval later, instead of a whole interval later when both poll
// in step (the fixed second hop measured by `bench lag`).
func nextPoll(start, now time.Time, interval time.Duration, relay bool) time.Time {
	var offset time.Duration
	if relay {
		offset = interval / 2
	}
	// The grid point this poll belongs to (the last one at or before its start), plus one.
	slot := start.Add(-offset).Truncate(interval).Add(offset)
	next := slot.Add(interval)
	for !next.After(now) { // a poll longer than the interval: the next free slot
		next = next.Add(interval)
	}
	return next
}

func (e *Engine) ensureWatermark(ctx context.Context, connID uint, side string) error {
	return e.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&models.Watermark{ConnectionID: connID, Side: side}).Error
}

func (e *Engine) poll(ctx context.Context, l *link, side string) (*PollResult, error) {
	if !l.Conn.Syncing() {
		return &PollResult{}, nil
	}
	if err := e.checkOwnership(ctx, l.Conn); err != nil {
		return nil, err
	}
	j, err := e.client(ctx, l, side)
	if err != nil {
		return nil, err
	}
	loc, err := e.location(ctx, l.inst(side), j)
	if err != nil {
		return nil, err
	}
	if err := e.ensureWatermark(ctx, l.Conn.ID, side); err != nil {
		return nil, fmt.Errorf("watermark: %w", err)
	}
	var wm models.Watermark
	if err := e.DB.WithContext(ctx).Where("connection_id = ? AND side = ?", l.Conn.ID, side).First(&wm).Error; err != nil {
		return nil, fmt.Errorf("watermark: %w", err)
	}
	from := e.now() // the first poll only: later windows start at Jira's own time
	if wm.Cursor != nil {
		from = *wm.Cursor
	}
	jql := PollJQL(l.project(side), l.issueTypes(side), l.extraJQL(side), from.Add(-PollOverlap), loc)
	// Newest first: once a page reaches back before the watermark, everything older was seen by
	// an earlier poll, so an idle side costs one search however large the last batch was.
	var served time.Time
	hits, err := j.SearchAll(ctx, jira.SearchQuery{JQL: jql, MaxResults: 100, Fields: []string{"updated", "created", "security"},
		Properties: []string{TwinProperty}}, jira.SearchAllOptions{Overlap: 5, Page: func(p *jira.SearchPage) bool {
		if served.IsZero() {
			served = p.ServerTime
		}
		if wm.Cursor == nil || len(p.Issues) == 0 {
			return false
		}
		oldest, ok := p.Issues[len(p.Issues)-1].Updated()
		return ok && oldest.Before(*wm.Cursor)
	}})
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	// Overlapping pages return an issue that changed during the scan once per version: keep the
	// newest, so one issue makes at most one pending twin.
	hits = latestPerIssue(hits)
	res := &PollResult{Hits: len(hits)}
	ids := make([]string, 0, len(hits))
	for i := range hits {
		ids = append(ids, hits[i].ID)
	}
	col := "local_issue_id"
	if side == models.SideRemote {
		col = "remote_issue_id"
	}
	byIssue := map[string]*models.Twin{}
	for chunk := range chunks(ids, 500) {
		var twins []models.Twin
		if err := e.DB.WithContext(ctx).Where("connection_id = ? AND "+col+" IN ?", l.Conn.ID, chunk).Find(&twins).Error; err != nil {
			return nil, fmt.Errorf("load twins: %w", err)
		}
		for i := range twins {
			byIssue[*twinIssueID(&twins[i], side)] = &twins[i]
		}
	}
	// Issues without a twin: read their link before the transaction (Jira calls stay outside it).
	links := map[string]TwinLink{}
	for i := range hits {
		if byIssue[hits[i].ID] != nil {
			continue
		}
		lk, found, err := readLink(ctx, j, &hits[i], l.Key)
		if err != nil {
			return nil, err
		}
		if found {
			links[hits[i].ID] = lk
		}
	}
	now := e.now()
	err = e.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cursor time.Time
		if wm.Cursor != nil {
			cursor = *wm.Cursor
		}
		for i := range hits {
			h := &hits[i]
			upd, _ := h.Updated()
			cursor = later(cursor, upd)
			tw := byIssue[h.ID]
			if _, linked := links[h.ID]; tw == nil && !linked && untouchedSinceActivation(l.Conn, upd) {
				continue // existing before activation and not changed since: only a backfill brings it
			}
			if tw == nil && l.Rules.Security.KeepsHome(h, side) != "" {
				continue // a security level keeps it home (engine/security.go)
			}
			if tw == nil {
				id, made, adopted, err := e.newHit(ctx, tx, l, side, h, links, now)
				if err != nil {
					return err
				}
				if id != 0 {
					res.Dirty = append(res.Dirty, id)
				}
				if made {
					res.Created++
				}
				if adopted {
					res.Adopted++
				}
				continue
			}
			if tw.State == models.TwinUnlinked {
				continue
			}
			seen := twinUpdated(tw, side)
			if seen != nil && !upd.After(*seen) {
				continue // our own echo, or already seen
			}
			q := tx.Model(&models.Twin{}).Where("id = ?", tw.ID)
			if tw.Dirty {
				if err := q.Update("dirty", true).Error; err != nil {
					return err
				}
			} else if err := q.Updates(map[string]any{"dirty": true, "dirty_since": now}).Error; err != nil {
				return err
			}
			if tw.State != models.TwinQuarantined {
				res.Dirty = append(res.Dirty, tw.ID)
			}
		}
		// The watermark: Jira's time of the search, less the index lag allowance (every change
		// older than that has been seen), never moving back. Without a Date header: the newest
		// `updated` seen.
		if !served.IsZero() {
			cursor = served.Add(-IndexLagAllowance)
			if wm.Cursor != nil {
				cursor = later(*wm.Cursor, cursor)
			}
		}
		wmUpd := map[string]any{}
		if !cursor.IsZero() {
			wmUpd["cursor"] = cursor.UTC()
		} else {
			wmUpd["cursor"] = from.UTC() // first poll of a quiet side: start here, never import history
		}
		return tx.Model(&models.Watermark{}).Where("id = ?", wm.ID).Updates(wmUpd).Error
	})
	if err != nil {
		return nil, fmt.Errorf("record poll: %w", err)
	}
	return res, nil
}

// untouchedSinceActivation reports whether an issue last updated at upd existed, unchanged, when
// the connection was activated (an activation "only what changes from now on").
func untouchedSinceActivation(c *models.Connection, upd time.Time) bool {
	return c.ActivatedAt != nil && !upd.IsZero() && upd.Before(*c.ActivatedAt)
}

// newHit handles a search hit that no twin of this connection knows: adopt it into the twin its
// airlock.twin link names, rebuild that twin when the database lost it, or make a pending twin.
func (e *Engine) newHit(ctx context.Context, tx *gorm.DB, l *link, side string, h *jira.Issue, links map[string]TwinLink, now time.Time) (id uint, made, adopted bool, err error) {
	idCol, keyCol := "local_issue_id", "local_key"
	if side == models.SideRemote {
		idCol, keyCol = "remote_issue_id", "remote_key"
	}
	if lk, ok := links[h.ID]; ok && lk.SyncID != "" {
		var tw models.Twin
		q := tx.Where("connection_id = ? AND sync_id = ?", l.Conn.ID, lk.SyncID).Limit(1).Find(&tw)
		if q.Error != nil {
			return 0, false, false, q.Error
		}
		if q.RowsAffected > 0 {
			if tw.State == models.TwinUnlinked || twinIssueID(&tw, side) != nil {
				if twinIssueID(&tw, side) != nil && *twinIssueID(&tw, side) != h.ID {
					e.log().Warn("issue carries the sync id of a twin linked to another issue; left alone",
						"connection", l.Conn.Name, "issue", h.Key, "twin", tw.ID)
					if c, ok := h.Created(); ok && tw.State != models.TwinUnlinked && (tw.LastSyncedAt == nil || c.After(*tw.LastSyncedAt)) {
						// Made since the twin's last sync, its issue may be gone, replaced by this one
						// (a sub-task re-created under a new parent, engine/structure.go): the twin's
						// reconcile finds out, once.
						if err := tx.Model(&models.Twin{}).Where("id = ?", tw.ID).Updates(map[string]any{"dirty": true, "dirty_since": now}).Error; err != nil {
							return 0, false, false, err
						}
						return tw.ID, false, false, nil
					}
				}
				return 0, false, false, nil
			}
			// A pending twin stays pending: its reconcile finishes the create (status, comments,
			// baseline) and tells the source from the copy by their creation times.
			if err := tx.Model(&models.Twin{}).Where("id = ?", tw.ID).Updates(map[string]any{idCol: h.ID, keyCol: h.Key,
				"dirty": true, "dirty_since": now}).Error; err != nil {
				return 0, false, false, err
			}
			e.log().Info("adopted issue from its airlock.twin property", "connection", l.Conn.Name, "issue", h.Key, "twin", tw.ID)
			return tw.ID, false, true, nil
		}
		// The link names a twin this database does not have (it was lost): rebuild it rather
		// than create a duplicate on the other side.
		tw = models.Twin{ConnectionID: l.Conn.ID, SyncID: lk.SyncID, State: models.TwinActive, Dirty: true, DirtySince: &now}
		hid, pid := h.ID, lk.PeerID
		if side == models.SideLocal {
			tw.LocalIssueID, tw.LocalKey, tw.RemoteIssueID, tw.RemoteKey = &hid, h.Key, &pid, lk.PeerKey
		} else {
			tw.RemoteIssueID, tw.RemoteKey, tw.LocalIssueID, tw.LocalKey = &hid, h.Key, &pid, lk.PeerKey
		}
		// A sync id another connection holds (two connections between the same projects share
		// the link's key) is left alone; looked up first, because on Postgres a failed insert
		// would abort the poll's whole transaction.
		var taken int64
		if err := tx.Model(&models.Twin{}).Where("sync_id = ?", lk.SyncID).Count(&taken).Error; err != nil {
			return 0, false, false, err
		}
		if taken > 0 {
			return 0, false, false, nil
		}
		if err := tx.Create(&tw).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return 0, false, false, nil // the peer is already twinned: leave it to the operator
			}
			return 0, false, false, err
		}
		return tw.ID, false, true, nil
	}
	hid := h.ID
	tw := models.Twin{ConnectionID: l.Conn.ID, SyncID: uuid.NewString(), State: models.TwinPendingCreate, Dirty: true, DirtySince: &now}
	if side == models.SideLocal {
		tw.LocalIssueID, tw.LocalKey = &hid, h.Key
	} else {
		tw.RemoteIssueID, tw.RemoteKey = &hid, h.Key
	}
	if err := tx.Create(&tw).Error; err != nil {
		return 0, false, false, fmt.Errorf("pending twin for %s: %w", h.Key, err)
	}
	return tw.ID, true, false, nil
}

// location returns the sync user's time zone of an instance, reading /myself once and storing it.
func (e *Engine) location(ctx context.Context, inst *models.Instance, j Jira) (*time.Location, error) {
	if inst.TimeZone == "" {
		me, err := j.Myself(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the sync user's time zone: %w", err)
		}
		tz := me.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		inst.TimeZone = tz
		if err := e.DB.WithContext(ctx).Model(&models.Instance{}).Where("id = ?", inst.ID).UpdateColumn("time_zone", tz).Error; err != nil {
			return nil, fmt.Errorf("store time zone: %w", err)
		}
	}
	loc, err := time.LoadLocation(inst.TimeZone)
	if err != nil {
		return nil, configError("instance %s: unknown time zone %q", inst.Name, inst.TimeZone)
	}
	return loc, nil
}

func twinIssueID(t *models.Twin, side string) *string {
	if side == models.SideLocal {
		return t.LocalIssueID
	}
	return t.RemoteIssueID
}

func twinUpdated(t *models.Twin, side string) *time.Time {
	if side == models.SideLocal {
		return t.LocalUpdated
	}
	return t.RemoteUpdated
}

// chunks splits s into slices of at most n (SQL IN lists stay bounded).
func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// latestPerIssue keeps one hit per issue id, the one with the newest `updated`, in first-seen order.
func latestPerIssue(hits []jira.Issue) []jira.Issue {
	at := make(map[string]int, len(hits))
	out := hits[:0:0]
	for _, h := range hits {
		i, seen := at[h.ID]
		if !seen {
			at[h.ID] = len(out)
			out = append(out, h)
			continue
		}
		prev, _ := out[i].Updated()
		cur, _ := h.Updated()
		if cur.After(prev) {
			out[i] = h
		}
	}
	return out
}
