package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// twinHistoryRows is how many events the twin page shows (the rest are on the Activity page).
const twinHistoryRows = 25

// twinShow renders a twin: both issues read live side by side, each shared field's state, its
// open errors and conflicts, its history, and the Resync and Unlink actions.
func (s *Server) twinShow(c echo.Context) error {
	v, err := s.twinView(c, true)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, views.TwinShow(s.page(c, "Twin "+v.Label, RouteTwins), v))
}

// loadTwinParam reads the twin named by the :id path parameter; 404 when it does not exist.
func (s *Server) loadTwinParam(c echo.Context) (*models.Twin, error) {
	id, ok := twinParseID(c.Param("id"))
	if !ok {
		return nil, echo.NewHTTPError(http.StatusNotFound, "There is no such twin. It may have been removed; find it again by its issue key.")
	}
	var tw models.Twin
	q := s.db.WithContext(c.Request().Context()).Limit(1).Find(&tw, id)
	if q.Error != nil {
		return nil, fmt.Errorf("load twin %d: %w", id, q.Error)
	}
	if q.RowsAffected == 0 {
		return nil, echo.NewHTTPError(http.StatusNotFound, "There is no such twin. It may have been removed; find it again by its issue key.")
	}
	return &tw, nil
}

// twinView builds the twin page; live reads both issues through the engine.
func (s *Server) twinView(c echo.Context, live bool) (views.TwinView, error) {
	ctx := c.Request().Context()
	tw, err := s.loadTwinParam(c)
	if err != nil {
		return views.TwinView{}, err
	}
	id := strconv.FormatUint(uint64(tw.ID), 10)
	v := views.TwinView{ID: tw.ID, URL: s.twinURL(tw.ID), Label: twinLabel(tw.LocalKey, tw.RemoteKey), State: tw.State,
		Dirty: tw.Dirty, DirtySince: tw.DirtySince, LastSynced: tw.LastSyncedAt, LastError: tw.LastError,
		ResyncURL: s.e.Reverse(RouteTwinResync, id), UnlinkURL: s.e.Reverse(RouteTwinUnlinkConfirm, id),
		ListURL: s.url(RouteTwins), ConflictsURL: s.url(RouteConflicts), ErrorsURL: s.url(RouteErrors),
		HistoryURL: s.url(RouteActivity) + "?twin_id=" + id}
	if sess := currentSession(c); sess != nil {
		v.CSRF = sess.CSRFToken
	}
	var conn models.Connection
	if s.db.WithContext(ctx).Limit(1).Find(&conn, tw.ConnectionID).RowsAffected == 0 {
		conn.Name = fmt.Sprintf("#%d (removed)", tw.ConnectionID)
	}
	v.Connection = conn.Name
	insts := map[uint]models.Instance{}
	var rows []models.Instance
	if err := s.db.WithContext(ctx).Select("id", "name", "base_url").Where("id IN ?", []uint{conn.LocalInstanceID, conn.RemoteInstanceID}).Find(&rows).Error; err != nil {
		return v, fmt.Errorf("load instances: %w", err)
	}
	for _, r := range rows {
		insts[r.ID] = r
	}
	li, ri := insts[conn.LocalInstanceID], insts[conn.RemoteInstanceID]
	v.Local = views.TwinSide{Label: "Local", Instance: li.Name, Key: tw.LocalKey, URL: twinBrowseURL(li.BaseURL, tw.LocalKey),
		KeptHome: tw.LocalCommentsKeptHome}
	v.Remote = views.TwinSide{Label: "Remote", Instance: ri.Name, Key: tw.RemoteKey, URL: twinBrowseURL(ri.BaseURL, tw.RemoteKey),
		KeptHome: tw.RemoteCommentsKeptHome, Sealed: conn.Sealed}
	if !live {
		return v, nil
	}
	if err := s.twinLive(ctx, tw, &conn, &v); err != nil {
		return v, err
	}
	v.Chain = s.twinChain(ctx, tw, &v)
	v.Worklogs = s.twinWorklogs(ctx, tw, &v)
	if v.Links, err = s.twinLinks(ctx, tw, li.Name, ri.Name); err != nil {
		return v, err
	}
	if err := s.twinRecords(ctx, tw, &v); err != nil {
		return v, err
	}
	v.Skipped = s.twinSkippedFields(tw)
	return v, nil
}

