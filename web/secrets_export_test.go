package web

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/models"
)

// TestSecretsNeverInExportPagesOrLogs stores credentials through the instance form, tests a
// connection against a hostile Jira that echoes the Authorization header, logs in (once with a
// wrong password), then exports the configuration (function and handler): no secret appears in
// the YAML, in any page or in the console log.
func TestSecretsNeverInExportPagesOrLogs(t *testing.T) {
	const (
		formPw   = "form-password-Kd8#q2"
		formPAT  = "form-pat-Zx71-9LmQ"
		storedPw = "stored-password-W3e$"
		typoPw   = testPassword + "-typo"
	)
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("<html>denied; you sent " + r.Header.Get("Authorization") + "</html>"))
	}))
	defer hostile.Close()

	e := newC1Env(t, nil)
	stored := e.addInstance(t, "stored", "https://stored.example.com", "sync", storedPw)
	var pages strings.Builder
	for _, f := range []url.Values{
		instanceForm("via-form", "https://form.example.com/jira", "sync", formPw),
		func() url.Values {
			v := instanceForm("via-form-pat", "https://pat.example.com", "", formPAT)
			v.Set("auth_type", models.AuthPAT)
			return v
		}(),
	} {
		res := e.post(t, "/instances", f, false)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create %s: %d\n%s", f.Get("name"), res.StatusCode, bodyString(t, res))
		}
	}
	// Test connection with the typed secret against the hostile server: the page shows the
	// failure, never the secret or its Basic encoding.
	res := e.post(t, "/instances/test", instanceForm("probe", hostile.URL, "sync", formPw), true)
	pages.WriteString(bodyString(t, res))
	for _, p := range []string{"/instances", "/instances/1/edit", "/instances/2/edit", "/settings"} {
		_, body := e.page(t, p)
		pages.WriteString(body)
	}
	// Console logins, one with a wrong password.
	e.login(t, testAdmin, typoPw, "192.0.2.1:1")
	if res := e.login(t, testAdmin, testPassword, "192.0.2.1:2"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}

	yml, err := exportConfig(context.Background(), e.db.DB, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	res = e.get(t, "/settings/export", e.token)
	handlerYML := bodyString(t, res)
	if res.StatusCode != http.StatusOK || !strings.Contains(handlerYML, "via-form-pat") || !strings.Contains(string(yml), "stored.example.com") {
		t.Fatalf("export: %d\n%s", res.StatusCode, handlerYML)
	}

	secrets := map[string]string{"form password": formPw, "form PAT": formPAT, "stored password": storedPw,
		"admin password": testPassword, "mistyped admin password": typoPw,
		"form Basic header": base64.StdEncoding.EncodeToString([]byte("sync:" + formPw)),
		"sealed secret":     base64.StdEncoding.EncodeToString(stored.SecretEnc),
		"the console key":   base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")),
	}
	for where, text := range map[string]string{"exportConfig": string(yml), "GET /settings/export": handlerYML,
		"pages": pages.String(), "log": e.logs.String()} {
		if text == "" {
			t.Fatalf("%s is empty: the scan proves nothing", where)
		}
		for name, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s contains the %s", where, name)
			}
		}
	}
	if !strings.Contains(pages.String(), "denied") && !strings.Contains(pages.String(), "401") && !strings.Contains(strings.ToLower(pages.String()), "password") {
		t.Errorf("the connection test did not report the refusal")
	}
}
