package web

import "net/http"

// Route names of the Instances area.
const (
	RouteInstanceNew        = "instances.new"
	RouteInstanceCreate     = "instances.create"
	RouteInstanceEdit       = "instances.edit"
	RouteInstanceUpdate     = "instances.update"
	RouteInstanceDeleteShow = "instances.delete.show"
	RouteInstanceDelete     = "instances.delete"
	RouteInstanceTest       = "instances.test"
	RouteInstanceTestForm   = "instances.test.form"
	RouteInstanceResume     = "instances.resume"
)

// instancesRoutes is the route table of the Instances area (the list itself is in routes.go).
func (s *Server) instancesRoutes() []route {
	return []route{
		{http.MethodGet, "/instances/new", RouteInstanceNew, false, s.instanceNew, nil},
		{http.MethodPost, "/instances", RouteInstanceCreate, false, s.instanceCreate, nil},
		{http.MethodPost, "/instances/test", RouteInstanceTestForm, false, s.instanceTestForm, nil},
		{http.MethodGet, "/instances/:id/edit", RouteInstanceEdit, false, s.instanceEdit, nil},
		{http.MethodPost, "/instances/:id", RouteInstanceUpdate, false, s.instanceUpdate, nil},
		{http.MethodGet, "/instances/:id/delete", RouteInstanceDeleteShow, false, s.instanceDeleteShow, nil},
		{http.MethodPost, "/instances/:id/delete", RouteInstanceDelete, false, s.instanceDelete, nil},
		{http.MethodPost, "/instances/:id/test", RouteInstanceTest, false, s.instanceTest, nil},
		{http.MethodPost, "/instances/:id/resume", RouteInstanceResume, false, s.instanceResume, nil},
	}
}