// twinLive fills both sides and the field states from the engine's live read, or from the
// baseline alone (every state unknown) when the live read is impossible.
func (s *Server) twinLive(ctx context.Context, tw *models.Twin, conn *models.Connection, v *views.TwinView) error {
	if s.engine == nil {
		v.LiveError = "The issues cannot be read live: this console process runs without the sync engine. The values below are the baseline, as last agreed."
	} else {
		snap, err := s.engine.InspectTwin(ctx, tw.ID, 0)
		switch {
		case errors.Is(err, context.Canceled):
			return err
		case err != nil:
			s.log.Warn("twin page: live read failed", "twin", tw.ID, "err", err)
			v.LiveError = "The issues could not be read live: " + err.Error()
		default:
			for _, p := range []struct {
				dst *views.TwinSide
				src *engine.IssueSnapshot
			}{{&v.Local, &snap.Local}, {&v.Remote, &snap.Remote}} {
				twinSideFrom(p.dst, p.src)
			}
			v.Structure = twinStructureOf(snap)
			for _, f := range snap.Fields {
				base := f.BaseRemote
				if base == "" {
					base = f.BaseLocal
				}
				v.Fields = append(v.Fields, views.TwinField{Name: f.Name, Kind: f.Kind, Direction: f.Direction,
					Local: f.Local, Remote: f.Remote, Baseline: base, State: f.State, Note: f.Note})
			}
			return nil
		}
	}
	rules, err := engine.ParseRules(conn.Rules)
	if err != nil {
		return nil // the live error already says what is wrong
	}
	base, _ := engine.ParseBaseline(tw.Baseline)
	for _, f := range rules.Fields {
		dir := f.Direction
		if dir == "" {
			dir = engine.DirBoth
		}
		v.Fields = append(v.Fields, views.TwinField{Name: f.Name, Kind: f.Kind, Direction: dir,
			Local: base.Local[f.Name], Remote: base.Remote[f.Name], Baseline: base.Remote[f.Name], State: engine.FieldStateUnknown,
			Note: "not read live"})
	}
	return nil
}

// twinSideFrom copies one live side into the view, with the read error in words.
func twinSideFrom(dst *views.TwinSide, src *engine.IssueSnapshot) {
	if src.Key != "" {
		dst.Key = src.Key
		dst.URL = twinBrowseURL(src.BaseURL, src.Key)
	}
	if src.Err != nil {
		dst.Error = twinReadError(src.Instance, src.Err)
		return
	}
	dst.Summary = src.Summary()
	if st, ok := src.Issue.Status(); ok && st != nil {
		dst.Status = st.Name
	}
	if t, ok := src.Issue.Updated(); ok {
		dst.Updated = t.UTC().Format("2006-01-02 15:04 UTC")
	}
}

// twinReadError says why an issue could not be read, for an administrator.
func twinReadError(instance string, err error) string {
	var blocked *engine.AuthBlockedError
	switch {
	case errors.As(err, &blocked):
		return blocked.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("%s did not answer in time. It may be down or unreachable from this node; the values below could not be compared.", instance)
	case jira.IsNotFound(err):
		return fmt.Sprintf("The issue is not on %s any more (deleted, or the sync user lost access to it).", instance)
	}
	return fmt.Sprintf("Could not read the issue from %s: %v", instance, err)
}

// twinRecords adds the twin's open errors, pending conflicts and latest events.
func (s *Server) twinRecords(ctx context.Context, tw *models.Twin, v *views.TwinView) error {
	db := s.db.WithContext(ctx)
	var errs []models.SyncError
	if err := db.Where("twin_id = ? AND resolved_at IS NULL", tw.ID).Order("last_seen DESC").Limit(20).Find(&errs).Error; err != nil {
		return fmt.Errorf("list twin errors: %w", err)
	}
	for _, e := range errs {
		v.Errors = append(v.Errors, views.TwinErrorItem{Class: e.Class, Message: e.Message, Attempts: e.Attempts, LastSeen: e.LastSeen})
	}
	var conflicts []models.Conflict
	if err := db.Where("twin_id = ? AND applied_at IS NULL", tw.ID).Order("id").Find(&conflicts).Error; err != nil {
		return fmt.Errorf("list twin conflicts: %w", err)
	}
	for _, cf := range conflicts {
		v.Conflicts = append(v.Conflicts, views.TwinConflictItem{Field: cf.Field, Local: cf.LocalValue, Remote: cf.RemoteValue, Decision: cf.Decision})
	}
	if err := db.Model(&models.Event{}).Where("twin_id = ?", tw.ID).Count(&v.HistoryTotal).Error; err != nil {
		return fmt.Errorf("count twin events: %w", err)
	}
	var evs []models.Event
	if err := db.Where("twin_id = ?", tw.ID).Order("at DESC, id DESC").Limit(twinHistoryRows).Find(&evs).Error; err != nil {
		return fmt.Errorf("list twin events: %w", err)
	}
	for _, e := range evs {
		v.History = append(v.History, views.TwinHistoryItem{At: e.At, Direction: e.Direction, Kind: e.Kind, Field: e.Field,
			OldVal: e.OldValue, NewVal: e.NewValue})
	}
	return nil
}
