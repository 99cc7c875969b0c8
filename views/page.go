// Package views holds the console's templ components: the layout, one file per page and the
// shared pieces (flash messages, empty states). Views only render what the web handlers hand them.
package views

import (
	"fmt"
	"time"
)

// FlashKind is the type of a flash message; the layout styles each kind differently.
type FlashKind string

// Flash kinds, from good news to bad.
const (
	FlashSuccess FlashKind = "success"
	FlashInfo    FlashKind = "info"
	FlashWarning FlashKind = "warning"
	FlashError   FlashKind = "error"
)

// Flash is a one-time message shown by the layout after a redirect (Post/Redirect/Get).
type Flash struct {
	Kind    FlashKind
	Message string
}

// BlockedInstance is an instance Airlock stopped calling after an authentication failure, and
// where to fix it.
type BlockedInstance struct {
	Name, EditURL string
}

// NavItem is one entry of the main navigation.
type NavItem struct {
	Label  string
	URL    string
	Name   string // route name, used as data-testid suffix
	Active bool
}

// Page is what the layout needs on every request: who is logged in, the CSRF token, navigation,
// flashes and notices. Handlers build it once per request.
type Page struct {
	Title string
	// User is the logged-in user's name; empty for the bare layout (login, errors when logged out).
	User string
	// Role is the user's console role ("admin" or "operator"); operators see no configuration
	// buttons (app.css hides them; the server refuses them anyway).
	Role string
	// CSRF is the token every unsafe request must carry (form field _csrf or header X-CSRF-Token).
	CSRF string
	// HXHeaders is the JSON for the body's hx-headers attribute, so htmx requests carry the token.
	HXHeaders string
	Nav       []NavItem
	HomeURL   string
	LogoutURL string
	Flashes   []Flash
	// EmbeddedQueue shows the "embedded queue, not durable" notice (dev's in-process miniredis).
	EmbeddedQueue bool
	// Blocked lists the auth-blocked instances, shown as a banner on every page.
	Blocked []BlockedInstance
	Version string
	// Asset maps a file under static/ to its versioned URL; nil means the plain /static/ path.
	Asset func(name string) string
}

// AssetURL returns the URL of a static file, versioned by its content hash when Asset is set.
func (p Page) AssetURL(name string) string {
	if p.Asset == nil {
		return "/static/" + name
	}
	return p.Asset(name)
}

// FullTitle is the document title: the page title followed by the product name.
func (p Page) FullTitle() string {
	if p.Title == "" {
		return "Airlock"
	}
	return p.Title + " · Airlock"
}

// when formats an optional time for tables, in UTC at minute precision.
func when(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// at formats a time for tables, in UTC at minute precision.
func at(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// itoa renders a number for templates.
func itoa[T ~int | ~int64 | ~uint](n T) string { return fmt.Sprint(n) }

// flashClass is the CSS class of a flash kind; unknown kinds are shown as info.
func flashClass(k FlashKind) string {
	switch k {
	case FlashSuccess, FlashInfo, FlashWarning, FlashError:
		return "flash flash-" + string(k)
	}
	return "flash flash-info"
}

// flashRole makes errors and warnings interrupt a screen reader, the rest polite.
func flashRole(k FlashKind) string {
	if k == FlashError || k == FlashWarning {
		return "alert"
	}
	return "status"
}

// truncate shortens long text for table cells.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// dash shows an em dash for an empty cell.
func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// LagText is a hop's lag line: the delivered lag and what still waits, either may be absent.
func (h TopoHop) LagText() string {
	switch {
	case h.Lag != "" && h.Waiting != "":
		return "lag " + h.Lag + " · " + h.Waiting
	case h.Lag != "":
		return "lag " + h.Lag
	}
	return h.Waiting
}
