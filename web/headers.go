package web

import "github.com/labstack/echo/v4"

// contentSecurityPolicy allows only our own files: no inline script or style, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// securityHeaders sets the browser hardening headers on every response, errors included.
// Cache-Control defaults to no-store, so no console page (credentials, tokens, Jira data) is
// kept by the browser or a proxy; only the static files (static_show.go) replace it with a
// long cache.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}
