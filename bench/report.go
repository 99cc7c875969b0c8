package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one figure of a report, with its target when the issue sets one.
type Row struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Target string `json:"target,omitempty"`
	// Met is "yes", "no" or "" (no target).
	Met string `json:"met,omitempty"`
}

// Report is what a scenario measured: a table for people and one JSON line for machines.
type Report struct {
	Scenario string         `json:"scenario"`
	Started  time.Time      `json:"started"`
	Elapsed  string         `json:"elapsed"`
	Machine  Machine        `json:"machine"`
	Params   map[string]any `json:"params"`
	Rows     []Row          `json:"rows"`
	Metrics  map[string]any `json:"metrics"`
	Notes    []string       `json:"notes,omitempty"`
}

// Machine is where a report was measured: CPUs, Go, and the load average before and after.
type Machine struct {
	CPUs       int    `json:"cpus"`
	Go         string `json:"go"`
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
}

func newReport(scenario string, params map[string]any) *Report {
	return &Report{Scenario: scenario, Started: time.Now().UTC(), Params: params, Metrics: map[string]any{},
		Machine: Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), LoadBefore: loadAvg()}}
}

func (r *Report) finish() {
	r.Elapsed = time.Since(r.Started).Round(time.Millisecond).String()
	r.Machine.LoadAfter = loadAvg()
}

// add appends a row; met is nil when there is no target.
func (r *Report) add(name, value, target string, met *bool) {
	row := Row{Name: name, Value: value, Target: target}
	if met != nil {
		row.Met = "no"
		if *met {
			row.Met = "yes"
		}
	}
	r.Rows = append(r.Rows, row)
}

func ptr(b bool) *bool { return &b }

// WriteTable prints the report as an aligned table.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "scenario %s  (%s, %d CPUs, load %s -> %s, %s)\n", r.Scenario, r.Machine.Go, r.Machine.CPUs,
		r.Machine.LoadBefore, r.Machine.LoadAfter, r.Elapsed)
	keys := make([]string, 0, len(r.Params))
	for k := range r.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var ps []string
	for _, k := range keys {
		ps = append(ps, fmt.Sprintf("%s=%v", k, r.Params[k]))
	}
	fmt.Fprintf(w, "params: %s\n\n", strings.Join(ps, " "))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tVALUE\tTARGET\tMET")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row.Name, row.Value, row.Target, row.Met)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}

// WriteJSON prints the report as one JSON line.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// loadAvg reads the 1, 5 and 15 minute load averages ("?" off Linux).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// percentile returns the p-th percentile (0..100) of ds by nearest rank; 0 when empty.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p/100*float64(len(s)))) - 1
	rank = max(0, min(rank, len(s)-1))
	return s[rank]
}

// secs formats a duration in seconds with two decimals.
func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// rssMB reads the process's resident set (VmRSS) and its peak (VmHWM) in MiB.
func rssMB() (rss, peak float64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		var kb float64
		fmt.Sscan(f[1], &kb)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return rss, peak
}
