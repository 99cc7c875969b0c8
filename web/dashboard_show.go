package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// dashboardShow renders the dashboard page; its live part refreshes itself from dashboardLive.
func (s *Server) dashboardShow(c echo.Context) error {
	d, err := s.dashboardData(c)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, views.Dashboard(s.page(c, "Dashboard", RouteDashboard), d))
}

// dashboardLive renders only the live fragment, for htmx's every-5-seconds refresh.
func (s *Server) dashboardLive(c echo.Context) error {
	d, err := s.dashboardData(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return Render(c, http.StatusOK, views.DashboardLive(d))
}

// dashboardData gathers everything the dashboard shows: counts, topology, hops with lag and
// polls, errors by class, queue depth and the last 10 events.
func (s *Server) dashboardData(c echo.Context) (views.DashboardView, error) {
	ctx := c.Request().Context()
	now := time.Now().UTC()
	d := views.DashboardView{
		GeneratedAt: now, LiveURL: s.url(RouteDashboardLive), InstancesURL: s.url(RouteInstances),
		ConnectionsURL: s.url(RouteConnections), ErrorsURL: s.url(RouteErrors), ActivityURL: s.url(RouteActivity),
		TwinsURL: s.url(RouteTwins),
	}
	counts := []struct {
		dst   *int64
		model any
		where string
		args  []any
	}{
		{&d.Instances, &models.Instance{}, "", nil},
		{&d.Connections, &models.Connection{}, "", nil},
		{&d.Twins, &models.Twin{}, "state <> ?", []any{models.TwinUnlinked}},
		{&d.DirtyTwins, &models.Twin{}, "dirty = ? AND state IN ?", []any{true, waitingStates}},
		{&d.Quarantined, &models.Twin{}, "state = ?", []any{models.TwinQuarantined}},
		{&d.OpenErrors, &models.SyncError{}, "resolved_at IS NULL", nil},
		{&d.OpenConflicts, &models.Conflict{}, "decision = '' OR decision IS NULL", nil},
		{&d.Events24h, &models.Event{}, "at > ?", []any{now.Add(-24 * time.Hour)}},
	}
	for _, q := range counts {
		n, err := s.count(ctx, q.model, q.where, q.args...)
		if err != nil {
			return d, fmt.Errorf("dashboard: %w", err)
		}
		*q.dst = n
	}
	st, err := s.dashboardState(ctx, now)
	if err != nil {
		return d, fmt.Errorf("dashboard: %w", err)
	}
	d.Topology = st.topology()
	d.Hops = st.hopRows(s.url(RouteActivity), s.url(RouteErrors))
	if d.ErrorClasses, err = s.dashboardErrorClasses(ctx); err != nil {
		return d, fmt.Errorf("dashboard: %w", err)
	}
	if d.Recent, err = s.dashboardRecent(ctx); err != nil {
		return d, fmt.Errorf("dashboard: %w", err)
	}
	d.Queues, d.QueueNote = s.dashQueueDepth(ctx)
	return d, nil
}
