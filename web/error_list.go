package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// errorList renders the open sync errors, most recent first, or the empty state.
func (s *Server) errorList(c echo.Context) error {
	ctx := c.Request().Context()
	total, err := s.count(ctx, &models.SyncError{}, "resolved_at IS NULL")
	if err != nil {
		return err
	}
	var errs []models.SyncError
	if err := s.db.WithContext(ctx).Where("resolved_at IS NULL").Order("last_seen DESC, id DESC").Limit(listLimit).Find(&errs).Error; err != nil {
		return fmt.Errorf("list errors: %w", err)
	}
	conns, err := s.connectionNames(ctx)
	if err != nil {
		return err
	}
	insts, err := s.instanceNames(ctx)
	if err != nil {
		return err
	}
	var twinIDs []uint
	for _, e := range errs {
		if e.TwinID != nil {
			twinIDs = append(twinIDs, *e.TwinID)
		}
	}
	twins, err := s.twinLabels(ctx, twinIDs)
	if err != nil {
		return err
	}
	rows := make([]views.ErrorRow, 0, len(errs))
	for _, e := range errs {
		var scope string
		switch {
		case e.TwinID != nil:
			scope = "twin " + nameOr(twins, *e.TwinID)
		case e.ConnectionID != nil:
			scope = "connection " + nameOr(conns, *e.ConnectionID)
		case e.InstanceID != nil:
			scope = "instance " + nameOr(insts, *e.InstanceID)
		default:
			scope = "node"
		}
		rows = append(rows, views.ErrorRow{Class: e.Class, Message: e.Message, Scope: scope, Attempts: e.Attempts, LastSeen: e.LastSeen})
	}
	return Render(c, http.StatusOK, views.Errors(s.page(c, "Errors", RouteErrors), rows, total))
}
