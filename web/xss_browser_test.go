package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// Hostile values, each from a different place: what Jira users type (summary, comment,
// environment), what Jira admins name (a user's display name, a component) and what console
// admins name (a connection, a shared field). Every one would set window.__xss (and some the
// title) if the console let it run.
const (
	xssSummary   = `<script>window.__xss=1</script><img src=x onerror="window.__xss=1;document.title='pwned'"> Printer`
	xssComment   = `<script>window.__xss=2</script><img src=x onerror=window.__xss=2> see logs`
	xssUser      = `Mallory <img src=x onerror=window.__xss=3>`
	xssComponent = `<img src=x onerror=window.__xss=4>`
	xssField     = `<script>window.__xss=5</script>env`
	xssConn      = `Ops <img src=x onerror=window.__xss=6>`
	xssLocal     = `<img src=x onerror=window.__xss=7> local`
	xssRemote    = `<svg onload=window.__xss=8></svg> remote`
)

// TestBrowserHostileDataRendersEscaped fills every console page that can show Jira or
// configuration text with script and img-onerror payloads (from a real sync through the
// emulator: a twin, its comment, a conflict on a field whose shared name is hostile, a data
// error whose Jira message echoes a hostile component) and proves in headless chromium that on
// each page the payloads are shown as text, no element was injected, no script ran and no
// Content-Security-Policy violation was reported.
func TestBrowserHostileDataRendersEscaped(t *testing.T) {
	needBrowser(t)
	seedA := jirasim.DefaultSeed("A")
	seedA.Users = append(seedA.Users, jirasim.SeedUser{Name: "mallory", Key: "JIRAUSER10199", Password: "mallory",
		DisplayName: xssUser, Email: "mallory@example.com"})
	seedA.Projects[0].Components = append(seedA.Projects[0].Components, xssComponent)
	sim, err := jirasim.New(jirasim.Options{Name: "A", Seed: seedA, Knobs: jirasim.NoIndexLag()}, jirasim.Options{Name: "AB", Knobs: jirasim.NoIndexLag()})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	n := startLiveNode(t, sim, true, nil)
	bg := context.Background()

	// The connection, stored directly (the end-to-end test drives the forms).
	var ids [2]uint
	for i, name := range []string{"A", "AB"} {
		in := &models.Instance{Name: "Jira " + name, BaseURL: sim.Instance(name).URL(), Role: models.RolePrivate, AuthType: models.AuthBasic,
			Username: "airlock", MaxConcurrent: 4}
		if name == "AB" {
			in.Role = models.RoleRelay
		}
		if err := in.SetSecret(n.sealer, "airlock"); err != nil {
			t.Fatal(err)
		}
		must(t, n.db.Create(in).Error)
		ids[i] = in.ID
	}
	rules := engine.DefaultRules()
	rules.Attachments.Enabled = false
	rules.Fields = append(rules.Fields,
		engine.FieldRule{Name: xssField, Kind: engine.KindText, Local: "environment", Remote: "environment"},
		engine.FieldRule{Name: "components", Kind: engine.KindComponents, Local: "components", Remote: "components"},
		engine.FieldRule{Name: "assignee", Kind: engine.KindUser, Local: "assignee", Remote: "assignee"})
	doc, _ := json.Marshal(rules)
	cn := &models.Connection{Name: xssConn, LocalInstanceID: ids[0], RemoteInstanceID: ids[1], LocalProject: "ALPHA", RemoteProject: "RELAY",
		PollIntervalMS: 200, Rules: string(doc), ConflictPolicy: models.PolicyManual, DeletionPolicy: models.DeleteIgnore}
	must(t, n.db.Create(cn).Error)

	// Issue 1 syncs: hostile summary, comment and assignee display name.
	mallory, humanAB := n.human(t, "A", "mallory"), n.human(t, "AB", "alice")
	one, err := mallory.CreateIssue(bg, jira.IssueInput{Fields: map[string]any{
		"project": map[string]string{"key": "ALPHA"}, "issuetype": map[string]string{"name": "Task"},
		"summary": xssSummary, "environment": "calm", "assignee": map[string]string{"name": "mallory"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mallory.AddComment(bg, one.Key, jira.CommentInput{Body: xssComment}); err != nil {
		t.Fatal(err)
	}
	var tw models.Twin
	waitUntil(t, "issue 1 synced with its comment", 20*time.Second, func() bool {
		if n.db.Where("local_key = ? AND state = ?", one.Key, models.TwinActive).First(&tw).Error != nil {
			return false
		}
		cs, err := humanAB.Comments(bg, tw.RemoteKey, jira.CommentOptions{})
		return err == nil && len(cs) == 1
	})

	// A conflict on the field with the hostile shared name: pause, change both sides, resume.
	must(t, n.db.Model(cn).Update("paused", true).Error)
	time.Sleep(500 * time.Millisecond)
	if err := mallory.UpdateIssue(bg, one.Key, jira.IssueInput{Fields: map[string]any{"environment": xssLocal}}, jira.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := humanAB.UpdateIssue(bg, tw.RemoteKey, jira.IssueInput{Fields: map[string]any{"environment": xssRemote}}, jira.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	must(t, n.db.Model(cn).Update("paused", false).Error)

	// Issue 2 fails: AB has no such component, and Jira's message repeats its name.
	two, err := mallory.CreateIssue(bg, jira.IssueInput{Fields: map[string]any{
		"project": map[string]string{"key": "ALPHA"}, "issuetype": map[string]string{"name": "Task"},
		"summary": "Second " + xssSummary, "components": []map[string]string{{"name": xssComponent}}}})
	if err != nil {
		t.Fatal(err)
	}
	var conflict models.Conflict
	var syncErr models.SyncError
	waitUntil(t, "the conflict and the error", 20*time.Second, func() bool {
		return n.db.Where("twin_id = ? AND decision = ''", tw.ID).First(&conflict).Error == nil &&
			n.db.Where("resolved_at IS NULL AND message LIKE ?", "%"+xssComponent+"%").First(&syncErr).Error == nil
	})
	var twTwo models.Twin
	must(t, n.db.Where("local_key = ?", two.Key).First(&twTwo).Error)

	b := loggedInBrowser(t, n.srv.URL, "/", `[data-testid="topology"]`, browserOpts{expected: "status of 422"})
	pages := []struct {
		name, path, ready string
		shows             []string // payloads the page must show as text
	}{
		{"dashboard", "/", `[data-testid="topology"]`, []string{xssConn}},
		{"connections", "/connections", `#main`, []string{xssConn}},
		{"connection", fmt.Sprintf("/connections/%d", cn.ID), `#main`, []string{xssConn}},
		{"twins list", "/twins", `[data-testid="twins-table"]`, []string{xssConn}},
		{"twin page", fmt.Sprintf("/twins/%d", tw.ID), `[data-testid="twin-fields"]`, []string{xssSummary, xssField, xssLocal, xssRemote}},
		{"twin page of the failed create", fmt.Sprintf("/twins/%d", twTwo.ID), `#main`, []string{xssComponent}},
		{"activity", "/activity", `#main`, []string{xssComment, xssUser}},
		{"errors", "/errors", `[data-testid="error-groups"]`, []string{xssComponent}},
		{"error detail", fmt.Sprintf("/errors/%d", syncErr.ID), `[data-testid="error-detail"]`, []string{xssComponent}},
		{"conflicts", "/conflicts", `#main`, []string{xssField, xssLocal, xssRemote}},
		{"mapping editor", fmt.Sprintf("/connections/%d/mapping", cn.ID), `[data-testid="mapping-form"]`, []string{xssField, xssUser}},
		{"preview", fmt.Sprintf("/connections/%d/preview?key=%s", cn.ID, two.Key), `[data-testid="preview-result"]`, []string{xssSummary, xssField}},
	}
	for _, p := range pages {
		b.step("open "+p.name, chromedp.Navigate(b.base+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)),
			chromedp.Sleep(150*time.Millisecond)) // onerror handlers fire after the failed image load
		b.shot("xss-" + p.name)
		// Text of the page including form values (the mapping editor holds names in inputs).
		text := b.read(p.name+" text", chromedp.Evaluate[string](`document.body.innerText + "\n" +
			[...document.querySelectorAll("input,textarea")].map(function(e){return e.value}).join("\n")`))
		for _, want := range p.shows {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the payload %q is not shown as text", p.name, want)
			}
		}
		injected := b.read(p.name+" check", chromedp.Evaluate[string](`(function(){var out=[];
			if (typeof window.__xss !== "undefined") out.push("window.__xss = " + window.__xss);
			if (document.title.indexOf("pwned") >= 0) out.push("title " + document.title);
			document.querySelectorAll('img[src="x"], svg[onload], [onerror], [onload]').forEach(function(e){out.push("element " + e.outerHTML)});
			document.querySelectorAll("script").forEach(function(s){if (s.textContent.indexOf("__xss") >= 0) out.push("script " + s.outerHTML)});
			return out.join("; ")})()`))
		if injected != "" {
			t.Errorf("%s: hostile data became markup or ran: %s", p.name, injected)
		}
	}
	b.noComplaints()
}

// waitUntil polls cond until it holds or the time is up.
func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
