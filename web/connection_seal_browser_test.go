package web

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/seal"
)

// TestBrowserConnectionSeal seals a connection in headless chromium under the console's CSP:
// the partner key is pasted, Seal ticked and saved; the overview shows the badge; Revoke asks
// first (data-confirm, app.js) and then marks the key revoked.
func TestBrowserConnectionSeal(t *testing.T) {
	needBrowser(t)
	e, cn, own, partner := sealEnv(t, engine.DefaultRules())
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/seal"
	b := loggedInBrowser(t, serveConsole(t, e.s), path, `[data-testid="seal-form"]`, browserOpts{timeout: 60 * time.Second})
	if got := b.text(`[data-testid="seal-own-fingerprint"]`); got != own.Fingerprint {
		t.Errorf("own fingerprint %q", got)
	}
	b.step("paste the partner key and seal",
		runJS(`document.querySelector('[data-testid="seal-partners"]').value = `+jsString(partner.String())),
		chromedp.Click(chromedp.CSS(`[data-testid="seal-sealed"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="seal-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="seal-key"][data-state="active"]`)))
	b.step("the overview shows the badge",
		chromedp.Click(chromedp.CSS(`[data-testid="tab-overview"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sealed-badge"]`)))
	b.step("back to the seal page",
		chromedp.Click(chromedp.CSS(`[data-testid="connection-seal-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="seal-revoke"]`)))
	b.docShot("connection-seal.png")
	b.step("a refused confirmation revokes nothing",
		runJS(`window.confirm = function () { return false }`),
		chromedp.Click(chromedp.CSS(`[data-testid="seal-revoke"]`)))
	time.Sleep(300 * time.Millisecond)
	if _, k := storedKeyring(t, e, cn.ID); k.Keys[0].State != seal.StateActive {
		t.Fatalf("revoked without confirmation: %+v", k.Keys)
	}
	b.step("revoke",
		runJS(`window.confirm = function () { return true }`),
		chromedp.Click(chromedp.CSS(`[data-testid="seal-revoke"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="seal-key"][data-state="revoked"]`)))
	b.noComplaints()
}
