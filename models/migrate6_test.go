package models_test

import (
	"context"
	"testing"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

// Upgrading to migration 6 keeps every existing connection syncing: it is active (not a draft),
// activated when it was made, and overlap stays disallowed.
func TestMigration6KeepsConnectionsActive(t *testing.T) {
	db := modelstest.SQLite(t)
	ctx := context.Background()
	// The schema before migration 6: no lifecycle columns, no record of step 6.
	for _, col := range []string{"draft", "activated_at", "allow_overlap"} {
		if err := db.Migrator().DropColumn(&models.Connection{}, col); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Exec("DELETE FROM schema_versions WHERE version = 6").Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`INSERT INTO connections (name, local_instance_id, remote_instance_id, local_project, remote_project, poll_interval_ms,
		conflict_policy, deletion_policy, paused, created_at, updated_at) VALUES ('old', 1, 2, 'ALPHA', 'RELAY', 5000, 'newest', 'ignore', false,
		'2025-01-02 03:04:05', '2025-01-02 03:04:05')`).Error; err != nil {
		t.Fatal(err)
	}
	if n, err := db.Migrate(ctx); err != nil || n != 1 {
		t.Fatalf("migrate applied %d, %v", n, err)
	}
	var c models.Connection
	if err := db.Where("name = ?", "old").First(&c).Error; err != nil {
		t.Fatal(err)
	}
	if c.Draft || c.ActivatedAt == nil || !c.ActivatedAt.Equal(c.CreatedAt) || c.AllowOverlap || !c.Syncing() {
		t.Fatalf("after migration 6: draft=%v activated=%v created=%v overlap=%v", c.Draft, c.ActivatedAt, c.CreatedAt, c.AllowOverlap)
	}
}
