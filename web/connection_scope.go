package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// connectionScope shows the scope of a connection for editing.
func (s *Server) connectionScope(c echo.Context) error {
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	st, err := s.loadScope(c.Request().Context(), scopeOf(cn))
	if err != nil {
		return err
	}
	return s.renderScope(c, http.StatusOK, cn, st, nil)
}

func (s *Server) renderScope(c echo.Context, status int, cn *models.Connection, st *scopeState, errs map[string]string) error {
	f := s.scopeForm(st, cn.ID, errs)
	f.Nav = s.connNav(cn, "scope")
	f.Action, f.CancelURL = s.connURL(RouteConnectionScopeSave, cn.ID), s.connURL(RouteConnectionShow, cn.ID)
	return Render(c, status, views.ConnectionScope(s.page(c, cn.Name+": scope", RouteConnections), f))
}

// connectionScopeSave validates and stores a changed scope. The rules stay as they are, but for
// the service desk comment choices the form also edits.
func (s *Server) connectionScopeSave(c echo.Context) error {
	ctx := c.Request().Context()
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	in, err := readScope(c)
	if err != nil {
		return err
	}
	st, err := s.loadScope(ctx, in)
	if err != nil {
		return err
	}
	errs, pollMS, err := s.validateScope(ctx, st, cn.ID)
	if err != nil {
		return err
	}
	errs = formLimitErrors(c, errs)
	if len(errs) == 0 {
		if err := s.checkRelink(ctx, cn, st, errs); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return s.renderScope(c, http.StatusUnprocessableEntity, cn, st, errs)
	}
	st.apply(cn, pollMS)
	rules, err := withCommentOptions(cn.Rules, in.Comments)
	if err != nil {
		return fmt.Errorf("connection %d: %w", cn.ID, err)
	}
	if err := s.db.WithContext(ctx).Model(&models.Connection{}).Where("id = ?", cn.ID).Updates(map[string]any{
		"name": cn.Name, "poll_interval_ms": cn.PollIntervalMS, "local_instance_id": cn.LocalInstanceID, "remote_instance_id": cn.RemoteInstanceID,
		"local_project": cn.LocalProject, "remote_project": cn.RemoteProject, "local_issue_types": cn.LocalIssueTypes,
		"remote_issue_types": cn.RemoteIssueTypes, "local_jql": cn.LocalJQL, "remote_jql": cn.RemoteJQL,
		"allow_overlap": cn.AllowOverlap, "rules": rules,
	}).Error; err != nil {
		return fmt.Errorf("save scope of connection %d: %w", cn.ID, err)
	}
	s.log.Info("connection scope saved", "connection", cn.Name, "id", cn.ID, "user", userName(c))
	s.flash(c, views.FlashSuccess, "Scope of "+cn.Name+" saved. The next poll uses it.")
	return c.Redirect(http.StatusSeeOther, s.connURL(RouteConnectionShow, cn.ID))
}

// checkRelink refuses to move a connection that already links issues to another instance or
// project: its twins hold issue ids of the old ones and would be orphaned.
func (s *Server) checkRelink(ctx context.Context, cn *models.Connection, st *scopeState, errs map[string]string) error {
	var next models.Connection
	st.apply(&next, cn.PollIntervalMS)
	old := [2][2]string{{fmt.Sprint(cn.LocalInstanceID), strings.ToUpper(cn.LocalProject)}, {fmt.Sprint(cn.RemoteInstanceID), strings.ToUpper(cn.RemoteProject)}}
	now := [2][2]string{{fmt.Sprint(next.LocalInstanceID), strings.ToUpper(next.LocalProject)}, {fmt.Sprint(next.RemoteInstanceID), strings.ToUpper(next.RemoteProject)}}
	if old == now {
		return nil
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.Twin{}).Where("connection_id = ? AND state <> ?", cn.ID, models.TwinUnlinked).Count(&n).Error; err != nil {
		return fmt.Errorf("count twins of connection %d: %w", cn.ID, err)
	}
	if n == 0 {
		return nil
	}
	for i, side := range sideNames {
		if old[i] == now[i] {
			continue
		}
		msg := fmt.Sprintf("This connection already links %d issue pair(s) in the current project: moving it would orphan them. Create a new connection instead.", n)
		if old[i][0] != now[i][0] {
			errs[side+".instance"] = msg
		} else {
			errs[side+".project"] = msg
		}
	}
	return nil
}
