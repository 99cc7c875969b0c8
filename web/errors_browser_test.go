package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
)

// TestBrowserErrorsRetry walks the Errors area in a real headless chromium: the grouped list,
// an error's detail with Jira's (hostile) response shown as text, Retry, and the flash.
func TestBrowserErrorsRetry(t *testing.T) {
	needBrowser(t)
	db := adminDB(t)
	sd := seedErrors(t, db)
	must(t, db.Model(&models.SyncError{}).Where("id = ?", sd.errQ.ID).Updates(map[string]any{
		"request":  "PUT /jira/rest/api/2/issue/10001\n{\"fields\":{\"customfield_1\":\"x\"}}",
		"response": `{"errorMessages":[],"errors":{"customfield_1":"<img src=x onerror=\"document.title='pwned'\">"}}`}).Error)
	q := &errorsEnqueuer{}
	s := newTestConsole(t, Deps{DB: db, Queue: &fakeQueue{}, Engine: &engine.Engine{DB: db, Enqueuer: q}})
	// This walk never checked the browser's complaints; it still does not call b.noComplaints.
	b := loggedInBrowser(t, serveConsole(t, s), "/errors", `[data-testid="error-groups"]`, browserOpts{})
	b.docShot("errors.png")
	if got := b.read("open tab", chromedp.Text(chromedp.CSS(`[data-testid="errors-tab-open"]`))); got != "Open (7)" {
		t.Errorf("open tab %q", got)
	}
	b.step("open the error",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/errors/%d"]`, sd.errQ.ID))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-detail"]`)))
	if got := b.read("response", chromedp.Text(chromedp.CSS(`[data-testid="error-response"] pre`))); !strings.Contains(got, `<img src=x onerror=`) {
		t.Errorf("response excerpt %q is not shown as text", got)
	}
	b.docShot("error-detail.png")
	if title := b.read("title", chromedp.Title()); title == "pwned" {
		t.Error("a script from Jira's response ran")
	}
	b.step("retry",
		chromedp.Click(chromedp.CSS(`[data-testid="error-retry"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	if got := b.read("flash", chromedp.Text(chromedp.CSS(`[data-testid="flash-success"]`))); !strings.Contains(got, "Retried 1.") {
		t.Errorf("flash %q", got)
	}
	if got := b.read("open tab after retry", chromedp.Text(chromedp.CSS(`[data-testid="errors-tab-open"]`))); got != "Open (5)" {
		t.Errorf("after retry the open tab says %q", got)
	}
	if got := q.enqueued(); len(got) != 1 || got[0] != sd.twinQ.ID {
		t.Errorf("enqueued %v", got)
	}
}
