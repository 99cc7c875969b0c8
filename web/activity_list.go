package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// activityList renders the latest audit events, newest first, or the empty state.
func (s *Server) activityList(c echo.Context) error {
	ctx := c.Request().Context()
	var evs []models.Event
	if err := s.db.WithContext(ctx).Order("at DESC, id DESC").Limit(listLimit).Find(&evs).Error; err != nil {
		return fmt.Errorf("list events: %w", err)
	}
	ids := make([]uint, 0, len(evs))
	for _, e := range evs {
		ids = append(ids, e.TwinID)
	}
	twins, err := s.twinLabels(ctx, ids)
	if err != nil {
		return err
	}
	rows := make([]views.EventRow, 0, len(evs))
	for _, e := range evs {
		rows = append(rows, views.EventRow{At: e.At, Twin: nameOr(twins, e.TwinID), Direction: e.Direction,
			Kind: e.Kind, Field: e.Field, NewValue: e.NewValue})
	}
	return Render(c, http.StatusOK, views.Activity(s.page(c, "Activity", RouteActivity), rows))
}
