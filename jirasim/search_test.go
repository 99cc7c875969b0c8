package jirasim

import (
	"fmt"
	"net/url"
	"testing"
	"time"
)

func searchKeys(t *testing.T, r resp) []string {
	t.Helper()
	var keys []string
	for _, is := range r.obj(t)["issues"].([]any) {
		keys = append(keys, dig(is, "key").(string))
	}
	return keys
}

func TestSearchCapsAndPaging(t *testing.T) {
	_, a := tsim(t)
	for n := 0; n < 55; n++ {
		createIssue(t, a, nil)
	}
	tests := []struct {
		name                    string
		query                   string
		wantMax, wantN, wantTot int
	}{
		{"default 50", "jql=project=ALPHA", 50, 50, 55},
		{"capped at 1000", "jql=project=ALPHA&maxResults=5000", 1000, 55, 55},
		{"page 2", "jql=project=ALPHA&startAt=50&maxResults=50", 50, 5, 55},
		{"past the end", "jql=project=ALPHA&startAt=100", 50, 0, 55},
		{"zero", "jql=project=ALPHA&maxResults=0", 0, 0, 55},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, a, "GET", "/rest/api/2/search?"+tt.query, "airlock", nil)
			mustStatus(t, r, 200)
			m := r.obj(t)
			if m["maxResults"] != float64(tt.wantMax) || len(m["issues"].([]any)) != tt.wantN || m["total"] != float64(tt.wantTot) {
				t.Errorf("maxResults %v issues %d total %v", m["maxResults"], len(m["issues"].([]any)), m["total"])
			}
		})
	}
	r := call(t, a, "POST", "/rest/api/2/search", "airlock", map[string]any{"jql": "project = ALPHA ORDER BY key ASC", "maxResults": 2,
		"fields": []string{"summary"}, "expand": []string{"names", "changelog"}})
	mustStatus(t, r, 200)
	m := r.obj(t)
	if fmt.Sprint(searchKeys(t, r)) != "[ALPHA-1 ALPHA-2]" || dig(m, "names", "summary") != "Summary" {
		t.Errorf("POST search %s", r.raw)
	}
	is := m["issues"].([]any)[0]
	if f := dig(is, "fields").(map[string]any); len(f) != 1 || dig(is, "changelog", "histories") == nil {
		t.Errorf("fields/expand %v", is)
	}
	f := dig(call(t, a, "GET", "/rest/api/2/search?jql=key=ALPHA-1", "airlock", nil).obj(t)["issues"].([]any)[0], "fields").(map[string]any)
	if _, ok := f["comment"]; ok || f["summary"] == nil {
		t.Error("default search fields should be *navigable (no comment)")
	}
	anon := call(t, a, "GET", "/rest/api/2/search?jql=project=ALPHA", "", nil)
	mustStatus(t, anon, 200)
	if anon.obj(t)["total"] != 0.0 {
		t.Error("anonymous search saw issues")
	}
}

func TestSearchErrors(t *testing.T) {
	_, a := tsim(t)
	tests := []struct {
		name, query string
		status      int
		warn        bool
	}{
		{"malformed", "jql=" + url.QueryEscape("project = = ALPHA"), 400, false},
		{"unknown value", "jql=" + url.QueryEscape("project = NOPE"), 400, false},
		{"unknown value, no validation", "validateQuery=false&jql=" + url.QueryEscape("project = NOPE"), 200, true},
		{"unknown field", "jql=" + url.QueryEscape("nofield = x"), 400, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, a, "GET", "/rest/api/2/search?"+tt.query, "airlock", nil)
			mustStatus(t, r, tt.status)
			m := r.obj(t)
			if tt.status == 400 {
				if em, _ := m["errorMessages"].([]any); len(em) == 0 || m["errors"] == nil {
					t.Errorf("error body %s", r.raw)
				}
			}
			if _, ok := m["warningMessages"]; ok != tt.warn {
				t.Errorf("warningMessages present=%v; %s", ok, r.raw)
			}
		})
	}
}

