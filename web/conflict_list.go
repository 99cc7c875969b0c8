package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// conflictList renders the open conflicts, oldest first, or the empty state.
func (s *Server) conflictList(c echo.Context) error {
	ctx := c.Request().Context()
	total, err := s.count(ctx, &models.Conflict{}, "decision = '' OR decision IS NULL")
	if err != nil {
		return err
	}
	var cs []models.Conflict
	if err := s.db.WithContext(ctx).Where("decision = '' OR decision IS NULL").Order("created_at, id").Limit(listLimit).Find(&cs).Error; err != nil {
		return fmt.Errorf("list conflicts: %w", err)
	}
	ids := make([]uint, 0, len(cs))
	for _, cf := range cs {
		ids = append(ids, cf.TwinID)
	}
	twins, err := s.twinLabels(ctx, ids)
	if err != nil {
		return err
	}
	rows := make([]views.ConflictRow, 0, len(cs))
	for _, cf := range cs {
		rows = append(rows, views.ConflictRow{Twin: nameOr(twins, cf.TwinID), Field: cf.Field,
			LocalValue: cf.LocalValue, RemoteValue: cf.RemoteValue, CreatedAt: cf.CreatedAt})
	}
	return Render(c, http.StatusOK, views.Conflicts(s.page(c, "Conflicts", RouteConflicts), rows, total))
}
