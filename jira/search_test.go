package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// issueRow is one issue in the fake search index.
type issueRow struct {
	id      int
	updated string
}

func (r issueRow) json() string {
	return fmt.Sprintf(`{"id":"%d","key":"ABC-%d","self":"https://jira.example.com/jira/rest/api/2/issue/%d","fields":{"updated":"%s"}}`, r.id, r.id, r.id, r.updated)
}

// searchServer answers /search from rows with Jira's paging rules: default 50,
// maxResults capped at capN and echoed, startAt honoured. mutate runs after each
// answer (n = 1-based page number) to simulate concurrent updates.
type searchServer struct {
	mu     sync.Mutex
	rows   []issueRow
	capN   int
	mutate func(n int, rows []issueRow) []issueRow
	asked  []string // "startAt/maxResults" as received
}

func (s *searchServer) handle(w http.ResponseWriter, r *http.Request, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	start, max := atoi(q.Get("startAt")), 50
	if m := q.Get("maxResults"); m != "" {
		max = atoi(m)
	}
	s.asked = append(s.asked, q.Get("startAt")+"/"+q.Get("maxResults"))
	if max > s.capN {
		max = s.capN
	}
	var items []string
	for i := start; i < len(s.rows) && i < start+max; i++ {
		items = append(items, s.rows[i].json())
	}
	reply(w, 200, []byte(fmt.Sprintf(`{"expand":"schema,names","startAt":%d,"maxResults":%d,"total":%d,"issues":[%s]}`, start, max, len(s.rows), strings.Join(items, ","))))
	if s.mutate != nil {
		s.rows = s.mutate(n, s.rows)
	}
}

func rows(n int) []issueRow {
	out := make([]issueRow, n)
	for i := range out {
		out[i] = issueRow{id: 10000 + i, updated: fmt.Sprintf("2024-03-01T10:%02d:00.000+0100", i%60)}
	}
	return out
}

func TestSearchAllPaging(t *testing.T) {
	tests := []struct {
		name      string
		total     int
		capN      int
		ask       int
		wantPages []string // startAt/maxResults as sent
	}{
		{"server caps maxResults at 1000", 2500, 1000, 5000, []string{"/5000", "1000/1000", "2000/1000"}},
		{"server returns fewer than asked", 7, 3, 5, []string{"/5", "3/3", "6/3"}},
		{"default page size", 60, 1000, 0, []string{"/", "50/50"}},
		{"exact multiple stops at total", 6, 3, 3, []string{"/3", "3/3"}},
		{"empty result", 0, 1000, 100, []string{"/100"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &searchServer{rows: rows(tc.total), capN: tc.capN}
			f := newFake(t, s.handle)
			c, _ := newTestClient(t, f)
			got, err := c.SearchAll(context.Background(), SearchQuery{JQL: "project = ABC", MaxResults: tc.ask}, SearchAllOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.total {
				t.Fatalf("got %d issues, want %d", len(got), tc.total)
			}
			for i, is := range got {
				if is.ID != fmt.Sprint(10000+i) {
					t.Fatalf("issue %d = %s", i, is.ID)
				}
			}
			if strings.Join(s.asked, " ") != strings.Join(tc.wantPages, " ") {
				t.Errorf("pages asked = %v, want %v", s.asked, tc.wantPages)
			}
		})
	}
}

// TestSearchAllStopsOnEmptyPage: a total that overstates (index lag) must not loop.
func TestSearchAllStopsOnEmptyPage(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Query().Get("startAt") == "" {
			reply(w, 200, []byte(`{"startAt":0,"maxResults":2,"total":10,"issues":[`+rows(2)[0].json()+`,`+rows(2)[1].json()+`]}`))
			return
		}
		reply(w, 200, []byte(`{"startAt":2,"maxResults":2,"total":10,"issues":[]}`))
	})
	c, _ := newTestClient(t, f)
	got, err := c.SearchAll(context.Background(), SearchQuery{JQL: "x", MaxResults: 2}, SearchAllOptions{})
	if err != nil || len(got) != 2 || f.hits() != 2 {
		t.Fatalf("got %d issues, %d hits, err %v", len(got), f.hits(), err)
	}
}

// TestSearchAllOverlap: an issue updated during the scan moves to the end and shifts
// later pages left. Without overlap an issue is skipped; with overlap none is, and
// the re-read rows are deduplicated by (id, updated).
func TestSearchAllOverlap(t *testing.T) {
	moveSecondToEnd := func(n int, rs []issueRow) []issueRow {
		if n != 1 {
			return rs
		}
		moved := rs[1]
		moved.updated = "2024-03-01T11:00:00.000+0100"
		out := append(append([]issueRow{rs[0]}, rs[2:]...), moved)
		return out
	}
	tests := []struct {
		name     string
		overlap  int
		post     bool
		wantMiss bool
	}{
		{"no overlap skips one", 0, false, true},
		{"overlap 1 sees all", 1, false, false},
		{"overlap 3 capped at half a page", 3, false, false},
		{"overlap with POST", 1, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &searchServer{rows: rows(10), capN: 4, mutate: moveSecondToEnd}
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if r.Method == http.MethodPost {
					// Re-express the POST body as a query for the shared handler.
					var body struct{ StartAt, MaxResults int }
					_ = json.NewDecoder(r.Body).Decode(&body)
					r.URL.RawQuery = fmt.Sprintf("startAt=%d&maxResults=%d", body.StartAt, body.MaxResults)
				}
				s.handle(w, r, n)
			})
			c, _ := newTestClient(t, f)
			got, err := c.SearchAll(context.Background(), SearchQuery{JQL: "x", MaxResults: 4}, SearchAllOptions{Overlap: tc.overlap, Post: tc.post})
			if err != nil {
				t.Fatal(err)
			}
			ids := map[string]int{}
			pairs := map[string]bool{}
			for _, is := range got {
				ids[is.ID]++
				u, _ := is.Updated()
				k := is.ID + "@" + u.String()
				if pairs[k] {
					t.Errorf("duplicate (id, updated) %s", k)
				}
				pairs[k] = true
			}
			missing := 0
			for _, r := range rows(10) {
				if ids[fmt.Sprint(r.id)] == 0 {
					missing++
				}
			}
			if (missing > 0) != tc.wantMiss {
				t.Errorf("missing = %d, want missing: %v (asked %v)", missing, tc.wantMiss, s.asked)
			}
			if !tc.wantMiss && ids["10001"] != 2 {
				t.Errorf("moved issue seen %d times, want both versions", ids["10001"])
			}
		})
	}
}

func TestSearchAllMaxIssues(t *testing.T) {
	s := &searchServer{rows: rows(30), capN: 10}
	f := newFake(t, s.handle)
	c, _ := newTestClient(t, f)
	got, err := c.SearchAll(context.Background(), SearchQuery{JQL: "x", MaxResults: 10}, SearchAllOptions{MaxIssues: 15})
	if err != nil || len(got) != 15 || f.hits() != 2 {
		t.Fatalf("got %d, hits %d, err %v", len(got), f.hits(), err)
	}
}
