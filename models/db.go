package models

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// DB wraps the gorm handle with what Airlock needs to know about it.
type DB struct {
	*gorm.DB
	// Dialect is "sqlite" or "postgres".
	Dialect string
}

// OpenOptions selects and tunes the database.
type OpenOptions struct {
	// DatabaseURL selects Postgres when set.
	DatabaseURL string
	// SQLitePath is the file used when DatabaseURL is empty.
	SQLitePath   string
	MaxOpenConns int
	Logger       *slog.Logger
}

// Open connects to Postgres (DatabaseURL) or to the SQLite file, creating its folder.
// SQLite runs in WAL mode with a busy timeout and immediate write transactions, so concurrent
// writers wait instead of failing with "database is locked".
func Open(ctx context.Context, o OpenOptions) (*DB, error) {
	gcfg := &gorm.Config{Logger: logger.Discard, TranslateError: true, NowFunc: func() time.Time { return time.Now().UTC() }}
	var (
		g       *gorm.DB
		err     error
		dialect string
	)
	if o.DatabaseURL != "" {
		dialect = "postgres"
		g, err = gorm.Open(postgres.Open(o.DatabaseURL), gcfg)
	} else {
		dialect = "sqlite"
		if err := secureSQLiteFiles(o.SQLitePath, o.Logger); err != nil {
			return nil, err
		}
		// Switching a fresh file to WAL takes a lock that SQLite may refuse at once (SQLITE_BUSY,
		// without waiting for its busy timeout) while another process switches it: try again.
		for attempt := 0; ; attempt++ {
			g, err = gorm.Open(sqlite.Open(SQLiteDSN(o.SQLitePath)), gcfg)
			if err == nil || attempt == 50 || !strings.Contains(err.Error(), "SQLITE_BUSY") {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, redactURL(err, o.DatabaseURL))
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	maxOpen := o.MaxOpenConns
	if maxOpen <= 0 {
		maxOpen = 10
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(maxOpen)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("reach %s database: %w", dialect, redactURL(err, o.DatabaseURL))
	}
	return &DB{DB: g, Dialect: dialect}, nil
}

// secureSQLiteFiles makes the SQLite file's folder (0700) and the file itself (0600) before
// SQLite opens it: SQLite creates a new database 0644 and gives its -wal and -shm files the
// database file's mode, so creating it first keeps all three private. Files and a folder left
// readable by others (by an older Airlock) are tightened; a folder Airlock may not change is
// logged and used as it is.
func secureSQLiteFiles(path string, log *slog.Logger) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, fi.Mode().Perm()&0o700); err != nil && log != nil {
			log.Warn("the data folder is readable by other users; make it 0700", "folder", dir, "err", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("make %s private: %w", p, err)
			}
		}
	}
	return nil
}

// SQLiteDSN is the connection string for the SQLite file at path.
func SQLiteDSN(path string) string {
	q := url.Values{}
	// busy_timeout first: switching a fresh file to WAL takes a lock that concurrent openers wait on.
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Ping checks the database is reachable (readiness).
func (db *DB) Ping(ctx context.Context) error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close releases the pool.
func (db *DB) Close() error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// redactURL keeps a password in DATABASE_URL out of error messages.
func redactURL(err error, raw string) error {
	if raw == "" {
		return err
	}
	u, perr := url.Parse(raw)
	if perr != nil || u.User == nil {
		return err
	}
	if p, ok := u.User.Password(); ok && p != "" {
		return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), p, "xxxxx"))
	}
	return err
}
