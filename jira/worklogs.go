package jira

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Worklog is an issue worklog (GET /issue/{key}/worklog/{id}).
type Worklog struct {
	Self             string      `json:"self,omitempty"`
	ID               string      `json:"id,omitempty"`
	IssueID          string      `json:"issueId,omitempty"`
	Author           *User       `json:"author,omitempty"`
	UpdateAuthor     *User       `json:"updateAuthor,omitempty"`
	Comment          string      `json:"comment"`
	Created          Time        `json:"created"`
	Updated          Time        `json:"updated"`
	Started          Time        `json:"started"`
	TimeSpent        string      `json:"timeSpent,omitempty"`
	TimeSpentSeconds int64       `json:"timeSpentSeconds"`
	Visibility       *Visibility `json:"visibility,omitempty"`
}

// WorklogPage is one page of GET /issue/{key}/worklog (also the issue bean's worklog field,
// which holds the first 20).
type WorklogPage struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	Total      int       `json:"total"`
	Worklogs   []Worklog `json:"worklogs"`
}

// WorklogInput is the body of AddWorklog and UpdateWorklog. Started is sent in Jira's
// format; TimeSpentSeconds is exact (TimeSpent, a duration such as "1h 30m", is used when
// it is 0).
type WorklogInput struct {
	Comment          string      `json:"comment,omitempty"`
	Started          *Time       `json:"started,omitempty"`
	TimeSpent        string      `json:"timeSpent,omitempty"`
	TimeSpentSeconds int64       `json:"timeSpentSeconds,omitempty"`
	Visibility       *Visibility `json:"visibility,omitempty"`
}

// Estimate says what a worklog write does to the issue's remaining estimate (the
// adjustEstimate parameter). The zero value leaves Jira's default, auto.
type Estimate struct {
	Adjust     string // "auto", "leave", "new" or "manual"
	NewValue   string // with "new": the new remaining estimate, e.g. "2h"
	AdjustedBy string // with "manual": reduceBy on add, increaseBy on delete
}

// Estimate modes.
const (
	EstimateAuto   = "auto"
	EstimateLeave  = "leave"
	EstimateNew    = "new"
	EstimateManual = "manual"
)

func (e Estimate) query(op string) url.Values {
	if e.Adjust == "" {
		return nil
	}
	q := url.Values{"adjustEstimate": {e.Adjust}}
	switch e.Adjust {
	case EstimateNew:
		q.Set("newEstimate", e.NewValue)
	case EstimateManual:
		if op == "delete" {
			q.Set("increaseBy", e.AdjustedBy)
		} else {
			q.Set("reduceBy", e.AdjustedBy)
		}
	}
	return q
}

// Worklogs returns all worklogs of an issue the user may see, paging to the end.
func (c *Client) Worklogs(ctx context.Context, idOrKey string) ([]Worklog, error) {
	var out []Worklog
	start := 0
	for {
		var page WorklogPage
		q := url.Values{"startAt": {strconv.Itoa(start)}}
		if err := c.get(ctx, "/issue/{key}/worklog", escape("/issue/%s/worklog", idOrKey), q, &page); err != nil {
			return out, fmt.Errorf("worklogs of %s from %d: %w", idOrKey, start, err)
		}
		out = append(out, page.Worklogs...)
		n := len(page.Worklogs)
		if n == 0 || start+n >= page.Total {
			return out, nil
		}
		start += n
	}
}

// Worklog reads one worklog.
func (c *Client) Worklog(ctx context.Context, idOrKey, id string) (*Worklog, error) {
	var out Worklog
	if err := c.get(ctx, "/issue/{key}/worklog/{id}", escape("/issue/%s/worklog/%s", idOrKey, id), nil, &out); err != nil {
		return nil, fmt.Errorf("worklog %s of %s: %w", id, idOrKey, err)
	}
	return &out, nil
}

// AddWorklog logs work on an issue (POST, not retried automatically except a 429).
func (c *Client) AddWorklog(ctx context.Context, idOrKey string, in WorklogInput, est Estimate) (*Worklog, error) {
	var out Worklog
	if err := c.write(ctx, http.MethodPost, "/issue/{key}/worklog", escape("/issue/%s/worklog", idOrKey), est.query("add"), in, &out); err != nil {
		return nil, fmt.Errorf("add worklog to %s: %w", idOrKey, err)
	}
	return &out, nil
}

