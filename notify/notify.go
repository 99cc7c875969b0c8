// Package notify sends Airlock's notices: e-mail over SMTP (github.com/wneessen/go-mail) and a
// generic JSON webhook whose body Slack and Teams incoming webhooks accept (a "text" field). It
// knows nothing of Airlock's storage: the worker's notifier decides what to send and when.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Message is one notice.
type Message struct {
	// Event is the kind: "auth-blocked", "errors-open", "lag", "test".
	Event string `json:"event"`
	// Key identifies the condition ("auth:instance:3"); the rate limit counts per key.
	Key string `json:"key"`
	// Title is the one-line summary (the mail's subject).
	Title string `json:"title"`
	// Text is the whole notice, plain text; Slack and Teams show this field.
	Text string `json:"text"`
	// At is when the condition was seen.
	At time.Time `json:"at"`
}

// Sender delivers a message.
type Sender interface {
	Send(ctx context.Context, m Message) error
	// Name is "mail" or "webhook", for logs and the Test button's answer.
	Name() string
}

// TLS modes of Mail.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// Mail sends notices by SMTP.
type Mail struct {
	Host string
	Port int
	// TLS is TLSStartTLS (required, the default), TLSImplicit or TLSNone.
	TLS      string
	Username string
	Password string
	From     string
	To       []string
	// Timeout bounds one delivery (default 30 s).
	Timeout time.Duration
}

// Name implements Sender.
func (m *Mail) Name() string { return "mail" }

// Send delivers the message to every recipient in one SMTP session.
func (m *Mail) Send(ctx context.Context, msg Message) error {
	if m.Host == "" || m.From == "" || len(m.To) == 0 {
		return errors.New("mail: SMTP host, sender and at least one recipient are required")
	}
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithPort(m.Port), mail.WithTimeout(timeout)}
	switch m.TLS {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if m.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(m.Username), mail.WithPassword(m.Password))
	}
	c, err := mail.NewClient(m.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	em := mail.NewMsg()
	if err := em.From(m.From); err != nil {
		return fmt.Errorf("mail: sender %q: %w", m.From, err)
	}
	if err := em.To(m.To...); err != nil {
		return fmt.Errorf("mail: recipients: %w", err)
	}
	em.Subject("[Airlock] " + msg.Title)
	em.SetDate()
	em.SetMessageID()
	em.SetBodyString(mail.TypeTextPlain, msg.Text)
	if err := c.DialAndSendWithContext(ctx, em); err != nil {
		return fmt.Errorf("mail via %s:%d: %w", m.Host, m.Port, err)
	}
	return nil
}

// Webhook posts notices as JSON. The URL is a credential (Slack and Teams put the secret in
// it): errors never quote it.
type Webhook struct {
	URL    string
	Client *http.Client
}

// Name implements Sender.
func (w *Webhook) Name() string { return "webhook" }

// Send posts the message; any answer but 2xx is an error with the status and a short excerpt.
func (w *Webhook) Send(ctx context.Context, msg Message) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("webhook: the URL is not valid")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Airlock-Notify")
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	res, err := client.Do(req)
	if err != nil {
		// url.Error quotes the URL: keep only what went wrong.
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			err = ue.Unwrap()
		}
		return fmt.Errorf("webhook to %s: %w", req.URL.Host, err)
	}
	defer res.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(res.Body, 300))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("webhook to %s answered %d: %s", req.URL.Host, res.StatusCode, strings.TrimSpace(string(excerpt)))
	}
	return nil
}

// SendAll delivers the message through every sender and joins their errors.
func SendAll(ctx context.Context, senders []Sender, m Message) error {
	var errs []error
	for _, s := range senders {
		if err := s.Send(ctx, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
