package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// The dev node's SQLite files and generated secret key are private to its user: 0600 in a
// 0700 data folder (issue 13.6), on a fresh folder and on one an older Airlock left 0755/0644.
func TestDevDataFilesArePrivate(t *testing.T) {
	fresh := filepath.Join(t.TempDir(), "data")
	old := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(old, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"airlock.db", "secret.key"} {
		if err := os.WriteFile(filepath.Join(old, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(old, "secret.key"), []byte("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{fresh, old} {
		n, err := boot(context.Background(), envOf(map[string]string{"AIRLOCK_DATA_DIR": dir, "AIRLOCK_LOG_LEVEL": "error"}), modeDev)
		if err != nil {
			t.Fatal(err)
		}
		// While the node runs: the -wal and -shm files exist only then.
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: folder mode %v, %v; want 0700", dir, fi.Mode().Perm(), err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		seen := map[string]bool{}
		for _, f := range files {
			fi, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			seen[filepath.Base(f)] = true
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
			}
		}
		if !seen["airlock.db"] || !seen["secret.key"] || !seen["airlock.db-wal"] {
			t.Errorf("%s: files %v, want the database, its WAL and the key", dir, files)
		}
		n.Close()
	}
}
