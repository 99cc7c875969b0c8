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

// userTitle is the tooltip of the user's name in the header: who they are to the console.
func userTitle(role string) string {
	if role == "operator" {
		return "Logged in as an operator: read everything, press Retry, Dismiss, Resync, Pause and Resume; configuration is for administrators"
	}
	return "Logged in as an administrator"
}
