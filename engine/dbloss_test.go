package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

// terminateOnWrite kills every backend of one Postgres database (as a server restart would:
// SQLSTATE 57P01) before the first few Jira writes it sees, so the reconcile running them loses
// its database connection half-way.
type terminateOnWrite struct {
	t     *testing.T
	admin *sql.DB
	db    string
	left  atomic.Int32
}

func (r *terminateOnWrite) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && r.left.Add(-1) >= 0 {
		var n int
		if err := r.admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, r.db).Scan(&n); err != nil {
			r.t.Errorf("terminate backends: %v", err)
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// A Postgres restart in the middle of reconciles is a transient failure: it never quarantines a
// twin (not even after several in a row, more than MaxInternalAttempts), and the next rounds
// converge with one copy of each issue.
func TestPostgresRestartDuringReconcileQuarantinesNothing(t *testing.T) {
	dsn := modelstest.PostgresURL(t)
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	if n.db.Dialect != "postgres" {
		t.Fatalf("node database is %s, want postgres", n.db.Dialect)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var dbName string
	if err := n.db.Raw("SELECT current_database()").Scan(&dbName).Error; err != nil {
		t.Fatal(err)
	}
	rt := &terminateOnWrite{t: t, admin: admin, db: dbName}
	rt.left.Store(5)
	n.e.Clients.(*ClientPool).HTTPClient = &http.Client{Transport: rt}

	keys := []string{w.createIssue("A", map[string]any{"summary": "one"}).Key,
		w.createIssue("A", map[string]any{"summary": "two"}).Key,
		w.createIssue("A", map[string]any{"summary": "three"}).Key}
	for round := 0; round < 6 && rt.left.Load() > 0; round++ {
		n.pollAll()
		var twins []models.Twin
		n.db.Where("dirty = ?", true).Order("id").Find(&twins)
		for _, tw := range twins {
			err := n.e.Reconcile(w.ctx, tw.ID)
			if err == nil {
				continue
			}
			if c := ClassOf(err); c != models.ClassTransient {
				t.Errorf("reconcile twin %d during a database restart: class %s, want transient: %v", tw.ID, c, err)
			}
			if Permanent(err) {
				t.Errorf("reconcile twin %d: a database restart made the error permanent: %v", tw.ID, err)
			}
		}
	}
	if rt.left.Load() > 0 {
		t.Fatalf("only %d of 5 terminations happened: the test did not exercise a restart", 5-rt.left.Load())
	}
	settle(t, n)
	for _, tw := range n.twins() {
		if tw.State == models.TwinQuarantined {
			t.Errorf("twin %d (%s) quarantined after a database restart: %s", tw.ID, tw.LocalKey, tw.LastError)
		}
	}
	if got := len(w.issues("AB")); got != len(keys) {
		t.Errorf("relay has %d issues, want %d (one copy each)", got, len(keys))
	}
	for _, k := range keys {
		if p := n.peer(k); p == "" {
			t.Errorf("%s has no copy", k)
		}
	}
}

// Transient failures (here a lost database connection) never count toward the internal limit:
// after any number of them, it still takes MaxInternalAttempts internal failures to quarantine.
func TestTransientFailuresDoNotCountTowardQuarantine(t *testing.T) {
	db := modelstest.SQLite(t)
	e := &Engine{DB: db, Logger: slog.New(slog.DiscardHandler), MaxInternalAttempts: 3}
	tw := models.Twin{ConnectionID: 1, SyncID: "s1", State: models.TwinActive, Dirty: true}
	if err := db.Create(&tw).Error; err != nil {
		t.Fatal(err)
	}
	reload := func() {
		if err := db.First(&tw, tw.ID).Error; err != nil {
			t.Fatal(err)
		}
	}
	lost := fmt.Errorf("save baseline: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"})
	for range 5 {
		_ = e.fail(context.Background(), nil, &tw, lost)
		reload()
	}
	if tw.State == models.TwinQuarantined || tw.ErrorCount != 0 {
		t.Fatalf("after 5 transient failures: state %s, error_count %d; want active, 0", tw.State, tw.ErrorCount)
	}
	bug := errors.New("unexpected nil baseline")
	for i := 1; i <= 3; i++ {
		err := e.fail(context.Background(), nil, &tw, bug)
		reload()
		if got, want := tw.State == models.TwinQuarantined, i == 3; got != want || Permanent(err) != want {
			t.Fatalf("internal failure %d: quarantined %v, want %v (error_count %d)", i, got, want, tw.ErrorCount)
		}
	}
}
