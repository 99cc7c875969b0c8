package workers

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

// smtpSink is a minimal SMTP server (RFC 5321 without extensions) that keeps every message.
type smtpSink struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
	rcpt [][]string
}

func startSMTP(t *testing.T) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(l string) { _, _ = io.WriteString(c, l+"\r\n") }
	say("220 sink ESMTP")
	var rcpt []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 sink")
		case strings.HasPrefix(cmd, "MAIL FROM"):
			rcpt = nil
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO"):
			rcpt = append(rcpt, strings.TrimSpace(line[len("RCPT TO:"):]))
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.rcpt = append(s.rcpt, rcpt)
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default: // RSET, NOOP
			say("250 ok")
		}
	}
}

func (s *smtpSink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

// hookSink is a local webhook receiver.
type hookSink struct {
	mu     sync.Mutex
	bodies []map[string]any
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.bodies = append(h.bodies, m)
	h.mu.Unlock()
	_, _ = io.WriteString(w, "ok")
}

func (h *hookSink) got() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.bodies...)
}

// TestNotifierAuthBlock: an instance becoming auth-blocked sends one e-mail (to an SMTP server
// in this process) and one webhook body with a "text" field; the same block seen again sends
// nothing, a second block within the rate window sends nothing, even from a new notifier (a
// restart), and a block after the window sends again.
func TestNotifierAuthBlock(t *testing.T) {
	ctx := context.Background()
	db := modelstest.SQLite(t)
	sealer, err := models.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	smtp := startSMTP(t)
	hooks := &hookSink{}
	hs := httptest.NewServer(hooks)
	t.Cleanup(hs.Close)
	host, port, _ := net.SplitHostPort(smtp.ln.Addr().String())
	p, _ := strconv.Atoi(port)
	ns := &models.NotifySettings{ID: 1, MailEnabled: true, SMTPHost: host, SMTPPort: p, SMTPTLS: "none",
		MailFrom: "airlock@example.com", MailTo: "ops@example.com, oncall@example.com", WebhookEnabled: true, LagMinutes: 0, WindowMinutes: 15}
	if err := ns.SetWebhookURL(sealer, hs.URL+"/hook?token=s3cret"); err != nil {
		t.Fatal(err)
	}
	if err := db.Create(ns).Error; err != nil {
		t.Fatal(err)
	}
	inst := &models.Instance{Name: "Jira A", BaseURL: "https://a.example.com", LastError: "401 Unauthorized"}
	if err := db.Create(inst).Error; err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	n := &Notifier{DB: db, Sealer: sealer, Now: clock}
	check := func(want int, what string) {
		t.Helper()
		sent, err := n.Check(ctx)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if sent != want {
			t.Fatalf("%s: sent %d notices, want %d", what, sent, want)
		}
	}
	block := func(b bool) {
		t.Helper()
		if err := db.Model(inst).Update("auth_blocked", b).Error; err != nil {
			t.Fatal(err)
		}
	}

	check(0, "nothing blocked")
	block(true)
	check(1, "first block")
	if m := smtp.messages(); len(m) != 1 || !strings.Contains(m[0], "Jira A is blocked") || !strings.Contains(m[0], "credentials") {
		t.Fatalf("mail: %q", m)
	}
	if len(smtp.rcpt[0]) != 2 {
		t.Errorf("mail recipients %v, want 2", smtp.rcpt[0])
	}
	bodies := hooks.got()
	if len(bodies) != 1 {
		t.Fatalf("webhook bodies %v", bodies)
	}
	if text, _ := bodies[0]["text"].(string); !strings.Contains(text, "Jira A") || bodies[0]["event"] != "auth-blocked" {
		t.Errorf("webhook body %v", bodies[0])
	}

	now = now.Add(time.Minute)
	check(0, "still blocked")
	block(false)
	now = now.Add(time.Minute)
	check(0, "unblocked")
	block(true)
	now = now.Add(time.Minute)
	n = &Notifier{DB: db, Sealer: sealer, Now: clock} // a restarted worker remembers
	check(0, "second block within the rate window")
	if len(smtp.messages()) != 1 || len(hooks.got()) != 1 {
		t.Fatalf("second block within the window sent something: %d mails, %d webhooks", len(smtp.messages()), len(hooks.got()))
	}
	block(false)
	now = now.Add(time.Minute)
	check(0, "unblocked again")
	now = now.Add(20 * time.Minute)
	block(true)
	check(1, "block after the window")
	if len(smtp.messages()) != 2 || len(hooks.got()) != 2 {
		t.Fatalf("after the window: %d mails, %d webhooks, want 2 and 2", len(smtp.messages()), len(hooks.got()))
	}
}

// TestNotifierErrorsAndLag: open errors of a class on a connection and a lagging connection
// each send one notice; a failed delivery is tried again at the next check.
func TestNotifierErrorsAndLag(t *testing.T) {
	ctx := context.Background()
	db := modelstest.SQLite(t)
	sealer, _ := models.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	hooks := &hookSink{}
	fail := true
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		hooks.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	ns := &models.NotifySettings{ID: 1, WebhookEnabled: true, LagMinutes: 30, WindowMinutes: 15, SMTPPort: 587, SMTPTLS: "starttls"}
	_ = ns.SetWebhookURL(sealer, hs.URL)
	if err := db.Create(ns).Error; err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	conn := &models.Connection{Name: "A-AB", LocalInstanceID: 1, RemoteInstanceID: 2, LocalProject: "A", RemoteProject: "AB"}
	if err := db.Create(conn).Error; err != nil {
		t.Fatal(err)
	}
	cid := conn.ID
	old := now.Add(-time.Hour)
	for _, r := range []any{
		&models.SyncError{ConnectionID: &cid, Fingerprint: "f1", Class: models.ClassConfig, Message: "no transition", FirstSeen: now, LastSeen: now},
		&models.SyncError{ConnectionID: &cid, Fingerprint: "f2", Class: models.ClassConfig, Message: "field not on screen", FirstSeen: now, LastSeen: now},
		&models.Twin{ConnectionID: cid, SyncID: "s1", State: models.TwinActive, Dirty: true, DirtySince: &old},
	} {
		if err := db.Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	n := &Notifier{DB: db, Sealer: sealer, Now: func() time.Time { return now }}
	if sent, err := n.Check(ctx); err != nil || sent != 0 {
		t.Fatalf("webhook down: sent %d, %v", sent, err)
	}
	var st models.NotifyState
	if err := db.First(&st, "event_key = ?", "lag:connection:1").Error; err != nil || st.Active || st.LastError == "" {
		t.Fatalf("failed delivery state %+v %v", st, err)
	}
	fail = false
	if sent, err := n.Check(ctx); err != nil || sent != 2 {
		t.Fatalf("webhook up: sent %d, %v", sent, err)
	}
	events := map[string]string{}
	for _, b := range hooks.got() {
		events[b["key"].(string)] = b["text"].(string)
	}
	if !strings.Contains(events["errors:connection:1:config"], "2 open error") || !strings.Contains(events["lag:connection:1"], "A-AB") {
		t.Errorf("notices %v", events)
	}
}
