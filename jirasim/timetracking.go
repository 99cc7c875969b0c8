package jirasim

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Time tracking as Jira Server/DC has it with the default settings (8 h days, 5 d weeks,
// legacy mode off). The estimates live in the issue's fields as int64 seconds under
// "timeoriginalestimate" and "timeestimate" (the remaining estimate); the time spent is the
// sum of the worklogs. The "timetracking" field is the write side:
//
//	{"fields":{"timetracking":{"originalEstimate":"1d","remainingEstimate":"4h"}}}
//	{"update":{"timetracking":[{"edit":{"remainingEstimate":"2h"}}]}}
//
// A key left out keeps its value, "" clears it; an original estimate set while the issue has
// no remaining estimate sets the remaining estimate too, as Jira does. Edits write
// timeoriginalestimate and timeestimate changelog items (seconds in from/to and the strings).
// Read side, as in the Jira 8 capture (mattermost webhook-server-issue-updated-in-progress):
// timetracking {originalEstimate, remainingEstimate, timeSpent, and the same with Seconds},
// each present only when set; timeoriginalestimate, timeestimate, timespent (seconds or
// null); the aggregate* fields add the sub-tasks' values; progress {progress, total, percent}.

// kTimeTracking is the kind of the timetracking field (outside the iota list of catalog.go).
const kTimeTracking fieldKind = 100

// ttValue is what a timetracking write carries until applyTimeTracking spreads it.
type ttValue struct {
	orig, remain       *int64
	hasOrig, hasRemain bool
}

// parseEstimate reads an estimate: a Jira duration ("1w 2d 4h 30m"), or a bare number of
// minutes; "0" and "0m" are valid.
func parseEstimate(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n * 60, n >= 0
	}
	if v, ok := parseSpent(s); ok {
		return v, true
	}
	zero := strings.Trim(s, "0wdhms ")
	return 0, s != "" && zero == ""
}

func parseTimeTracking(raw json.RawMessage) (any, string) {
	var in map[string]json.RawMessage
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, "Invalid time tracking value."
	}
	var tt ttValue
	read := func(key, what string, dst **int64, has *bool) string {
		r, ok := in[key]
		if !ok {
			return ""
		}
		*has = true
		if isNull(r) {
			return ""
		}
		s, ok := rawString(r)
		if !ok {
			return "The " + what + " specified is not valid."
		}
		if strings.TrimSpace(s) == "" {
			return ""
		}
		v, ok := parseEstimate(s)
		if !ok {
			return "The " + what + " specified is not valid."
		}
		*dst = &v
		return ""
	}
	if msg := read("originalEstimate", "original estimate", &tt.orig, &tt.hasOrig); msg != "" {
		return nil, msg
	}
	if msg := read("remainingEstimate", "remaining estimate", &tt.remain, &tt.hasRemain); msg != "" {
		return nil, msg
	}
	return tt, ""
}

// applyTimeTracking turns a pending timetracking write in next into the estimate fields.
func applyTimeTracking(cur, next map[string]any) {
	tt, ok := next["timetracking"].(ttValue)
	delete(next, "timetracking")
	if !ok {
		return
	}
	put := func(id string, v *int64) {
		if v == nil {
			delete(next, id)
		} else {
			next[id] = *v
		}
	}
	if tt.hasOrig {
		put("timeoriginalestimate", tt.orig)
	}
	if tt.hasRemain {
		put("timeestimate", tt.remain)
	} else if _, has := cur["timeestimate"]; tt.hasOrig && !has {
		put("timeestimate", tt.orig)
	}
}

// estimateItems are the changelog items of an estimate change.
func estimateItems(old, next map[string]any) []histItem {
	var items []histItem
	for _, id := range []string{"timeoriginalestimate", "timeestimate"} {
		if valueEqual(old[id], next[id]) {
			continue
		}
		it := histItem{Field: id, FieldType: "jira"}
		if v, ok := old[id].(int64); ok {
			it.From, it.FromString = sp(strconv.FormatInt(v, 10)), sp(strconv.FormatInt(v, 10))
		}
		if v, ok := next[id].(int64); ok {
			it.To, it.ToString = sp(strconv.FormatInt(v, 10)), sp(strconv.FormatInt(v, 10))
		}
		items = append(items, it)
	}
	return items
}

