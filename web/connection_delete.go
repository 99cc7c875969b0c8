package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/views"
)

// connectionDelete asks for confirmation, naming what the delete ends.
func (s *Server) connectionDelete(c echo.Context) error {
	ctx := c.Request().Context()
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	n, err := engine.CountConnectionRows(ctx, s.db, cn.ID)
	if err != nil {
		return err
	}
	d := views.ConnDelete{Nav: s.connNav(cn, "overview"), Action: s.connURL(RouteConnectionDeleteDo, cn.ID),
		CancelURL: s.connURL(RouteConnectionShow, cn.ID), Twins: n.Twins, CommentTwins: n.CommentTwins,
		AttachmentTwins: n.AttachmentTwins, OpenErrors: n.OpenErrors, OpenConflicts: n.OpenConflicts,
		CanRemoveProperties: s.engine != nil && s.engine.Clients != nil}
	if local, remote, err := s.connectionInstances(ctx, cn); err == nil {
		d.Local, d.Remote = local.Name, remote.Name
	}
	return Render(c, http.StatusOK, views.ConnectionDeletePage(s.page(c, "Delete "+cn.Name, RouteConnections), d))
}

// connectionDeleteSubmit deletes the connection: its twins and what hangs on them end, every
// Jira issue stays; optionally its airlock.twin entries are removed from the issues.
func (s *Server) connectionDeleteSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	removeProps := c.FormValue("remove_properties") != ""
	eng := s.engine
	if eng == nil || eng.Clients == nil {
		if removeProps {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "Removing the airlock.twin properties needs the sync engine, and this console process runs without it.")
		}
		eng = &engine.Engine{DB: s.db, Logger: s.log}
	}
	res, err := eng.DeleteConnection(ctx, cn.ID, removeProps)
	if err != nil {
		s.log.Warn("connection delete failed", "connection", cn.Name, "id", cn.ID, "err", err)
		s.flash(c, views.FlashError, fmt.Sprintf("%s was not deleted: %s. Nothing was changed; fix that (or untick the property removal) and try again.",
			cn.Name, jiraProblem(err)))
		return c.Redirect(http.StatusSeeOther, s.connURL(RouteConnectionDelete, cn.ID))
	}
	s.log.Info("connection deleted", "connection", cn.Name, "id", cn.ID, "twins", res.Twins, "properties_removed", res.PropertiesRemoved,
		"user", userName(c))
	msg := fmt.Sprintf("Deleted %s: %d twin(s) ended; every Jira issue stays.", cn.Name, res.Twins)
	if removeProps {
		msg += fmt.Sprintf(" Removed its airlock.twin entry from %d issue(s).", res.PropertiesRemoved)
	}
	if len(res.PropertyErrors) > 0 {
		s.flash(c, views.FlashWarning, msg+" Could not remove it from: "+strings.Join(res.PropertyErrors, "; ")+
			" (harmless: no connection reads it any more).")
	} else {
		s.flash(c, views.FlashSuccess, msg)
	}
	return c.Redirect(http.StatusSeeOther, s.url(RouteConnections))
}
