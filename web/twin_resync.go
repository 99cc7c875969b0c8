package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/views"
)

// twinResync marks the twin dirty and enqueues its reconcile (Post/Redirect/Get to the twin).
func (s *Server) twinResync(c echo.Context) error {
	tw, err := s.loadTwinParam(c)
	if err != nil {
		return err
	}
	back := s.twinURL(tw.ID)
	label := twinLabel(tw.LocalKey, tw.RemoteKey)
	if s.engine == nil {
		s.flash(c, views.FlashError, "Resync needs the sync engine, which this console process does not run. Start the console with `airlock dev` or next to a worker.")
		return c.Redirect(http.StatusSeeOther, back)
	}
	res, err := s.engine.Resync(c.Request().Context(), tw.ID)
	switch {
	case errors.Is(err, engine.ErrTwinUnlinked):
		s.flash(c, views.FlashWarning, "Twin "+label+" is unlinked: there is nothing to resync.")
	case err != nil:
		return err
	case res.Unquarantined:
		s.flash(c, views.FlashSuccess, "Twin "+label+" released from quarantine and queued: both issues are read again within seconds.")
	case res.Enqueued:
		s.flash(c, views.FlashSuccess, "Resync of "+label+" queued: both issues are read again within seconds.")
	default:
		s.flash(c, views.FlashInfo, "Twin "+label+" is marked to sync again; the queue did not take it right now, so the next sweep picks it up.")
	}
	return c.Redirect(http.StatusSeeOther, back)
}
