package web

import "net/http"

// RouteActivityCSV downloads the activity matching the page's filters as CSV.
const RouteActivityCSV = "activity.csv"

// activityRoutes are the activity routes beyond the page itself (routes.go).
func (s *Server) activityRoutes() []route {
	return []route{
		{http.MethodGet, "/activity.csv", RouteActivityCSV, false, s.activityCSV, nil},
	}
}
