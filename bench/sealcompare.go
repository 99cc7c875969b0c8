package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
)

// SealedTarget is the cost issue 15 allows sealing: at most 10 % on the lag and bulk figures.
const SealedTarget = 1.10

// SideBySide runs a scenario twice with the same settings, plaintext first and then sealed
// (`--sealed`), and returns one report with both runs' rows and the ratio sealed/plaintext of
// each figure issue 15 bounds.
func SideBySide(ctx context.Context, cfg Config, run func(context.Context, Config, func(string)) (*Report, error), progress func(string)) (*Report, error) {
	if progress == nil {
		progress = func(string) {}
	}
	var reps [2]*Report
	for k, sealed := range []bool{false, true} {
		mode := modeName(sealed)
		c := cfg
		c.Sealed = sealed
		c.TempDir = filepath.Join(cfg.TempDir, mode)
		if err := os.MkdirAll(c.TempDir, 0o700); err != nil {
			return nil, err
		}
		progress(fmt.Sprintf("%s run (load %s)", mode, loadAvg()))
		r, err := run(ctx, c, func(s string) { progress(mode + ": " + s) })
		if err != nil {
			return nil, fmt.Errorf("%s run: %w", mode, err)
		}
		reps[k] = r
	}
	return compareSealed(reps[0], reps[1]), nil
}

func modeName(sealed bool) string {
	if sealed {
		return "sealed"
	}
	return "plaintext"
}

// compareSealed joins a plaintext and a sealed report of one scenario.
func compareSealed(plain, sealed *Report) *Report {
	params := map[string]any{}
	for k, v := range plain.Params {
		params[k] = v
	}
	params["sealed"] = "side by side (plaintext first)"
	r := &Report{Scenario: plain.Scenario + " --sealed", Started: plain.Started, Params: params,
		Machine: Machine{CPUs: plain.Machine.CPUs, Go: plain.Machine.Go, LoadBefore: plain.Machine.LoadBefore, LoadAfter: sealed.Machine.LoadAfter},
		Metrics: map[string]any{"plaintext": plain.Metrics, "sealed": sealed.Metrics,
			"load": map[string]string{"plaintext_before": plain.Machine.LoadBefore, "plaintext_after": plain.Machine.LoadAfter,
				"sealed_before": sealed.Machine.LoadBefore, "sealed_after": sealed.Machine.LoadAfter}}}
	for _, x := range []*Report{plain, sealed} {
		mode := "plaintext"
		if x == sealed {
			mode = "sealed"
		}
		for _, row := range x.Rows {
			row.Name = mode + ": " + row.Name
			r.Rows = append(r.Rows, row)
		}
		for _, n := range x.Notes {
			r.Notes = append(r.Notes, mode+": "+n)
		}
	}
	ratios := map[string]float64{}
	ratio := func(name string, p, s float64, unit string, target bool) {
		q := s / p
		if p == 0 {
			q = math.Inf(1)
			if s == 0 {
				q = 1
			}
		}
		ratios[name] = q
		t, met := "", (*bool)(nil)
		if target {
			t, met = fmt.Sprintf("<= %.2f", SealedTarget), ptr(q <= SealedTarget)
		}
		r.add("sealed/plaintext: "+name, fmt.Sprintf("x%.2f (%s%s -> %s%s)", q, trim(p), unit, trim(s), unit), t, met)
	}
	switch plain.Scenario {
	case "lag":
		pv, _ := plain.Metrics["variants"].([]map[string]any)
		sv, _ := sealed.Metrics["variants"].([]map[string]any)
		for _, p := range pv {
			for _, s := range sv {
				if p["topology"] != s["topology"] || p["interval_s"] != s["interval_s"] || p["from"] != s["from"] {
					continue
				}
				from, _ := p["from"].(string)
				label := fmt.Sprintf("%v %vs poll, %s->%s: end to end", p["topology"], p["interval_s"], from, other(from))
				ratio(label+" p50", num(p["e2e_p50_s"]), num(s["e2e_p50_s"]), " s", true)
				ratio(label+" p95", num(p["e2e_p95_s"]), num(s["e2e_p95_s"]), " s", true)
			}
		}
	case "bulk":
		ratio("time until all in B", num(plain.Metrics["elapsed_s"]), num(sealed.Metrics["elapsed_s"]), " s", true)
		if pb, sb := num(plain.Metrics["bound_s"]), num(sealed.Metrics["bound_s"]); pb > 0 && sb > 0 {
			ratio("time / lower bound", num(plain.Metrics["elapsed_s"])/pb, num(sealed.Metrics["elapsed_s"])/sb, "", true)
		}
		pc, _ := plain.Metrics["calls"].(map[string]int)
		sc, _ := sealed.Metrics["calls"].(map[string]int)
		pn, sn := num(plain.Metrics["issues_total"]), num(sealed.Metrics["issues_total"])
		if pn > 0 && sn > 0 {
			for _, inst := range []string{"A", "AB", "B"} {
				ratio("Jira calls per issue on "+inst, float64(pc[inst])/pn, float64(sc[inst])/sn, "", false)
			}
		}
	}
	r.Metrics["ratios"] = ratios
	r.Elapsed = plain.Elapsed + " + " + sealed.Elapsed
	return r
}

// num reads a metric as a float (the reports keep Go values, not decoded JSON).
func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	return 0
}

func trim(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

// plaintextOnAB reads every issue of AB (all fields, comments, attachment names, properties and
// the changelog, as AB's admins see them) and counts the issues that carry one of the markers,
// plaintext the bench wrote on A or B. It returns the count and the first place found.
func (w *World) plaintextOnAB(ctx context.Context, markers []string) (int, string, error) {
	c, err := w.Human("AB")
	if err != nil {
		return 0, "", err
	}
	issues, err := c.SearchAll(ctx, jira.SearchQuery{JQL: "project = " + jirasim.DefaultProjectKey("AB") + " ORDER BY key", MaxResults: 100,
		Fields: []string{"*all"}, Expand: []string{"changelog"}, Properties: []string{"*all"}}, jira.SearchAllOptions{})
	if err != nil {
		return 0, "", fmt.Errorf("scan AB for plaintext: %w", err)
	}
	n, first := 0, ""
	for i := range issues {
		b, err := json.Marshal(issues[i])
		if err != nil {
			return 0, "", err
		}
		for _, m := range markers {
			if strings.Contains(string(b), m) {
				n++
				if first == "" {
					first = fmt.Sprintf("%q on %s", m, issues[i].Key)
				}
				break
			}
		}
	}
	return n, first, nil
}

// addPlaintextRow adds the AB scan's row: 0 is the target of a sealed run; a plaintext run
// shows what the scan finds without sealing.
func (w *World) addPlaintextRow(ctx context.Context, r *Report, label string, markers []string) error {
	n, first, err := w.plaintextOnAB(ctx, markers)
	if err != nil {
		return err
	}
	v := fmt.Sprint(n)
	if first != "" {
		v += " issues (first: " + first + ")"
	}
	r.Metrics[strings.ReplaceAll(label, " ", "_")] = n
	if w.Cfg.Sealed {
		r.add(label, v, "0", ptr(n == 0))
	} else {
		r.add(label, v, "", nil)
	}
	return nil
}
