package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// connectionList renders the connections with their state, last poll per side, twin and error
// counts, or the empty state that says what to do first.
func (s *Server) connectionList(c echo.Context) error {
	ctx := c.Request().Context()
	var conns []models.Connection
	if err := s.db.WithContext(ctx).Order("name").Limit(listLimit).Find(&conns).Error; err != nil {
		return fmt.Errorf("list connections: %w", err)
	}
	names, err := s.instanceNames(ctx)
	if err != nil {
		return err
	}
	ids := make([]uint, 0, len(conns))
	for _, cn := range conns {
		ids = append(ids, cn.ID)
	}
	stats, err := s.connectionStats(ctx, ids)
	if err != nil {
		return err
	}
	instErrs, err := s.instanceErrors(ctx)
	if err != nil {
		return err
	}
	var blocked []models.Instance
	if err := s.db.WithContext(ctx).Select("id", "name").Where("auth_blocked = ?", true).Find(&blocked).Error; err != nil {
		return fmt.Errorf("list blocked instances: %w", err)
	}
	blockedName := map[uint]string{}
	for _, in := range blocked {
		blockedName[in.ID] = in.Name
	}
	own := s.ownFingerprint(ctx)
	d := views.ConnectionsData{Instances: int64(len(names)), NewURL: s.url(RouteConnectionNew), InstancesURL: s.url(RouteInstances),
		Next: s.url(RouteConnections)}
	for _, cn := range conns {
		st := stats[cn.ID]
		polls := []views.ConnPollState{pollState(st, models.SideLocal), pollState(st, models.SideRemote)}
		f := connFacts{Draft: cn.Draft, Paused: cn.Paused, Quarantined: st.Twins[models.TwinQuarantined], PollErrs: [2]string{polls[0].Error, polls[1].Error},
			OpenErrors: st.OpenErrors + instErrs[cn.LocalInstanceID]}
		if cn.RemoteInstanceID != cn.LocalInstanceID {
			f.OpenErrors += instErrs[cn.RemoteInstanceID]
		}
		f.Blocked = blockedName[cn.LocalInstanceID]
		if f.Blocked == "" {
			f.Blocked = blockedName[cn.RemoteInstanceID]
		}
		health, problem := connHealth(f)
		d.Rows = append(d.Rows, views.ConnListRow{Health: health, Problem: problem,
			Name: cn.Name, URL: s.connURL(RouteConnectionShow, cn.ID),
			Local: nameOr(names, cn.LocalInstanceID), Remote: nameOr(names, cn.RemoteInstanceID),
			LocalProject: cn.LocalProject, RemoteProject: cn.RemoteProject, Paused: cn.Paused, Draft: cn.Draft,
			ActivateURL: s.connURL(RouteConnectionActivate, cn.ID),
			PauseURL:    s.connURL(RouteConnectionPause, cn.ID), ResumeURL: s.connURL(RouteConnectionResume, cn.ID),
			Polls:       polls,
			Twins:       total(st.Twins) - st.Twins[models.TwinUnlinked],
			Quarantined: f.Quarantined, OpenErrors: f.OpenErrors,
			TwinsURL: s.connFiltered(RouteTwins, cn.ID), ErrorsURL: s.connFiltered(RouteErrors, cn.ID),
			Seal: s.sealSummary(&cn, false, own),
		})
	}
	return Render(c, http.StatusOK, views.Connections(s.page(c, "Connections", RouteConnections), d))
}

// pollState is one side's last poll for the views.
func pollState(st *connStats, side string) views.ConnPollState {
	w, ok := st.Watermarks[side]
	if !ok {
		return views.ConnPollState{Side: side}
	}
	ps := views.ConnPollState{Side: side, At: w.LastPollAt, OK: w.LastPollOK}
	// An error older than the last success is history, not the state.
	if w.LastError != "" && (w.LastPollOK == nil || w.LastPollAt == nil || w.LastPollAt.After(*w.LastPollOK)) {
		ps.Error = w.LastError
	}
	return ps
}
