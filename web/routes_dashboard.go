package web

import "net/http"

// RouteDashboardLive is the dashboard's live fragment, polled by htmx every 5 seconds.
const RouteDashboardLive = "dashboard.live"

// dashboardRoutes are the dashboard's routes beyond the home page itself (routes.go).
func (s *Server) dashboardRoutes() []route {
	return []route{
		{http.MethodGet, "/dashboard/live", RouteDashboardLive, false, s.dashboardLive, nil},
	}
}
