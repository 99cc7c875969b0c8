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
	d := views.ConnectionsData{Instances: int64(len(names)), NewURL: s.url(RouteConnectionNew), InstancesURL: s.url(RouteInstances),
		Next: s.url(RouteConnections)}
	for _, cn := range conns {
		st := stats[cn.ID]
		d.Rows = append(d.Rows, views.ConnListRow{
			Name: cn.Name, URL: s.connURL(RouteConnectionShow, cn.ID),
			Local: nameOr(names, cn.LocalInstanceID), Remote: nameOr(names, cn.RemoteInstanceID),
			LocalProject: cn.LocalProject, RemoteProject: cn.RemoteProject, Paused: cn.Paused, Draft: cn.Draft,
			ActivateURL: s.connURL(RouteConnectionActivate, cn.ID),
			PauseURL:    s.connURL(RouteConnectionPause, cn.ID), ResumeURL: s.connURL(RouteConnectionResume, cn.ID),
			Polls:       []views.ConnPollState{pollState(st, models.SideLocal), pollState(st, models.SideRemote)},
			Twins:       total(st.Twins) - st.Twins[models.TwinUnlinked],
			Quarantined: st.Twins[models.TwinQuarantined], OpenErrors: st.OpenErrors,
			TwinsURL: s.connFiltered(RouteTwins, cn.ID), ErrorsURL: s.connFiltered(RouteErrors, cn.ID),
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
