package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// connectionPause stops a connection: nothing is polled or written until it resumes.
func (s *Server) connectionPause(c echo.Context) error { return s.setPaused(c, true) }

// connectionResume restarts a paused connection; its next poll picks up what changed meanwhile.
func (s *Server) connectionResume(c echo.Context) error { return s.setPaused(c, false) }

func (s *Server) setPaused(c echo.Context, paused bool) error {
	ctx := c.Request().Context()
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	next := safeNext(c.FormValue("next"))
	if next == "" {
		next = s.connURL(RouteConnectionShow, cn.ID)
	}
	if cn.Paused == paused {
		s.flash(c, views.FlashInfo, fmt.Sprintf("%s was already %s.", cn.Name, map[bool]string{true: "paused", false: "running"}[paused]))
		return c.Redirect(http.StatusSeeOther, next)
	}
	if err := s.db.WithContext(ctx).Model(&models.Connection{}).Where("id = ?", cn.ID).Update("paused", paused).Error; err != nil {
		return fmt.Errorf("set paused=%v on connection %d: %w", paused, cn.ID, err)
	}
	s.log.Info("connection "+pausedWord(paused), "connection", cn.Name, "id", cn.ID, "user", userName(c))
	if paused {
		s.flash(c, views.FlashWarning, fmt.Sprintf("%s is paused: nothing is polled or written until you resume it.", cn.Name))
	} else {
		if s.engine != nil && s.engine.Enqueuer != nil {
			for _, side := range sideNames {
				if err := s.engine.Enqueuer.EnqueuePoll(ctx, cn.ID, side); err != nil {
					s.log.Warn("enqueue poll after resume", "connection", cn.ID, "side", side, "err", err)
				}
			}
		}
		s.flash(c, views.FlashSuccess, fmt.Sprintf("%s is running again: changes made while it was paused are picked up by the next poll.", cn.Name))
	}
	return c.Redirect(http.StatusSeeOther, next)
}

func pausedWord(paused bool) string {
	if paused {
		return "paused"
	}
	return "resumed"
}
