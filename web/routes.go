package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Route names: every URL the console builds comes from these through echo's Reverse.
const (
	RouteDashboard   = "dashboard"
	RouteInstances   = "instances"
	RouteConnections = "connections"
	RouteTwins       = "twins"
	RouteErrors      = "errors"
	RouteConflicts   = "conflicts"
	RouteActivity    = "activity"
	RouteSettings    = "settings"
	RouteLogin       = "login"
	RouteLoginSubmit = "login.submit"
	RouteLogout      = "logout"
	RouteHealthz     = "healthz"
	RouteReadyz      = "readyz"
	RouteStatic      = "static"
)

// RouteInfo describes one route for tests and documentation.
type RouteInfo struct {
	Method string
	Path   string
	Name   string
	// Public routes need no session: login, health checks and static files.
	Public bool
}

// navItem is one entry of the main navigation, in display order.
type navItem struct{ route, label string }

var navOrder = []navItem{
	{RouteDashboard, "Dashboard"},
	{RouteInstances, "Instances"},
	{RouteConnections, "Connections"},
	{RouteTwins, "Twins"},
	{RouteBulk, "Bulk"},
	{RouteErrors, "Errors"},
	{RouteConflicts, "Conflicts"},
	{RouteActivity, "Activity"},
	{RouteSettings, "Settings"},
}

// route is one row of the route table.
type route struct {
	method, path, name string
	public             bool
	h                  echo.HandlerFunc
	mw                 []echo.MiddlewareFunc
}

// register adds every route. Paths, names and access are decided in the route tables: the core
// table below and one routes_<area>.go file per console area (instances, connections, ...).
func (s *Server) register() {
	table := []route{
		// Public.
		{http.MethodGet, "/healthz", RouteHealthz, true, s.healthzShow, nil},
		{http.MethodGet, "/readyz", RouteReadyz, true, s.readyzShow, nil},
		{http.MethodGet, "/static/*", RouteStatic, true, s.staticShow, []echo.MiddlewareFunc{middleware.Gzip()}},
		{http.MethodGet, "/login", RouteLogin, true, s.loginShow, nil},
		{http.MethodPost, "/login", RouteLoginSubmit, true, s.loginSubmit, nil},
		// Console: a session is required, and CSRF on unsafe methods.
		{http.MethodGet, "/", RouteDashboard, false, s.dashboardShow, nil},
		{http.MethodGet, "/instances", RouteInstances, false, s.instanceList, nil},
		{http.MethodGet, "/connections", RouteConnections, false, s.connectionList, nil},
		{http.MethodGet, "/twins", RouteTwins, false, s.twinList, nil},
		{http.MethodGet, "/errors", RouteErrors, false, s.errorList, nil},
		{http.MethodGet, "/conflicts", RouteConflicts, false, s.conflictList, nil},
		{http.MethodGet, "/activity", RouteActivity, false, s.activityList, nil},
		{http.MethodGet, "/settings", RouteSettings, false, s.settingsShow, nil},
		{http.MethodPost, "/logout", RouteLogout, false, s.logoutSubmit, nil},
	}
	for _, area := range s.areaRoutes() {
		table = append(table, area...)
	}
	for _, rt := range table {
		mw := rt.mw
		switch {
		case !rt.public:
			// Session (and CSRF), then the audit, then the role: refused attempts are audited.
			mw = append([]echo.MiddlewareFunc{s.requireSession, s.audit(rt.name, rt.path), requireRole(rt.name)}, mw...)
		case rt.name == RouteLoginSubmit:
			mw = append([]echo.MiddlewareFunc{s.audit(rt.name, rt.path)}, mw...)
		}
		route := s.e.Add(rt.method, rt.path, rt.h, mw...)
		route.Name = rt.name
		s.routes = append(s.routes, RouteInfo{Method: rt.method, Path: rt.path, Name: rt.name, Public: rt.public})
	}
}

// url returns the path of a named route.
func (s *Server) url(name string) string { return s.e.Reverse(name) }
