package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
	"github.com/airlock-sync/airlock/workers"
	"github.com/airlock-sync/airlock/workers/workerstest"
)

// liveNode is one Airlock node for a browser test: database, console over httptest, engine and
// a running worker (poll, reconcile, sweeper) on a test broker, against emulated Jiras.
type liveNode struct {
	sim    *jirasim.Sim
	db     *models.DB
	engine *engine.Engine
	sealer *models.Sealer
	srv    *httptest.Server
}

func startLiveNode(t *testing.T, sim *jirasim.Sim, worker bool, enq engine.Enqueuer) *liveNode {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.SessionTTL = time.Hour
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := models.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	db := modelstest.SQLite(t)
	addUser(t, db, testAdmin)
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("AIRLOCK_DEBUG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	eng := &engine.Engine{DB: db, Logger: logger, MinPollInterval: 50 * time.Millisecond, CreateSearchGrace: 100 * time.Millisecond,
		Enqueuer: enq,
		Clients: &engine.ClientPool{Sealer: sealer, Configure: func(c *jira.Config) {
			c.MaxRetries = 1
			c.BackoffBase, c.BackoffMax = 5*time.Millisecond, 50*time.Millisecond
		}}}
	var queue Queue = &fakeQueue{}
	if worker {
		broker := workerstest.Broker(t)
		queue = broker
		q := workers.NewQueue(broker)
		t.Cleanup(q.Close)
		wsrv := workers.NewServer(broker, db, logger, workers.ServerOptions{Concurrency: 4, ShutdownTimeout: 2 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		stop, err := workers.StartSync(ctx, wsrv, eng, q, 100*time.Millisecond, logger)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		t.Cleanup(func() { cancel(); stop() })
	}
	s, err := New(Deps{Config: cfg, DB: db, Sealer: sealer, Queue: queue, Engine: eng, Logger: logger, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &liveNode{sim: sim, db: db, engine: eng, sealer: sealer, srv: srv}
}

// human is a Jira client acting as a person on an emulated instance.
func (n *liveNode) human(t *testing.T, inst, user string) *jira.Client {
	t.Helper()
	c, err := jira.New(jira.Config{BaseURL: n.sim.Instance(inst).URL(), Auth: jira.BasicAuth{User: user, Password: user}, Instance: inst})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// editScreenWithout is the default edit screen of the emulator less some fields.
func editScreenWithout(drop ...string) []string {
	all := []string{"summary", "issuetype", "priority", "description", "environment", "assignee", "reporter", "labels",
		"components", "fixVersions", "versions", "duedate", "parent", "comment",
		"customfield_10100", "customfield_10101", "customfield_10102", "customfield_10103", "customfield_10104", "customfield_10105"}
	var out []string
	for _, f := range all {
		keep := true
		for _, d := range drop {
			keep = keep && f != d
		}
		if keep {
			out = append(out, f)
		}
	}
	return out
}

// TestBrowserEndToEnd is issue 5's acceptance walk in headless chromium against a console with
// a real engine and worker and two emulated Jiras: two instances added and tested through the
// forms, a connection through the guided setup with a field mapping and a status value map, an
// issue created in A shown in Twins and created in AB; then a field AB's screen does not carry
// makes Jira refuse the write: the error is on Errors with Jira's words, the mapping is fixed in
// the editor, and Retry resolves it. Every page visited is saved as a screenshot.
func TestBrowserEndToEnd(t *testing.T) {
	needBrowser(t)
	sim, err := jirasim.New(jirasim.Options{Name: "A"}, jirasim.Options{Name: "AB"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	n := startLiveNode(t, sim, true, nil)
	b := loggedInBrowser(t, n.srv.URL, "/instances", `[data-testid="empty-instances"]`, browserOpts{timeout: 180 * time.Second, expected: "status of 422"}) // a bound for a loaded CI machine, not a speed check
	bg := context.Background()

	b.shot("instances-empty")

	// Two instances through the form: A private, AB relay, both airlock/airlock.
	for _, in := range []struct{ name, sim, role string }{{"Jira A", "A", "private"}, {"Relay AB", "AB", "relay"}} {
		b.step("add "+in.name,
			chromedp.Navigate(b.base+"/instances"),
			chromedp.Click(chromedp.CSS(`[data-testid="instances-add"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="instance-form"]`)),
			chromedp.SendKeys(chromedp.CSS(`#name`), in.name),
			chromedp.SendKeys(chromedp.CSS(`#base_url`), sim.Instance(in.sim).URL()),
			choose(`#role`, in.role),
			chromedp.SendKeys(chromedp.CSS(`#username`), "airlock"),
			chromedp.SendKeys(chromedp.CSS(`#secret`), "airlock"))
		b.shot("instance-form-" + in.sim)
		b.step("save "+in.name,
			chromedp.Click(chromedp.CSS(`[data-testid="instance-save"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)),
			// Save tested the settings, so the row is healthy at once.
			chromedp.WaitVisible(chromedp.CSS(`tr[data-instance="`+in.name+`"] [data-testid="health-ok"]`)))
	}
	b.step("test both from the list: green badges",
		chromedp.Click(chromedp.CSS(`tr[data-instance="Jira A"] [data-testid="instance-test"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-instance="Jira A"] [data-testid="health-ok"]`)),
		chromedp.Click(chromedp.CSS(`tr[data-instance="Relay AB"] [data-testid="instance-test"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-instance="Relay AB"] [data-testid="health-ok"]`)))
	b.shot("instances-tested")
	var instA, instAB models.Instance
	if err := n.db.Where("name = ?", "Jira A").First(&instA).Error; err != nil {
		t.Fatal(err)
	}
	if err := n.db.Where("name = ?", "Relay AB").First(&instAB).Error; err != nil {
		t.Fatal(err)
	}
	if instA.Role != models.RolePrivate || instAB.Role != models.RoleRelay {
		t.Errorf("roles: A %q, AB %q", instA.Role, instAB.Role)
	}

	// The guided setup: A (local) to AB (remote), polled every second.
	b.step("open the setup",
		chromedp.Navigate(b.base+"/connections/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connection-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="conn-name"]`), "A to relay"),
		// Each choice re-renders its side (htmx): the next one waits until that swap is done, so
		// that no choice lands on a select that is being replaced.
		choose(`[data-testid="local-instance"]`, strconv.FormatUint(uint64(instA.ID), 10)), htmxIdle(),
		waitJS(`document.querySelectorAll('[data-testid="local-project"] option[value="ALPHA"]').length === 1`),
		choose(`[data-testid="remote-instance"]`, strconv.FormatUint(uint64(instAB.ID), 10)), htmxIdle(),
		waitJS(`document.querySelectorAll('[data-testid="remote-project"] option[value="RELAY"]').length === 1`),
		choose(`[data-testid="local-project"]`, "ALPHA"), htmxIdle(),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="local-issuetype-Task"]`)),
		choose(`[data-testid="remote-project"]`, "RELAY"), htmxIdle(),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="remote-issuetype-Task"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="conn-poll"]`), "1"))
	b.shot("connection-setup")
	b.step("create the connection",
		chromedp.Click(chromedp.CSS(`[data-testid="conn-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="mapping-form"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	var cn models.Connection
	if err := n.db.Where("name = ?", "A to relay").First(&cn).Error; err != nil {
		t.Fatal(err)
	}

	// The mapping: Severity on both sides with its value map, and the status row's value map
	// pre-filled by matching names (In Progress becomes In Progress on AB).
	statusRow := `(function(){var r=[...document.querySelectorAll('[data-testid="mapping-row"]')].find(function(r){var s=r.querySelector('[data-testid="row-local"]');return s&&s.value==="status"});`
	if !b.eval(statusRow + `if(!r)return false;var s=[...r.querySelectorAll('[data-testid="value-pair"]')].find(function(p){return p.querySelector('[data-testid="value-local"]').textContent==="In Progress"});return !!s && s.querySelector('select').value==="In Progress"})()`) {
		t.Error("the status row has no value map with In Progress pre-filled")
	}
	rows := b.eval(`document.querySelectorAll('[data-testid="mapping-row"]').length > 0`)
	if !rows {
		t.Fatal("the mapping editor shows no rows for a new connection")
	}
	last := `[data-testid="mapping-row"]:last-of-type `
	b.step("add a Severity row",
		runJS(`window.__rows = document.querySelectorAll('[data-testid="mapping-row"]').length`),
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-add"]`)),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]').length === window.__rows + 1`),
		chromedp.SendKeys(chromedp.CSS(last+`[data-testid="row-name"]`), "severity"),
		choose(last+`[data-testid="row-local"]`, "customfield_10102"),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]:last-of-type select[data-testid="row-local"] option[value="customfield_10102"][selected]').length === 1`),
		choose(last+`[data-testid="row-remote"]`, "customfield_10102"),
		waitJS(`document.querySelectorAll('[data-testid="mapping-row"]:last-of-type [data-testid="value-remote"] option[value="S1 - Critical"][selected]').length === 1`))
	b.shot("mapping-editor")
	b.step("save the mapping",
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connection-counts"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	b.shot("connection-overview")
	// A new connection is a draft: it syncs only once activated (existing issues: none here).
	b.step("activate the connection",
		chromedp.Click(chromedp.CSS(`[data-testid="connection-activate"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="activate-form"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="activate-new"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="activate-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	if err := n.db.First(&cn, cn.ID).Error; err != nil {
		t.Fatal(err)
	}
	rules, err := engine.ParseRules(cn.Rules)
	if err != nil {
		t.Fatal(err)
	}
	var hasSeverity, hasStatusMap bool
	for _, f := range rules.Fields {
		hasSeverity = hasSeverity || (f.Name == "severity" && f.Local == "customfield_10102" && f.Values["S2 - Major"] == "S2 - Major")
		hasStatusMap = hasStatusMap || (f.Kind == engine.KindStatus && f.Values["In Progress"] == "In Progress")
	}
	if !hasSeverity || !hasStatusMap {
		t.Fatalf("saved rules lack the severity row or the status value map: %s", cn.Rules)
	}

	// An issue created in A appears in Twins and in AB.
	humanA, humanAB := n.human(t, "A", "alice"), n.human(t, "AB", "alice")
	created, err := humanA.CreateIssue(bg, jira.IssueInput{Fields: map[string]any{
		"project": map[string]string{"key": "ALPHA"}, "issuetype": map[string]string{"name": "Task"},
		"summary": "Printer on fire", "customfield_10102": map[string]string{"value": "S2 - Major"}}})
	if err != nil {
		t.Fatal(err)
	}
	b.reloadUntil("the twin of "+created.Key, "/twins",
		`[...document.querySelectorAll('[data-testid="twin-row"]')].some(function(r){return r.textContent.includes(`+jsString(created.Key)+`) && r.textContent.includes("RELAY-")})`,
		20*time.Second)
	b.shot("twins-list")
	var tw models.Twin
	if err := n.db.Where("local_key = ?", created.Key).First(&tw).Error; err != nil {
		t.Fatal(err)
	}
	remote, err := humanAB.GetIssue(bg, tw.RemoteKey, jira.GetIssueOptions{})
	if err != nil {
		t.Fatalf("the issue is not in AB: %v", err)
	}
	if s, _ := remote.Summary(); s != "Printer on fire" {
		t.Errorf("AB summary %q", s)
	}
	if sev := string(remote.Fields["customfield_10102"]); !strings.Contains(sev, "S2 - Major") {
		t.Errorf("AB severity %s", sev)
	}

	// Force an error: AB's edit screen loses Due Date, then a person sets it on A (and changes
	// the summary, which must follow once the mapping is fixed).
	if err := sim.Instance("AB").SetScreens("RELAY", nil, editScreenWithout("duedate")); err != nil {
		t.Fatal(err)
	}
	if err := humanA.UpdateIssue(bg, created.Key, jira.IssueInput{Fields: map[string]any{
		"summary": "Printer on fire, again", "duedate": "2030-01-31"}}, jira.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	const jiraWords = "cannot be set. It is not on the appropriate screen, or unknown."
	b.reloadUntil("the screen error on Errors", "/errors",
		`document.querySelectorAll('[data-testid="error-row"]').length > 0`, 20*time.Second)
	b.shot("errors-list")
	b.step("open the error",
		chromedp.Click(chromedp.CSS(`[data-testid="error-row"] [data-testid="error-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-detail"]`)))
	b.shot("error-detail")
	errorURL := b.read("error url", chromedp.Location())
	if msg := b.read("message", chromedp.Text(chromedp.CSS(`[data-testid="error-detail"]`))); !strings.Contains(msg, jiraWords) || !strings.Contains(msg, "duedate") {
		t.Errorf("the error detail does not carry Jira's message %q:\n%s", jiraWords, msg)
	}
	if err := n.db.First(&tw, tw.ID).Error; err != nil || tw.State != models.TwinQuarantined {
		t.Errorf("twin state %q (err %v), want quarantined", tw.State, err)
	}

	// Fix the mapping: remove the Due Date row.
	dueRow := `[...document.querySelectorAll('[data-testid="mapping-row"]')].find(function(r){var s=r.querySelector('[data-testid="row-remote"]');return s&&s.value==="duedate"})`
	b.step("remove the duedate row in the editor",
		chromedp.Navigate(fmt.Sprintf("%s/connections/%d/mapping", b.base, cn.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="mapping-form"]`)),
		waitJS(`!!`+dueRow+` && !!`+dueRow+`.querySelector('[data-testid="row-remove"]')["htmx-internal-data"]`),
		runJS(dueRow+`.querySelector('[data-testid="row-remove"]').click()`),
		waitJS(`!`+dueRow))
	b.shot("mapping-fixed")
	b.step("save the fixed mapping",
		chromedp.Click(chromedp.CSS(`[data-testid="mapping-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	if err := n.db.First(&cn, cn.ID).Error; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(cn.Rules, `"duedate"`) {
		t.Fatalf("duedate is still mapped: %s", cn.Rules)
	}

	// Retry resolves it: the error leaves the open list, the twin is active, the summary is on AB.
	b.step("retry the error",
		chromedp.Navigate(errorURL),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-retry"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="error-retry"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)))
	b.shot("after-retry")
	if f := b.read("flash", chromedp.Text(chromedp.CSS(`[data-testid="flash-success"]`))); !strings.Contains(f, "Retried 1") {
		t.Errorf("retry flash %q", f)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		is, err := humanAB.GetIssue(bg, tw.RemoteKey, jira.GetIssueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := is.Summary()
		if err := n.db.First(&tw, tw.ID).Error; err != nil {
			t.Fatal(err)
		}
		if s == "Printer on fire, again" && tw.State == models.TwinActive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after retry: AB summary %q, twin %q (%s)", s, tw.State, tw.LastError)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.reloadUntil("an empty open list", "/errors",
		`document.querySelector('[data-testid="errors-tab-open"]').textContent.trim() === "Open (0)"`, 10*time.Second)
	b.shot("errors-resolved")
	b.step("the twin page says active",
		chromedp.Navigate(fmt.Sprintf("%s/twins/%d", b.base, tw.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="twin-sides"]`)))
	b.shot("twin-page")
	if s := b.read("twin summary", chromedp.Text(chromedp.CSS(`[data-testid="twin-summary"]`))); !strings.Contains(strings.ToLower(s), "active") {
		t.Errorf("twin page summary %q, want active", s)
	}
	b.reloadUntil("the dashboard", "/", `!!document.querySelector('[data-testid="topology"]')`, 5*time.Second)
	b.shot("dashboard")
	b.noComplaints()
}
