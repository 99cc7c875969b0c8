package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/models"
)

func randomKey(t *testing.T) (string, *models.Sealer) {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	s, err := models.NewSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k), s
}

func TestRotateKeyCommand(t *testing.T) {
	dir := t.TempDir()
	oldB64, oldKey := randomKey(t)
	newB64, newKey := randomKey(t)
	ctx := context.Background()
	// A node's database with one credential under the old key.
	if code := run(ctx, envOf(map[string]string{"AIRLOCK_DATA_DIR": dir, "AIRLOCK_LOG_LEVEL": "error"}), []string{"migrate"}, io.Discard, io.Discard); code != 0 {
		t.Fatalf("migrate: exit %d", code)
	}
	db, err := models.Open(ctx, models.OpenOptions{SQLitePath: filepath.Join(dir, "airlock.db")})
	if err != nil {
		t.Fatal(err)
	}
	in := &models.Instance{Name: "A", BaseURL: "https://a.example.com", Role: models.RolePrivate, AuthType: models.AuthBasic, Username: "sync"}
	if err := in.SetSecret(oldKey, "the-password-of-A"); err != nil {
		t.Fatal(err)
	}
	if err := db.Create(in).Error; err != nil {
		t.Fatal(err)
	}
	db.Close()

	tests := []struct {
		name     string
		env      map[string]string
		code     int
		out, err string
	}{
		{"no old key", map[string]string{"AIRLOCK_SECRET_KEY": newB64}, 2, "", "AIRLOCK_SECRET_KEY_OLD"},
		{"no new key", map[string]string{"AIRLOCK_SECRET_KEY_OLD": oldB64}, 2, "", "AIRLOCK_SECRET_KEY: expected the new key"},
		{"wrong old key", map[string]string{"AIRLOCK_SECRET_KEY_OLD": newB64, "AIRLOCK_SECRET_KEY": newB64}, 1, "", "opens with neither"},
		{"rotate", map[string]string{"AIRLOCK_SECRET_KEY_OLD": oldB64, "AIRLOCK_SECRET_KEY": newB64}, 0, "re-encrypted 1 credentials", ""},
		{"again", map[string]string{"AIRLOCK_SECRET_KEY_OLD": oldB64, "AIRLOCK_SECRET_KEY": newB64}, 0, "re-encrypted 0 credentials with the new key (1 already used it", ""},
	}
	for _, tt := range tests {
		env := map[string]string{"AIRLOCK_DATA_DIR": dir, "AIRLOCK_LOG_LEVEL": "error"}
		for k, v := range tt.env {
			env[k] = v
		}
		var out, errb bytes.Buffer
		code := run(ctx, envOf(env), []string{"rotate-key"}, &out, &errb)
		if code != tt.code || !strings.Contains(out.String(), tt.out) || !strings.Contains(errb.String(), tt.err) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", tt.name, code, out.String(), errb.String())
		}
		for _, k := range []string{oldB64, newB64} {
			if strings.Contains(out.String()+errb.String(), k) {
				t.Errorf("%s: a key was printed", tt.name)
			}
		}
	}
	db, err = models.Open(ctx, models.OpenOptions{SQLitePath: filepath.Join(dir, "airlock.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got models.Instance
	if err := db.First(&got).Error; err != nil {
		t.Fatal(err)
	}
	if s, err := got.Secret(newKey); err != nil || s != "the-password-of-A" {
		t.Fatalf("after rotation: %q, %v", s, err)
	}
}
