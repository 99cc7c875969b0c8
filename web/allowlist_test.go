package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestInstanceFormURLPolicy: only http and https base URLs, and with AIRLOCK_JIRA_ALLOWLIST set
// only its hosts, through the form and through a YAML import.
func TestInstanceFormURLPolicy(t *testing.T) {
	tests := []struct {
		base  string
		allow []string
		ok    bool
	}{
		{"https://jira.example.com/jira", nil, true},
		{"http://jira.example.com", nil, true},
		{"ftp://jira.example.com", nil, false},
		{"file:///etc/passwd", nil, false},
		{"javascript:alert(1)", nil, false},
		{"gopher://jira.example.com", nil, false},
		{"https://jira.example.com", []string{".example.com"}, true},
		{"https://example.com", []string{".example.com"}, true},
		{"https://jira.example.com.evil.test", []string{".example.com"}, false},
		{"https://relay.partner.net", []string{"jira.example.com"}, false},
		{"https://relay.partner.net:8443/jira", []string{"jira.example.com", "relay.partner.net"}, true},
	}
	for i, tt := range tests {
		e := newC1Env(t, nil)
		e.s.cfg.JiraAllowlist = tt.allow
		name := "inst" + string(rune('a'+i))
		res := e.post(t, "/instances", instanceForm(name, tt.base, "sync", "pw-123456"), false)
		body := bodyString(t, res)
		if got := res.StatusCode == http.StatusSeeOther; got != tt.ok {
			t.Errorf("form %s (allow %q): %d, want saved=%v", tt.base, tt.allow, res.StatusCode, tt.ok)
		}
		if !tt.ok && tt.allow != nil && strings.HasPrefix(tt.base, "https") && !strings.Contains(body, "AIRLOCK_JIRA_ALLOWLIST") {
			t.Errorf("form %s: the refusal does not name AIRLOCK_JIRA_ALLOWLIST", tt.base)
		}
		yml := "version: 1\ninstances:\n  - name: " + name + "\n    base_url: " + tt.base + "\n    role: private\n    auth_type: basic\n    username: sync\n    max_concurrent: 4\n    calls_per_second: 0\nconnections: []\n"
		p, err := planImport(context.Background(), e.db.DB, []byte(yml), tt.allow)
		if err != nil {
			t.Fatal(err)
		}
		hasErr := len(p.preview.Problems) > 0
		for _, it := range p.preview.Items {
			hasErr = hasErr || len(it.Errors) > 0
		}
		if hasErr == tt.ok {
			t.Errorf("import %s (allow %q): problems %v items %+v", tt.base, tt.allow, p.preview.Problems, p.preview.Items)
		}
	}
}
