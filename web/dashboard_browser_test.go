package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sync/airlock/models"
)

// TestBrowserDashboardRefreshesInPlace drives headless chromium through the C3 area: the
// dashboard's count of carried changes updates by itself (htmx polling, no navigation) after an
// event is recorded; then find a twin by key, open it (both issues read live from emulated
// Jiras) and resync it.
func TestBrowserDashboardRefreshesInPlace(t *testing.T) {
	needBrowser(t)
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
	b := loggedInBrowser(t, serveConsole(t, w.s), "/", `[data-testid="dashboard-live"]`, browserOpts{})
	if got := b.text(`[data-testid="count-events"] .count-value`); got != "2" {
		t.Fatalf("events count %q, want 2", got)
	}
	if got := b.text(`[data-testid="dash-hop-lag"]`); !strings.Contains(got, "median 3s") {
		t.Errorf("lag cell %q", got)
	}
	b.docShot("dashboard.png")

	// Mark the document: a navigation would drop the mark.
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.airlockMark = true`)); err != nil {
		t.Fatal(err)
	}
	must(t, w.db.Create(&models.Event{TwinID: tw.ID, ConnectionID: w.conn.ID, At: time.Now().UTC(), Direction: models.DirRemoteToLocal,
		Kind: "comment", NewValue: "a reply"}).Error)
	deadline := time.Now().Add(12 * time.Second)
	// Read through one script call: a swap may replace the node between a query and a read.
	countJS := `(function(){var el=document.querySelector('[data-testid="count-events"] .count-value');return el?el.textContent.trim():""})()`
	for {
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](countJS))
		if err != nil {
			t.Fatalf("read the count: %v", err)
		}
		if got == "3" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the events count did not refresh within 12 s")
		}
		b.step("wait", chromedp.Sleep(250*time.Millisecond))
	}
	if mark, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.airlockMark === true`)); err != nil || !mark {
		t.Errorf("the page navigated instead of refreshing in place (%v)", err)
	}
	if got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(function(){var el=document.querySelector('[data-testid="dash-recent"] tbody tr');return el?el.textContent:""})()`)); !strings.Contains(got, "comment") {
		t.Errorf("recent activity not refreshed: %q", got)
	}

	b.step("find the twin by key",
		chromedp.Click(chromedp.CSS(`[data-testid="nav-twins"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="twin-q"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="twin-q"]`), strings.ToLower(tw.RemoteKey)),
		chromedp.Click(chromedp.CSS(`[data-testid="twin-search"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="twin-fields"]`)))
	if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); !strings.HasSuffix(loc, fmt.Sprintf("/twins/%d", tw.ID)) {
		t.Errorf("search went to %q", loc)
	}
	if got := b.text(`[data-testid="twin-local-summary"]`); got != "Printer on fire <script>alert(1)</script>" {
		t.Errorf("local summary %q", got)
	}
	if got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="twin-field-summary"]').dataset.state`)); got != "pending" {
		t.Errorf("summary state %q", got)
	}
	b.docShot("twin.png")
	b.step("resync",
		chromedp.Click(chromedp.CSS(`[data-testid="twin-resync"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	if got := b.text(`[data-testid="flash-success"]`); !strings.Contains(got, "queued") {
		t.Errorf("resync flash %q", got)
	}
	if len(w.enq.reconciles) != 1 {
		t.Errorf("enqueued %v", w.enq.reconciles)
	}
	b.step("activity", chromedp.Click(chromedp.CSS(`[data-testid="nav-activity"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="activity-table"]`)))
	b.docShot("activity.png")

	b.noComplaints()
}
