package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// twinSkippedFields lists the fields skipped for a twin, each with its un-skip form.
func (s *Server) twinSkippedFields(tw *models.Twin) []views.TwinSkipped {
	var out []views.TwinSkipped
	url := s.e.Reverse(RouteTwinUnskip, strconv.FormatUint(uint64(tw.ID), 10))
	for _, name := range engine.SkippedFields(tw) {
		out = append(out, views.TwinSkipped{Name: name, UnskipURL: url})
	}
	return out
}

// twinUnskip syncs a skipped field of the twin again (engine.UnskipField).
func (s *Server) twinUnskip(c echo.Context) error {
	tw, err := s.loadTwinParam(c)
	if err != nil {
		return err
	}
	back := s.twinURL(tw.ID)
	if s.engine == nil {
		s.flash(c, views.FlashError, errorsNoEngine)
		return c.Redirect(http.StatusSeeOther, back)
	}
	field := strings.TrimSpace(c.FormValue("field"))
	err = s.engine.UnskipField(c.Request().Context(), tw.ID, field)
	if errors.Is(err, engine.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "This twin does not exist (any more).")
	}
	if err != nil {
		return fmt.Errorf("unskip %q of twin %d: %w", field, tw.ID, err)
	}
	s.flash(c, views.FlashSuccess, fmt.Sprintf("Field %s syncs again for this twin, from where it stopped.", field))
	return c.Redirect(http.StatusSeeOther, back)
}
