package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sync/airlock/engine"
)

// TestBrowserOperatorAndAudit: in a real headless chromium an operator opens a configuration
// page and gets the 403 that explains, presses Retry on an error and it works; then the
// administrator finds both actions in the audit under Settings, with the detail of the retry.
func TestBrowserOperatorAndAudit(t *testing.T) {
	needBrowser(t)
	db := adminDB(t)
	sd := seedErrors(t, db)
	addOperator(t, db, "oscar")
	q := &errorsEnqueuer{}
	s := newTestConsole(t, Deps{DB: db, Queue: &fakeQueue{}, Engine: &engine.Engine{DB: db, Enqueuer: q}})
	base := serveConsole(t, s)

	op := newBrowser(t, base, browserOpts{expected: "status of 403"})
	op.step("log in as operator",
		chromedp.Navigate(base+"/errors"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "oscar"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-groups"]`)))
	op.step("instances list", chromedp.Navigate(base+"/instances"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-user"][data-role="operator"]`)))
	if !op.eval(`(function(){var a=document.querySelector('a[href="/instances/new"]');return !!a && a.offsetParent===null})()`) {
		t.Error("the operator sees the Add instance button (or the page has none)")
	}
	op.step("open a configuration page",
		chromedp.Navigate(base+"/instances/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-page"]`)))
	if !op.eval(`document.querySelector('[data-testid="error-page"]').dataset.status === "403"`) {
		t.Error("operator on /instances/new: not a 403 page")
	}
	if msg := op.text(`[data-testid="error-message"]`); !strings.Contains(msg, "operator") || !strings.Contains(msg, "administrator") {
		t.Errorf("403 message %q does not explain the role", msg)
	}
	op.docShot("operator-403.png")
	op.step("retry as operator",
		chromedp.Navigate(fmt.Sprintf("%s/errors/%d", base, sd.errQ.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-detail"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="error-retry"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	if got := q.enqueued(); len(got) != 1 || got[0] != sd.twinQ.ID {
		t.Errorf("operator retry enqueued %v", got)
	}
	op.noComplaints()

	admin := loggedInBrowser(t, base, "/settings", `[data-testid="settings-audit"]`, browserOpts{})
	admin.step("open the audit",
		chromedp.Click(chromedp.CSS(`[data-testid="audit-open"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="audit-table"]`)))
	admin.docShot("audit.png")
	if n := admin.count(`[data-testid="audit-row"][data-route="errors.retry"][data-user="oscar"][data-status="303"]`); n != 1 {
		t.Errorf("audit rows of the operator's retry: %d, want 1", n)
	}
	if n := admin.count(`[data-testid="audit-row"][data-route="instances.new"][data-user="oscar"][data-status="403"]`); n != 1 {
		t.Errorf("audit rows of the refused configuration page: %d, want 1", n)
	}
	if n := admin.count(`[data-testid="audit-row"][data-route="login.submit"][data-user="oscar"]`); n != 1 {
		t.Errorf("audit rows of the operator's login: %d, want 1", n)
	}
	admin.step("filter by the operator",
		choose(`#audit_user`, "oscar"),
		chromedp.Click(chromedp.CSS(`[data-testid="audit-apply"]`)),
		chromedp.WaitReady(chromedp.CSS(`#audit_user option[value="oscar"][selected]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="audit-table"]`)))
	if n, all := admin.count(`[data-testid="audit-row"][data-user="oscar"]`), admin.count(`[data-testid="audit-row"]`); n != all || n != 3 {
		t.Errorf("filtered audit: %d of %d rows are oscar's, want 3 of 3", n, all)
	}
	admin.step("open the retry entry",
		chromedp.Click(chromedp.CSS(`[data-testid="audit-row"][data-route="errors.retry"] [data-testid="audit-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="audit-detail"]`)))
	if got := admin.text(`[data-testid="audit-detail-outcome"]`); !strings.Contains(got, "done") {
		t.Errorf("retry outcome %q", got)
	}
	admin.noComplaints()
}
