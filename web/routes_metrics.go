package web

import "net/http"

// RouteMetrics is the Prometheus scrape endpoint.
const RouteMetrics = "metrics"

// metricsRoutes is the route table entry of /metrics. In the table it needs a session like every
// console page; ServeMetrics replaces its handler with one that also admits the bearer token.
func (s *Server) metricsRoutes() []route {
	return []route{
		{http.MethodGet, "/metrics", RouteMetrics, false, s.metricsNotServed, nil},
	}
}
