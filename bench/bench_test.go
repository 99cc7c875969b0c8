package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// smokeConfig is a tiny, fast world: little latency, quick sweeps, the environment's database
// and queue when set (as the other packages' tests do).
func smokeConfig(t *testing.T) Config {
	return Config{Latency: time.Millisecond, Cap: 4, TempDir: t.TempDir(), SweepEvery: 100 * time.Millisecond, WorkerConcurrency: 4,
		DatabaseURL: os.Getenv("DATABASE_URL")}
}

// checkReport fails the test when a report lacks rows or does not survive its JSON line.
func checkReport(t *testing.T, r *Report, wantRows int) {
	t.Helper()
	if len(r.Rows) < wantRows {
		t.Fatalf("%s: %d rows, want at least %d: %+v", r.Scenario, len(r.Rows), wantRows, r.Rows)
	}
	var table, line bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), r.Rows[0].Name) {
		t.Errorf("table lacks its first row:\n%s", table.String())
	}
	if err := r.WriteJSON(&line); err != nil {
		t.Fatal(err)
	}
	if strings.Count(line.String(), "\n") != 1 {
		t.Errorf("JSON is not one line: %q", line.String())
	}
	var back Report
	if err := json.Unmarshal(line.Bytes(), &back); err != nil || back.Scenario != r.Scenario {
		t.Errorf("JSON line does not decode: %v", err)
	}
}

func rowValue(r *Report, prefix string) (Row, bool) {
	for _, row := range r.Rows {
		if strings.HasPrefix(row.Name, prefix) {
			return row, true
		}
	}
	return Row{}, false
}

func TestSmokeBulk(t *testing.T) {
	t.Parallel()
	r, err := Bulk(context.Background(), smokeConfig(t), BulkOptions{Issues: 12, Comments: 2, Attachments: 2, PollInterval: time.Second, Timeout: 40 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, r, 8)
	if row, _ := rowValue(r, "issues in B"); row.Value != "12 of 12" {
		t.Errorf("issues in B = %q, want 12 of 12 (notes %v)", row.Value, r.Notes)
	}
	for _, inst := range []string{"A", "AB", "B"} {
		row, ok := rowValue(r, "max concurrent calls on "+inst)
		if !ok || row.Met != "yes" {
			t.Errorf("concurrency cap on %s: %+v", inst, row)
		}
	}
}

func TestSmokeLag(t *testing.T) {
	if testing.Short() {
		t.Skip("lag smoke run takes seconds")
	}
	t.Parallel()
	r, err := Lag(context.Background(), smokeConfig(t), LagOptions{Duration: time.Second, Intervals: []time.Duration{time.Second},
		Topologies: []string{"single"}, Pool: 4})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, r, 8)
	for _, from := range []string{"A->B", "B->A"} {
		row, ok := rowValue(r, "single 1s poll, "+from+": edits arrived")
		if !ok || strings.HasPrefix(row.Value, "0 of") {
			t.Errorf("%s: %+v", from, row)
		}
	}
}

func TestSmokeCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("calls smoke run takes seconds")
	}
	t.Parallel()
	r, err := Calls(context.Background(), smokeConfig(t), CallsOptions{Idle: time.Second, Changes: 1, PollInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, r, 6)
	if pc, ok := r.Metrics["per_change"].(map[string]float64); !ok || pc["A"] < 1 || pc["B"] < 1 {
		t.Errorf("calls per change = %v, want at least one write per hop", r.Metrics["per_change"])
	}
}

func TestSmokeScale(t *testing.T) {
	t.Parallel()
	r, err := Scale(context.Background(), smokeConfig(t), ScaleOptions{Twins: 300, Errors: 50, Changed: 3, Rounds: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, r, 10)
	for _, row := range r.Rows {
		if strings.HasPrefix(row.Name, "console GET") && !strings.Contains(row.Value, "HTTP 200") {
			t.Errorf("%s: %s", row.Name, row.Value)
		}
	}
}

func TestPercentile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 5}, {95, 10}, {99, 10}, {10, 1}, {0, 1}} {
		if got := percentile(ds, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("empty percentile is not 0")
	}
}

func TestMainRejectsBadUsage(t *testing.T) {
	env := func(string) string { return "" }
	for _, args := range [][]string{nil, {"nope"}, {"bulk", "--issues", "x"}, {"calls", "extra"}} {
		var out, errb bytes.Buffer
		if err := Main(context.Background(), env, args, &out, &errb); err == nil {
			t.Errorf("Main(%q) accepted bad usage", args)
		}
	}
}
