// Package modelstest opens migrated databases for tests: a temporary SQLite file always, and a
// fresh Postgres database when DATABASE_URL is set. Under CI (CI set) a missing DATABASE_URL is a
// failure, not a skip.
package modelstest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", used to create and drop test databases

	"github.com/airlock-sync/airlock/models"
)

// Each runs fn once on SQLite and once on Postgres (when available), as subtests.
func Each(t *testing.T, fn func(t *testing.T, db *models.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// Open returns a migrated database: Postgres when DATABASE_URL is set, else SQLite.
func Open(t testing.TB) *models.DB {
	if os.Getenv("DATABASE_URL") != "" {
		return Postgres(t)
	}
	return SQLite(t)
}

// SQLite returns a migrated database in a temporary file.
func SQLite(t testing.TB) *models.DB {
	t.Helper()
	db, err := models.Open(context.Background(), models.OpenOptions{SQLitePath: filepath.Join(t.TempDir(), "airlock.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// Postgres returns a migrated, freshly created Postgres database that is dropped after the test.
func Postgres(t testing.TB) *models.DB {
	t.Helper()
	dsn := PostgresURL(t)
	name := fmt.Sprintf("airlock_t_%s", strings.ToLower(models.RandomToken(6)))
	name = strings.NewReplacer("-", "_").Replace(name)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE "` + name + `"`); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	u, _ := url.Parse(dsn)
	u.Path = "/" + name
	db, err := models.Open(context.Background(), models.OpenOptions{DatabaseURL: u.String(), MaxOpenConns: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		if a, err := sql.Open("pgx", dsn); err == nil {
			a.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`)
			a.Close()
		}
	})
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// PostgresURL returns DATABASE_URL, skipping the test when it is unset (failing under CI).
func PostgresURL(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("DATABASE_URL")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("DATABASE_URL is not set: CI must run the Postgres tests")
		}
		t.Skip("DATABASE_URL not set: Postgres tests skipped (set it to run them)")
	}
	return dsn
}
