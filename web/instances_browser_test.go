package web

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
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
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

// TestBrowserInstances walks the Instances area in headless chromium: add an instance against
// an emulated Jira through the form (a wrong field first, fixed in place), test it from the
// list, and see the green badge with the sync user's zone; no CSP violation on the way.
func TestBrowserInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := chromiumPath(t)
	sim, err := jirasim.New(jirasim.Options{Name: "A", ContextPath: "/jira"}, jirasim.Options{Name: "AB"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()

	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := models.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	db := modelstest.SQLite(t)
	if _, err := db.EnsureAdmin(context.Background(), testAdmin, testPassword); err != nil {
		t.Fatal(err)
	}
	// A relay instance that already works, so the list shows more than one state.
	relay := &models.Instance{Name: "Relay", BaseURL: sim.Instance("AB").URL(), Role: models.RoleRelay, AuthType: models.AuthPAT, MaxConcurrent: 8}
	if err := relay.SetSecret(sealer, "airlock-pat-AB"); err != nil {
		t.Fatal(err)
	}
	db.Create(relay)
	s, err := New(Deps{Config: cfg, DB: db, Sealer: sealer, Queue: &fakeQueue{embedded: true}, Logger: slog.New(slog.DiscardHandler), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	var complaints []string
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *cdplog.EventEntryAdded:
			// The 422 of the deliberately wrong form is expected; anything else is a complaint.
			if strings.Contains(ev.Entry.Text, "status of 422") {
				return
			}
			if ev.Entry.Level == cdplog.EntryLevelError || strings.Contains(ev.Entry.Text, "Content Security Policy") {
				complaints = append(complaints, ev.Entry.Text+" "+ev.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			complaints = append(complaints, "uncaught exception: "+ev.ExceptionDetails.Text)
		}
	}); err != nil {
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

	step("log in",
		chromedp.Navigate(srv.URL+"/instances"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), testAdmin),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="instances-table"]`)))
	step("open the add form",
		chromedp.Click(chromedp.CSS(`[data-testid="instances-add"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="instance-form"]`)))
	base := sim.Instance("A").URL()
	step("fill the form with the REST path by mistake",
		chromedp.SendKeys(chromedp.CSS(`#name`), "Jira A"),
		chromedp.SendKeys(chromedp.CSS(`#base_url`), base+"/rest/api/2"),
		chromedp.SendKeys(chromedp.CSS(`#username`), "airlock"),
		chromedp.SendKeys(chromedp.CSS(`#secret`), "airlock"),
		chromedp.Click(chromedp.CSS(`[data-testid="instance-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-base_url"]`)))
	if v := read("kept name", chromedp.Value(chromedp.CSS(`#name`))); v != "Jira A" {
		t.Errorf("typed name lost: %q", v)
	}
	step("fix the URL, test the form values, save",
		chromedp.SetValue(chromedp.CSS(`#base_url`), base),
		chromedp.SendKeys(chromedp.CSS(`#secret`), "airlock"),
		chromedp.Click(chromedp.CSS(`[data-testid="instance-form-test"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="test-result-ok"]`)))
	if z := read("zone", chromedp.Text(chromedp.CSS(`[data-testid="test-zone"]`))); z != "Europe/Berlin" {
		t.Errorf("form test zone %q", z)
	}
	step("save",
		chromedp.Click(chromedp.CSS(`[data-testid="instance-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-instance="Jira A"] [data-testid="health-never"]`)))
	step("test both from the list",
		chromedp.Click(chromedp.CSS(`tr[data-instance="Jira A"] [data-testid="instance-test"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-instance="Jira A"] [data-testid="health-ok"]`)),
		chromedp.Click(chromedp.CSS(`tr[data-instance="Relay"] [data-testid="instance-test"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-instance="Relay"] [data-testid="health-ok"]`)))
	if z := read("stored zone", chromedp.Text(chromedp.CSS(`tr[data-instance="Jira A"] [data-testid="instance-zone"]`))); !strings.Contains(z, "Europe/Berlin") {
		t.Errorf("zone in the row %q", z)
	}
	var inst models.Instance
	if err := db.Where("name = ?", "Jira A").First(&inst).Error; err != nil || inst.TimeZone != "Europe/Berlin" || inst.LastOKAt == nil {
		t.Errorf("stored instance: zone %q lastOK %v err %v", inst.TimeZone, inst.LastOKAt, err)
	}

	if os.Getenv("AIRLOCK_SCREENSHOT") == "1" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("..", "docs", "instances.png")
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot written to %s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, c := range complaints {
		t.Errorf("browser reported: %s", c)
	}
}
