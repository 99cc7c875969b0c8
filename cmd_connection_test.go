package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/models"
)

func TestConnectionDeleteCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	env := envOf(map[string]string{"AIRLOCK_DATA_DIR": dir, "AIRLOCK_LOG_LEVEL": "error"})
	if code := run(ctx, env, []string{"migrate"}, io.Discard, io.Discard); code != 0 {
		t.Fatalf("migrate: exit %d", code)
	}
	db, err := models.Open(ctx, models.OpenOptions{SQLitePath: filepath.Join(dir, "airlock.db")})
	if err != nil {
		t.Fatal(err)
	}
	a := &models.Instance{Name: "A", BaseURL: "https://a.example.com", Role: models.RolePrivate, AuthType: models.AuthBasic}
	ab := &models.Instance{Name: "AB", BaseURL: "https://ab.example.com", Role: models.RoleRelay, AuthType: models.AuthBasic}
	db.Create(a)
	db.Create(ab)
	c := &models.Connection{Name: "A-AB", LocalInstanceID: a.ID, RemoteInstanceID: ab.ID, LocalProject: "ALPHA", RemoteProject: "RELAY"}
	if err := db.Create(c).Error; err != nil {
		t.Fatal(err)
	}
	lid, rid := "10000", "20000"
	tw := &models.Twin{ConnectionID: c.ID, SyncID: "s1", State: models.TwinActive, LocalIssueID: &lid, RemoteIssueID: &rid}
	db.Create(tw)
	db.Create(&models.Watermark{ConnectionID: c.ID, Side: models.SideLocal})
	db.Close()

	var out, errb bytes.Buffer
	if code := run(ctx, env, []string{"connection", "delete"}, &out, &errb); code != exitUsage {
		t.Fatalf("without --id: exit %d", code)
	}
	out.Reset()
	if code := run(ctx, env, []string{"connection", "delete", "--id", "1"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "1 twins") ||
		!strings.Contains(out.String(), "nothing deleted") {
		t.Fatalf("dry run: exit %d, %q %q", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run(ctx, env, []string{"connection", "delete", "--id", "1", "--yes"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "deleted connection") {
		t.Fatalf("delete: exit %d, %q %q", code, out.String(), errb.String())
	}
	db, err = models.Open(ctx, models.OpenOptions{SQLitePath: filepath.Join(dir, "airlock.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, m := range []any{&models.Connection{}, &models.Twin{}, &models.Watermark{}} {
		var n int64
		db.Model(m).Count(&n)
		if n != 0 {
			t.Errorf("%T: %d rows left", m, n)
		}
	}
}
