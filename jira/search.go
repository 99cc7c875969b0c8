package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SearchQuery is one JQL search request.
type SearchQuery struct {
	JQL           string
	StartAt       int
	MaxResults    int      // requested page size; 0 leaves Jira's default (50); Jira caps it (1000)
	Fields        []string // e.g. summary,status,updated; empty means Jira's default (*navigable)
	Expand        []string // e.g. changelog, names, schema
	Properties    []string // issue entity properties to return
	ValidateQuery *bool    // nil leaves Jira's default (true); false turns unknown values into warnings
}

// SearchPage is one page of search results. MaxResults is the size Jira applied,
// which may be lower than requested.
type SearchPage struct {
	Expand          string                 `json:"expand,omitempty"`
	StartAt         int                    `json:"startAt"`
	MaxResults      int                    `json:"maxResults"`
	Total           int                    `json:"total"`
	Issues          []Issue                `json:"issues"`
	Names           map[string]string      `json:"names,omitempty"`
	Schema          map[string]FieldSchema `json:"schema,omitempty"`
	WarningMessages []string               `json:"warningMessages,omitempty"`
	// ServerTime is Jira's clock when it answered (its Date header, to the second); zero when
	// the answer had none.
	ServerTime time.Time `json:"-"`
}

// serverTime returns a header func that stores the answer's Date into *t.
func serverTime(t *time.Time) func(http.Header) {
	return func(h http.Header) {
		if d, err := http.ParseTime(h.Get("Date")); err == nil {
			*t = d
		}
	}
}

// Search runs GET /search and returns one page.
func (c *Client) Search(ctx context.Context, q SearchQuery) (*SearchPage, error) {
	v := url.Values{"jql": {q.JQL}}
	if q.StartAt > 0 {
		v.Set("startAt", strconv.Itoa(q.StartAt))
	}
	if q.MaxResults > 0 {
		v.Set("maxResults", strconv.Itoa(q.MaxResults))
	}
	if len(q.Fields) > 0 {
		v.Set("fields", strings.Join(q.Fields, ","))
	}
	if len(q.Expand) > 0 {
		v.Set("expand", strings.Join(q.Expand, ","))
	}
	if len(q.Properties) > 0 {
		v.Set("properties", strings.Join(q.Properties, ","))
	}
	if q.ValidateQuery != nil {
		v.Set("validateQuery", strconv.FormatBool(*q.ValidateQuery))
	}
	var out SearchPage
	r := request{method: http.MethodGet, tmpl: "/search", path: "/search", query: v, idempotent: true, search: true,
		header: serverTime(&out.ServerTime)}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return &out, nil
}

// searchBody is POST /search's body: arrays and a boolean on Server/DC.
type searchBody struct {
	JQL           string   `json:"jql"`
	StartAt       int      `json:"startAt"`
	MaxResults    int      `json:"maxResults,omitempty"`
	Fields        []string `json:"fields,omitempty"`
	Expand        []string `json:"expand,omitempty"`
	Properties    []string `json:"properties,omitempty"`
	ValidateQuery *bool    `json:"validateQuery,omitempty"`
}

// SearchPost runs POST /search (for JQL too long for a URL) and returns one page.
// It is read-only, so the client retries it like a GET.
func (c *Client) SearchPost(ctx context.Context, q SearchQuery) (*SearchPage, error) {
	r, err := jsonRequest(http.MethodPost, "/search", "/search", searchBody{
		JQL: q.JQL, StartAt: q.StartAt, MaxResults: q.MaxResults, Fields: q.Fields,
		Expand: q.Expand, Properties: q.Properties, ValidateQuery: q.ValidateQuery,
	})
	if err != nil {
		return nil, err
	}
	r.idempotent, r.search = true, true
	var out SearchPage
	r.header = serverTime(&out.ServerTime)
	if err := c.do(ctx, r, &out); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return &out, nil
}

// SearchAllOptions tunes SearchAll.
type SearchAllOptions struct {
	// Overlap k re-reads the last k issues of each page (next startAt = previous +
	// returned - k), for polling while issues change: an issue updated during the
	// scan moves to the end and shifts later pages left, which would skip an item.
	// Results are deduplicated by (id, fields.updated). The overlap is capped at half
	// a page so the scan always advances.
	Overlap int
	// Post uses POST /search (long JQL).
	Post bool
	// MaxIssues stops after this many distinct results (0: no limit).
	MaxIssues int
	// Page, when set, sees every page as it arrives; returning true stops the scan after it
	// (a poll ordered newest first stops at what it has already seen).
	Page func(*SearchPage) bool
}

// SearchAll pages through a search from q.StartAt: it advances startAt by the number
// of issues returned (never by the size asked, which Jira may cap), keeps asking for
// the page size Jira applied, and stops at total or on an empty page. On error it
// returns the issues read so far together with the error.
func (c *Client) SearchAll(ctx context.Context, q SearchQuery, opt SearchAllOptions) ([]Issue, error) {
	var out []Issue
	seen := make(map[string]struct{})
	for {
		var (
			page *SearchPage
			err  error
		)
		if opt.Post {
			page, err = c.SearchPost(ctx, q)
		} else {
			page, err = c.Search(ctx, q)
		}
		if err != nil {
			return out, fmt.Errorf("search from %d: %w", q.StartAt, err)
		}
		n := len(page.Issues)
		for i := range page.Issues {
			k := dedupKey(&page.Issues[i])
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
			out = append(out, page.Issues[i])
			if opt.MaxIssues > 0 && len(out) >= opt.MaxIssues {
				return out, nil
			}
		}
		if n == 0 || q.StartAt+n >= page.Total {
			if opt.Page != nil {
				opt.Page(page)
			}
			return out, nil
		}
		if opt.Page != nil && opt.Page(page) {
			return out, nil
		}
		if page.MaxResults > 0 && (q.MaxResults == 0 || page.MaxResults < q.MaxResults) {
			q.MaxResults = page.MaxResults
		}
		k := min(max(opt.Overlap, 0), n/2)
		q.StartAt += n - k
	}
}

// dedupKey is (id, fields.updated): a re-read issue is dropped unless it changed in
// between. Issues without an id fall back to the key.
func dedupKey(is *Issue) string {
	id := is.ID
	if id == "" {
		id = is.Key
	}
	var updated string
	if raw, ok := is.Fields["updated"]; ok {
		_ = json.Unmarshal(raw, &updated)
	}
	return id + "\x00" + updated
}
