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

// TestSmokeLagSealed runs the lag scenario with --sealed at a tiny scale: plaintext, then a
// world whose relay connections are sealed with the partner's key (the single node is its own
// partner): AB holds the pool's summaries in the plaintext run and none in the sealed one.
func TestSmokeLagSealed(t *testing.T) {
	if testing.Short() {
		t.Skip("two lag smoke runs take seconds")
	}
	t.Parallel()
	run := func(ctx context.Context, cfg Config, p func(string)) (*Report, error) {
		return Lag(ctx, cfg, LagOptions{Duration: time.Second, Intervals: []time.Duration{time.Second}, Topologies: []string{"single"}, Pool: 4, Progress: p})
	}
	r, err := SideBySide(context.Background(), smokeConfig(t), run, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, r, 16)
	for _, mode := range []string{"plaintext", "sealed"} {
		for _, from := range []string{"A->B", "B->A"} {
			row, ok := rowValue(r, mode+": single 1s poll, "+from+": edits arrived")
			if !ok || strings.HasPrefix(row.Value, "0 of") {
				t.Errorf("%s %s: %+v", mode, from, row)
			}
		}
	}
	if row, _ := rowValue(r, "plaintext: single 1s poll: sealed relay connections"); row.Value != "0 of 2" {
		t.Errorf("plaintext run: %+v", row)
	}
	if row, _ := rowValue(r, "sealed: single 1s poll: sealed relay connections"); row.Value != "2 of 2" {
		t.Errorf("sealed run: %+v", row)
	}
	// The scan finds the bench's plaintext on an unsealed AB (it works)...
	if row, _ := rowValue(r, "plaintext: single 1s poll: plaintext on AB"); strings.HasPrefix(row.Value, "0") {
		t.Errorf("the scan found no plaintext on an unsealed relay: %+v", row)
	}
	// ...and none once the relay is sealed.
	if row, _ := rowValue(r, "sealed: single 1s poll: plaintext on AB"); row.Value != "0" || row.Met != "yes" {
		t.Errorf("plaintext on a sealed AB: %+v", row)
	}
	for _, name := range []string{"sealed/plaintext: single 1s poll, A->B: end to end p50", "sealed/plaintext: single 1s poll, B->A: end to end p95"} {
		if row, ok := rowValue(r, name); !ok || !strings.HasPrefix(row.Value, "x") {
			t.Errorf("ratio %q: %+v", name, row)
		}
	}
}

// TestSmokeBulkSealed runs a tiny bulk import through a sealed relay (split topology: node A
// trusts node B's key and the reverse): everything reaches B, both connections are sealed, and
// AB holds no summary, comment or file name of the bench.
func TestSmokeBulkSealed(t *testing.T) {
	if testing.Short() {
		t.Skip("bulk smoke run takes seconds")
	}
	t.Parallel()
	cfg := smokeConfig(t)
	cfg.Sealed = true
	r, err := Bulk(context.Background(), cfg, BulkOptions{Issues: 6, Comments: 2, Attachments: 2, PollInterval: time.Second, Timeout: 40 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if row, _ := rowValue(r, "issues in B"); row.Value != "6 of 6" {
		t.Errorf("issues in B = %q, want 6 of 6 (notes %v)", row.Value, r.Notes)
	}
	if row, _ := rowValue(r, "sealed relay connections"); row.Value != "2 of 2" {
		t.Errorf("sealed connections: %+v", row)
	}
	row, ok := rowValue(r, "plaintext on AB")
	if !ok || row.Target != "0" {
		t.Errorf("no plaintext scan row with its target: %+v", row)
	}
	if row.Value != "0" || row.Met != "yes" {
		t.Errorf("plaintext on a sealed AB: %+v", row)
	}
}

func TestCompareSealedBulk(t *testing.T) {
	mk := func(elapsed float64, calls map[string]int) *Report {
		return &Report{Scenario: "bulk", Params: map[string]any{"issues": 10}, Metrics: map[string]any{"elapsed_s": elapsed, "bound_s": 10.0,
			"issues_total": 10, "calls": calls}, Rows: []Row{{Name: "time until all in B", Value: "x"}}}
	}
	r := compareSealed(mk(20, map[string]int{"A": 30, "AB": 60, "B": 30}), mk(21, map[string]int{"A": 30, "AB": 70, "B": 30}))
	want := map[string]string{
		"sealed/plaintext: time until all in B":        "x1.05 (20 s -> 21 s)",
		"sealed/plaintext: time / lower bound":         "x1.05 (2 -> 2.1)",
		"sealed/plaintext: Jira calls per issue on AB": "x1.17 (6 -> 7)",
		"plaintext: time until all in B":               "x",
		"sealed: time until all in B":                  "x",
	}
	for name, v := range want {
		if row, ok := rowValue(r, name); !ok || row.Value != v {
			t.Errorf("%s = %+v, want %q", name, row, v)
		}
	}
	if row, _ := rowValue(r, "sealed/plaintext: time until all in B"); row.Met != "yes" {
		t.Errorf("5%% slower is within the 10%% target: %+v", row)
	}
	if r.Scenario != "bulk --sealed" {
		t.Errorf("scenario %q", r.Scenario)
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
