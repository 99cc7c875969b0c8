package web

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// TestBrowserMappingFirstSyncAndWritableFields maps "Customer Reference" anew on a connection
// whose twins hold values on both sides, in headless chromium: the row asks for its first-sync
// choice, "fill empty targets only" is the default with nothing overwritten, "take A's value"
// counts the one twin whose relay value it would overwrite; read-only fields (Created, Votes,
// Watchers, Σ Progress) are not offered where the row writes, and a source-only side offers them.
func TestBrowserMappingFirstSyncAndWritableFields(t *testing.T) {
	needBrowser(t)
	e := newConnEnv(t)
	cn := e.connection(t, engine.DefaultRules())
	ctx := context.Background()
	var keys []string
	for _, ref := range []string{"CR-1", "CR-2"} {
		is, err := e.human(t, "A").CreateIssue(ctx, jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": "ALPHA"},
			"issuetype": map[string]string{"name": "Task"}, "summary": "first sync " + ref, "customfield_10100": ref}})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, is.Key)
	}
	syncAll(t, e, cn)
	var twins []models.Twin
	e.db.Where("connection_id = ?", cn.ID).Order("id").Find(&twins)
	if len(twins) != 2 {
		t.Fatalf("%d twins, want 2", len(twins))
	}
	// The relay already holds its own reference on one issue: taking A's value would overwrite it.
	if err := e.human(t, "AB").UpdateIssue(ctx, twins[0].RemoteKey, jira.IssueInput{Fields: map[string]any{"customfield_10100": "THEIRS"}}, jira.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	b := loggedInBrowser(t, serveConsole(t, e.s), path, `[data-testid="mapping-form"]`, browserOpts{timeout: 50 * time.Second})
	if n := b.count(`[data-testid="row-first-sync"]`); n != 0 {
		t.Errorf("%d first-sync choices on the saved mapping, want none", n)
	}
	rows := b.count(`[data-testid="mapping-row"]`)
	last := `[data-testid="mapping-row"]:last-of-type `
	b.step("add a row",
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-add"]`)),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]').length === `+strconv.Itoa(rows+1)))
	for _, id := range []string{"created", "votes", "watches", "aggregateprogress"} {
		for _, side := range []string{"row-local", "row-remote"} {
			if n := b.count(last + `[data-testid="` + side + `"] option[value="` + id + `"]`); n != 0 {
				t.Errorf("read-only %s offered in the %s picker of a both-ways row", id, side)
			}
		}
	}
	if b.count(last+`[data-testid="row-remote"] option[value="customfield_10100"]`) != 1 || b.count(last+`[data-testid="row-remote"] option[value="summary"]`) != 1 {
		t.Error("writable fields missing from the target picker")
	}
	b.step("one-way local -> remote: the local side is a source only and offers Created",
		choose(last+`[data-testid="row-dir"]`, "out"),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]:last-of-type [data-testid="row-local"] option[value="created"]').length === 1`))
	if n := b.count(last + `[data-testid="row-remote"] option[value="votes"]`); n != 0 {
		t.Error("Votes offered as the target of a one-way row")
	}

	b.step("map Customer Reference both ways",
		choose(last+`[data-testid="row-dir"]`, "both"),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]:last-of-type [data-testid="row-local"] option[value="created"]').length === 0`),
		chromedp.SendKeys(chromedp.CSS(last+`[data-testid="row-name"]`), "customer_ref"),
		choose(last+`[data-testid="row-local"]`, "customfield_10100"),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]:last-of-type [data-testid="row-local"] option[value="customfield_10100"][selected]').length === 1`),
		choose(last+`[data-testid="row-remote"]`, "customfield_10100"),
		chromedp.WaitVisible(chromedp.CSS(last+`[data-testid="row-first-sync-count"]`)))
	if !b.eval(`document.querySelector('[data-testid="mapping-row"]:last-of-type [data-testid="row-first-sync-choice"]').value === "fill"`) {
		t.Error("the default first-sync choice is not \"fill empty targets only\"")
	}
	if got := b.text(last + `[data-testid="row-first-sync-count"]`); !strings.HasPrefix(got, "0 values would be overwritten (of 2 twins") {
		t.Errorf("count with fill: %q", got)
	}
	if n := b.count(`[data-testid="row-first-sync"]`); n != 1 {
		t.Errorf("%d rows ask for a first-sync choice, want only the new one", n)
	}
	b.step("take A's value: one relay value would be overwritten",
		choose(last+`[data-testid="row-first-sync-choice"]`, "local"),
		waitJS(`(document.querySelector('[data-testid="mapping-row"]:last-of-type [data-testid="row-first-sync-count"]')||{}).textContent.startsWith("1 value would be overwritten")`))
	b.docShot("mapping-first-sync.png")
	b.step("save",
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	b.noComplaints()
	var got models.Connection
	e.db.First(&got, cn.ID)
	rules, err := engine.ParseRules(got.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if f := rules.Fields[len(rules.Fields)-1]; f.Name != "customer_ref" || f.FirstSync != engine.FirstSyncLocal {
		t.Errorf("saved rule %+v, want customer_ref with first sync local", f)
	}
}

// syncAll polls both sides of a connection and reconciles its dirty twins until quiet.
func syncAll(t *testing.T, e *connEnv, cn *models.Connection) {
	t.Helper()
	ctx := context.Background()
	for range 6 {
		for _, side := range []string{models.SideLocal, models.SideRemote} {
			if _, err := e.engine.Poll(ctx, cn.ID, side); err != nil {
				t.Fatalf("poll %s: %v", side, err)
			}
		}
		var twins []models.Twin
		e.db.Where("connection_id = ? AND dirty = ?", cn.ID, true).Find(&twins)
		if len(twins) == 0 {
			return
		}
		for _, tw := range twins {
			if err := e.engine.Reconcile(ctx, tw.ID); err != nil {
				t.Fatalf("reconcile: %v", err)
			}
		}
	}
}
