package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/views"
)

// logoutSubmit ends the session (the CSRF token was checked by requireSession) and goes back to
// the login page with a message.
func (s *Server) logoutSubmit(c echo.Context) error {
	if token, _ := c.Get(ctxToken).(string); token != "" {
		if err := s.db.DeleteSession(c.Request().Context(), token); err != nil {
			return fmt.Errorf("logout: %w", err)
		}
	}
	if u := currentUser(c); u != nil {
		s.log.Info("logout", "user", u.Username)
	}
	s.setCookie(c, sessionCookie, "", -1)
	s.flash(c, views.FlashInfo, "You are logged out.")
	return c.Redirect(http.StatusSeeOther, s.url(RouteLogin))
}
