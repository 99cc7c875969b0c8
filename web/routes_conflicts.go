package web

import "net/http"

// Route names of the Conflicts area (the inbox itself, RouteConflicts, is in routes.go).
const (
	RouteConflictDecide = "conflicts.decide"
)

// conflictsRoutes is the route table of the Conflicts area.
func (s *Server) conflictsRoutes() []route {
	return []route{
		{http.MethodPost, "/conflicts/:id/decide", RouteConflictDecide, false, s.conflictDecide, nil},
	}
}
