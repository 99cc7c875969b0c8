package config_test

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/config"
)

func TestJiraAllowlist(t *testing.T) {
	tests := []struct {
		val     string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"jira.example.com", []string{"jira.example.com"}, false},
		{" Jira.Example.com , .partner.net,, ", []string{"jira.example.com", ".partner.net"}, false},
		{"https://jira.example.com", nil, true},
		{"jira.example.com:8443", nil, true},
		{"jira.example.com/jira", nil, true},
		{"*.example.com", nil, true},
		{".", nil, true},
	}
	for _, tt := range tests {
		c, err := config.Load(env(map[string]string{"AIRLOCK_JIRA_ALLOWLIST": tt.val}))
		if tt.wantErr {
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Var != "AIRLOCK_JIRA_ALLOWLIST" {
				t.Errorf("%q: err %v, want a config.Error naming AIRLOCK_JIRA_ALLOWLIST", tt.val, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tt.val, err)
		}
		if !reflect.DeepEqual(c.JiraAllowlist, tt.want) {
			t.Errorf("%q: %q, want %q", tt.val, c.JiraAllowlist, tt.want)
		}
	}
}

func TestSecretKeyOld(t *testing.T) {
	k := make([]byte, 32)
	k[0] = 7
	c, err := config.Load(env(map[string]string{"AIRLOCK_SECRET_KEY_OLD": base64.StdEncoding.EncodeToString(k)}))
	if err != nil || !reflect.DeepEqual(c.SecretKeyOld, k) {
		t.Fatalf("old key: %v %v", c, err)
	}
	bad := base64.StdEncoding.EncodeToString([]byte("short-old-key"))
	_, err = config.Load(env(map[string]string{"AIRLOCK_SECRET_KEY_OLD": bad}))
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Var != "AIRLOCK_SECRET_KEY_OLD" || strings.Contains(err.Error(), bad) {
		t.Fatalf("bad old key: %v", err)
	}
}
