package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserLogin drives a real headless chromium: log in, land on the dashboard, check its
// heading and navigation, that htmx loaded with its CSP-safe config and that the browser
// reported no Content-Security-Policy violation; then log out.
func TestBrowserLogin(t *testing.T) {
	needBrowser(t)
	s := newTestConsole(t, Deps{DB: adminDB(t), Queue: &fakeQueue{embedded: true}})
	b := newBrowser(t, serveConsole(t, s), browserOpts{height: 860})

	b.step("open a console page",
		chromedp.Navigate(b.base+"/twins"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)))
	if loc := b.read("location", chromedp.Location()); !strings.Contains(loc, "/login?next=%2Ftwins") {
		t.Errorf("unauthenticated visit went to %q, want the login page with next", loc)
	}
	b.step("log in", append(submitLogin(`[data-testid="empty-twins"]`),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-dashboard"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="topology"]`)))...)

	if h := b.read("heading", chromedp.Text(chromedp.CSS(`[data-testid="page-title"]`))); h != "Dashboard" {
		t.Errorf("heading %q, want Dashboard", h)
	}
	if u := b.read("user", chromedp.Text(chromedp.CSS(`[data-testid="current-user"]`))); u != testAdmin {
		t.Errorf("current user %q", u)
	}
	if n := b.read("notice", chromedp.Text(chromedp.CSS(`[data-testid="embedded-queue-notice"]`))); !strings.Contains(n, "embedded queue, not durable") {
		t.Errorf("embedded notice %q", n)
	}
	nav, err := chromedp.Run(b.ctx, chromedp.Nodes(chromedp.CSSAll(`[data-testid="nav"] a`)))
	if err != nil {
		t.Fatal(err)
	}
	if len(nav) != len(navOrder) {
		t.Errorf("%d navigation links, want %d", len(nav), len(navOrder))
	}
	ready, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`typeof htmx !== "undefined" && htmx.config.includeIndicatorStyles === false`))
	if err != nil || !ready {
		t.Errorf("htmx not loaded or includeIndicatorStyles not false (%v)", err)
	}

	b.docShot("console.png")

	b.step("log out",
		chromedp.Click(chromedp.CSS(`[data-testid="logout"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-info"]`)))
	if f := b.read("flash", chromedp.Text(chromedp.CSS(`[data-testid="flash-info"]`))); !strings.Contains(f, "You are logged out.") {
		t.Errorf("after logout: %q", f)
	}

	b.noComplaints()
}
