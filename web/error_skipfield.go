package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// errorSkipOffer fills the error page's "skip this field for this twin" form: offered for an
// open config or data error of a twin, listing the connection's fields not skipped yet, with the
// field Jira named in its answer selected.
func (s *Server) errorSkipOffer(ctx context.Context, e *models.SyncError, d *views.ErrorDetail) {
	if e.TwinID == nil || e.ResolvedAt != nil || s.engine == nil || (e.Class != models.ClassConfig && e.Class != models.ClassData) {
		return
	}
	var tw models.Twin
	if s.db.WithContext(ctx).Limit(1).Find(&tw, *e.TwinID).RowsAffected == 0 || tw.State == models.TwinUnlinked {
		return
	}
	var conn models.Connection
	if s.db.WithContext(ctx).Limit(1).Find(&conn, tw.ConnectionID).RowsAffected == 0 {
		return
	}
	rules, err := engine.ParseRules(conn.Rules)
	if err != nil {
		return
	}
	skipped := engine.SkippedFields(&tw)
	said := e.Message + "\n" + e.Response
	for _, f := range rules.Fields {
		if slices.Contains(skipped, f.Name) || f.Kind == engine.KindIssueType {
			continue
		}
		rejected := false
		for _, id := range []string{f.Local, f.Remote} {
			if strings.Contains(said, id+":") || strings.Contains(said, `"`+id+`"`) || strings.Contains(said, "'"+id+"'") {
				rejected = true
			}
		}
		d.Skip.Fields = append(d.Skip.Fields, views.SkipOption{Name: f.Name, Label: fmt.Sprintf("%s (%s ↔ %s)", f.Name, f.Local, f.Remote), Rejected: rejected})
	}
	if len(d.Skip.Fields) > 0 {
		d.Skip.URL = s.e.Reverse(RouteErrorSkipField, e.ID)
	}
}

// errorSkipField leaves the posted field out of the error's twin and syncs the rest at once
// (engine.SkipField), then shows the twin page where the skip can be undone.
func (s *Server) errorSkipField(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := errorsParseID(c, "error")
	if err != nil {
		return err
	}
	back := s.e.Reverse(RouteErrorShow, id)
	if s.engine == nil {
		s.flash(c, views.FlashError, errorsNoEngine)
		return c.Redirect(http.StatusSeeOther, back)
	}
	var e models.SyncError
	if q := s.db.WithContext(ctx).Limit(1).Find(&e, id); q.Error != nil {
		return fmt.Errorf("load error %d: %w", id, q.Error)
	} else if q.RowsAffected == 0 {
		return echo.NewHTTPError(http.StatusNotFound, "This error does not exist (any more).")
	}
	if e.TwinID == nil {
		s.flash(c, views.FlashError, "This error belongs to no twin: there is no field to skip.")
		return c.Redirect(http.StatusSeeOther, back)
	}
	field := strings.TrimSpace(c.FormValue("field"))
	err = s.engine.SkipField(ctx, *e.TwinID, field)
	if errors.Is(err, engine.ErrNotFound) {
		s.flash(c, views.FlashError, fmt.Sprintf("The connection shares no field %q (or the twin is gone): nothing was skipped.", field))
		return c.Redirect(http.StatusSeeOther, back)
	}
	if err != nil {
		return fmt.Errorf("skip field %q of twin %d: %w", field, *e.TwinID, err)
	}
	s.flash(c, views.FlashSuccess, fmt.Sprintf("Field %s is skipped for this twin; the rest syncs again now. Un-skip it here once the value is fixed.", field))
	return c.Redirect(http.StatusSeeOther, s.twinURL(*e.TwinID))
}
