package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// activityList renders the audit of what crossed, newest first, filtered by connection, twin,
// direction, kind, field and time range, 50 a page. Filter mistakes are shown beside their
// field (422) with what was typed kept.
func (s *Server) activityList(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := s.parseActivityFilter(ctx, c.QueryParams())
	if err != nil {
		return err
	}
	_, opts, err := s.twinConnections(ctx)
	if err != nil {
		return err
	}
	v := views.ActivityView{Filter: f.form, Connections: opts, Kinds: activityKinds, ListURL: s.url(RouteActivity),
		Directions: []views.TwinOption{{Value: models.DirLocalToRemote, Label: "local → remote (left this side)"},
			{Value: models.DirRemoteToLocal, Label: "remote → local (came in)"}},
		Errors: f.errs}
	csv := s.url(RouteActivityCSV)
	if q := f.query(); len(q) > 0 {
		csv += "?" + q.Encode()
	}
	v.CSVURL = csv
	var probe []models.Event
	if err := s.db.WithContext(ctx).Select("id").Limit(1).Find(&probe).Error; err != nil {
		return fmt.Errorf("list events: %w", err)
	}
	v.AnyEvents = len(probe) > 0
	status := http.StatusOK
	if len(f.errs) > 0 {
		status = http.StatusUnprocessableEntity
		v.AnyEvents = true // keep the form on screen with its messages
	}
	if v.AnyEvents && len(f.errs) == 0 {
		total, err := twinCount(f.apply(s.db.WithContext(ctx).Model(&models.Event{})))
		if err != nil {
			return fmt.Errorf("count events: %w", err)
		}
		v.Pager = twinPager(v.ListURL, f.query(), twinPageParam(c.QueryParam("page")), total)
		var evs []models.Event
		if total > 0 {
			if err := f.apply(s.db.WithContext(ctx).Model(&models.Event{})).Order("at DESC, id DESC").
				Offset((v.Pager.Page - 1) * twinPageSize).Limit(twinPageSize).Find(&evs).Error; err != nil {
				return fmt.Errorf("list events: %w", err)
			}
		}
		ids := make([]uint, 0, len(evs))
		for _, e := range evs {
			ids = append(ids, e.TwinID)
		}
		labels, err := s.twinLabels(ctx, ids)
		if err != nil {
			return err
		}
		names, err := s.connectionNames(ctx)
		if err != nil {
			return err
		}
		for _, e := range evs {
			item := views.ActivityItem{At: e.At, Connection: nameOr(names, e.ConnectionID), Twin: nameOr(labels, e.TwinID),
				Direction: e.Direction, Kind: e.Kind, Field: e.Field, OldValue: e.OldValue, NewValue: e.NewValue}
			if _, ok := labels[e.TwinID]; ok {
				item.TwinURL = s.twinURL(e.TwinID)
			}
			v.Rows = append(v.Rows, item)
		}
	}
	return Render(c, status, views.Activity(s.page(c, "Activity", RouteActivity), v))
}
