package web

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
)

// TestBrowserMappingLinks turns issue links on in headless chromium and maps Blocks to the
// relay's Duplicate: the section lists every link type with the same-named type pre-selected,
// the save stores both choices, and the page raises no complaint (CSP, script errors).
func TestBrowserMappingLinks(t *testing.T) {
	needBrowser(t)
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	b := loggedInBrowser(t, serveConsole(t, e.s), path, `[data-testid="mapping-links"]`, browserOpts{timeout: 50 * time.Second})
	if n := b.count(`[data-testid="link-type-pair"]`); n != 4 {
		t.Errorf("%d link types listed, want 4", n)
	}
	if n := b.count(`[data-testid="link-type-remote"] option[value="Relates"][selected]`); n != 1 {
		t.Errorf("Relates pre-selected %d times, want once", n)
	}
	blocks := `[data-testid="link-type-pair"]:first-of-type [data-testid="link-type-remote"]`
	if got := b.text(`[data-testid="link-type-pair"]:first-of-type [data-testid="link-type-local"]`); got != "Blocks" {
		t.Fatalf("first link type %q, want Blocks", got)
	}
	b.step("links on, Blocks becomes Duplicate",
		chromedp.Click(chromedp.CSS(`[data-testid="links-on"]`)),
		choose(blocks, "Duplicate"))
	b.shot("mapping-links")
	b.step("save",
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	b.noComplaints()
	var got models.Connection
	e.db.First(&got, cn.ID)
	r, err := engine.ParseRules(got.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Links.Enabled || r.Links.Types["Blocks"] != "Duplicate" || len(r.Links.Types) != 1 {
		t.Errorf("saved link rules %+v, want on with Blocks -> Duplicate", r.Links)
	}
}
