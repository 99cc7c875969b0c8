package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestChaosSmoke runs `airlock bench chaos` small: 100 operations, two worker kills, one Redis
// loss and one database restart under 5% 5xx, 2% 429 and 1% timeouts, with the workers as real
// `airlock worker` processes built from this tree.
func TestChaosSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos smoke: builds the airlock binary and runs worker processes (about a minute)")
	}
	runChaosSmoke(t, 100, 1, "", "", 3*time.Minute)
}

// runChaosSmoke builds the airlock binary and runs the chaos scenario with ops operations, two
// worker kills, redisLosses queue losses and one database restart, on SQLite and miniredis or on
// the given Postgres and Redis, and checks that nothing was lost, duplicated or left divergent.
func runChaosSmoke(t *testing.T, ops, redisLosses int, databaseURL, redisURL string, limit time.Duration) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "airlock")
	build := exec.Command("go", "build", "-o", bin, "github.com/airlock-sync/airlock")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	o := DefaultChaos()
	o.Ops, o.Kills, o.RedisRestarts, o.DBRestarts = ops, 2, redisLosses, 1
	o.Binary, o.QuietTimeout = bin, 90*time.Second
	o.Progress = func(s string) { t.Log(s) }
	cfg := Config{Latency: 5 * time.Millisecond, Cap: 8, TempDir: filepath.Join(dir, "run"), SweepEvery: 500 * time.Millisecond, WorkerConcurrency: 4,
		DatabaseURL: databaseURL, RedisURL: redisURL}
	r, err := Chaos(ctx, cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + table.String())
	m := r.Metrics
	for _, tc := range []struct {
		metric string
		want   int
	}{{"lost", 0}, {"duplicates", 0}, {"divergence", 0}, {"internal_outside", 0}, {"late_writes", 0}, {"unexpected_exits", 0}, {"kills", 2},
		{"redis_restarts", redisLosses}, {"db_restarts", 1}, {"ops_failed", 0}} {
		if got := m[tc.metric]; got != tc.want {
			t.Errorf("%s = %v, want %d", tc.metric, got, tc.want)
		}
	}
	if got := m["ops_applied"].(int); got < ops*9/10 {
		t.Errorf("%d operations applied of %d", got, ops)
	}
	if m["chains"].(int) == 0 {
		t.Error("no chain verified")
	}
	if m["internal_comments"].(int) == 0 {
		t.Error("people made no internal comment on the service project: the internal-comment check saw nothing")
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back["scenario"] != "chaos" || strings.Count(js.String(), "\n") != 1 {
		t.Errorf("JSON line %q: %v", js.String(), err)
	}
}
