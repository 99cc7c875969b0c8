package web

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// authRecorder is a listener that records every Authorization header it receives.
type authRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newAuthRecorder(t *testing.T) *authRecorder {
	r := &authRecorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.seen = append(r.seen, req.Header.Get("Authorization"))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"errorMessages":["nope"]}`))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *authRecorder) sawSecret(secret string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range r.seen {
		if h == "" {
			continue
		}
		if strings.Contains(h, secret) {
			return true
		}
		// Basic auth carries it base64-encoded.
		for _, p := range []string{"Basic ", "Bearer "} {
			if strings.HasPrefix(h, p) && strings.Contains(decodeBasic(strings.TrimPrefix(h, p)), secret) {
				return true
			}
		}
	}
	return false
}

func parseDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// A stored secret is bound to the scheme, host, port and login type it was saved for: an edited
// form aimed elsewhere never sends it (Test) and never keeps it (Save).
func TestStoredSecretBoundToTarget(t *testing.T) {
	e := newC1Env(t, nil)
	const stored = "Stored-Secret-4711"
	home := newAuthRecorder(t)  // where the secret was saved for
	other := newAuthRecorder(t) // same host, another port: another target
	inst := e.addInstance(t, "Jira A", home.URL+"/jira", "sync", stored)
	id := itoaU(inst.ID)

	edited := func(base, auth string) url.Values {
		v := instanceForm("Jira A", base, "sync", "")
		v.Del("save_anyway")
		v.Set("id", id)
		if auth != "" {
			v.Set("auth_type", auth)
		}
		return v
	}
	homeU, _ := url.Parse(home.URL)
	for _, tt := range []struct {
		name string
		form url.Values
		rec  *authRecorder
	}{
		{"another port", edited(other.URL+"/jira", ""), other},
		{"another scheme", edited("https://"+homeU.Host+"/jira", ""), home},
		{"another host", edited("http://localhost:"+homeU.Port()+"/jira", ""), home},
		{"another login type", edited(home.URL+"/jira", models.AuthPAT), home},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := e.post(t, "/instances/test", tt.form, true)
			body := bodyString(t, res)
			if tt.rec.sawSecret(stored) {
				t.Fatal("Test sent the stored secret to a new target")
			}
			if !strings.Contains(body, "only sent to "+home.URL) {
				t.Errorf("Test does not explain the refusal:\n%s", body)
			}
			res = e.post(t, "/instances/"+id, tt.form, false)
			body = bodyString(t, res)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("save kept the stored secret for a new target: %d", res.StatusCode)
			}
			doc := parseDoc(t, body)
			if msg := doc.Find(`[data-testid="error-secret"]`).Text(); !strings.Contains(msg, "type it again") {
				t.Errorf("secret error %q", msg)
			}
			if v, _ := doc.Find("#base_url").Attr("value"); v != tt.form.Get("base_url") {
				t.Errorf("typed base URL lost: %q", v)
			}
			if tt.rec.sawSecret(stored) || strings.Contains(body, stored) {
				t.Fatal("the stored secret left")
			}
			var after models.Instance
			e.db.First(&after, inst.ID)
			if after.BaseURL != inst.BaseURL || after.AuthType != inst.AuthType {
				t.Fatalf("instance changed: %+v", after)
			}
		})
	}

	// Another context path on the same target keeps the secret (it is still the same Jira).
	res := e.post(t, "/instances/test", edited(home.URL+"/other", ""), true)
	bodyString(t, res)
	if !home.sawSecret(stored) {
		t.Error("the stored secret was not used for its own target")
	}

	// Moving the instance with the secret typed again works, and the move is logged.
	v := edited(other.URL+"/jira", "")
	v.Set("secret", "New-Secret-0815")
	v.Set("save_anyway", "1")
	if res := e.post(t, "/instances/"+id, v, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("move with a typed secret: %d\n%s", res.StatusCode, bodyString(t, res))
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "instance address changed") || !strings.Contains(logs, "old_url="+home.URL+"/jira") || !strings.Contains(logs, "new_url="+other.URL+"/jira") {
		t.Errorf("the move is not logged with old and new URL:\n%s", logs)
	}
	if strings.Contains(logs, stored) || strings.Contains(logs, "New-Secret-0815") {
		t.Error("a secret reached the log")
	}
}

// Save runs Test on new settings; a failure re-renders the form with the result and a
// "save anyway" choice, keeps what was typed (the secret sealed), and stores nothing until
// confirmed. A sealed secret opens only for the target it was typed for.
func TestInstanceSaveAsksWhenTestFails(t *testing.T) {
	sim, err := jirasim.New(jirasim.Options{Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	e := newC1Env(t, nil)
	const wrong = "Wrong-Password-99"
	v := instanceForm("Jira A", sim.Instance("A").URL(), "airlock", wrong)
	v.Del("save_anyway")
	res := e.post(t, "/instances", v, false)
	body := bodyString(t, res)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a failing Test was saved without asking: %d", res.StatusCode)
	}
	doc := parseDoc(t, body)
	if !strings.Contains(doc.Find(`[data-testid="test-problem"]`).Text(), "Wrong user name or password") ||
		doc.Find(`[data-testid="instance-save-anyway"]`).Length() != 1 || doc.Find(`[data-testid="form-confirm"]`).Length() != 1 {
		t.Fatalf("no Test result and confirmation in the form:\n%s", body)
	}
	if v, _ := doc.Find("#name").Attr("value"); v != "Jira A" {
		t.Errorf("name lost: %q", v)
	}
	if strings.Contains(body, wrong) {
		t.Fatal("the typed secret is in the page in clear")
	}
	var n int64
	e.db.Model(&models.Instance{}).Count(&n)
	if n != 0 {
		t.Fatal("saved before the confirmation")
	}
	pending, _ := doc.Find(`input[name="secret_pending"]`).Attr("value")
	if pending == "" {
		t.Fatal("the typed secret is not kept for the confirmation")
	}

	// The sealed secret never opens for another target.
	rec := newAuthRecorder(t)
	moved := url.Values{}
	for k, vs := range v {
		moved[k] = vs
	}
	moved.Set("secret", "")
	moved.Set("secret_pending", pending)
	moved.Set("base_url", rec.URL)
	e.post(t, "/instances/test", moved, true)
	if rec.sawSecret(wrong) {
		t.Fatal("a sealed secret was sent to another target")
	}

	// Confirmed: saved with the secret typed the first time, nothing typed again.
	v.Set("secret", "")
	v.Set("secret_pending", pending)
	v.Set("save_anyway", "1")
	if res := e.post(t, "/instances", v, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save anyway: %d\n%s", res.StatusCode, bodyString(t, res))
	}
	var inst models.Instance
	e.db.Where("name = ?", "Jira A").First(&inst)
	if got, _ := inst.Secret(e.sealer); got != wrong {
		t.Fatalf("stored secret %q", got)
	}

	// The engine blocks it after a 401; saving the right password passes Test and lifts the block.
	e.db.Model(&inst).Update("auth_blocked", true)
	fix := instanceForm("Jira A", sim.Instance("A").URL(), "airlock", "airlock")
	fix.Del("save_anyway")
	fix.Set("id", itoaU(inst.ID))
	if res := e.post(t, "/instances/"+itoaU(inst.ID), fix, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("fix: %d\n%s", res.StatusCode, bodyString(t, res))
	}
	e.db.First(&inst, inst.ID)
	if inst.AuthBlocked || inst.LastOKAt == nil || inst.TimeZone != "Europe/Berlin" {
		t.Errorf("after a tested fix: blocked=%v lastOK=%v zone=%q", inst.AuthBlocked, inst.LastOKAt, inst.TimeZone)
	}
}

func decodeBasic(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return s
	}
	return string(b)
}
