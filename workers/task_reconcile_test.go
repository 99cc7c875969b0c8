package workers_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
	"github.com/airlock-sync/airlock/workers"
)

// A reconcile task that finds its twin quarantined does nothing, so it must not close the data
// error that quarantined the twin: CI's hostile-data browser test found the Errors page empty
// while the twin stayed quarantined, because a poll had dispatched the twin again and the
// skipped run "recovered" its error.
func TestSkippedReconcileKeepsTheQuarantineError(t *testing.T) {
	db := modelstest.Open(t)
	ctx := context.Background()
	local := "10001"
	tw := models.Twin{ConnectionID: 1, SyncID: "s-quarantined", State: models.TwinQuarantined, LocalIssueID: &local, LocalKey: "ALPHA-2"}
	if err := db.Create(&tw).Error; err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	conn := uint(1)
	row := models.SyncError{TwinID: &tw.ID, ConnectionID: &conn, Fingerprint: "data-1", Class: models.ClassData,
		Message: "Component name 'x' is not valid", FirstSeen: now, LastSeen: now}
	if err := db.Create(&row).Error; err != nil {
		t.Fatal(err)
	}
	h := workers.HandleReconcile(&engine.Engine{DB: db})
	payload, _ := json.Marshal(workers.ReconcilePayload{TwinID: tw.ID, ConnectionID: 1})
	if err := h.ProcessTask(ctx, asynq.NewTask(workers.TypeReconcile, payload)); err != nil {
		t.Fatalf("reconcile of a quarantined twin: %v", err)
	}
	var got models.SyncError
	if err := db.First(&got, row.ID).Error; err != nil {
		t.Fatal(err)
	}
	if got.ResolvedAt != nil {
		t.Fatalf("the quarantined twin's data error was closed (%q) by a reconcile that did not run", got.Resolution)
	}
}
