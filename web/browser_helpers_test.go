package web

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

// This file holds what the headless-chromium tests (*_browser_test.go) share: finding the
// browser, starting a tab that records the browser's complaints, the small steps every walk
// takes (log in, read, wait for a script condition) and the two kinds of screenshot.

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

// needBrowser skips a browser test in -short mode or without chromium (failing it under CI):
// call it first, before any costly setup.
func needBrowser(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath(t)
}

// adminDB is a fresh database holding the test admin, for a console a browser logs in to.
func adminDB(t *testing.T) *models.DB {
	t.Helper()
	db := modelstest.SQLite(t)
	if _, err := db.EnsureAdmin(context.Background(), testAdmin, testPassword); err != nil {
		t.Fatal(err)
	}
	return db
}

// newTestConsole builds a console from d with the default configuration, a silent logger and
// version "test" wherever d leaves them unset.
func newTestConsole(t *testing.T, d Deps) *Server {
	t.Helper()
	if d.Config == nil {
		cfg, err := config.Load(func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		d.Config = cfg
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Version == "" {
		d.Version = "test"
	}
	s, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serveConsole serves s over httptest until the test ends (after the browser has closed) and
// returns its base URL.
func serveConsole(t *testing.T, s *Server) string {
	t.Helper()
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// browserOpts tunes a browser; the zero value is a 1280x900 window, 60 s for the whole test and
// every error the browser logs counted as a complaint.
type browserOpts struct {
	timeout time.Duration // deadline for everything the browser does; 60 s when zero
	height  int           // window height in pixels; 900 when zero
	// expected is a text whose error-level log entries are not complaints, such as
	// "status of 422" for forms the test submits wrong on purpose; empty counts every error.
	expected string
}

// browser is one headless chromium tab for a browser test: it collects what the browser
// complains about (CSP violations, script errors) and saves screenshots of failing steps and of
// the pages a test chooses.
type browser struct {
	t         *testing.T
	ctx       context.Context
	base      string
	artifacts string
	shots     int

	mu         sync.Mutex
	complaints []string
}

// newBrowser starts chromium against the console at base. Screenshots go to $AIRLOCK_ARTIFACTS
// (a sub-folder per test) or to a temporary folder; the folder is logged. The browser closes
// when the test ends.
func newBrowser(t *testing.T, base string, o browserOpts) *browser {
	t.Helper()
	exe := chromiumPath(t)
	if o.timeout == 0 {
		o.timeout = 60 * time.Second
	}
	if o.height == 0 {
		o.height = 900
	}
	dir := t.TempDir()
	if root := os.Getenv("AIRLOCK_ARTIFACTS"); root != "" {
		dir = filepath.Join(root, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("browser screenshots (failed steps, pages a test saves): %s", dir)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, o.height))
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	t.Cleanup(cancel)
	b := &browser{t: t, ctx: ctx, base: base, artifacts: dir}
	if err := chromedp.Do(ctx); err != nil { // start the browser and open the tab
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *cdplog.EventEntryAdded:
			// CSP violations arrive as log entries; so do failed loads.
			expected := o.expected != "" && strings.Contains(ev.Entry.Text, o.expected)
			if strings.Contains(ev.Entry.Text, "Content Security Policy") ||
				(ev.Entry.Level == cdplog.EntryLevelError && !expected) {
				b.complaints = append(b.complaints, ev.Entry.Text+" "+ev.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			b.complaints = append(b.complaints, "uncaught exception: "+ev.ExceptionDetails.Text)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return b
}

// loggedInBrowser starts a browser and logs in as the test admin from path (which must send
// an anonymous visitor to the login page), waiting for waitFor on the page it lands on.
func loggedInBrowser(t *testing.T, base, path, waitFor string, o browserOpts) *browser {
	t.Helper()
	b := newBrowser(t, base, o)
	b.login(path, waitFor)
	return b
}

// step runs actions; a failure ends the test, with the page's main element logged under
// AIRLOCK_DEBUG and a screenshot of the failing page saved.
func (b *browser) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		if os.Getenv("AIRLOCK_DEBUG") != "" {
			html, _ := chromedp.Run(context.WithoutCancel(b.ctx), chromedp.Evaluate[string](`document.getElementById("main").outerHTML`))
			b.t.Log(html)
		}
		b.shot("FAILED-" + what)
		b.t.Fatalf("%s: %v", what, err)
	}
}

// read returns a value from the page or ends the test.
func (b *browser) read(what string, a chromedp.Action[string]) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// text returns the trimmed text of the element sel or ends the test.
func (b *browser) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(v)
}

// count returns how many elements match sel or ends the test.
func (b *browser) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// eval evaluates a boolean JavaScript expression.
func (b *browser) eval(expr string) bool {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// shot saves a full-page screenshot named after the step, numbered in visiting order, to the
// artifacts folder.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(context.WithoutCancel(b.ctx), chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.shots++
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(name))
	out := filepath.Join(b.artifacts, fmt.Sprintf("%02d-%s.png", b.shots, safe))
	if err := os.WriteFile(out, png, 0o644); err != nil {
		b.t.Errorf("write screenshot: %v", err)
	}
}

// docShot writes a full-page screenshot to docs/name for the documentation, only when
// AIRLOCK_SCREENSHOT=1; a failure to take or write it ends the test.
func (b *browser) docShot(name string) {
	b.t.Helper()
	if os.Getenv("AIRLOCK_SCREENSHOT") != "1" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	out := filepath.Join("..", "docs", name)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot written to %s", out)
}

// reloadUntil opens path again and again until the JavaScript condition holds on the page:
// the worker runs in the background, and a person would press reload too.
func (b *browser) reloadUntil(what, path, cond string, d time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	for {
		b.step("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS(`#main`)))
		if b.eval(cond) {
			return
		}
		if time.Now().After(deadline) {
			b.shot("FAILED-" + what)
			b.t.Fatalf("timed out waiting for %s on %s (%s)", what, path, cond)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// login opens path, which must send an anonymous visitor to the login page, signs in as the
// test admin and waits for waitFor.
func (b *browser) login(path, waitFor string) {
	b.t.Helper()
	b.step("log in", append([]chromedp.Action[chromedp.Void]{
		chromedp.Navigate(b.base + path),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
	}, submitLogin(waitFor)...)...)
}

// submitLogin fills the login form on screen with the test admin's name and password, submits
// it and waits for waitFor.
func submitLogin(waitFor string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), testAdmin),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(waitFor)),
	}
}

// noComplaints fails the test for every CSP violation or script error the browser reported.
func (b *browser) noComplaints() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.complaints {
		b.t.Errorf("browser reported: %s", c)
	}
}

// choose picks an option and fires change, as a person using the select does. It first waits
// until htmx has taken the element in hand (swapped content is processed after a short settle
// delay).
func choose(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := waitJS(`(function(){var el=document.querySelector(`+jsString(sel)+`);return !!el && (!el.hasAttribute("hx-post") || !!el["htmx-internal-data"])})()`)(ctx, tg); err != nil {
			return err
		}
		_, err := chromedp.Evaluate[bool](`(function(){var el=document.querySelector(`+jsString(sel)+`);el.value=`+jsString(value)+
			`;el.dispatchEvent(new Event("change",{bubbles:true}));return true})()`)(ctx, tg)
		return err
	})
}

// htmxIdle waits until htmx has no request in flight and no swap or settle under way.
func htmxIdle() chromedp.Action[chromedp.Void] {
	return waitJS(`!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`)
}

// runJS runs a JavaScript statement in the page, for a click htmx must see as a person's.
func runJS(stmt string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(function(){`+stmt+`;return true})()`)(ctx, tg)
		return err
	})
}

// jsString quotes a Go string for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitJS waits until a JavaScript expression is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := chromedp.Poll[bool](expr)(ctx, tg); err != nil {
			return fmt.Errorf("wait for %s: %w", expr, err)
		}
		return nil
	})
}
