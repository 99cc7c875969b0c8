package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/metrics"
)

// ServeMetrics serves h (the process's Prometheus registry) at /metrics to a console session or to
// a scraper sending "Authorization: Bearer <AIRLOCK_METRICS_TOKEN>", compared in constant time.
// A request with a wrong or unexpected token gets 401; one without token or session is sent to
// the login page like any console page. Call it once, before serving.
func (s *Server) ServeMetrics(h http.Handler) {
	r := s.e.Add(http.MethodGet, "/metrics", s.metricsGate(echo.WrapHandler(h)))
	r.Name = RouteMetrics
}

// metricsGate admits the bearer token, else falls back to the console session check.
func (s *Server) metricsGate(serve echo.HandlerFunc) echo.HandlerFunc {
	withSession := s.requireSession(serve)
	return func(c echo.Context) error {
		auth := c.Request().Header.Get(echo.HeaderAuthorization)
		if auth == "" {
			return withSession(c)
		}
		if metrics.TokenOK(auth, s.cfg.MetricsToken) {
			return serve(c)
		}
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="airlock metrics"`)
		return echo.NewHTTPError(http.StatusUnauthorized, "A valid bearer token (AIRLOCK_METRICS_TOKEN) is required.")
	}
}

// metricsNotServed answers while no registry is mounted (a console built without ServeMetrics).
func (s *Server) metricsNotServed(c echo.Context) error {
	return echo.NewHTTPError(http.StatusNotFound, "Metrics are not served by this process.")
}
