package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
)

// Console roles, enforced here and nowhere else: register() wraps every console route in
// requireRole with the route's name.
//
// An administrator may do everything. An operator reads every page and may press the
// operational buttons in operatorActions; every other unsafe request is refused (deny by
// default, so a route added later is admin-only until it is listed here), and so is every page
// whose name says it is a configuration form (configWords), so an operator never even sees a
// form they could not send.
//
// Decided on purpose: deciding a conflict is operating the sync (it picks one of two values
// that already exist, like a retry), so operators may; Test on a saved instance only checks the
// stored settings and clears an auth block after a success, like Resume. Skipping a field for a
// twin, unlinking a twin, bulk link/sync, activation and deletion change what is shared: admin only.
var operatorActions = map[string]bool{
	RouteLogout:           true,
	RouteUserPasswordSet:  true, // own password only: passwordTarget refuses others
	RouteErrorRetry:       true,
	RouteErrorRetryAll:    true,
	RouteErrorDismiss:     true,
	RouteTwinResync:       true,
	RouteConnectionPause:  true,
	RouteConnectionResume: true,
	RouteInstanceResume:   true,
	RouteInstanceTest:     true,
	RouteConflictDecide:   true,
}

// configWords mark a page (GET) as part of a configuration flow when any dot-separated part of
// its route name is one of them: "connections.new", "instances.delete.show", "settings.export".
var configWords = map[string]bool{
	"new": true, "edit": true, "create": true, "update": true, "scope": true, "mapping": true,
	"activate": true, "delete": true, "unlink": true, "confirm": true, "export": true,
	"import": true, "skipfield": true, "skip": true, "form": true, "notify": true, "users": true,
}

// operatorPages are GET pages that would match configWords but an operator may open.
var operatorPages = map[string]bool{
	RouteUserPassword: true, // own password only: passwordTarget refuses others
}

// msgAdminOnly is the 403 an operator sees.
const msgAdminOnly = "Your console role is operator: you may read every page and press Retry, Dismiss, Resync, Pause and Resume, but configuration, users and export are for administrators. Ask an administrator to make this change, or to give you the administrator role."

// errAdminOnly is the refusal of requireRole; the audit records it for every method.
var errAdminOnly = echo.NewHTTPError(http.StatusForbidden, msgAdminOnly)

// operatorMay reports whether an operator may use the route with this name and method.
func operatorMay(name, method string) bool {
	if unsafeMethod(method) {
		return operatorActions[name]
	}
	if operatorPages[name] {
		return true
	}
	for _, part := range strings.Split(name, ".") {
		if configWords[part] {
			return false
		}
	}
	return true
}

// requireRole refuses the route to users whose role does not allow it. It runs after
// requireSession, so the user is known.
func requireRole(name string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := currentUser(c)
			if u == nil || u.Role() == models.ConsoleAdmin || operatorMay(name, c.Request().Method) {
				return next(c)
			}
			return errAdminOnly
		}
	}
}

// isAdmin reports whether the request's user is an administrator (for views that hide buttons).
func isAdmin(c echo.Context) bool {
	return currentUser(c).Role() == models.ConsoleAdmin
}
