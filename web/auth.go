package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
)

const (
	sessionCookie = "airlock_session"
	// loginCSRFCookie carries the pre-session token of the login form (double-submit).
	loginCSRFCookie = "airlock_login_csrf"
	loginCSRFMaxAge = 15 * 60 // seconds
	csrfField       = "_csrf"
	csrfHeader      = "X-CSRF-Token"

	ctxUser    = "airlock.user"
	ctxSession = "airlock.session"
	ctxToken   = "airlock.token"
)

// requireSession lets a request through only with a live session and, for unsafe methods, the
// session's CSRF token. Unauthenticated GETs go to the login page; other requests are refused.
func (s *Server) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ok, err := s.loadSession(c)
		if err != nil {
			return err
		}
		if !ok {
			return s.unauthenticated(c)
		}
		// The server slides the session's expiry (models.SessionUser); the cookie follows.
		if token, _ := c.Get(ctxToken).(string); token != "" {
			s.setCookie(c, sessionCookie, token, int(s.cfg.SessionTTL.Seconds()))
		}
		if unsafeMethod(c.Request().Method) && !s.validCSRF(c) {
			return echo.NewHTTPError(http.StatusForbidden,
				"This request did not carry a valid security token (CSRF). Reload the page and try again.")
		}
		return next(c)
	}
}

// loadSession looks up the session cookie and stores the session and user in the context. It
// reports false when there is no live session (and clears a dead cookie).
func (s *Server) loadSession(c echo.Context) (bool, error) {
	if _, ok := c.Get(ctxUser).(*models.User); ok {
		return true, nil
	}
	ck, err := c.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return false, nil
	}
	sess, user, err := s.db.SessionUser(c.Request().Context(), ck.Value, s.cfg.SessionTTL)
	if errors.Is(err, models.ErrNotFound) {
		s.setCookie(c, sessionCookie, "", -1)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.Set(ctxUser, user)
	c.Set(ctxSession, sess)
	c.Set(ctxToken, ck.Value)
	return true, nil
}

// unauthenticated answers a request without a session: htmx gets HX-Redirect, a GET is sent
// to the login page with the path to come back to, anything else is refused.
func (s *Server) unauthenticated(c echo.Context) error {
	req := c.Request()
	if isHTMX(c) {
		next := ""
		if u, err := url.Parse(req.Header.Get("HX-Current-URL")); err == nil {
			next = safeNext(u.RequestURI())
		}
		c.Response().Header().Set("HX-Redirect", s.loginURL(next))
		return c.NoContent(http.StatusUnauthorized)
	}
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return c.Redirect(http.StatusSeeOther, s.loginURL(safeNext(req.URL.RequestURI())))
	}
	return echo.NewHTTPError(http.StatusUnauthorized, "Your session has ended. Log in again.")
}

// loginURL is the login page, with next when it is a local path worth coming back to.
func (s *Server) loginURL(next string) string {
	u := s.url(RouteLogin)
	if next == "" || next == s.url(RouteDashboard) {
		return u
	}
	return u + "?next=" + url.QueryEscape(next)
}

// validCSRF compares the request's token (form field or header) with the session's in
// constant time.
func (s *Server) validCSRF(c echo.Context) bool {
	sess, ok := c.Get(ctxSession).(*models.Session)
	if !ok {
		return false
	}
	got := c.Request().Header.Get(csrfHeader)
	if got == "" {
		got = c.FormValue(csrfField)
	}
	return tokensEqual(got, sess.CSRFToken)
}

// tokensEqual compares two tokens in constant time; an empty token never matches.
func tokensEqual(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// safeNext returns next when it is a local path (no scheme, no host, not protocol-relative),
// else "". It keeps the login page from becoming an open redirect.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	if u.Path == "/login" || u.Path == "/logout" {
		return ""
	}
	return next
}

func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// currentUser is the logged-in user of this request, or nil.
func currentUser(c echo.Context) *models.User {
	u, _ := c.Get(ctxUser).(*models.User)
	return u
}

// currentSession is the session of this request, or nil.
func currentSession(c echo.Context) *models.Session {
	sess, _ := c.Get(ctxSession).(*models.Session)
	return sess
}
