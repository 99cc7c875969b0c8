package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// TestBrowserInstances walks the Instances area in headless chromium: add an instance against
// an emulated Jira through the form (a wrong field first, fixed in place), test it from the
// list, and see the green badge with the sync user's zone; no CSP violation on the way.
func TestBrowserInstances(t *testing.T) {
	needBrowser(t)
	sim, err := jirasim.New(jirasim.Options{Name: "A", ContextPath: "/jira", Knobs: jirasim.NoIndexLag()}, jirasim.Options{Name: "AB", Knobs: jirasim.NoIndexLag()})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()

	sealer, err := models.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	db := adminDB(t)
	// A relay instance that already works, so the list shows more than one state.
	relay := &models.Instance{Name: "Relay", BaseURL: sim.Instance("AB").URL(), Role: models.RoleRelay, AuthType: models.AuthPAT, MaxConcurrent: 8}
	if err := relay.SetSecret(sealer, "airlock-pat-AB"); err != nil {
		t.Fatal(err)
	}
	db.Create(relay)
	s := newTestConsole(t, Deps{DB: db, Sealer: sealer, Queue: &fakeQueue{embedded: true}})
	// The 422 of the deliberately wrong form is expected; anything else is a complaint.
	b := loggedInBrowser(t, serveConsole(t, s), "/instances", `[data-testid="instances-table"]`, browserOpts{expected: "status of 422"})
	b.step("open the add form",
		chromedp.Click(chromedp.CSS(`[data-testid="instances-add"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="instance-form"]`)))
	base := sim.Instance("A").URL()
	b.step("fill the form with the REST path by mistake",
		chromedp.SendKeys(chromedp.CSS(`#name`), "Jira A"),
		chromedp.SendKeys(chromedp.CSS(`#base_url`), base+"/rest/api/2"),
		chromedp.SendKeys(chromedp.CSS(`#username`), "airlock"),
		chromedp.SendKeys(chromedp.CSS(`#secret`), "airlock"),
		chromedp.Click(chromedp.CSS(`[data-testid="instance-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-base_url"]`)))
	if v := b.read("kept name", chromedp.Value(chromedp.CSS(`#name`))); v != "Jira A" {
		t.Errorf("typed name lost: %q", v)
	}
	b.step("fix the URL but mistype the password: Save tests and asks",
		chromedp.SetValue(chromedp.CSS(`#base_url`), base),
		chromedp.SendKeys(chromedp.CSS(`#secret`), "not-the-password"),
		chromedp.Click(chromedp.CSS(`[data-testid="instance-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="instance-confirm-save"]`)))
	if p := b.read("test problem", chromedp.Text(chromedp.CSS(`[data-testid="test-problem"]`))); !strings.Contains(p, "Wrong user name or password") {
		t.Errorf("Save's test result %q", p)
	}
	if v := b.read("kept name after the failed test", chromedp.Value(chromedp.CSS(`#name`))); v != "Jira A" {
		t.Errorf("typed name lost: %q", v)
	}
	var n int64
	db.Model(&models.Instance{}).Where("name = ?", "Jira A").Count(&n)
	if n != 0 {
		t.Fatal("saved although its test failed and nobody confirmed")
	}
	b.step("fix the URL, test the form values, save",
		chromedp.SetValue(chromedp.CSS(`#base_url`), base),
		chromedp.SendKeys(chromedp.CSS(`#secret`), "airlock"),
		chromedp.Click(chromedp.CSS(`[data-testid="instance-form-test"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="test-result-ok"]`)))
	if z := b.read("zone", chromedp.Text(chromedp.CSS(`[data-testid="test-zone"]`))); z != "Europe/Berlin" {
		t.Errorf("form test zone %q", z)
	}
	b.step("save",
		chromedp.Click(chromedp.CSS(`[data-testid="instance-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash-success"]`)),
		// Save tested the new settings: the row is healthy at once.
		chromedp.WaitVisible(chromedp.CSS(`tr[data-instance="Jira A"] [data-testid="health-ok"]`)))
	b.step("test both from the list",
		chromedp.Click(chromedp.CSS(`tr[data-instance="Jira A"] [data-testid="instance-test"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-instance="Jira A"] [data-testid="health-ok"]`)),
		chromedp.Click(chromedp.CSS(`tr[data-instance="Relay"] [data-testid="instance-test"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-instance="Relay"] [data-testid="health-ok"]`)))
	if z := b.read("stored zone", chromedp.Text(chromedp.CSS(`tr[data-instance="Jira A"] [data-testid="instance-zone"]`))); !strings.Contains(z, "Europe/Berlin") {
		t.Errorf("zone in the row %q", z)
	}
	var inst models.Instance
	if err := db.Where("name = ?", "Jira A").First(&inst).Error; err != nil || inst.TimeZone != "Europe/Berlin" || inst.LastOKAt == nil {
		t.Errorf("stored instance: zone %q lastOK %v err %v", inst.TimeZone, inst.LastOKAt, err)
	}

	b.docShot("instances.png")
	b.noComplaints()
}