// UpdateWorklog changes a worklog; fields left zero in in are kept. Jira has no manual
// mode here.
func (c *Client) UpdateWorklog(ctx context.Context, idOrKey, id string, in WorklogInput, est Estimate) (*Worklog, error) {
	var out Worklog
	if err := c.write(ctx, http.MethodPut, "/issue/{key}/worklog/{id}", escape("/issue/%s/worklog/%s", idOrKey, id), est.query("update"), in, &out); err != nil {
		return nil, fmt.Errorf("update worklog %s of %s: %w", id, idOrKey, err)
	}
	return &out, nil
}

// DeleteWorklog deletes a worklog.
func (c *Client) DeleteWorklog(ctx context.Context, idOrKey, id string, est Estimate) error {
	r := request{method: http.MethodDelete, tmpl: "/issue/{key}/worklog/{id}", path: escape("/issue/%s/worklog/%s", idOrKey, id), query: est.query("delete"), idempotent: true}
	if err := c.do(ctx, r, nil); err != nil {
		return fmt.Errorf("delete worklog %s of %s: %w", id, idOrKey, err)
	}
	return nil
}

// TimeTracking is the timetracking field: durations as Jira writes them ("1d 2h") and
// their seconds. On writes only OriginalEstimate and RemainingEstimate count.
type TimeTracking struct {
	OriginalEstimate         string `json:"originalEstimate,omitempty"`
	RemainingEstimate        string `json:"remainingEstimate,omitempty"`
	TimeSpent                string `json:"timeSpent,omitempty"`
	OriginalEstimateSeconds  int64  `json:"originalEstimateSeconds,omitempty"`
	RemainingEstimateSeconds int64  `json:"remainingEstimateSeconds,omitempty"`
	TimeSpentSeconds         int64  `json:"timeSpentSeconds,omitempty"`
}

// TimeTracking decodes the issue's timetracking field (zero when absent).
func (is *Issue) TimeTracking() (TimeTracking, error) {
	var tt TimeTracking
	_, err := is.Field("timetracking", &tt)
	return tt, err
}

// Watchers is GET /issue/{key}/watchers.
type Watchers struct {
	Self       string `json:"self"`
	IsWatching bool   `json:"isWatching"`
	WatchCount int    `json:"watchCount"`
	Watchers   []User `json:"watchers"`
}

// Watchers lists who watches an issue.
func (c *Client) Watchers(ctx context.Context, idOrKey string) (*Watchers, error) {
	var out Watchers
	if err := c.get(ctx, "/issue/{key}/watchers", escape("/issue/%s/watchers", idOrKey), nil, &out); err != nil {
		return nil, fmt.Errorf("watchers of %s: %w", idOrKey, err)
	}
	return &out, nil
}

// AddWatcher makes a user (by name) watch an issue; "" is the caller. Adding the same
// user twice is harmless, so the call is retried like an idempotent one.
func (c *Client) AddWatcher(ctx context.Context, idOrKey, name string) error {
	var in any
	if name != "" {
		in = name
	}
	r, err := jsonRequest(http.MethodPost, "/issue/{key}/watchers", escape("/issue/%s/watchers", idOrKey), in)
	if err != nil {
		return err
	}
	r.idempotent = true
	if err := c.do(ctx, r, nil); err != nil {
		return fmt.Errorf("add watcher %s to %s: %w", name, idOrKey, err)
	}
	return nil
}

// RemoveWatcher stops a user (by name) watching an issue.
func (c *Client) RemoveWatcher(ctx context.Context, idOrKey, name string) error {
	r := request{method: http.MethodDelete, tmpl: "/issue/{key}/watchers", path: escape("/issue/%s/watchers", idOrKey),
		query: url.Values{"username": {name}}, idempotent: true}
	if err := c.do(ctx, r, nil); err != nil {
		return fmt.Errorf("remove watcher %s from %s: %w", name, idOrKey, err)
	}
	return nil
}

