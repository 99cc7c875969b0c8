package web

import "net/http"

// Twin route names: the twin page, its actions and the unlink confirmation.
const (
	RouteTwin              = "twin"
	RouteTwinResync        = "twin.resync"
	RouteTwinUnlinkConfirm = "twin.unlink.confirm"
	RouteTwinUnlink        = "twin.unlink"
	RouteTwinUnskip        = "twin.unskip"
)

// twinsRoutes are the twin pages beyond the list (routes.go).
func (s *Server) twinsRoutes() []route {
	return []route{
		{http.MethodGet, "/twins/:id", RouteTwin, false, s.twinShow, nil},
		{http.MethodPost, "/twins/:id/resync", RouteTwinResync, false, s.twinResync, nil},
		{http.MethodGet, "/twins/:id/unlink", RouteTwinUnlinkConfirm, false, s.twinUnlinkConfirm, nil},
		{http.MethodPost, "/twins/:id/unlink", RouteTwinUnlink, false, s.twinUnlink, nil},
		{http.MethodPost, "/twins/:id/unskip", RouteTwinUnskip, false, s.twinUnskip, nil},
	}
}
