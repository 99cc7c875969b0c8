package views

import "github.com/a-h/templ"

// bodyAttrs sets hx-headers on <body> so every htmx request carries the CSRF token.
func bodyAttrs(p Page) templ.Attributes {
	if p.HXHeaders == "" {
		return templ.Attributes{}
	}
	return templ.Attributes{"hx-headers": p.HXHeaders}
}
