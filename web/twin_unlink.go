package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// twinUnlinkConfirm asks before unlinking.
func (s *Server) twinUnlinkConfirm(c echo.Context) error {
	v, err := s.twinView(c, false)
	if err != nil {
		return err
	}
	if v.State == models.TwinUnlinked {
		s.flash(c, views.FlashInfo, "Twin "+v.Label+" is already unlinked.")
		return c.Redirect(http.StatusSeeOther, v.URL)
	}
	v.UnlinkURL = s.e.Reverse(RouteTwinUnlink, fmt.Sprint(v.ID))
	return Render(c, http.StatusOK, views.TwinUnlinkConfirm(s.page(c, "Unlink "+v.Label, RouteTwins), v))
}

// twinUnlink unlinks the twin and removes its link from both issues' airlock.twin property.
func (s *Server) twinUnlink(c echo.Context) error {
	tw, err := s.loadTwinParam(c)
	if err != nil {
		return err
	}
	back := s.twinURL(tw.ID)
	label := twinLabel(tw.LocalKey, tw.RemoteKey)
	if s.engine == nil {
		s.flash(c, views.FlashError, "Unlink needs the sync engine, which this console process does not run. Nothing was changed.")
		return c.Redirect(http.StatusSeeOther, back)
	}
	if tw.State == models.TwinUnlinked {
		s.flash(c, views.FlashInfo, "Twin "+label+" is already unlinked.")
		return c.Redirect(http.StatusSeeOther, back)
	}
	by := ""
	if u := currentUser(c); u != nil {
		by = u.Username
	}
	res, err := s.engine.Unlink(c.Request().Context(), tw.ID, by)
	if err != nil {
		return err
	}
	msg := "Twin " + label + " unlinked: its issues are no longer synced."
	if len(res.Cleared) > 0 {
		msg += " Airlock's link was removed from " + strings.Join(res.Cleared, " and ") + "."
	}
	s.flash(c, views.FlashSuccess, msg)
	if len(res.Problems) > 0 {
		s.flash(c, views.FlashWarning, "The link could not be removed from "+strings.Join(res.Problems, "; ")+
			". The twin is unlinked here regardless; the issue keeps a stale airlock.twin property until someone removes it.")
	}
	return c.Redirect(http.StatusSeeOther, back)
}
