package web

import "net/http"

// Route names of the Bulk area.
const (
	RouteBulk            = "bulk"
	RouteBulkLinkPreview = "bulk.link.preview"
	RouteBulkLink        = "bulk.link"
	RouteBulkSync        = "bulk.sync"
	RouteBulkJob         = "bulk.job"
	RouteBulkJobProgress = "bulk.job.progress"
)

// bulkRoutes is the route table of the Bulk area. Its handlers share one in-memory registry of
// background jobs, made here so it lives exactly as long as this Server.
func (s *Server) bulkRoutes() []route {
	b := &bulkArea{s: s, jobs: &bulkJobs{}}
	s.bulk = b
	return []route{
		{http.MethodGet, "/bulk", RouteBulk, false, b.show, nil},
		{http.MethodGet, "/bulk/link/preview", RouteBulkLinkPreview, false, b.linkPreview, nil},
		{http.MethodPost, "/bulk/link", RouteBulkLink, false, b.link, nil},
		{http.MethodPost, "/bulk/sync", RouteBulkSync, false, b.sync, nil},
		{http.MethodGet, "/bulk/jobs/:id", RouteBulkJob, false, b.jobShow, nil},
		{http.MethodGet, "/bulk/jobs/:id/progress", RouteBulkJobProgress, false, b.jobProgress, nil},
	}
}
