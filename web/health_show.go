package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// readyTimeout bounds each readiness probe, so a hung dependency answers 503, not a timeout.
const readyTimeout = 3 * time.Second

// healthzShow answers 200 "ok" while the process serves requests (liveness).
func (s *Server) healthzShow(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
}

// readyzShow answers 200 when the database and the queue both answer a ping, else 503 naming
// which one failed (the reason goes to the log, not to the anonymous caller).
func (s *Server) readyzShow(c echo.Context) error {
	checks := []struct {
		name string
		ping func(context.Context) error
	}{
		{"database", s.db.Ping},
		{"queue", s.queue.Ping},
	}
	var b strings.Builder
	status := http.StatusOK
	for _, ch := range checks {
		ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
		err := ch.ping(ctx)
		cancel()
		if err != nil {
			status = http.StatusServiceUnavailable
			s.log.Warn("not ready", "check", ch.name, "err", err)
			b.WriteString(ch.name + ": failed\n")
			continue
		}
		b.WriteString(ch.name + ": ok\n")
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.String(status, b.String())
}
