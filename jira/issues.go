package jira

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// GetIssueOptions selects what GetIssue returns.
type GetIssueOptions struct {
	Fields     []string // default *all; e.g. summary,status,-comment
	Expand     []string // renderedFields, names, schema, transitions, editmeta, changelog, ...
	Properties []string // entity properties to include (*all or keys)
}

// GetIssue reads one issue by id or key. GET reads Jira's database, so unlike search
// it never lags behind writes. A moved issue answers with its current key.
func (c *Client) GetIssue(ctx context.Context, idOrKey string, opt GetIssueOptions) (*Issue, error) {
	q := url.Values{}
	if len(opt.Fields) > 0 {
		q.Set("fields", strings.Join(opt.Fields, ","))
	}
	if len(opt.Expand) > 0 {
		q.Set("expand", strings.Join(opt.Expand, ","))
	}
	if len(opt.Properties) > 0 {
		q.Set("properties", strings.Join(opt.Properties, ","))
	}
	var out Issue
	if err := c.get(ctx, "/issue/{key}", escape("/issue/%s", idOrKey), q, &out); err != nil {
		return nil, fmt.Errorf("get issue %s: %w", idOrKey, err)
	}
	return &out, nil
}

// CreateIssue creates an issue (POST /issue). It is never retried automatically, apart
// from a 429 that Jira refused before processing: DESIGN.md's idempotent create
// (an airlock.twin property carried in Properties) covers the rest.
func (c *Client) CreateIssue(ctx context.Context, in IssueInput) (*CreatedIssue, error) {
	var out CreatedIssue
	if err := c.write(ctx, http.MethodPost, "/issue", "/issue", nil, in, &out); err != nil {
		return nil, fmt.Errorf("create issue: %w", err)
	}
	return &out, nil
}

// UpdateOptions tunes UpdateIssue.
type UpdateOptions struct {
	// NotifyUsers=false suppresses notification mail; Jira requires admin or project
	// admin rights for it. nil leaves Jira's default (notify).
	NotifyUsers *bool
}

// UpdateIssue edits an issue (PUT /issue/{key}): one call with every field change.
// A field may appear in Fields or Update, not both.
func (c *Client) UpdateIssue(ctx context.Context, idOrKey string, in IssueInput, opt UpdateOptions) error {
	var q url.Values
	if opt.NotifyUsers != nil {
		q = url.Values{"notifyUsers": {strconv.FormatBool(*opt.NotifyUsers)}}
	}
	body := IssueInput{Fields: in.Fields, Update: in.Update, Properties: in.Properties}
	if err := c.write(ctx, http.MethodPut, "/issue/{key}", escape("/issue/%s", idOrKey), q, body, nil); err != nil {
		return fmt.Errorf("update issue %s: %w", idOrKey, err)
	}
	return nil
}

// DeleteIssue deletes an issue; deleteSubtasks must be true when it has sub-tasks.
func (c *Client) DeleteIssue(ctx context.Context, idOrKey string, deleteSubtasks bool) error {
	var q url.Values
	if deleteSubtasks {
		q = url.Values{"deleteSubtasks": {"true"}}
	}
	r := request{method: http.MethodDelete, tmpl: "/issue/{key}", path: escape("/issue/%s", idOrKey), query: q, idempotent: true}
	if err := c.do(ctx, r, nil); err != nil {
		return fmt.Errorf("delete issue %s: %w", idOrKey, err)
	}
	return nil
}

// Transitions lists the transitions the user can make on the issue now; with
// expandFields each carries the fields of its screen.
func (c *Client) Transitions(ctx context.Context, idOrKey string, expandFields bool) ([]Transition, error) {
	var q url.Values
	if expandFields {
		q = url.Values{"expand": {"transitions.fields"}}
	}
	var out struct {
		Transitions []Transition `json:"transitions"`
	}
	if err := c.get(ctx, "/issue/{key}/transitions", escape("/issue/%s/transitions", idOrKey), q, &out); err != nil {
		return nil, fmt.Errorf("transitions of %s: %w", idOrKey, err)
	}
	return out.Transitions, nil
}

// DoTransition moves the issue through transition in.ID, setting screen fields.
// It is a POST and is not retried automatically (except a 429).
func (c *Client) DoTransition(ctx context.Context, idOrKey string, in TransitionInput) error {
	body := struct {
		Transition struct {
			ID string `json:"id"`
		} `json:"transition"`
		Fields map[string]any              `json:"fields,omitempty"`
		Update map[string][]map[string]any `json:"update,omitempty"`
	}{Fields: in.Fields, Update: in.Update}
	body.Transition.ID = in.ID
	if err := c.write(ctx, http.MethodPost, "/issue/{key}/transitions", escape("/issue/%s/transitions", idOrKey), nil, body, nil); err != nil {
		return fmt.Errorf("transition %s on %s: %w", in.ID, idOrKey, err)
	}
	return nil
}

// EditMeta returns the fields on the issue's edit screen, keyed by field id; a field
// missing here cannot be set by UpdateIssue.
func (c *Client) EditMeta(ctx context.Context, idOrKey string) (map[string]FieldMeta, error) {
	var out EditMeta
	if err := c.get(ctx, "/issue/{key}/editmeta", escape("/issue/%s/editmeta", idOrKey), nil, &out); err != nil {
		return nil, fmt.Errorf("edit meta of %s: %w", idOrKey, err)
	}
	return out.Fields, nil
}

// CreateMetaIssueTypes lists the issue types a user can create in a project (8.4+
// paged createmeta; the old global createmeta is gone in 9.0). All pages.
func (c *Client) CreateMetaIssueTypes(ctx context.Context, projectIDOrKey string) ([]IssueType, error) {
	out, err := allCreateMeta[IssueType](ctx, c, "/issue/createmeta/{project}/issuetypes",
		escape("/issue/createmeta/%s/issuetypes", projectIDOrKey))
	if err != nil {
		return nil, fmt.Errorf("create meta issue types of %s: %w", projectIDOrKey, err)
	}
	return out, nil
}

// CreateMetaFields lists the fields of a project's create screen for an issue type
// (8.4+ paged createmeta). All pages.
func (c *Client) CreateMetaFields(ctx context.Context, projectIDOrKey, issueTypeID string) ([]FieldMeta, error) {
	out, err := allCreateMeta[FieldMeta](ctx, c, "/issue/createmeta/{project}/issuetypes/{issueTypeId}",
		escape("/issue/createmeta/%s/issuetypes/%s", projectIDOrKey, issueTypeID))
	if err != nil {
		return nil, fmt.Errorf("create meta fields of %s/%s: %w", projectIDOrKey, issueTypeID, err)
	}
	return out, nil
}

// allCreateMeta pages a {startAt,maxResults,total,isLast,values} bean to the end.
func allCreateMeta[T any](ctx context.Context, c *Client, tmpl, path string) ([]T, error) {
	var out []T
	start := 0
	for {
		q := url.Values{"startAt": {strconv.Itoa(start)}}
		var page CreateMetaPage[T]
		if err := c.get(ctx, tmpl, path, q, &page); err != nil {
			return out, err
		}
		out = append(out, page.Values...)
		n := len(page.Values)
		if n == 0 || page.IsLast || (page.Total > 0 && start+n >= page.Total) {
			return out, nil
		}
		start += n
	}
}
