package web

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// TestBrowserConnectionLifecycle walks a connection's life in headless chromium against two
// emulated Jiras: a draft syncs nothing; activation shows the scope and starts a backfill whose
// issues appear on the relay; a second connection on the same scope is refused naming both;
// the delete confirmation names the counts and every Jira issue remains afterwards.
func TestBrowserConnectionLifecycle(t *testing.T) {
	needBrowser(t)
	e := newConnEnv(t)
	ctx := context.Background()
	for _, s := range []string{"Old printer", "Old scanner"} {
		if _, err := e.human(t, "A").CreateIssue(ctx, jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": "ALPHA"},
			"issuetype": map[string]string{"name": "Task"}, "summary": s}}); err != nil {
			t.Fatal(err)
		}
	}
	doc, _ := json.Marshal(engine.DefaultRules())
	cn := &models.Connection{Name: "Ops to relay", LocalInstanceID: e.a.ID, RemoteInstanceID: e.ab.ID, LocalProject: "ALPHA", RemoteProject: "RELAY",
		PollIntervalMS: 5000, Rules: string(doc), ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteIgnore, Draft: true}
	if err := e.db.Create(cn).Error; err != nil {
		t.Fatal(err)
	}
	id := strconv.Itoa(int(cn.ID))
	b := loggedInBrowser(t, serveConsole(t, e.s), "/connections/"+id, `[data-testid="draft-notice"]`,
		browserOpts{timeout: 60 * time.Second, expected: "422"})
	if n := relayIssues(t, e); n != 0 {
		t.Fatalf("the relay holds %d issues before activation", n)
	}

	b.step("open the activation page",
		chromedp.Click(chromedp.CSS(`[data-testid="connection-activate"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="activate-form"]`)))
	if got := b.text(`[data-testid="activate-count-local"]`); !strings.Contains(got, "2 issue(s)") {
		t.Errorf("scope count %q", got)
	}
	if got := b.text(`[data-testid="activate-preview"]`); !strings.Contains(got, "create a new issue") {
		t.Errorf("sample preview %q", got)
	}
	b.docShot("connection-activate.png")
	b.step("activate with a backfill",
		chromedp.Click(chromedp.CSS(`[data-testid="activate-backfill"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="activate-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="bulk-job"]`)),
		waitJS(`document.querySelector('[data-testid="bulk-job"]').dataset.state === "done"`))
	if n := relayIssues(t, e); n != 2 {
		t.Fatalf("after the backfill the relay holds %d issues, want 2", n)
	}

	b.step("a second connection on the same scope is refused",
		chromedp.Navigate(b.base+"/connections/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connection-form"]`)),
		waitJS(`document.querySelectorAll('[data-testid="local-project"] option[value="ALPHA"]').length === 1`),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="conn-name"]`), "Everything"),
		choose(`[data-testid="local-project"]`, "ALPHA"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="local-issuetype-Task"]`)),
		choose(`[data-testid="remote-project"]`, "RELAY"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="remote-issuetype-Task"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="conn-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="overlap-error"]`)))
	if got := b.text(`[data-testid="overlap-error"]`); !strings.Contains(got, "Everything") || !strings.Contains(got, "Ops to relay") {
		t.Errorf("overlap refusal %q does not name both connections", got)
	}

	b.step("delete the connection",
		chromedp.Navigate(b.base+"/connections/"+id),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connection-delete"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="connection-delete"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="conn-delete-confirm"]`)))
	if got := b.text(`[data-testid="delete-twins"]`); !strings.Contains(got, "2 linked issue pair") {
		t.Errorf("delete confirmation %q", got)
	}
	b.step("confirm",
		chromedp.Click(chromedp.CSS(`[data-testid="delete-remove-properties"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="conn-delete-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	var n int64
	e.db.Model(&models.Twin{}).Count(&n)
	if n != 0 {
		t.Errorf("%d twins left", n)
	}
	if got := relayIssues(t, e); got != 2 {
		t.Errorf("after the delete the relay holds %d issues, want 2 (they stay)", got)
	}
	b.noComplaints()
}

// relayIssues counts the issues of the relay project.
func relayIssues(t *testing.T, e *connEnv) int {
	t.Helper()
	is, err := e.human(t, "AB").SearchAll(context.Background(), jira.SearchQuery{JQL: "project = RELAY", Fields: []string{"key"}}, jira.SearchAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(is)
}
