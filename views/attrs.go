package views

import "github.com/a-h/templ"

// bodyAttrs sets hx-headers on <body> so every htmx request carries the CSRF token.
func bodyAttrs(p Page) templ.Attributes {
	a := templ.Attributes{}
	if p.HXHeaders != "" {
		a["hx-headers"] = p.HXHeaders
	}
	if p.Role != "" {
		a["data-role"] = p.Role
	}
	return a
}
