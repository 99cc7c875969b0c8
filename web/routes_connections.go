package web

import "net/http"

// Route names of the connections area.
const (
	RouteConnectionNew         = "connections.new"
	RouteConnectionCreate      = "connections.create"
	RouteConnectionFormRefresh = "connections.form.refresh"
	RouteConnectionCheckJQL    = "connections.jql.check"
	RouteConnectionShow        = "connections.show"
	RouteConnectionScope       = "connections.scope"
	RouteConnectionScopeSave   = "connections.scope.save"
	RouteConnectionMapping     = "connections.mapping"
	RouteConnectionMappingSave = "connections.mapping.save"
	RouteConnectionPreview     = "connections.preview"
	RouteConnectionPause       = "connections.pause"
	RouteConnectionResume      = "connections.resume"
	RouteConnectionActivate    = "connections.activate"
	RouteConnectionActivateDo  = "connections.activate.submit"
	RouteConnectionDelete      = "connections.delete"
	RouteConnectionDeleteDo    = "connections.delete.submit"
)

// connectionsRoutes is the connections area: guided setup, scope, mapping editor, preview,
// pause and resume, activation of a draft, delete. The list itself (/connections) is in the core table.
func (s *Server) connectionsRoutes() []route {
	return append([]route{
		{http.MethodGet, "/connections/new", RouteConnectionNew, false, s.connectionNew, nil},
		{http.MethodPost, "/connections", RouteConnectionCreate, false, s.connectionCreate, nil},
		{http.MethodPost, "/connections/form", RouteConnectionFormRefresh, false, s.connectionFormRefresh, nil},
		{http.MethodPost, "/connections/check-jql", RouteConnectionCheckJQL, false, s.connectionCheckJQL, nil},
		{http.MethodGet, "/connections/:id", RouteConnectionShow, false, s.connectionShow, nil},
		{http.MethodGet, "/connections/:id/scope", RouteConnectionScope, false, s.connectionScope, nil},
		{http.MethodPost, "/connections/:id/scope", RouteConnectionScopeSave, false, s.connectionScopeSave, nil},
		{http.MethodGet, "/connections/:id/mapping", RouteConnectionMapping, false, s.connectionMapping, nil},
		{http.MethodPost, "/connections/:id/mapping", RouteConnectionMappingSave, false, s.connectionMappingSave, nil},
		{http.MethodGet, "/connections/:id/preview", RouteConnectionPreview, false, s.connectionPreview, nil},
		{http.MethodPost, "/connections/:id/pause", RouteConnectionPause, false, s.connectionPause, nil},
		{http.MethodPost, "/connections/:id/resume", RouteConnectionResume, false, s.connectionResume, nil},
		{http.MethodGet, "/connections/:id/activate", RouteConnectionActivate, false, s.connectionActivate, nil},
		{http.MethodPost, "/connections/:id/activate", RouteConnectionActivateDo, false, s.connectionActivateSubmit, nil},
		{http.MethodGet, "/connections/:id/delete", RouteConnectionDelete, false, s.connectionDelete, nil},
		{http.MethodPost, "/connections/:id/delete", RouteConnectionDeleteDo, false, s.connectionDeleteSubmit, nil},
	}, s.sealRoutes()...)
}
