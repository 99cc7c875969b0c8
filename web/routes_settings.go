package web

import "net/http"

// Route names of the Settings area (users, export and import; queues are in queues_mount.go).
const (
	RouteUserCreate      = "users.create"
	RouteUserToggle      = "users.toggle"
	RouteUserRole        = "users.role"
	RouteAudit           = "settings.audit"
	RouteAuditShow       = "settings.audit.show"
	RouteNotify          = "settings.notify"
	RouteNotifySave      = "settings.notify.save"
	RouteNotifyTest      = "settings.notify.test"
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
		{http.MethodPost, "/settings/users/:id/role", RouteUserRole, false, s.userRoleSet, nil},
		{http.MethodGet, "/settings/audit", RouteAudit, false, s.auditList, nil},
		{http.MethodGet, "/settings/audit/:id", RouteAuditShow, false, s.auditShow, nil},
		{http.MethodGet, "/settings/notifications", RouteNotify, false, s.notifyShow, nil},
		{http.MethodPost, "/settings/notifications", RouteNotifySave, false, s.notifySave, nil},
		{http.MethodPost, "/settings/notifications/test", RouteNotifyTest, false, s.notifyTest, nil},
		{http.MethodGet, "/settings/users/:id/password", RouteUserPassword, false, s.userPasswordShow, nil},
		{http.MethodPost, "/settings/users/:id/password", RouteUserPasswordSet, false, s.userPasswordSet, nil},
		{http.MethodGet, "/settings/export", RouteSettingsExport, false, s.settingsExport, nil},
		{http.MethodPost, "/settings/import", RouteSettingsImport, false, s.settingsImport, nil},
		{http.MethodPost, "/settings/import/apply", RouteSettingsApply, false, s.settingsImportApply, nil},
	}
	rs = append(rs, s.sealSettingsRoutes()...)
	return append(rs, s.queuesRoutes()...)
}
