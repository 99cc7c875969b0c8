package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// twinList renders the most recently changed twins, or the empty state.
func (s *Server) twinList(c echo.Context) error {
	ctx := c.Request().Context()
	total, err := s.count(ctx, &models.Twin{}, "")
	if err != nil {
		return err
	}
	var twins []models.Twin
	if err := s.db.WithContext(ctx).Order("updated_at DESC, id DESC").Limit(listLimit).Find(&twins).Error; err != nil {
		return fmt.Errorf("list twins: %w", err)
	}
	conns, err := s.connectionNames(ctx)
	if err != nil {
		return err
	}
	rows := make([]views.TwinRow, 0, len(twins))
	for _, t := range twins {
		rows = append(rows, views.TwinRow{
			Connection: nameOr(conns, t.ConnectionID), LocalKey: t.LocalKey, RemoteKey: t.RemoteKey,
			State: t.State, Dirty: t.Dirty, LastSyncedAt: t.LastSyncedAt, LastError: t.LastError,
		})
	}
	return Render(c, http.StatusOK, views.Twins(s.page(c, "Twins", RouteTwins), rows, total))
}
