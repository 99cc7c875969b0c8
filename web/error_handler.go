package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// Friendly texts for statuses whose error carries no message of its own. A 5xx never shows
// the underlying error: that goes to the log only.
var statusText = map[int][2]string{
	http.StatusBadRequest:            {"Bad request", "The request could not be understood. Go back and try again."},
	http.StatusUnauthorized:          {"Please log in", "Your session has ended. Log in again."},
	http.StatusForbidden:             {"Not allowed", "You are not allowed to do this."},
	http.StatusNotFound:              {"Page not found", "There is nothing at this address. The link may be wrong, or what it pointed to was removed."},
	http.StatusMethodNotAllowed:      {"Not allowed", "This address does not accept that kind of request."},
	http.StatusRequestEntityTooLarge: {"Too large", "What you sent is too large."},
	http.StatusTooManyRequests:       {"Too many requests", "Too many requests. Wait a minute, then try again."},
	http.StatusInternalServerError:   {"Something went wrong", "Something went wrong on our side. It has been logged; try again, and if it keeps failing, look at the node's log."},
	http.StatusServiceUnavailable:    {"Unavailable", "The console cannot reach its database or queue right now. Try again in a moment."},
}

// handleError is echo's HTTPErrorHandler: handlers return errors and this one place logs them
// (5xx as error, 4xx as warning) and answers with JSON, an htmx fragment or an error page.
func (s *Server) handleError(err error, c echo.Context) {
	req := c.Request()
	code, title, msg := classify(err)
	attrs := []any{"status", code, "method", req.Method, "path", req.URL.Path, "err", err}
	switch {
	case errors.Is(err, context.Canceled):
		s.log.Info("request canceled by client", attrs...)
	case code >= 500:
		s.log.Error("request failed", attrs...)
	default:
		s.log.Warn("request refused", attrs...)
	}
	if c.Response().Committed {
		return
	}
	if err := s.writeError(c, code, title, msg); err != nil {
		s.log.Error("render error page", "status", code, "err", err)
		_ = c.String(code, msg)
	}
}

func (s *Server) writeError(c echo.Context, code int, title, msg string) error {
	if c.Request().Method == http.MethodHead {
		return c.NoContent(code)
	}
	if wantsJSON(c) {
		return c.JSON(code, map[string]any{"status": code, "error": msg})
	}
	info := views.ErrorInfo{Code: code, Title: title, Message: msg}
	if isHTMX(c) {
		return Render(c, code, views.ErrorFragment(info))
	}
	// Show the page in the layout when the visitor is logged in; a failing database only costs
	// the navigation.
	if currentUser(c) == nil && code != http.StatusUnauthorized {
		if _, err := s.loadSession(c); err != nil {
			s.log.Warn("error page: session lookup failed", "err", err)
		}
	}
	if currentUser(c) != nil {
		info.BackURL, info.BackLabel = s.url(RouteDashboard), "Back to the dashboard"
	} else {
		info.BackURL, info.BackLabel = s.url(RouteLogin), "Go to the login page"
	}
	return Render(c, code, views.ErrorPage(s.page(c, title, ""), info))
}

// classify maps an error to a status and the text the visitor may see.
func classify(err error) (code int, title, msg string) {
	code = http.StatusInternalServerError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		code = he.Code
		if m, ok := he.Message.(string); ok && code < 500 && m != http.StatusText(code) {
			msg = m
		}
	case errors.Is(err, models.ErrNotFound):
		code = http.StatusNotFound
	}
	t, ok := statusText[code]
	if !ok {
		t = [2]string{http.StatusText(code), http.StatusText(code) + "."}
		if code >= 500 {
			t = statusText[http.StatusInternalServerError]
		}
	}
	if msg == "" {
		msg = t[1]
	}
	return code, t[0], msg
}

// wantsJSON is true for API-style requests that accept JSON and not HTML.
func wantsJSON(c echo.Context) bool {
	accept := c.Request().Header.Get(echo.HeaderAccept)
	return strings.Contains(accept, echo.MIMEApplicationJSON) && !strings.Contains(accept, echo.MIMETextHTML)
}