// Assign sets the assignee through PUT /issue/{key}/assignee: a user name, "" to
// unassign, AssignDefault for the project's default assignee.
func (c *Client) Assign(ctx context.Context, idOrKey, name string) error {
	body := map[string]any{"name": nil}
	if name != "" {
		body["name"] = name
	}
	if err := c.write(ctx, http.MethodPut, "/issue/{key}/assignee", escape("/issue/%s/assignee", idOrKey), nil, body, nil); err != nil {
		return fmt.Errorf("assign %s to %q: %w", idOrKey, name, err)
	}
	return nil
}

// AssignDefault is the name Assign sends for "the project's default assignee".
const AssignDefault = "-1"

// BulkCreated is the answer of CreateIssues.
type BulkCreated struct {
	Issues []CreatedIssue `json:"issues"`
	Errors []BulkError    `json:"errors"`
}

// BulkError is one element that POST /issue/bulk did not create.
type BulkError struct {
	Status              int `json:"status"`
	FailedElementNumber int `json:"failedElementNumber"` // index into the request, from 0
	ElementErrors       struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	} `json:"elementErrors"`
}

// CreateIssues creates several issues in one call (POST /issue/bulk). Jira creates the
// valid elements and reports the others in Errors; when none was created it answers 400,
// returned as an *Error. Not retried (except a 429), like CreateIssue.
func (c *Client) CreateIssues(ctx context.Context, in []IssueInput) (*BulkCreated, error) {
	var out BulkCreated
	if err := c.write(ctx, http.MethodPost, "/issue/bulk", "/issue/bulk", nil, map[string]any{"issueUpdates": in}, &out); err != nil {
		return nil, fmt.Errorf("bulk create of %d issues: %w", len(in), err)
	}
	return &out, nil
}

// WorklogChange is one value of the worklog feeds: a worklog updated (or deleted) at
// UpdatedTime, in milliseconds since the epoch.
type WorklogChange struct {
	WorklogID   int64 `json:"worklogId"`
	UpdatedTime int64 `json:"updatedTime"`
}

// WorklogFeedPage is one page of /worklog/updated or /worklog/deleted.
type WorklogFeedPage struct {
	Values   []WorklogChange `json:"values"`
	Since    int64           `json:"since"`
	Until    int64           `json:"until"`
	LastPage bool            `json:"lastPage"`
}

// WorklogsChangedSince lists the worklogs updated (deleted=false) or deleted since a time,
// instance-wide, paging to the end; it also returns the until of the last page, the since
// of the next poll. Jira leaves out changes of the last minute before the request.
func (c *Client) WorklogsChangedSince(ctx context.Context, since time.Time, deleted bool) ([]WorklogChange, time.Time, error) {
	tmpl := "/worklog/updated"
	if deleted {
		tmpl = "/worklog/deleted"
	}
	var out []WorklogChange
	ms := since.UnixMilli()
	for {
		var page WorklogFeedPage
		if err := c.get(ctx, tmpl, tmpl, url.Values{"since": {strconv.FormatInt(ms, 10)}}, &page); err != nil {
			return out, time.UnixMilli(ms), fmt.Errorf("%s since %d: %w", tmpl, ms, err)
		}
		out = append(out, page.Values...)
		if page.LastPage || len(page.Values) == 0 || page.Until <= ms {
			return out, time.UnixMilli(max(page.Until, ms)), nil
		}
		ms = page.Until
	}
}

// WorklogsByID reads worklogs by id (POST /worklog/list, at most 1000 ids a call; longer
// lists are split). Worklogs the user may not see are left out.
func (c *Client) WorklogsByID(ctx context.Context, ids []int64) ([]Worklog, error) {
	var out []Worklog
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		var page []Worklog
		r, err := jsonRequest(http.MethodPost, "/worklog/list", "/worklog/list", map[string]any{"ids": ids[:n]})
		if err != nil {
			return out, err
		}
		r.idempotent = true // a read
		if err := c.do(ctx, r, &page); err != nil {
			return out, fmt.Errorf("worklog list of %d ids: %w", n, err)
		}
		out = append(out, page...)
		ids = ids[n:]
	}
	return out, nil
}
