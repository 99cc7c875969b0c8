package models_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

func TestMigrateTwiceFromEmpty(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		// modelstest already migrated once from empty; a second run must apply nothing.
		v, err := db.SchemaVersion(ctx)
		// Versions are assigned ahead, so a branch may lack some: the last step's number counts.
		if want := models.Migrations[len(models.Migrations)-1].Version; err != nil || v != want {
			t.Fatalf("version = %d, %v; want %d", v, err, want)
		}
		n, err := db.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d, %v", n, err)
		}
		for _, m := range models.All() {
			if !db.Migrator().HasTable(m) {
				t.Errorf("table for %T missing", m)
			}
		}
		for _, ix := range []struct {
			model any
			name  string
		}{{&models.Twin{}, "ux_twin_local"}, {&models.Twin{}, "ix_twin_dirty"}, {&models.SyncError{}, "ix_err_open"}, {&models.Event{}, "ix_ev_conn"}} {
			if !db.Migrator().HasIndex(ix.model, ix.name) {
				t.Errorf("index %s missing", ix.name)
			}
		}
	})
}

func TestConcurrentMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			db, err := models.Open(context.Background(), models.OpenOptions{SQLitePath: path})
			if err == nil {
				_, err = db.Migrate(context.Background())
				db.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestTwinUniquenessAllowsPending(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		a := "10001"
		for i, tw := range []models.Twin{
			{ConnectionID: 1, SyncID: "s1", State: models.TwinPendingCreate, LocalIssueID: &a},
			{ConnectionID: 1, SyncID: "s2", State: models.TwinPendingCreate},
			{ConnectionID: 1, SyncID: "s3", State: models.TwinPendingCreate},
		} {
			if err := db.WithContext(ctx).Create(&tw).Error; err != nil {
				t.Fatalf("twin %d: %v", i, err)
			}
		}
		dup := models.Twin{ConnectionID: 1, SyncID: "s4", State: models.TwinActive, LocalIssueID: &a}
		if err := db.WithContext(ctx).Create(&dup).Error; err == nil {
			t.Fatal("a second twin for the same local issue was accepted")
		}
	})
}

func TestSecretNotInDatabaseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "airlock.db")
	ctx := context.Background()
	db, err := models.Open(ctx, models.OpenOptions{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	s, err := models.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "Sup3r-Secret-Jira-Pa55word"
	inst := models.Instance{Name: "A", BaseURL: "https://a.example", Username: "sync"}
	if err := inst.SetSecret(s, secret); err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&inst).Error; err != nil {
		t.Fatal(err)
	}
	var back models.Instance
	if err := db.First(&back, inst.ID).Error; err != nil {
		t.Fatal(err)
	}
	got, err := back.Secret(s)
	if err != nil || got != secret {
		t.Fatalf("Secret() = %q, %v", got, err)
	}
	// Another key, or the value moved to another instance, does not open.
	other, _ := models.NewSealer(bytes.Repeat([]byte{7}, 32))
	if _, err := back.Secret(other); !errors.Is(err, models.ErrSealed) {
		t.Fatalf("wrong key: %v", err)
	}
	moved := models.Instance{Name: "B", SecretEnc: back.SecretEnc}
	if _, err := moved.Secret(s); err == nil {
		t.Fatal("sealed value opened under another instance name")
	}
	db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	db.Close()
	files, _ := filepath.Glob(path + "*")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte(secret)) {
			t.Fatalf("plaintext secret found in %s", f)
		}
	}
	if len(files) == 0 {
		t.Fatal("no database file written")
	}
}

func TestSessions(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		gen, err := db.EnsureAdmin(ctx, "admin", "")
		if err != nil || len(gen) < 10 {
			t.Fatalf("EnsureAdmin: %q %v", gen, err)
		}
		if again, _ := db.EnsureAdmin(ctx, "admin", ""); again != "" {
			t.Fatal("second EnsureAdmin generated another password")
		}
		if _, err := db.Authenticate(ctx, "admin", "wrong-password"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("wrong password: %v", err)
		}
		u, err := db.Authenticate(ctx, "admin", gen)
		if err != nil {
			t.Fatal(err)
		}
		tok, s, err := db.CreateSession(ctx, u, "127.0.0.1", "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if s.ID == tok {
			t.Fatal("session token stored in clear")
		}
		if _, got, err := db.SessionUser(ctx, tok, time.Hour); err != nil || got.ID != u.ID {
			t.Fatalf("SessionUser: %v", err)
		}
		db.DeleteSession(ctx, tok)
		if _, _, err := db.SessionUser(ctx, tok, time.Hour); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("after logout: %v", err)
		}
	})
}
