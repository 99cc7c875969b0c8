package workers_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
	"github.com/airlock-sync/airlock/workers"
	"github.com/airlock-sync/airlock/workers/workerstest"
)

type configErr struct{}

func (configErr) Error() string {
	return "field customfield_10001 is not on the edit screen (Authorization: Bearer abc123)"
}
func (configErr) ErrorClass() string { return models.ClassConfig }

func TestFailuresBecomeSyncErrors(t *testing.T) {
	db := modelstest.Open(t)
	b := workerstest.Broker(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := workers.NewServer(b, db, logger, workers.ServerOptions{Concurrency: 4, ShutdownTimeout: time.Second})
	srv.Mux.HandleFunc("test:fail", func(ctx context.Context, t *asynq.Task) error {
		return errors.Join(configErr{}, asynq.SkipRetry)
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	client := asynq.NewClient(b.ConnOpt())
	defer client.Close()
	payload, _ := json.Marshal(workers.Scope{TwinID: 42, ConnectionID: 7})
	// Several failures of one kind at once must bump one row, not race into duplicates.
	const failures = 6
	for i := range failures {
		if _, err := client.Enqueue(asynq.NewTask("test:fail", payload), asynq.Queue(workers.QueueSync), asynq.TaskID("fail-"+string(rune('a'+i))), asynq.MaxRetry(0)); err != nil {
			t.Fatal(err)
		}
	}
	var row models.SyncError
	deadline := time.Now().Add(15 * time.Second)
	for {
		db.Where("twin_id = ?", 42).Limit(1).Find(&row)
		if row.Attempts >= failures || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if row.ID == 0 {
		t.Fatal("no SyncError written for the failed task")
	}
	if row.Class != models.ClassConfig || row.TaskType != "test:fail" || *row.ConnectionID != 7 || row.Attempts != failures {
		t.Errorf("row = %+v", row)
	}
	if strings.Contains(row.Message, "skip retry") {
		t.Errorf("queue plumbing in the message: %q", row.Message)
	}
	var rows int64
	db.Model(&models.SyncError{}).Where("twin_id = ?", 42).Count(&rows)
	if rows != 1 {
		t.Errorf("%d rows for one kind of failure, want 1", rows)
	}
	if want := "[redacted]"; !strings.Contains(row.Message, want) || strings.Contains(row.Message, "abc123") {
		t.Errorf("message not redacted: %q", row.Message)
	}
}

func TestRetryPolicy(t *testing.T) {
	if !workers.IsFailure(errors.New("x")) {
		t.Error("plain error is not a failure")
	}
	// Exponential backoff with jitter: attempt n waits between half and all of 2 s << n (capped at
	// 10 min), so the shortest wait of attempt n+1 is never below the longest of attempt n.
	prevMax := time.Duration(0)
	for n := range 12 {
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for range 200 {
			d := workers.RetryDelay(n, errors.New("x"), nil)
			lo, hi = min(lo, d), max(hi, d)
		}
		ceil := min(2*time.Second<<n, 10*time.Minute)
		if lo < ceil/2 || hi > ceil {
			t.Errorf("attempt %d waits %v..%v, want within %v..%v", n, lo, hi, ceil/2, ceil)
		}
		if ceil < 10*time.Minute && lo < prevMax {
			t.Errorf("attempt %d may wait %v, less than attempt %d's %v: delays do not grow", n, lo, n-1, prevMax)
		}
		prevMax = hi
	}
	if lo, hi := workers.RetryDelay(0, errors.New("x"), nil), workers.RetryDelay(8, errors.New("x"), nil); hi <= lo {
		t.Errorf("attempt 8 waits %v, attempt 0 %v", hi, lo)
	}
	if workers.Retryable(models.ClassConfig) || !workers.Retryable(models.ClassTransient) {
		t.Error("retryable classes wrong")
	}
}

func TestOpenBrokerRequiresRedisOutsideDev(t *testing.T) {
	if _, err := workers.OpenBroker(context.Background(), "", false); !errors.Is(err, workers.ErrRedisRequired) {
		t.Fatalf("err = %v", err)
	}
	b, err := workers.OpenBroker(context.Background(), "", true)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.Embedded() {
		t.Fatal("embedded broker not marked")
	}
}

func TestResolveRecoveredClosesOnlyMatchingOpenErrors(t *testing.T) {
	db := modelstest.Open(t)
	ctx := context.Background()
	twin, other := uint(5), uint(6)
	now := time.Now().UTC()
	for i, e := range []models.SyncError{
		{TwinID: &twin, Fingerprint: "a", Class: models.ClassTransient, Message: "503", FirstSeen: now, LastSeen: now},
		{TwinID: &other, Fingerprint: "b", Class: models.ClassTransient, Message: "503", FirstSeen: now, LastSeen: now},
	} {
		if err := db.Create(&e).Error; err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	if err := workers.ResolveRecovered(ctx, db, "twin_id = ?", twin); err != nil {
		t.Fatal(err)
	}
	var open []models.SyncError
	db.Where("resolved_at IS NULL").Find(&open)
	if len(open) != 1 || *open[0].TwinID != other {
		t.Fatalf("open errors after recovery: %+v", open)
	}
	var closed models.SyncError
	db.Where("twin_id = ?", twin).First(&closed)
	if closed.Resolution != "recovered" || closed.ResolvedAt == nil {
		t.Fatalf("recovered error: %+v", closed)
	}
}
