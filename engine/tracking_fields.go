package engine

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/airlock-sync/airlock/jira"
)

// Time tracking estimates as fields (issue 14, Deliver 6).
//
// Jira Server/DC reads an issue's estimates as seconds in the navigable fields
// timeoriginalestimate (Original Estimate) and timeestimate (Remaining Estimate), null when
// unset, and in the non-navigable timetracking field {originalEstimate, remainingEstimate,
// originalEstimateSeconds, remainingEstimateSeconds}. It writes them only through timetracking:
//
//	{"fields":{"timetracking":{"originalEstimate":"90m","remainingEstimate":"1h"}}}
//
// A duration rule names timeoriginalestimate or timeestimate on each side; its value is the
// number of seconds (so "1h 30m" and "90m" are the same value), written in minutes: a duration
// in days or weeks depends on the instance's working-day setting, minutes never do. Both rules
// write into the one timetracking field; a write that changes only one of them carries the
// other's current value from the target as well, so it never clobbers it.

// KindDuration is an estimate (timeoriginalestimate or timeestimate), shared as seconds.
const KindDuration = "duration"

// Jira's estimate fields and the timetracking keys that write them.
const (
	FieldOriginalEstimate  = "timeoriginalestimate"
	FieldRemainingEstimate = "timeestimate"
	fieldTimeTracking      = "timetracking"
)

// estimateKey is the timetracking key that writes an estimate field ("" for another field).
func estimateKey(id string) string {
	switch id {
	case FieldOriginalEstimate:
		return "originalEstimate"
	case FieldRemainingEstimate:
		return "remainingEstimate"
	}
	return ""
}

// validateTrackingKind checks that a duration rule names an estimate field on both sides.
func validateTrackingKind(f *FieldRule, path string) *RuleError {
	if f.Kind != KindDuration {
		return nil
	}
	if estimateKey(f.Local) == "" || estimateKey(f.Remote) == "" {
		return &RuleError{path, fmt.Sprintf("a duration is an estimate: %s (original) or %s (remaining) on each side", FieldOriginalEstimate, FieldRemainingEstimate)}
	}
	return nil
}

// projectDuration reads an estimate as its number of seconds ("" when unset). A timetracking
// value (what a write carries) reads as the part the field stands for.
func projectDuration(raw json.RawMessage) string {
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if s, err := n.Int64(); err == nil {
			return strconv.FormatInt(s, 10)
		}
		if f, err := n.Float64(); err == nil {
			return strconv.FormatInt(int64(f), 10)
		}
	}
	return ""
}

// durationInput is an estimate in seconds as Jira takes it: whole minutes ("90m"), "" to clear.
func durationInput(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	s, err := strconv.ParseInt(v, 10, 64)
	if err != nil || s < 0 {
		return "", fmt.Errorf("%q is not a number of seconds", v)
	}
	return strconv.FormatInt((s+30)/60, 10) + "m", nil
}

// timeTracking is a timetracking write; it reads back (sentShared) as the estimate fields it
// sets, in seconds.
type timeTracking map[string]string

func (t timeTracking) readBack() any { return t }

// buildDuration adds one estimate to the write's timetracking value.
func buildDuration(in *jira.IssueInput, f *FieldRule, id, v string) error {
	s, err := durationInput(v)
	if err != nil {
		return dataError("field %s: %v", f.Name, err)
	}
	tt, _ := in.Fields[fieldTimeTracking].(timeTracking)
	if tt == nil {
		tt = timeTracking{}
		in.Fields[fieldTimeTracking] = tt
	}
	tt[estimateKey(id)] = s
	return nil
}

// spreadTimeTracking turns a timetracking value in a write read back (sentShared) into the
// estimate fields a read shows, so the duration rules project it.
func spreadTimeTracking(fields map[string]json.RawMessage) {
	raw, ok := fields[fieldTimeTracking]
	if !ok {
		return
	}
	var tt map[string]string
	if json.Unmarshal(raw, &tt) != nil {
		return
	}
	for _, id := range []string{FieldOriginalEstimate, FieldRemainingEstimate} {
		s, ok := tt[estimateKey(id)]
		if !ok {
			continue
		}
		if s == "" {
			fields[id] = json.RawMessage("null")
			continue
		}
		var m int64
		if _, err := fmt.Sscanf(s, "%dm", &m); err == nil {
			fields[id] = json.RawMessage(strconv.FormatInt(m*60, 10))
		}
	}
}

// completeTimeTracking makes a write that sets one estimate carry the other as the target
// has it (cur, the target as last read), so that no Jira version resets it: Jira's
// timetracking is one field with two parts.
func completeTimeTracking(in *jira.IssueInput, cur *jira.Issue) {
	tt, ok := in.Fields[fieldTimeTracking].(timeTracking)
	if !ok || cur == nil {
		return
	}
	for _, id := range []string{FieldOriginalEstimate, FieldRemainingEstimate} {
		k := estimateKey(id)
		if _, set := tt[k]; set {
			continue
		}
		raw, ok := cur.Fields[id]
		if !ok {
			continue // not read: leave it out rather than guess
		}
		v := projectDuration(raw)
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n%60 == 0 {
			tt[k], _ = durationInput(v)
		}
	}
}
