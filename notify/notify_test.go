package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWebhookErrorsHideTheURL: the webhook URL is a credential; a refused or unreachable
// webhook names the host and the status, never the path or query.
func TestWebhookErrorsHideTheURL(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "invalid_token", http.StatusForbidden)
	}))
	defer hs.Close()
	w := &Webhook{URL: hs.URL + "/services/T0/B0/s3cretpart?sig=abc"}
	err := w.Send(context.Background(), Message{Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "403") || strings.Contains(err.Error(), "s3cretpart") || strings.Contains(err.Error(), "sig=abc") {
		t.Errorf("refused webhook: %v", err)
	}
	hs.Close()
	err = w.Send(context.Background(), Message{Text: "x"})
	if err == nil || strings.Contains(err.Error(), "s3cretpart") {
		t.Errorf("unreachable webhook: %v", err)
	}
	if err := (&Mail{}).Send(context.Background(), Message{}); err == nil {
		t.Error("mail without host, sender and recipients was accepted")
	}
}
