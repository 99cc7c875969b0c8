package web

import "net/http"

// Route names of the Settings area (users, export and import; queues are in queues_mount.go).
const (
	RouteUserCreate      = "users.create"
	RouteUserToggle      = "users.toggle"
	RouteUserPassword    = "users.password"
	RouteUserPasswordSet = "users.password.set"
	RouteSettingsExport  = "settings.export"
	RouteSettingsImport  = "settings.import"
	RouteSettingsApply   = "settings.import.apply"
)

// settingsRoutes is the route table of the Settings area, asynqmon included when the queue
// offers its connection.
func (s *Server) settingsRoutes() []route {
	rs := []route{
		{http.MethodPost, "/settings/users", RouteUserCreate, false, s.userCreate, nil},
		{http.MethodPost, "/settings/users/:id/toggle", RouteUserToggle, false, s.userToggle, nil},
		{http.MethodGet, "/settings/users/:id/password", RouteUserPassword, false, s.userPasswordShow, nil},
		{http.MethodPost, "/settings/users/:id/password", RouteUserPasswordSet, false, s.userPasswordSet, nil},
		{http.MethodGet, "/settings/export", RouteSettingsExport, false, s.settingsExport, nil},
		{http.MethodPost, "/settings/import", RouteSettingsImport, false, s.settingsImport, nil},
		{http.MethodPost, "/settings/import/apply", RouteSettingsApply, false, s.settingsImportApply, nil},
	}
	return append(rs, s.queuesRoutes()...)
}
