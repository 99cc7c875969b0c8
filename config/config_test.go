package config_test

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":8080" || c.DataDir != "data" || c.DatabaseURL != "" || c.RedisURL != "" || c.SecretKey != nil || c.AdminUser != "admin" {
		t.Errorf("defaults = %+v", c)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		name, val, want string
	}{
		{"AIRLOCK_SECRET_KEY", base64.StdEncoding.EncodeToString([]byte("short")), "got 5 bytes"},
		{"AIRLOCK_SECRET_KEY", "not base64!", "not valid base64"},
		{"AIRLOCK_LISTEN", "8080", "host:port"},
		{"DATABASE_URL", "mysql://x/y", "postgres://"},
		{"REDIS_URL", "localhost:6379", "redis://"},
		{"AIRLOCK_SESSION_TTL", "soon", "duration"},
		{"AIRLOCK_WORKER_CONCURRENCY", "0", "whole number"},
		{"AIRLOCK_LOG_LEVEL", "loud", ""},
		{"AIRLOCK_ADMIN_PASSWORD", "short", "at least 10"},
	} {
		t.Run(tc.name+"="+tc.val, func(t *testing.T) {
			_, err := config.Load(env(map[string]string{tc.name: tc.val}))
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Var != tc.name {
				t.Fatalf("err = %v, want a config.Error naming %s", err, tc.name)
			}
			if !strings.HasPrefix(err.Error(), tc.name) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q does not name %s and %q", err, tc.name, tc.want)
			}
			if strings.Contains(tc.name, "SECRET") || strings.Contains(tc.name, "PASSWORD") {
				if strings.Contains(err.Error(), tc.val) {
					t.Errorf("secret value echoed in %q", err)
				}
			}
		})
	}
}

func TestEnsureSecretKeyCreatesPrivateFile(t *testing.T) {
	dir := t.TempDir()
	c, _ := config.Load(env(map[string]string{"AIRLOCK_DATA_DIR": dir}))
	gen := func() ([]byte, error) { return []byte("0123456789abcdef0123456789abcdef"), nil }
	created, err := c.EnsureSecretKey(gen)
	if err != nil || !created || len(c.SecretKey) != 32 {
		t.Fatalf("created=%v err=%v", created, err)
	}
	st, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st.Mode(), err)
	}
	c2, _ := config.Load(env(map[string]string{"AIRLOCK_DATA_DIR": dir}))
	created, err = c2.EnsureSecretKey(gen)
	if err != nil || created || string(c2.SecretKey) != string(c.SecretKey) {
		t.Fatalf("second start: created=%v err=%v", created, err)
	}
}
