package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestNotifySettingsAndTestButton: an administrator saves a webhook; the URL (a credential)
// is stored sealed and never shown again; the Test button posts a JSON body with a "text"
// field to it; an operator cannot open the page.
func TestNotifySettingsAndTestButton(t *testing.T) {
	e := fullEnv(t)
	var mu sync.Mutex
	var got []string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
	}))
	t.Cleanup(hs.Close)
	hook := hs.URL + "/services/T000/B000/s3cretpart"
	form := url.Values{"webhook_enabled": {"1"}, "webhook_url": {hook}, "smtp_port": {"587"}, "smtp_tls": {"starttls"},
		"lag_minutes": {"30"}, "window_minutes": {"15"}}
	if res := e.post(t, "/settings/notifications", form, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, bodyString(t, res))
	}
	ns, err := e.db.LoadNotifySettings(t.Context())
	if err != nil || !ns.WebhookEnabled || len(ns.WebhookURLEnc) == 0 || strings.Contains(string(ns.WebhookURLEnc), "s3cretpart") {
		t.Fatalf("stored settings %+v %v", ns, err)
	}
	_, body := e.page(t, "/settings/notifications")
	if strings.Contains(body, "s3cretpart") || !strings.Contains(body, "A URL is stored") {
		t.Error("the notifications page shows the stored webhook URL or does not say one is stored")
	}
	// Saving again with the URL field empty keeps it.
	form.Del("webhook_url")
	e.post(t, "/settings/notifications", form, false)
	if res := e.post(t, "/settings/notifications/test", url.Values{}, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("test: %d", res.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], `"text":"This is a test notice`) {
		t.Errorf("webhook received %q", got)
	}
	if strings.Contains(e.logs.String(), "s3cretpart") {
		t.Error("the webhook URL reached the log")
	}
	op := addOperator(t, e.db, "oscar")
	tok, _ := e.sessionFor(t, op)
	if res := e.get(t, "/settings/notifications", tok); res.StatusCode != http.StatusForbidden {
		t.Errorf("operator opens notifications: %d", res.StatusCode)
	}
}
