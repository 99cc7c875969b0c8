package web

import (
	"context"
	"fmt"
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

	"github.com/airlock-sync/airlock/models"
)

// TestBrowserDashboardRefreshesInPlace drives headless chromium through the C3 area: the
// dashboard's count of carried changes updates by itself (htmx polling, no navigation) after an
// event is recorded; then find a twin by key, open it (both issues read live from emulated
// Jiras) and resync it.
func TestBrowserDashboardRefreshesInPlace(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := chromiumPath(t)
	w := newTwinWorld(t)
	now := time.Now().UTC()
	tw := w.linkedTwin(t, "Printer on fire <script>alert(1)</script>", "Printer", "Printer")
	for i, lag := range []time.Duration{3 * time.Second, 8 * time.Second} {
		at := now.Add(-time.Duration(i+1) * time.Minute)
		src := at.Add(-lag)
		if i == 0 { // the twin keeps the source's `updated` of its latest crossing
			must(t, w.db.Model(&models.Twin{}).Where("id = ?", tw.ID).Updates(map[string]any{"local_updated": src, "created_at": now.Add(-time.Hour)}).Error)
		}
		must(t, w.db.Create(&models.Event{TwinID: tw.ID, ConnectionID: w.conn.ID, At: at, Direction: models.DirLocalToRemote, Kind: "field",
			Field: "summary", OldValue: "Printer", NewValue: "Printer on fire <img src=x onerror=alert(2)>"}).Error)
	}
	for _, side := range []string{models.SideLocal, models.SideRemote} {
		must(t, w.db.Create(&models.Watermark{ConnectionID: w.conn.ID, Side: side, LastPollAt: &now, LastPollOK: &now}).Error)
	}
	w.db.Model(&models.Instance{}).Where("id IN ?", []uint{w.a.ID, w.ab.ID}).Update("last_ok_at", now)
	srv := httptest.NewServer(w.s.Handler())
	defer srv.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
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
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}
	shot := func(name string) {
		if os.Getenv("AIRLOCK_SCREENSHOT") != "1" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("..", "docs", name)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot written to %s", out)
	}

	step("log in",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), testAdmin),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dashboard-live"]`)))
	if got := text(`[data-testid="count-events"] .count-value`); got != "2" {
		t.Fatalf("events count %q, want 2", got)
	}
	if got := text(`[data-testid="dash-hop-lag"]`); !strings.Contains(got, "median 3s") {
		t.Errorf("lag cell %q", got)
	}
	shot("dashboard.png")

	// Mark the document: a navigation would drop the mark.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.airlockMark = true`)); err != nil {
		t.Fatal(err)
	}
	must(t, w.db.Create(&models.Event{TwinID: tw.ID, ConnectionID: w.conn.ID, At: time.Now().UTC(), Direction: models.DirRemoteToLocal,
		Kind: "comment", NewValue: "a reply"}).Error)
	deadline := time.Now().Add(12 * time.Second)
	// Read through one script call: a swap may replace the node between a query and a read.
	countJS := `(function(){var el=document.querySelector('[data-testid="count-events"] .count-value');return el?el.textContent.trim():""})()`
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](countJS))
		if err != nil {
			t.Fatalf("read the count: %v", err)
		}
		if got == "3" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the events count did not refresh within 12 s")
		}
		step("wait", chromedp.Sleep(250*time.Millisecond))
	}
	if mark, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.airlockMark === true`)); err != nil || !mark {
		t.Errorf("the page navigated instead of refreshing in place (%v)", err)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){var el=document.querySelector('[data-testid="dash-recent"] tbody tr');return el?el.textContent:""})()`)); !strings.Contains(got, "comment") {
		t.Errorf("recent activity not refreshed: %q", got)
	}

	step("find the twin by key",
		chromedp.Click(chromedp.CSS(`[data-testid="nav-twins"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="twin-q"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="twin-q"]`), strings.ToLower(tw.RemoteKey)),
		chromedp.Click(chromedp.CSS(`[data-testid="twin-search"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="twin-fields"]`)))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, fmt.Sprintf("/twins/%d", tw.ID)) {
		t.Errorf("search went to %q", loc)
	}
	if got := text(`[data-testid="twin-local-summary"]`); got != "Printer on fire <script>alert(1)</script>" {
		t.Errorf("local summary %q", got)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="twin-field-summary"]').dataset.state`)); got != "pending" {
		t.Errorf("summary state %q", got)
	}
	shot("twin.png")
	step("resync",
		chromedp.Click(chromedp.CSS(`[data-testid="twin-resync"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	if got := text(`[data-testid="flash-success"]`); !strings.Contains(got, "queued") {
		t.Errorf("resync flash %q", got)
	}
	if len(w.enq.reconciles) != 1 {
		t.Errorf("enqueued %v", w.enq.reconciles)
	}
	step("activity", chromedp.Click(chromedp.CSS(`[data-testid="nav-activity"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="activity-table"]`)))
	shot("activity.png")

	mu.Lock()
	defer mu.Unlock()
	for _, c := range complaints {
		t.Errorf("browser reported: %s", c)
	}
}
