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
// Σ Progress) are not offered where the row writes, and a source-only side offers them; Watchers,
// on no screen, are offered (written through the watcher resource).
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
	for _, id := range []string{"created", "votes", "aggregateprogress"} {
		for _, side := range []string{"row-local", "row-remote"} {
			if n := b.count(last + `[data-testid="` + side + `"] option[value="` + id + `"]`); n != 0 {
				t.Errorf("read-only %s offered in the %s picker of a both-ways row", id, side)
			}
		}
	}
	// Watchers are on no screen but written through the watcher resource (issue 14).
	if b.count(last+`[data-testid="row-remote"] option[value="watches"]`) != 1 {
		t.Error("watchers not offered as a target")
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

// TestBrowserMappingSLARefusedAsTarget drives the mapping editor of A's service project HELP in
// headless chromium: the SLA "Time to resolution" is offered in no picker of a two-way row, is
// offered on A's side once the row runs one way from A, and when the row is turned to write into
// A the save is refused with the reason beside the SLA (the choice kept, nothing saved); made
// one way again, it saves as an SLA rule into the relay's Environment.
func TestBrowserMappingSLARefusedAsTarget(t *testing.T) {
	needBrowser(t)
	e, cn := jsmConnEnv(t, engine.DefaultRules())
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	// The 422 of the refused save is expected; anything else is a complaint.
	b := loggedInBrowser(t, serveConsole(t, e.s), path, `[data-testid="mapping-form"]`, browserOpts{timeout: 50 * time.Second, expected: "status of 422"})
	if b.count(`[data-testid="mapping-jsm-help"]`) != 1 {
		t.Error("the page does not explain the service desk fields")
	}
	rows := b.count(`[data-testid="mapping-row"]`)
	last := `[data-testid="mapping-row"]:last-of-type `
	sla := `option[value="` + simSLAResolve + `"]`
	b.step("add a row",
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-add"]`)),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]').length === `+strconv.Itoa(rows+1)))
	if n := b.count(`[data-testid="mapping-row"] ` + sla); n != 0 {
		t.Errorf("the SLA is offered %d times in two-way rows", n)
	}
	b.step("one way from A: A's side is a source and offers the SLA",
		chromedp.SendKeys(chromedp.CSS(last+`[data-testid="row-name"]`), "ttr"),
		choose(last+`[data-testid="row-dir"]`, "out"),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]:last-of-type [data-testid="row-local"] `+sla+`').length === 1`))
	if n := b.count(last + `[data-testid="row-remote"] option[value="environment"]`); n != 1 {
		t.Fatal("the relay's Environment is not offered as the target")
	}
	b.step("the SLA into the relay's Environment",
		choose(last+`[data-testid="row-local"]`, simSLAResolve),
		waitJS(`!!document.querySelector('[data-testid="mapping-row"]:last-of-type [data-testid="row-note"][data-kind="sla"]')`),
		choose(last+`[data-testid="row-remote"]`, "environment"),
		// Both fields chosen: the refreshed row asks for its first sync.
		chromedp.WaitVisible(chromedp.CSS(last+`[data-testid="row-first-sync"]`)))
	b.step("turn the row to write into A, and save",
		choose(last+`[data-testid="row-dir"]`, "in"),
		// The refreshed row keeps the SLA, now labelled read-only, where it would be written.
		waitJS(`(document.querySelector('[data-testid="mapping-row"]:last-of-type [data-testid="row-local"] `+sla+`')||{textContent:""}).textContent.includes("read-only here")`))
	b.step("save",
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="form-errors"]`)))
	msg := b.text(last + `[data-testid="row-local-error"]`)
	if !strings.Contains(msg, "Time to resolution (customfield_10204) is an SLA") || !strings.Contains(msg, "only be a source") {
		t.Errorf("error beside the SLA: %q", msg)
	}
	if !b.eval(`document.querySelector('[data-testid="mapping-row"]:last-of-type [data-testid="row-local"]').value === "` + simSLAResolve + `"`) {
		t.Error("the refused choice was not kept")
	}
	b.docShot("mapping-sla-refused.png")
	var stored models.Connection
	e.db.First(&stored, cn.ID)
	if strings.Contains(stored.Rules, simSLAResolve) {
		t.Fatal("the refused mapping was saved")
	}
	b.step("one way from A again, and save",
		choose(last+`[data-testid="row-dir"]`, "out"),
		waitJS(`(document.querySelector('[data-testid="mapping-row"]:last-of-type [data-testid="row-dir"]')||{}).value === "out"`),
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	b.noComplaints()
	e.db.First(&stored, cn.ID)
	rules, err := engine.ParseRules(stored.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if f := rules.Fields[len(rules.Fields)-1]; f.Name != "ttr" || f.Kind != engine.KindSLA || f.Local != simSLAResolve || f.Remote != "environment" || f.Direction != engine.DirOut {
		t.Errorf("saved rule %+v, want ttr: SLA one way into environment", f)
	}
}
