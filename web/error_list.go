package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// errorList renders the Errors page: open (or resolved) errors grouped by class and connection,
// the filter (class, connection, twin) and one page of matching errors, most recent first.
func (s *Server) errorList(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := s.errorsReadFilter(ctx, c.QueryParam)
	if err != nil {
		return err
	}
	d := views.ErrorsData{Resolved: f.Resolved, Class: f.Class, Connection: f.Connection, Twin: f.Twin, TwinProblem: f.TwinProblem,
		OpenURL: s.errorsListURL(nil), ResolvedURL: s.errorsListURL(errorsFilter{Resolved: true}.values(1)),
		ListURL: s.url(RouteErrors), RetryAllURL: s.url(RouteErrorRetryAll), CanRetry: s.engine != nil,
		Filtered: f.filtered(), ClearFilterURL: s.errorsListURL(errorsFilter{Resolved: f.Resolved}.values(1)),
		Back: s.errorsListURL(f.values(f.Page)), Page: f.Page}
	if d.OpenCount, err = s.count(ctx, &models.SyncError{}, "resolved_at IS NULL"); err != nil {
		return err
	}
	if d.ResolvedCount, err = s.count(ctx, &models.SyncError{}, "resolved_at IS NOT NULL"); err != nil {
		return err
	}
	if (f.Resolved && d.ResolvedCount == 0) || (!f.Resolved && d.OpenCount == 0) {
		return Render(c, http.StatusOK, views.Errors(s.page(c, "Errors", RouteErrors), d))
	}
	conns, err := s.connectionNames(ctx)
	if err != nil {
		return err
	}
	insts, err := s.instanceNames(ctx)
	if err != nil {
		return err
	}
	groups, err := s.errorsGroups(ctx, f.Resolved)
	if err != nil {
		return err
	}
	for _, g := range groups {
		gf := errorsFilter{Resolved: f.Resolved, Class: g.Class, Connection: errorsNoConnection}
		name := "no connection (instance or node)"
		if g.ConnectionID != nil {
			gf.Connection = strconv.FormatUint(uint64(*g.ConnectionID), 10)
			name = nameOr(conns, *g.ConnectionID)
		}
		d.Groups = append(d.Groups, views.ErrorsGroup{Class: g.Class, Connection: name, Count: g.N, LastSeen: g.Last,
			FilterURL: s.errorsListURL(gf.values(1)), RetryClass: g.Class, RetryConnection: gf.Connection})
	}
	for _, k := range errorClasses {
		d.Classes = append(d.Classes, views.ErrorsOption{Value: k, Label: k})
	}
	d.Connections = append(d.Connections, views.ErrorsOption{Value: errorsNoConnection, Label: "No connection (instance or node)"})
	for _, id := range sortedByName(conns) {
		d.Connections = append(d.Connections, views.ErrorsOption{Value: strconv.FormatUint(uint64(id), 10), Label: conns[id]})
	}

	q := f.scope(s.db.WithContext(ctx).Model(&models.SyncError{}))
	if err := q.Count(&d.Total).Error; err != nil {
		return fmt.Errorf("count errors: %w", err)
	}
	d.Pages = max(1, int((d.Total+errorsPageSize-1)/errorsPageSize))
	if f.Page > d.Pages {
		f.Page = d.Pages
		d.Page = f.Page
	}
	var errs []models.SyncError
	if err := f.scope(s.db.WithContext(ctx)).Omit("request", "response").Order("last_seen DESC, id DESC").
		Offset((f.Page - 1) * errorsPageSize).Limit(errorsPageSize).Find(&errs).Error; err != nil {
		return fmt.Errorf("list errors: %w", err)
	}
	if f.Page > 1 {
		d.PrevURL = s.errorsListURL(f.values(f.Page - 1))
	}
	if f.Page < d.Pages {
		d.NextURL = s.errorsListURL(f.values(f.Page + 1))
	}
	if len(errs) > 0 {
		d.FirstRow = int64((f.Page-1)*errorsPageSize + 1)
		d.LastRow = d.FirstRow + int64(len(errs)) - 1
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
	for _, e := range errs {
		d.Rows = append(d.Rows, views.ErrorsRow{ID: e.ID, Class: e.Class, Message: e.Message, Scope: errorsScope(e, twins, conns, insts),
			Attempts: e.Attempts, LastSeen: e.LastSeen, Resolution: e.Resolution,
			URL:        s.e.Reverse(RouteErrorShow, e.ID),
			RetryURL:   s.e.Reverse(RouteErrorRetry, e.ID),
			DismissURL: s.e.Reverse(RouteErrorDismiss, e.ID)})
	}
	return Render(c, http.StatusOK, views.Errors(s.page(c, "Errors", RouteErrors), d))
}

// errorsScope says where an error happened, most specific first.
func errorsScope(e models.SyncError, twins, conns, insts map[uint]string) string {
	switch {
	case e.TwinID != nil:
		return "twin " + nameOr(twins, *e.TwinID)
	case e.ConnectionID != nil:
		return "connection " + nameOr(conns, *e.ConnectionID)
	case e.InstanceID != nil:
		return "instance " + nameOr(insts, *e.InstanceID)
	}
	return "node"
}

// sortedByName returns the ids of m ordered by their names.
func sortedByName(m map[uint]string) []uint {
	ids := make([]uint, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && (m[ids[j]] < m[ids[j-1]] || (m[ids[j]] == m[ids[j-1]] && ids[j] < ids[j-1])); j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
	return ids
}
