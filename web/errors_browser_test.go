package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

// TestBrowserErrorsRetry walks the Errors area in a real headless chromium: the grouped list,
// an error's detail with Jira's (hostile) response shown as text, Retry, and the flash.
func TestBrowserErrorsRetry(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := chromiumPath(t)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	db := modelstest.SQLite(t)
	if _, err := db.EnsureAdmin(context.Background(), testAdmin, testPassword); err != nil {
		t.Fatal(err)
	}
	sd := seedErrors(t, db)
	must(t, db.Model(&models.SyncError{}).Where("id = ?", sd.errQ.ID).Updates(map[string]any{
		"request":  "PUT /jira/rest/api/2/issue/10001\n{\"fields\":{\"customfield_1\":\"x\"}}",
		"response": `{"errorMessages":[],"errors":{"customfield_1":"<img src=x onerror=\"document.title='pwned'\">"}}`}).Error)
	q := &errorsEnqueuer{}
	s, err := New(Deps{Config: cfg, DB: db, Queue: &fakeQueue{}, Logger: slog.New(slog.DiscardHandler), Version: "test",
		Engine: &engine.Engine{DB: db, Enqueuer: q}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900))
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

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
	shot := func(name string) {
		t.Helper()
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

	step("log in and open Errors",
		chromedp.Navigate(srv.URL+"/errors"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), testAdmin),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-groups"]`)))
	shot("errors.png")
	if got := read("open tab", chromedp.Text(chromedp.CSS(`[data-testid="errors-tab-open"]`))); got != "Open (7)" {
		t.Errorf("open tab %q", got)
	}
	step("open the error",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/errors/%d"]`, sd.errQ.ID))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-detail"]`)))
	if got := read("response", chromedp.Text(chromedp.CSS(`[data-testid="error-response"] pre`))); !strings.Contains(got, `<img src=x onerror=`) {
		t.Errorf("response excerpt %q is not shown as text", got)
	}
	shot("error-detail.png")
	if title := read("title", chromedp.Title()); title == "pwned" {
		t.Error("a script from Jira's response ran")
	}
	step("retry",
		chromedp.Click(chromedp.CSS(`[data-testid="error-retry"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	if got := read("flash", chromedp.Text(chromedp.CSS(`[data-testid="flash-success"]`))); !strings.Contains(got, "Retried 1.") {
		t.Errorf("flash %q", got)
	}
	if got := read("open tab after retry", chromedp.Text(chromedp.CSS(`[data-testid="errors-tab-open"]`))); got != "Open (5)" {
		t.Errorf("after retry the open tab says %q", got)
	}
	if got := q.enqueued(); len(got) != 1 || got[0] != sd.twinQ.ID {
		t.Errorf("enqueued %v", got)
	}
}
