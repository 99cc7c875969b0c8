package models_test

import (
	"fmt"
	"testing"

	"github.com/airlock-sync/airlock/models/modelstest"
)

// The embedded SQLite is a current release (issue 13.8: modernc.org/sqlite v1.23.1 shipped
// SQLite 3.41.2 from 2023, without the fixes since). Raise the floor when the driver moves on.
func TestEmbeddedSQLiteIsCurrent(t *testing.T) {
	db := modelstest.SQLite(t)
	var v string
	if err := db.Raw("SELECT sqlite_version()").Scan(&v).Error; err != nil {
		t.Fatal(err)
	}
	var major, minor, patch int
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); err != nil {
		t.Fatalf("sqlite_version() = %q: %v", v, err)
	}
	t.Logf("embedded SQLite %s", v)
	if major != 3 || minor < 50 {
		t.Errorf("embedded SQLite is %s, want 3.50 or newer", v)
	}
}
