package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// loginShow renders the login form with a fresh pre-session CSRF token, or sends a visitor who
// is already logged in on to where they were going.
func (s *Server) loginShow(c echo.Context) error {
	ok, err := s.loadSession(c)
	if err != nil {
		return err
	}
	next := safeNext(c.QueryParam("next"))
	if ok {
		return c.Redirect(http.StatusSeeOther, s.afterLogin(next))
	}
	return s.renderLogin(c, http.StatusOK, views.LoginForm{Next: next})
}

// renderLogin renders the login page with a new login CSRF token in its cookie and form.
func (s *Server) renderLogin(c echo.Context, status int, f views.LoginForm) error {
	f.CSRF = models.RandomToken(32)
	f.Action = s.url(RouteLoginSubmit)
	s.setCookie(c, loginCSRFCookie, f.CSRF, loginCSRFMaxAge)
	p := s.page(c, "Log in", "")
	return Render(c, status, views.Login(p, f))
}

// afterLogin is where a successful login lands: next when safe, else the dashboard.
func (s *Server) afterLogin(next string) string {
	if next = safeNext(next); next != "" {
		return next
	}
	return s.url(RouteDashboard)
}
