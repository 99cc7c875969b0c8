package web

// areaRoutes collects the route tables of the console areas, each defined in its own
// routes_<area>.go file so areas can grow independently.
func (s *Server) areaRoutes() [][]route {
	return [][]route{}
}
