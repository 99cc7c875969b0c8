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

// TestBrowserConnections walks the connections area in headless chromium against two emulated
// Jiras: the guided setup (projects and issue types loaded from Jira, a bad JQL answered by
// Jira beside the field), a new mapping row with its value map, then a preview of an issue
// that writes nothing. No Content-Security-Policy violation and no script error may occur.
func TestBrowserConnections(t *testing.T) {
	needBrowser(t)
	e := newConnEnv(t)
	b := loggedInBrowser(t, serveConsole(t, e.s), "/connections", `[data-testid="empty-connections"]`,
		browserOpts{timeout: 40 * time.Second, expected: "422"}) // 422 answers are expected here (validation)

	// Step 1: the guided setup.
	b.step("open the setup",
		chromedp.Click(chromedp.CSS(`[data-testid="connections-add"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connection-form"]`)),
		waitJS(`document.querySelectorAll('[data-testid="local-project"] option[value="ALPHA"]').length === 1`))
	b.step("choose the projects (htmx loads their issue types)",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="conn-name"]`), "Ops to relay"),
		choose(`[data-testid="local-project"]`, "ALPHA"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="local-issuetype-Task"]`)),
		choose(`[data-testid="remote-project"]`, "RELAY"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="remote-issuetype-Task"]`)))
	b.step("a bad JQL is answered by Jira beside the field",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="local-jql"]`), "labels = "),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="local-jql-error"]`)))
	if msg := b.read("jql error", chromedp.Text(chromedp.CSS(`[data-testid="local-jql-error"]`))); !strings.Contains(msg, "Jira says") {
		t.Errorf("JQL error %q", msg)
	}
	b.step("fix the JQL and create",
		choose(`[data-testid="local-jql"]`, ""),
		chromedp.Click(chromedp.CSS(`[data-testid="local-issuetype-Task"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="conn-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="mapping-form"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))

	// Step 2: a new mapping row, Severity on both sides, with its value map.
	rows := b.count(`[data-testid="mapping-row"]`)
	b.step("add a row",
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-add"]`)),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]').length === `+strconv.Itoa(rows+1)))
	last := `[data-testid="mapping-row"]:last-of-type `
	b.step("pick Severity on both sides",
		chromedp.SendKeys(chromedp.CSS(last+`[data-testid="row-name"]`), "severity"),
		choose(last+`[data-testid="row-local"]`, "customfield_10102"),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]:last-of-type select[data-testid="row-local"] option[value="customfield_10102"][selected]').length === 1`),
		choose(last+`[data-testid="row-remote"]`, "customfield_10102"),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]:last-of-type [data-testid="value-remote"] option[value="S1 - Critical"][selected]').length === 1`))
	if n := b.count(last + `[data-testid="value-pair"]`); n != 3 {
		t.Errorf("%d severity values in the value map, want 3", n)
	}
	b.docShot("connections.png")
	b.step("save the mapping",
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connection-counts"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	b.docShot("connections-overview.png")
	var cn models.Connection
	if err := e.db.Where("name = ?", "Ops to relay").First(&cn).Error; err != nil {
		t.Fatal(err)
	}
	rules, err := engine.ParseRules(cn.Rules)
	if err != nil {
		t.Fatal(err)
	}
	if f := rules.Fields[len(rules.Fields)-1]; f.Name != "severity" || f.Kind != engine.KindSelect || f.Values["S1 - Critical"] != "S1 - Critical" {
		t.Errorf("saved rule %+v", f)
	}
	if cn.LocalIssueTypes != "Task" {
		t.Errorf("issue types %q", cn.LocalIssueTypes)
	}

	// Preview an issue of A: what would leave and the create on AB, with nothing written.
	is, err := e.human(t, "A").CreateIssue(context.Background(), jira.IssueInput{Fields: map[string]any{
		"project": map[string]string{"key": "ALPHA"}, "issuetype": map[string]string{"name": "Task"},
		"summary": `<script>window.pwned=1</script> Broken printer`, "customfield_10102": map[string]string{"value": "S1 - Critical"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range e.sim.Instances() {
		i.Log().Clear()
	}
	b.step("preview",
		chromedp.Click(chromedp.CSS(`[data-testid="tab-preview"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="preview-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="preview-key"]`), strings.ToLower(is.Key)),
		chromedp.Click(chromedp.CSS(`[data-testid="preview-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="preview-would-create"]`)))
	if got := b.read("leaving", chromedp.Text(chromedp.CSS(`[data-testid="preview-leaving"]`))); !strings.Contains(got, "S1 - Critical") ||
		!strings.Contains(got, "<script>") {
		t.Errorf("leaving values %q", got)
	}
	if pwned, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.pwned === 1`)); pwned {
		t.Error("a script from Jira data ran")
	}
	b.docShot("connections-preview.png")
	for _, inst := range []string{"A", "AB"} {
		if w := e.writesBy(inst); len(w) > 0 {
			t.Errorf("the preview wrote to %s: %v", inst, w)
		}
	}
	b.noComplaints()
}
