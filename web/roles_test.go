package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/models"
)

// addOperator adds an operator (not an administrator) with testPassword.
func addOperator(t *testing.T, db *models.DB, name string) *models.User {
	t.Helper()
	u := addUser(t, db, name)
	if err := db.Model(u).Update("is_admin", false).Error; err != nil {
		t.Fatal(err)
	}
	u.IsAdmin = false
	return u
}

// TestOperatorRefusedEveryConfigRoute walks every route of a console with every area mounted,
// so routes added later are covered: an operator gets 403 on every unsafe route that is not in
// the operator allowlist and on every configuration page, and nothing in the database changes.
func TestOperatorRefusedEveryConfigRoute(t *testing.T) {
	e := fullEnv(t)
	op := addOperator(t, e.db, "oscar")
	token, csrf := e.sessionFor(t, op)
	before := rowCounts(t, e.db)
	refused := 0
	for _, r := range e.s.Routes() {
		if r.Public || (!unsafeMethod(r.Method) && operatorMay(r.Name, r.Method)) || operatorActions[r.Name] {
			continue
		}
		refused++
		form := url.Values{"_csrf": {csrf}, "name": {"x"}, "confirm": {"yes"}, "username": {"mallory"},
			"password": {"long-enough-password"}, "role": {models.ConsoleAdmin}}
		res := e.do(t, req{method: r.Method, path: samplePath(r.Path), form: form,
			cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}})
		body := bodyString(t, res)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "administrator") {
			t.Errorf("operator %s %s (%s): %d, want 403 that explains", r.Method, r.Path, r.Name, res.StatusCode)
		}
	}
	if refused < 20 {
		t.Fatalf("only %d routes refused to the operator: is the route table complete?", refused)
	}
	if after := rowCounts(t, e.db); !equalCounts(before, after) {
		t.Errorf("refused operator requests changed the database: %v -> %v", before, after)
	}
	// The refusals are in the audit, with the operator's name and 403.
	var n int64
	e.db.Model(&models.AuditEntry{}).Where("username = ? AND status = ?", "oscar", http.StatusForbidden).Count(&n)
	if n == 0 {
		t.Error("refused operator attempts are not audited")
	}
}

// TestOperatorRule: the rule covers route names this console does not have yet (deny by
// default for unsafe methods and configuration pages) and lets the operational buttons through.
func TestOperatorRule(t *testing.T) {
	for _, tc := range []struct {
		name, method string
		want         bool
	}{
		{"connections.activate", http.MethodGet, false},
		{"connections.activate.submit", http.MethodPost, false},
		{"connections.delete", http.MethodGet, false},
		{"connections.delete.submit", http.MethodPost, false},
		{"errors.skipfield", http.MethodPost, false},
		{"something.new.later", http.MethodPost, false},
		{"instances.edit", http.MethodGet, false},
		{"settings.export", http.MethodGet, false},
		{"twin.unlink.confirm", http.MethodGet, false},
		{"users.role", http.MethodPost, false},
		{RouteErrorRetry, http.MethodPost, true},
		{RouteErrorRetryAll, http.MethodPost, true},
		{RouteErrorDismiss, http.MethodPost, true},
		{RouteTwinResync, http.MethodPost, true},
		{RouteConnectionPause, http.MethodPost, true},
		{RouteConnectionResume, http.MethodPost, true},
		{RouteLogout, http.MethodPost, true},
		{RouteConnectionShow, http.MethodGet, true},
		{RouteConnectionPreview, http.MethodGet, true},
		{RouteErrors, http.MethodGet, true},
		{RouteSettings, http.MethodGet, true},
		{RouteUserPassword, http.MethodGet, true},
	} {
		if got := operatorMay(tc.name, tc.method); got != tc.want {
			t.Errorf("operatorMay(%q, %s) = %v, want %v", tc.name, tc.method, got, tc.want)
		}
	}
}

// TestOperatorMayRetry: the operator's Retry goes through (not 403) and is audited.
func TestOperatorMayRetry(t *testing.T) {
	e := fullEnv(t)
	op := addOperator(t, e.db, "oscar")
	token, csrf := e.sessionFor(t, op)
	res := e.do(t, req{method: http.MethodPost, path: "/errors/1/dismiss", form: url.Values{"_csrf": {csrf}},
		cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}})
	if res.StatusCode == http.StatusForbidden || res.StatusCode >= 500 {
		t.Fatalf("operator dismiss: %d %s", res.StatusCode, bodyString(t, res))
	}
	var se models.SyncError
	if err := e.db.First(&se, 1).Error; err != nil || se.ResolvedAt == nil {
		t.Errorf("operator dismiss did not resolve the error: %+v %v", se, err)
	}
	var entry models.AuditEntry
	if err := e.db.Where("route = ?", RouteErrorDismiss).First(&entry).Error; err != nil {
		t.Fatalf("dismiss not audited: %v", err)
	}
	if entry.Username != "oscar" || entry.Role != models.ConsoleOperator || entry.Target != "error 1" || entry.Status != http.StatusSeeOther {
		t.Errorf("audit entry %+v", entry)
	}
}

// TestUserRoleSet: an administrator makes another user operator and back; the last enabled
// administrator keeps the role; a new user is an operator unless the form says administrator.
func TestUserRoleSet(t *testing.T) {
	e := fullEnv(t)
	other := addUser(t, e.db, "alice")
	role := func(id uint) string {
		var u models.User
		e.db.First(&u, id)
		return u.Role()
	}
	e.post(t, "/settings/users/"+itoaU(other.ID)+"/role", url.Values{"role": {models.ConsoleOperator}}, false)
	if r := role(other.ID); r != models.ConsoleOperator {
		t.Fatalf("alice is %s, want operator", r)
	}
	// The admin is now the last administrator: alice (operator) cannot demote anybody, and the
	// admin cannot demote themselves.
	if res := e.post(t, "/settings/users/"+itoaU(e.admin.ID)+"/role", url.Values{"role": {models.ConsoleOperator}}, false); res.StatusCode != http.StatusSeeOther || role(e.admin.ID) != models.ConsoleAdmin {
		t.Fatalf("self demotion: %d, role %s", res.StatusCode, role(e.admin.ID))
	}
	e.post(t, "/settings/users/"+itoaU(other.ID)+"/role", url.Values{"role": {models.ConsoleAdmin}}, false)
	if r := role(other.ID); r != models.ConsoleAdmin {
		t.Fatalf("alice is %s, want admin", r)
	}
	res := e.post(t, "/settings/users", url.Values{"username": {"olga"}, "password": {"long-enough-pw"}, "confirm": {"long-enough-pw"}}, false)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add user: %d %s", res.StatusCode, bodyString(t, res))
	}
	var olga models.User
	e.db.Where("username = ?", "olga").First(&olga)
	if olga.Role() != models.ConsoleOperator {
		t.Errorf("a new user without a role is %s, want operator", olga.Role())
	}
	doc, _ := e.page(t, "/settings")
	if got := doc.Find(`[data-user="olga"] [data-testid="user-role"]`).Text(); got != "operator" {
		t.Errorf("settings shows olga as %q", got)
	}
}
