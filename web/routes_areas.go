package web

// areaRoutes collects the route tables of the console areas, each defined in its own
// routes_<area>.go file so areas can grow independently.
func (s *Server) areaRoutes() [][]route {
	return [][]route{
		s.instancesRoutes(),
		s.settingsRoutes(),
		s.errorsRoutes(),
		s.conflictsRoutes(),
		s.bulkRoutes(),
		s.connectionsRoutes(),
		s.securityRoutes(),
		s.dashboardRoutes(), s.twinsRoutes(), s.activityRoutes(),
		s.metricsRoutes(),
	}
}
