package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Migration is one step of the schema history. Steps run in order, each in its own transaction,
// and each applied step is recorded in schema_versions. Never edit a released step: add one.
// A step that only adds tables or columns may call AutoMigrate on the changed models (it adds
// what is missing and nothing else); renames and drops are written out.
type Migration struct {
	Version int
	Name    string
	Up      func(tx *gorm.DB) error
}

// Migrations is the ordered schema history.
var Migrations = []Migration{
	{Version: 1, Name: "initial tables", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(All()...)
	}},
	{Version: 2, Name: "twin create attempts, applied conflict decisions", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Twin{}, &Conflict{})
	}},
	{Version: 3, Name: "one open sync error per fingerprint", Up: func(tx *gorm.DB) error {
		// Partial unique index (SQLite and Postgres): concurrent failures of one kind bump one row.
		return tx.Exec("CREATE UNIQUE INDEX IF NOT EXISTS ux_err_open_fp ON sync_errors (fingerprint) WHERE resolved_at IS NULL").Error
	}},
	{Version: 4, Name: "twin key prefix search on Postgres", Up: func(tx *gorm.DB) error {
		// The console finds twins by the start of a key with a range in byte order; SQLite's
		// default collation is byte order already, Postgres needs these expression indexes.
		if tx.Dialector.Name() != "postgres" {
			return nil
		}
		for _, col := range []string{"local_key", "remote_key"} {
			if err := tx.Exec(`CREATE INDEX IF NOT EXISTS ix_twin_` + col + `_c ON twins (` + col + ` COLLATE "C")`).Error; err != nil {
				return err
			}
		}
		return nil
	}},
	{Version: 5, Name: "covering indexes for the errors page", Up: func(tx *gorm.DB) error {
		// The errors page groups open errors by class and connection with their last time, and
		// lists the most recent first: both read only these indexes, not the table.
		for _, stmt := range []string{
			"CREATE INDEX IF NOT EXISTS ix_err_group ON sync_errors (resolved_at, class, connection_id, last_seen)",
			"CREATE INDEX IF NOT EXISTS ix_err_recent ON sync_errors (resolved_at, last_seen, id)",
		} {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
		}
		return nil
	}},
	{Version: 6, Name: "connection lifecycle (draft, activated at) and allowed overlap", Up: func(tx *gorm.DB) error {
		// Existing connections were syncing: they stay active, activated when they were made.
		if err := tx.AutoMigrate(&Connection{}); err != nil {
			return err
		}
		return tx.Exec("UPDATE connections SET activated_at = created_at WHERE activated_at IS NULL AND draft = ?", false).Error
	}},
	{Version: 7, Name: "fields skipped for one twin", Up: func(tx *gorm.DB) error {
		if tx.Migrator().HasColumn(&Twin{}, "SkipFields") {
			return nil
		}
		return tx.Migrator().AddColumn(&Twin{}, "SkipFields")
	}},
	{Version: 8, Name: "console audit, notification settings and state", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&AuditEntry{}, &NotifySettings{}, &NotifyState{})
	}},
	{Version: 9, Name: "internal comments kept home per twin", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Twin{})
	}},
	{Version: 10, Name: "twin lease: one reconcile at a time", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Twin{})
	}},
	{Version: 11, Name: "sub-task structure per twin (parents, copy side)", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&TwinStructure{})
	}},
	{Version: 12, Name: "issue link twins, links kept home per twin", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&LinkTwin{}, &Twin{})
	}},
	{Version: 13, Name: "worklog twins", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&WorklogTwin{})
	}},
	{Version: 15, Name: "node sealing identities", Up: func(tx *gorm.DB) error {
		if err := tx.AutoMigrate(&NodeIdentity{}); err != nil {
			return err
		}
		// One current identity, even when two processes start at once.
		return tx.Exec("CREATE UNIQUE INDEX IF NOT EXISTS ux_node_identity_current ON node_identities (state) WHERE state = 'current'").Error
	}},
	{Version: 16, Name: "sealed relay: connection keys, accepted envelope versions", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Connection{}, &SealMark{})
	}},
}

// LatestVersion is the highest version this build migrates to (versions may have gaps).
func LatestVersion() int {
	v := 0
	for _, m := range Migrations {
		v = max(v, m.Version)
	}
	return v
}

// SchemaVersion returns the highest applied migration, 0 for an empty database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	if !db.Migrator().HasTable(&SchemaVersion{}) {
		return 0, nil
	}
	var v int
	err := db.WithContext(ctx).Model(&SchemaVersion{}).Select("COALESCE(MAX(version), 0)").Scan(&v).Error
	return v, err
}

// Migrate applies every pending migration and returns how many ran. Concurrent callers (web and
// worker starting together) are serialised: Postgres by an advisory lock, SQLite by its
// immediate write transactions; each re-reads the version under the lock.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	// Written out rather than AutoMigrate: IF NOT EXISTS keeps concurrent first starts safe.
	ts := "datetime"
	if db.Dialect == "postgres" {
		ts = "timestamptz"
	}
	if err := db.WithContext(ctx).Exec("CREATE TABLE IF NOT EXISTS schema_versions (version integer PRIMARY KEY, name text, applied_at " + ts + ")").Error; err != nil {
		return 0, fmt.Errorf("create schema_versions: %w", err)
	}
	applied := 0
	for _, m := range Migrations {
		ran := false
		err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if db.Dialect == "postgres" {
				if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", int64(0x41495231)).Error; err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			} else {
				// Take SQLite's write lock before reading, so two processes cannot both decide to run.
				if err := tx.Exec("UPDATE schema_versions SET version = version WHERE 0").Error; err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			}
			var n int64
			if err := tx.Model(&SchemaVersion{}).Where("version = ?", m.Version).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if err := m.Up(tx); err != nil {
				return err
			}
			ran = true
			return tx.Create(&SchemaVersion{Version: m.Version, Name: m.Name, AppliedAt: time.Now().UTC()}).Error
		})
		if err != nil {
			return applied, fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		if ran {
			applied++
		}
	}
	return applied, nil
}

// ErrNotFound is returned by lookups that find nothing.
var ErrNotFound = errors.New("not found")
