package web

import "net/http"

// Route names of the Errors area (the list itself, RouteErrors, is in routes.go).
const (
	RouteErrorShow      = "errors.show"
	RouteErrorRetry     = "errors.retry"
	RouteErrorDismiss   = "errors.dismiss"
	RouteErrorRetryAll  = "errors.retry_all"
	RouteErrorSkipField = "errors.skipfield"
)

// errorsRoutes is the route table of the Errors area.
func (s *Server) errorsRoutes() []route {
	return []route{
		{http.MethodPost, "/errors/retry-all", RouteErrorRetryAll, false, s.errorRetryAll, nil},
		{http.MethodGet, "/errors/:id", RouteErrorShow, false, s.errorShow, nil},
		{http.MethodPost, "/errors/:id/retry", RouteErrorRetry, false, s.errorRetry, nil},
		{http.MethodPost, "/errors/:id/dismiss", RouteErrorDismiss, false, s.errorDismiss, nil},
		{http.MethodPost, "/errors/:id/skip-field", RouteErrorSkipField, false, s.errorSkipField, nil},
	}
}
