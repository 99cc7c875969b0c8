package web

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/models/modelstest"
)

// chromiumPath finds the browser: CHROMIUM_PATH, else chromium on PATH. Without one the test is
// skipped, except under CI where it must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found (set CHROMIUM_PATH or install chromium): CI must run the browser test")
	}
	t.Skip("chromium not found: set CHROMIUM_PATH or install chromium to run the browser test")
	return ""
}

// TestBrowserLogin drives a real headless chromium: log in, land on the dashboard, check its
// heading and navigation, that htmx loaded with its CSP-safe config and that the browser
// reported no Content-Security-Policy violation; then log out.
func TestBrowserLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := chromiumPath(t)

	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	db := modelstest.SQLite(t)
	if _, err := db.EnsureAdmin(context.Background(), testAdmin, testPassword); err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Config: cfg, DB: db, Queue: &fakeQueue{embedded: true}, Logger: slog.New(slog.DiscardHandler), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	// Collect what the browser complains about: CSP violations arrive as log entries.
	var mu sync.Mutex
	var complaints []string
	if err := chromedp.Do(ctx); err != nil { // start the browser and open the tab
		t.Fatal(err)
	}
	err = chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError || strings.Contains(ev.Entry.Text, "Content Security Policy") {
				complaints = append(complaints, ev.Entry.Text+" "+ev.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			complaints = append(complaints, "uncaught exception: "+ev.ExceptionDetails.Text)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	read := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}

	step("open a console page",
		chromedp.Navigate(srv.URL+"/twins"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)))
	if loc := read("location", chromedp.Location()); !strings.Contains(loc, "/login?next=%2Ftwins") {
		t.Errorf("unauthenticated visit went to %q, want the login page with next", loc)
	}
	step("log in",
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), testAdmin),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="empty-twins"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-dashboard"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="topology"]`)))

	if h := read("heading", chromedp.Text(chromedp.CSS(`[data-testid="page-title"]`))); h != "Dashboard" {
		t.Errorf("heading %q, want Dashboard", h)
	}
	if u := read("user", chromedp.Text(chromedp.CSS(`[data-testid="current-user"]`))); u != testAdmin {
		t.Errorf("current user %q", u)
	}
	if n := read("notice", chromedp.Text(chromedp.CSS(`[data-testid="embedded-queue-notice"]`))); !strings.Contains(n, "embedded queue, not durable") {
		t.Errorf("embedded notice %q", n)
	}
	nav, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`[data-testid="nav"] a`)))
	if err != nil {
		t.Fatal(err)
	}
	if len(nav) != len(navOrder) {
		t.Errorf("%d navigation links, want %d", len(nav), len(navOrder))
	}
	ready, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof htmx !== "undefined" && htmx.config.includeIndicatorStyles === false`))
	if err != nil || !ready {
		t.Errorf("htmx not loaded or includeIndicatorStyles not false (%v)", err)
	}

	if os.Getenv("AIRLOCK_SCREENSHOT") == "1" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("..", "docs", "console.png")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot written to %s", out)
	}

	step("log out",
		chromedp.Click(chromedp.CSS(`[data-testid="logout"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-info"]`)))
	if f := read("flash", chromedp.Text(chromedp.CSS(`[data-testid="flash-info"]`))); !strings.Contains(f, "You are logged out.") {
		t.Errorf("after logout: %q", f)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, c := range complaints {
		t.Errorf("browser reported: %s", c)
	}
}
