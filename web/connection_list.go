package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// connectionList renders the connections with their instances, or the empty state.
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
	rows := make([]views.ConnectionRow, 0, len(conns))
	for _, cn := range conns {
		rows = append(rows, views.ConnectionRow{
			Name: cn.Name, Local: nameOr(names, cn.LocalInstanceID), Remote: nameOr(names, cn.RemoteInstanceID),
			LocalProject: cn.LocalProject, RemoteProject: cn.RemoteProject,
			ConflictPolicy: cn.ConflictPolicy, Paused: cn.Paused,
		})
	}
	return Render(c, http.StatusOK, views.Connections(s.page(c, "Connections", RouteConnections), rows, int64(len(names))))
}
