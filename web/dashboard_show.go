package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// dashboardShow renders the counts and the A - AB - B picture.
func (s *Server) dashboardShow(c echo.Context) error {
	ctx := c.Request().Context()
	d := views.DashboardData{InstancesURL: s.url(RouteInstances), ConnectionsURL: s.url(RouteConnections)}
	counts := []struct {
		dst   *int64
		model any
		where string
		args  []any
	}{
		{&d.Instances, &models.Instance{}, "", nil},
		{&d.Connections, &models.Connection{}, "", nil},
		{&d.Twins, &models.Twin{}, "state <> ?", []any{models.TwinUnlinked}},
		{&d.DirtyTwins, &models.Twin{}, "dirty = ?", []any{true}},
		{&d.Quarantined, &models.Twin{}, "state = ?", []any{models.TwinQuarantined}},
		{&d.OpenErrors, &models.SyncError{}, "resolved_at IS NULL", nil},
		{&d.OpenConflicts, &models.Conflict{}, "decision = '' OR decision IS NULL", nil},
		{&d.Events24h, &models.Event{}, "at > ?", []any{time.Now().UTC().Add(-24 * time.Hour)}},
	}
	for _, q := range counts {
		n, err := s.count(ctx, q.model, q.where, q.args...)
		if err != nil {
			return fmt.Errorf("dashboard: %w", err)
		}
		*q.dst = n
	}
	topo, err := s.topology(c)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	d.Topology = topo
	return Render(c, http.StatusOK, views.Dashboard(s.page(c, "Dashboard", RouteDashboard), d))
}

// topology places this node's instances on the A - AB - B picture: the first relay in the
// middle, private instances on either side, a hop drawn when a connection links them.
func (s *Server) topology(c echo.Context) (views.Topology, error) {
	ctx := c.Request().Context()
	var insts []models.Instance
	if err := s.db.WithContext(ctx).Order("id").Find(&insts).Error; err != nil {
		return views.Topology{}, fmt.Errorf("list instances: %w", err)
	}
	var conns []models.Connection
	if err := s.db.WithContext(ctx).Order("id").Find(&conns).Error; err != nil {
		return views.Topology{}, fmt.Errorf("list connections: %w", err)
	}
	var relay *models.Instance
	var private []*models.Instance
	for i := range insts {
		if insts[i].Role == models.RoleRelay && relay == nil {
			relay = &insts[i]
		} else if insts[i].Role != models.RoleRelay {
			private = append(private, &insts[i])
		}
	}
	unhealthy := func(i *models.Instance) bool { return i.AuthBlocked || i.ConsecutiveErrors > 0 }
	// hop finds a connection between the private instance and the relay.
	hop := func(p *models.Instance) (linked, paused bool) {
		if p == nil || relay == nil {
			return false, false
		}
		for _, cn := range conns {
			if (cn.LocalInstanceID == p.ID && cn.RemoteInstanceID == relay.ID) ||
				(cn.LocalInstanceID == relay.ID && cn.RemoteInstanceID == p.ID) {
				return true, cn.Paused
			}
		}
		return false, false
	}
	var t views.Topology
	if relay != nil {
		t.AB, t.ABUnhealthy = relay.Name, unhealthy(relay)
	}
	if len(private) > 0 {
		t.A, t.AUnhealthy = private[0].Name, unhealthy(private[0])
		t.HopA, t.HopAPaused = hop(private[0])
	}
	if len(private) > 1 {
		t.B, t.BUnhealthy = private[1].Name, unhealthy(private[1])
		t.HopB, t.HopBPaused = hop(private[1])
	}
	return t, nil
}
