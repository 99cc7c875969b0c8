package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// Login messages: one generic failure, so the page never tells which user names exist.
const (
	msgLoginFailed   = "Wrong user name or password."
	msgLoginThrottle = "Too many login attempts from this address. Wait a minute, then try again."
	msgLoginExpired  = "The login form expired or was not sent from this site. Please try again."
)

// loginSubmit checks the login form: CSRF (double-submit), then reserves the attempt on the
// rate limit (see ratelimit.go), waits out the user name's slowdown, and only then checks the
// password. On success it starts a new session, ending any old one.
func (s *Server) loginSubmit(c echo.Context) error {
	username := strings.TrimSpace(c.FormValue("username"))
	password := c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	form := views.LoginForm{Username: username, Next: next}

	ck, err := c.Cookie(loginCSRFCookie)
	if err != nil || !tokensEqual(c.FormValue(csrfField), ck.Value) {
		s.log.Warn("login refused: bad CSRF token", "ip", c.RealIP())
		form.Error = msgLoginExpired
		return s.renderLogin(c, http.StatusForbidden, form)
	}

	userKey := strings.ToLower(username)
	if len(userKey) > 64 { // no user name is longer; keeps the limiter's keys small
		userKey = userKey[:64]
	}
	ip := c.RealIP()
	// Reserve the attempt before the password is checked: parallel guesses cannot pass the limit.
	res, wait := s.limiter.Reserve(limit{"pair:" + ip + "|" + userKey, loginMaxFailures}, limit{"ip:" + ip, loginMaxPerAddress})
	if res == nil {
		s.log.Warn("login throttled", "ip", ip, "user", username)
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		form.Error = msgLoginThrottle
		return s.renderLogin(c, http.StatusTooManyRequests, form)
	}
	// The user name is slowed, never locked: recent failures from anywhere delay each attempt.
	ctx := c.Request().Context()
	if err := s.loginSleep(ctx, loginDelay(s.userFails.Count("user:"+userKey))); err != nil {
		return err
	}
	user, err := s.db.Authenticate(ctx, username, password)
	if errors.Is(err, models.ErrNotFound) {
		s.userFails.Add("user:" + userKey)
		s.log.Warn("login failed", "ip", ip, "user", username)
		form.Error = msgLoginFailed
		return s.renderLogin(c, http.StatusOK, form)
	}
	if err != nil {
		return fmt.Errorf("login %q: %w", username, err)
	}
	res.Release()
	s.userFails.Reset("user:" + userKey)

	// A new session id at every login: the session the browser came with, if any, ends here.
	if old, err := c.Cookie(sessionCookie); err == nil && old.Value != "" {
		if err := s.db.DeleteSession(ctx, old.Value); err != nil {
			return fmt.Errorf("end previous session: %w", err)
		}
	}
	token, _, err := s.db.CreateSession(ctx, user, c.RealIP(), c.Request().UserAgent(), s.cfg.SessionTTL)
	if err != nil {
		return fmt.Errorf("login %q: %w", username, err)
	}
	s.setCookie(c, sessionCookie, token, int(s.cfg.SessionTTL.Seconds()))
	s.setCookie(c, loginCSRFCookie, "", -1)
	s.log.Info("login", "user", user.Username, "ip", c.RealIP())
	return c.Redirect(http.StatusSeeOther, s.afterLogin(next))
}
