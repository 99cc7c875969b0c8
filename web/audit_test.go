package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/models"
)

// TestAuditRecordsChangesNeverSecrets: an instance edit with a new password, a connection
// pause and a login are audited with who, what and the outcome; the instance's changed columns
// are recorded before and after, the secret never (not even sealed); the audit page lists
// them newest first, filters by user, and the detail shows before and after.
func TestAuditRecordsChangesNeverSecrets(t *testing.T) {
	e := fullEnv(t)
	const secret = "brand-new-secret-42"
	v := instanceForm("A", "https://a2.example.com", "sync2", secret)
	if res := e.post(t, "/instances/1", v, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("instance update: %d %s", res.StatusCode, bodyString(t, res))
	}
	if res := e.post(t, "/connections/1/pause", url.Values{}, false); res.StatusCode >= 400 {
		t.Fatalf("pause: %d", res.StatusCode)
	}
	e.login(t, testAdmin, "wrong-password", "10.0.0.9:1234")

	var entries []models.AuditEntry
	e.db.Order("id").Find(&entries)
	byRoute := map[string]models.AuditEntry{}
	for _, en := range entries {
		byRoute[en.Route] = en
		for _, s := range []string{secret, "pw-a-123", "wrong-password"} {
			if strings.Contains(en.Changes, s) || strings.Contains(en.Path, s) {
				t.Errorf("audit entry %d holds a secret: %+v", en.ID, en)
			}
		}
		if strings.Contains(en.Changes, "SecretEnc") || strings.Contains(en.Changes, "PasswordHash") {
			t.Errorf("audit entry %d records a secret column: %s", en.ID, en.Changes)
		}
	}
	up := byRoute[RouteInstanceUpdate]
	if up.Username != testAdmin || up.Role != models.ConsoleAdmin || up.Target != "instance 1" || up.Status != http.StatusSeeOther ||
		!strings.Contains(up.Changes, `"BaseURL":["https://a.example.com","https://a2.example.com"]`) || !strings.Contains(up.Changes, `"Username":["sync","sync2"]`) {
		t.Errorf("instance update entry %+v", up)
	}
	if p := byRoute[RouteConnectionPause]; p.Target != "connection 1" || !strings.Contains(p.Changes, `"Paused":[false,true]`) {
		t.Errorf("pause entry %+v", p)
	}
	if l := byRoute[RouteLoginSubmit]; l.Username != testAdmin || l.UserID != nil || l.IP != "10.0.0.9" || l.Status != http.StatusOK {
		t.Errorf("failed login entry %+v", l)
	}

	doc, _ := e.page(t, "/settings/audit")
	rows := doc.Find(`[data-testid="audit-row"]`)
	if rows.Length() != len(entries) {
		t.Fatalf("audit page lists %d rows, want %d", rows.Length(), len(entries))
	}
	if first, _ := rows.First().Attr("data-route"); first != RouteLoginSubmit {
		t.Errorf("newest first: first row is %q", first)
	}
	if !strings.Contains(rows.Last().Find(`[data-testid="audit-outcome"]`).Text(), "done") {
		t.Errorf("outcome of the instance update: %q", rows.Last().Text())
	}
	href, _ := rows.Last().Find(`[data-testid="audit-link"]`).Attr("href")
	detail, body := e.page(t, href)
	if detail.Find(`[data-testid="audit-change"][data-column="BaseURL"]`).Length() != 1 || strings.Contains(body, secret) {
		t.Errorf("detail page: %s", detail.Find(`[data-testid="audit-changes"]`).Text())
	}
	op := addOperator(t, e.db, "oscar")
	tok, csrf := e.sessionFor(t, op)
	_ = csrf
	if res := e.get(t, "/settings/export", tok); res.StatusCode != http.StatusForbidden {
		t.Errorf("operator export: %d, want 403", res.StatusCode)
	}
	filtered, _ := e.page(t, "/settings/audit?user=oscar")
	if n := filtered.Find(`[data-testid="audit-row"]`).Length(); n != 1 {
		t.Errorf("filter by user oscar: %d rows, want 1", n)
	}
}
