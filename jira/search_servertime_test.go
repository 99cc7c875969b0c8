package jira

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestSearchReadsJiraClockAndStopsWhenAsked: a search page carries Jira's time from the Date
// header, and SearchAll stops after the page its Page func says is enough.
func TestSearchReadsJiraClockAndStopsWhenAsked(t *testing.T) {
	jiraTime := time.Date(2026, 12, 7, 9, 30, 15, 0, time.UTC)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Date", jiraTime.Add(time.Duration(n)*time.Second).Format(http.TimeFormat))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"startAt":%d,"maxResults":2,"total":6,"issues":[{"id":"%d","key":"A-%d","fields":{}},{"id":"%d","key":"A-%d","fields":{}}]}`,
			(n-1)*2, 2*n, 2*n, 2*n+1, 2*n+1)
	})
	c, _ := newTestClient(t, f)
	page, err := c.Search(context.Background(), SearchQuery{JQL: "project = A"})
	if err != nil {
		t.Fatal(err)
	}
	if !page.ServerTime.Equal(jiraTime.Add(time.Second)) {
		t.Errorf("server time %v, want %v", page.ServerTime, jiraTime.Add(time.Second))
	}
	var seen []time.Time
	hits, err := c.SearchAll(context.Background(), SearchQuery{JQL: "project = A", MaxResults: 2}, SearchAllOptions{Page: func(p *SearchPage) bool {
		seen = append(seen, p.ServerTime)
		return len(seen) == 2
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 4 || len(seen) != 2 || f.hits() != 3 {
		t.Errorf("stopped after %d pages with %d hits (%d requests), want 2 pages, 4 hits", len(seen), len(hits), f.hits())
	}
}
