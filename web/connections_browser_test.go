package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
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
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	exe := chromiumPath(t)
	e := newConnEnv(t)
	srv := httptest.NewServer(e.s.Handler())
	defer srv.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
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
	ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
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
			// 422 answers are expected here (validation); everything else is a complaint.
			if strings.Contains(ev.Entry.Text, "Content Security Policy") ||
				(ev.Entry.Level == cdplog.EntryLevelError && !strings.Contains(ev.Entry.Text, "422")) {
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
			if os.Getenv("AIRLOCK_DEBUG") != "" {
				html, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.getElementById("main").outerHTML`))
				t.Log(html)
			}
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
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
		if err != nil {
			t.Fatalf("count %s: %v", sel, err)
		}
		return n
	}
	// choose picks an option and fires change, as a person using the select does.
	// It first waits until htmx has taken the element in hand (swapped content is processed
	// after a short settle delay).
	choose := func(sel, value string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := waitJS(`(function(){var el=document.querySelector(`+jsString(sel)+`);return !!el && (!el.hasAttribute("hx-post") || !!el["htmx-internal-data"])})()`)(ctx, tg); err != nil {
				return err
			}
			_, err := chromedp.Evaluate[bool](`(function(){var el=document.querySelector(`+jsString(sel)+`);el.value=`+jsString(value)+
				`;el.dispatchEvent(new Event("change",{bubbles:true}));return true})()`)(ctx, tg)
			return err
		})
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

	step("log in",
		chromedp.Navigate(srv.URL+"/connections"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), testAdmin),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="empty-connections"]`)))

	// Step 1: the guided setup.
	step("open the setup",
		chromedp.Click(chromedp.CSS(`[data-testid="connections-add"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connection-form"]`)),
		waitJS(`document.querySelectorAll('[data-testid="local-project"] option[value="ALPHA"]').length === 1`))
	step("choose the projects (htmx loads their issue types)",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="conn-name"]`), "Ops to relay"),
		choose(`[data-testid="local-project"]`, "ALPHA"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="local-issuetype-Task"]`)),
		choose(`[data-testid="remote-project"]`, "RELAY"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="remote-issuetype-Task"]`)))
	step("a bad JQL is answered by Jira beside the field",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="local-jql"]`), "labels = "),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="local-jql-error"]`)))
	if msg := read("jql error", chromedp.Text(chromedp.CSS(`[data-testid="local-jql-error"]`))); !strings.Contains(msg, "Jira says") {
		t.Errorf("JQL error %q", msg)
	}
	step("fix the JQL and create",
		choose(`[data-testid="local-jql"]`, ""),
		chromedp.Click(chromedp.CSS(`[data-testid="local-issuetype-Task"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="conn-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="mapping-form"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))

	// Step 2: a new mapping row, Severity on both sides, with its value map.
	rows := count(`[data-testid="mapping-row"]`)
	step("add a row",
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-add"]`)),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]').length === `+strconv.Itoa(rows+1)))
	last := `[data-testid="mapping-row"]:last-of-type `
	step("pick Severity on both sides",
		chromedp.SendKeys(chromedp.CSS(last+`[data-testid="row-name"]`), "severity"),
		choose(last+`[data-testid="row-local"]`, "customfield_10102"),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]:last-of-type select[data-testid="row-local"] option[value="customfield_10102"][selected]').length === 1`),
		choose(last+`[data-testid="row-remote"]`, "customfield_10102"),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]:last-of-type [data-testid="value-remote"] option[value="S1 - Critical"][selected]').length === 1`))
	if n := count(last + `[data-testid="value-pair"]`); n != 3 {
		t.Errorf("%d severity values in the value map, want 3", n)
	}
	shot("connections.png")
	step("save the mapping",
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connection-counts"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	shot("connections-overview.png")
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
	step("preview",
		chromedp.Click(chromedp.CSS(`[data-testid="tab-preview"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="preview-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="preview-key"]`), strings.ToLower(is.Key)),
		chromedp.Click(chromedp.CSS(`[data-testid="preview-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="preview-would-create"]`)))
	if got := read("leaving", chromedp.Text(chromedp.CSS(`[data-testid="preview-leaving"]`))); !strings.Contains(got, "S1 - Critical") ||
		!strings.Contains(got, "<script>") {
		t.Errorf("leaving values %q", got)
	}
	if pwned, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.pwned === 1`)); pwned {
		t.Error("a script from Jira data ran")
	}
	shot("connections-preview.png")
	for _, inst := range []string{"A", "AB"} {
		if w := e.writesBy(inst); len(w) > 0 {
			t.Errorf("the preview wrote to %s: %v", inst, w)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, c := range complaints {
		t.Errorf("browser reported: %s", c)
	}
}

// jsString quotes a Go string for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitJS waits until a JavaScript expression is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := chromedp.Poll[bool](expr)(ctx, tg); err != nil {
			return fmt.Errorf("wait for %s: %w", expr, err)
		}
		return nil
	})
}
