package jql

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

func orderDoc(key, id string, updated time.Time, prio, prioID, status, statusID, summary string) doc {
	d := doc{
		vals: map[string][]string{
			"key":    {key},
			"id":     {id},
			"status": {status, statusID},
		},
		times: map[string]time.Time{"created": updated.Add(-time.Hour)},
		text:  map[string]string{"summary": summary},
	}
	if prio != "" {
		d.vals["priority"] = []string{prio, prioID}
	}
	if !updated.IsZero() {
		d.times["updated"] = updated
	}
	return d
}

func sortKeys(q *Query, docs []Doc) []string {
	s := slices.Clone(docs)
	slices.SortStableFunc(s, func(a, b Doc) int {
		switch {
		case q.Less(a, b):
			return -1
		case q.Less(b, a):
			return 1
		}
		return 0
	})
	out := make([]string, len(s))
	for i, d := range s {
		out[i] = d.Values("key")[0]
	}
	return out
}

func TestLess(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC)
	docs := []Doc{
		orderDoc("ABC-9", "10009", t0.Add(2*time.Minute), "Low", "4", "Done", "10001", "beta"),
		orderDoc("ABC-10", "10010", t0.Add(1*time.Minute), "Highest", "1", "Open", "1", "Alpha"),
		orderDoc("AB-100", "10100", t0.Add(1*time.Minute), "Medium", "3", "Open", "1", "gamma"),
		orderDoc("ABC-2", "10002", time.Time{}, "", "", "In Progress", "3", "delta"),
		orderDoc("XYZ-1", "10200", t0, "High", "2", "Open", "1", "alpha"),
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"", []string{"XYZ-1", "ABC-10", "ABC-9", "ABC-2", "AB-100"}}, // Jira's default: key DESC
		{"project = X", []string{"XYZ-1", "ABC-10", "ABC-9", "ABC-2", "AB-100"}},
		{"ORDER BY key", []string{"AB-100", "ABC-2", "ABC-9", "ABC-10", "XYZ-1"}}, // numeric within project
		{"ORDER BY issuekey DESC", []string{"XYZ-1", "ABC-10", "ABC-9", "ABC-2", "AB-100"}},
		{"ORDER BY id", []string{"ABC-2", "ABC-9", "ABC-10", "AB-100", "XYZ-1"}},
		// updated ASC; ties broken by key ASC; the issue with no updated goes last.
		{"ORDER BY updated ASC, key ASC", []string{"XYZ-1", "AB-100", "ABC-10", "ABC-9", "ABC-2"}},
		{"ORDER BY updated ASC, key DESC", []string{"XYZ-1", "ABC-10", "AB-100", "ABC-9", "ABC-2"}},
		// updated defaults to DESC; empty first when descending.
		{"ORDER BY updated, key", []string{"ABC-2", "ABC-9", "AB-100", "ABC-10", "XYZ-1"}},
		// priority defaults to DESC: most important first; no priority is "empty".
		{"ORDER BY priority", []string{"ABC-2", "ABC-10", "XYZ-1", "AB-100", "ABC-9"}},
		{"ORDER BY priority ASC", []string{"ABC-9", "AB-100", "XYZ-1", "ABC-10", "ABC-2"}},
		// status by position (id stands in): Open(1) < In Progress(3) < Done(10001); DESC default.
		{"ORDER BY status, key", []string{"ABC-9", "ABC-2", "AB-100", "ABC-10", "XYZ-1"}},
		{"ORDER BY status ASC, key DESC", []string{"XYZ-1", "ABC-10", "AB-100", "ABC-2", "ABC-9"}},
		{"ORDER BY summary, key", []string{"ABC-10", "XYZ-1", "ABC-9", "ABC-2", "AB-100"}}, // case-insensitive
		{"ORDER BY created DESC, key", []string{"ABC-9", "AB-100", "ABC-10", "XYZ-1", "ABC-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			if got := sortKeys(mustParse(t, tt.q), docs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("order = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLessUsesRanker(t *testing.T) {
	mk := func(key string, prioRank int) Doc {
		d := orderDoc(key, "1", time.Time{}, "P", "100", "S", "100", "")
		d.rank = map[string]int{"priority": prioRank}
		return rankedDoc{d}
	}
	docs := []Doc{mk("A-1", 3), mk("A-2", 1), mk("A-3", 2)}
	got := sortKeys(mustParse(t, "ORDER BY priority DESC"), docs)
	if want := []string{"A-2", "A-3", "A-1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}

func TestLessIsStrict(t *testing.T) {
	a := orderDoc("ABC-1", "1", time.Time{}, "", "", "Open", "1", "")
	for _, q := range []string{"", "ORDER BY updated", "ORDER BY priority ASC", "ORDER BY summary"} {
		if mustParse(t, q).Less(a, a) {
			t.Errorf("%q: Less(a, a) = true", q)
		}
	}
}