// JQL literals are read in the caller's profile zone (airlock: Europe/Berlin,
// UTC+1 in March) at minute precision; responses carry the instance zone.
func TestSearchJQLInUserZone(t *testing.T) {
	_, a := tsim(t)
	a.Knobs().SetClock(time.Date(2024, 3, 1, 10, 30, 20, 0, time.UTC)) // 11:30:20 in Berlin
	createIssue(t, a, nil)
	tests := []struct {
		user, jql string
		hit       bool
	}{
		{"airlock", `updated >= "2024-03-01 11:30"`, true},
		{"airlock", `updated >= "2024-03-01 11:31"`, false},
		{"airlock", `updated >= "2024/03/01 10:30"`, true},
		{"airlock", `updated <= "2024-03-01 11:30"`, false}, // 11:30:20 is after 11:30:00
		{"alice", `updated >= "2024-03-01 10:30"`, true},    // alice has no zone: instance zone UTC
		{"alice", `updated >= "2024-03-01 11:30"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.user+" "+tt.jql, func(t *testing.T) {
			r := call(t, a, "GET", "/rest/api/2/search?jql="+url.QueryEscape("project = ALPHA AND "+tt.jql), tt.user, nil)
			mustStatus(t, r, 200)
			if got := r.obj(t)["total"] == 1.0; got != tt.hit {
				t.Errorf("hit=%v, want %v", got, tt.hit)
			}
		})
	}
	if err := a.SetUserTimeZone("alice", "America/New_York"); err != nil {
		t.Fatal(err)
	}
	r := call(t, a, "GET", "/rest/api/2/search?jql="+url.QueryEscape(`updated >= "2024-03-01 05:30"`), "alice", nil)
	if r.obj(t)["total"] != 1.0 {
		t.Error("alice in New York should match 05:30")
	}
}

func TestIndexLag(t *testing.T) {
	_, a := tsim(t)
	a.Knobs().SetClock(time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC))
	a.Knobs().SetIndexLag(30 * time.Second)
	_, key := createIssue(t, a, map[string]any{"summary": "first"})
	q := "/rest/api/2/search?jql=" + url.QueryEscape("project = ALPHA")
	if r := call(t, a, "GET", q, "airlock", nil); r.obj(t)["total"] != 0.0 {
		t.Fatalf("search saw a fresh issue despite lag: %s", r.raw)
	}
	mustStatus(t, call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil), 200)
	a.Knobs().AdvanceClock(31 * time.Second)
	if r := call(t, a, "GET", q, "airlock", nil); r.obj(t)["total"] != 1.0 {
		t.Fatalf("search missed the issue after the lag: %s", r.raw)
	}
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+key, "airlock", map[string]any{"fields": map[string]any{"summary": "second"}}), 204)
	r := call(t, a, "GET", q, "airlock", nil)
	if s := dig(r.obj(t)["issues"].([]any)[0], "fields", "summary"); s != "first" {
		t.Errorf("lagging search shows %v, want the old summary", s)
	}
	if s := dig(call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t), "fields", "summary"); s != "second" {
		t.Errorf("GET shows %v, want current", s)
	}
	mustStatus(t, call(t, a, "DELETE", "/rest/api/2/issue/"+key, "airlock", nil), 204)
	if r := call(t, a, "GET", q, "airlock", nil); r.obj(t)["total"] != 1.0 {
		t.Error("a deleted issue left the lagging index at once")
	}
	a.Knobs().AdvanceClock(31 * time.Second)
	if r := call(t, a, "GET", q, "airlock", nil); r.obj(t)["total"] != 0.0 {
		t.Error("a deleted issue stayed in the index after the lag")
	}
}

func TestPagingStability(t *testing.T) {
	q := "/rest/api/2/search?maxResults=2&fields=updated&jql=" + url.QueryEscape("project = ALPHA ORDER BY updated ASC, key ASC")
	scanWith := func(t *testing.T, unstable bool, skew int) []string {
		_, a := tsim(t)
		a.Knobs().SetClock(time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC))
		for n := 0; n < 6; n++ {
			a.Knobs().AdvanceClock(time.Second)
			createIssue(t, a, nil)
		}
		a.Knobs().SetUnstablePaging(unstable, skew)
		var seen []string
		seen = append(seen, searchKeys(t, call(t, a, "GET", q+"&startAt=0", "airlock", nil))...)
		// ALPHA-1 is updated during the scan: it moves to the end of the order.
		a.Knobs().AdvanceClock(time.Second)
		mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/ALPHA-1", "airlock", map[string]any{"fields": map[string]any{"summary": "moved"}}), 204)
		for start := 2; start < 6; start += 2 {
			seen = append(seen, searchKeys(t, call(t, a, "GET", fmt.Sprintf("%s&startAt=%d", q, start), "airlock", nil))...)
		}
		return seen
	}
	tests := []struct {
		name     string
		unstable bool
		skew     int
		want     string
	}{
		{"stable (default)", false, 0, "[ALPHA-1 ALPHA-2 ALPHA-3 ALPHA-4 ALPHA-5 ALPHA-6]"},
		{"unstable skips ALPHA-3", true, 0, "[ALPHA-1 ALPHA-2 ALPHA-4 ALPHA-5 ALPHA-6 ALPHA-1]"},
		{"unstable with skew", true, 1, "[ALPHA-1 ALPHA-2 ALPHA-5 ALPHA-6 ALPHA-1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmt.Sprint(scanWith(t, tt.unstable, tt.skew)); got != tt.want {
				t.Errorf("scan saw %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCreateMeta(t *testing.T) {
	_, a := tsim(t)
	tests := []struct {
		path       string
		status     int
		n, total   int
		isLast     bool
		firstField string
	}{
		{"/rest/api/2/issue/createmeta/ALPHA/issuetypes", 200, 5, 5, true, ""},
		{"/rest/api/2/issue/createmeta/10000/issuetypes?maxResults=2", 200, 2, 5, false, ""},
		{"/rest/api/2/issue/createmeta/ALPHA/issuetypes?startAt=4&maxResults=2", 200, 1, 5, true, ""},
		{"/rest/api/2/issue/createmeta/ALPHA/issuetypes/10002?maxResults=3", 200, 3, -1, false, "summary"},
		{"/rest/api/2/issue/createmeta/NOPE/issuetypes", 404, 0, 0, false, ""},
		{"/rest/api/2/issue/createmeta/ALPHA/issuetypes/999", 404, 0, 0, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := call(t, a, "GET", tt.path, "airlock", nil)
			mustStatus(t, r, tt.status)
			if tt.status != 200 {
				return
			}
			m := r.obj(t)
			vals := m["values"].([]any)
			if len(vals) != tt.n || (tt.total >= 0 && m["total"] != float64(tt.total)) || m["isLast"] != tt.isLast {
				t.Errorf("page %s", r.raw)
			}
			if tt.firstField != "" {
				if dig(vals[0], "fieldId") != tt.firstField || dig(vals[0], "required") != true {
					t.Errorf("first field %v", vals[0])
				}
			}
		})
	}
	r := call(t, a, "GET", "/rest/api/2/issue/createmeta/ALPHA/issuetypes/10002?maxResults=100", "airlock", nil)
	for _, v := range r.obj(t)["values"].([]any) {
		if dig(v, "fieldId") == "resolution" {
			t.Error("resolution is not on the create screen")
		}
	}
}