// timeValues are an issue's own (or aggregate) estimates and time spent; nil = not set.
type timeValues struct{ orig, remain, spent *int64 }

func ownTime(is *issue) timeValues {
	var tv timeValues
	if v, ok := is.fields["timeoriginalestimate"].(int64); ok {
		tv.orig = &v
	}
	if v, ok := is.fields["timeestimate"].(int64); ok {
		tv.remain = &v
	}
	if s := is.timeSpent(); s > 0 || len(is.worklogs) > 0 {
		tv.spent = &s
	}
	return tv
}

// aggregateTime adds the sub-tasks' values to the issue's own; it is memoised per request,
// as a search page renders four aggregate fields per issue.
func (c *rc) aggregateTime(st *state, is *issue) timeValues {
	if tv, ok := c.agg[is]; ok {
		return tv
	}
	tv := ownTime(is)
	defer func() {
		if c.agg == nil {
			c.agg = map[*issue]timeValues{}
		}
		c.agg[is] = tv
	}()
	add := func(dst **int64, v *int64) {
		if v == nil {
			return
		}
		if *dst == nil {
			n := *v
			*dst = &n
			return
		}
		n := **dst + *v
		*dst = &n
	}
	for _, s := range st.issues {
		if pid, ok := s.fields["parent"].(int64); ok && pid == is.id && !s.deleted {
			sv := ownTime(s)
			add(&tv.orig, sv.orig)
			add(&tv.remain, sv.remain)
			add(&tv.spent, sv.spent)
		}
	}
	return tv
}

func orNil(v *int64) any {
	if v == nil {
		return nil
	}
	return *v
}

func progressBean(tv timeValues) obj {
	var spent, remain int64
	if tv.spent != nil {
		spent = *tv.spent
	}
	if tv.remain != nil {
		remain = *tv.remain
	}
	o := obj{"progress": spent, "total": spent + remain}
	if spent+remain > 0 {
		o["percent"] = spent * 100 / (spent + remain)
	}
	return o
}

// renderTime renders the time tracking fields; ok=false for any other field.
func (c *rc) renderTime(st *state, is *issue, id string) (any, bool) {
	switch id {
	case "timespent":
		return orNil(ownTime(is).spent), true
	case "timeestimate":
		return orNil(ownTime(is).remain), true
	case "timeoriginalestimate":
		return orNil(ownTime(is).orig), true
	case "aggregatetimespent":
		return orNil(c.aggregateTime(st, is).spent), true
	case "aggregatetimeestimate":
		return orNil(c.aggregateTime(st, is).remain), true
	case "aggregatetimeoriginalestimate":
		return orNil(c.aggregateTime(st, is).orig), true
	case "progress":
		return progressBean(ownTime(is)), true
	case "aggregateprogress":
		return progressBean(c.aggregateTime(st, is)), true
	case "workratio":
		tv := ownTime(is)
		if tv.orig == nil || *tv.orig <= 0 {
			return -1, true
		}
		return orZero(tv.spent) * 100 / *tv.orig, true
	case "timetracking":
		tv := ownTime(is)
		o := obj{}
		if tv.orig != nil {
			o["originalEstimate"], o["originalEstimateSeconds"] = formatSpent(*tv.orig), *tv.orig
		}
		if tv.remain != nil {
			o["remainingEstimate"], o["remainingEstimateSeconds"] = formatSpent(*tv.remain), *tv.remain
		}
		if tv.spent != nil {
			o["timeSpent"], o["timeSpentSeconds"] = formatSpent(*tv.spent), *tv.spent
		}
		return o, true
	}
	return nil, false
}

func orZero(v *int64) int64 {
	if v == nil {
		return 0
	}
	return *v
}
