package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// conflictDecide records Take local, Take remote or an edited value for one conflict
// (engine.Decide); the twin's next reconcile writes it to both issues. A refused decision
// re-renders the inbox with the message beside the field and the typed value kept (422).
func (s *Server) conflictDecide(c echo.Context) error {
	id, err := errorsParseID(c, "conflict")
	if err != nil {
		return err
	}
	back := s.errorsBack(c, RouteConflicts)
	if s.engine == nil {
		s.flash(c, views.FlashError, "Deciding a conflict needs the sync engine, and this console process runs without it.")
		return c.Redirect(http.StatusSeeOther, back)
	}
	d := engine.Decision{ConflictID: id, Take: c.FormValue("take"), Value: c.FormValue("value")}
	if u := currentUser(c); u != nil {
		d.By = u.Username
	}
	cf, err := s.engine.Decide(c.Request().Context(), d)
	var de *engine.DecisionError
	switch {
	case errors.As(err, &de):
		ov := &conflictsOverride{ID: id, EditValue: d.Value}
		if de.Field == "value" {
			ov.EditError = de.Message
		} else {
			ov.TakeError = de.Message
		}
		data, derr := s.conflictsData(c, false, ov)
		if derr != nil {
			return derr
		}
		return Render(c, http.StatusUnprocessableEntity, views.Conflicts(s.page(c, "Conflicts", RouteConflicts), data))
	case errors.Is(err, engine.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, "This conflict does not exist (any more).")
	case errors.Is(err, engine.ErrAlreadyDecided):
		who := ""
		if cf != nil && cf.DecidedBy != "" {
			who = " by " + cf.DecidedBy
		}
		s.flash(c, views.FlashWarning, fmt.Sprintf("The %s conflict was already decided%s; nothing changed.", conflictField(cf), who))
		return c.Redirect(http.StatusSeeOther, back)
	case err != nil:
		return fmt.Errorf("decide conflict %d: %w", id, err)
	}
	what := map[string]string{engine.DecideLocal: "the local value", engine.DecideRemote: "the remote value", engine.DecideEdited: "your value"}[cf.Decision]
	s.flash(c, views.FlashSuccess, fmt.Sprintf("Decided %s: %s goes to both issues at the twin's next sync.", conflictField(cf), what))
	return c.Redirect(http.StatusSeeOther, back)
}

// conflictField names a conflict's field for a flash.
func conflictField(cf *models.Conflict) string {
	if cf == nil || cf.Field == "" {
		return "field"
	}
	return strconv.Quote(cf.Field)
}
