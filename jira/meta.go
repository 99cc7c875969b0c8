package jira

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ServerInfo returns /serverInfo (version, build, server time). It needs no
// permission, so it also works as a reachability check.
func (c *Client) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	var out ServerInfo
	if err := c.get(ctx, "/serverInfo", "/serverInfo", nil, &out); err != nil {
		return nil, fmt.Errorf("server info: %w", err)
	}
	return &out, nil
}

// Myself returns the calling user. It is the auth check (anonymous callers get 401)
// and the source of the time zone JQL literals are read in.
func (c *Client) Myself(ctx context.Context) (*User, error) {
	var out User
	if err := c.get(ctx, "/myself", "/myself", nil, &out); err != nil {
		return nil, fmt.Errorf("myself: %w", err)
	}
	return &out, nil
}

// Fields lists all system and custom fields.
func (c *Client) Fields(ctx context.Context) ([]Field, error) {
	var out []Field
	if err := c.get(ctx, "/field", "/field", nil, &out); err != nil {
		return nil, fmt.Errorf("fields: %w", err)
	}
	return out, nil
}

// Projects lists the projects the user can browse; expand may name description,
// lead, url, projectKeys.
func (c *Client) Projects(ctx context.Context, expand ...string) ([]Project, error) {
	var out []Project
	if err := c.get(ctx, "/project", "/project", listQuery("expand", expand), &out); err != nil {
		return nil, fmt.Errorf("projects: %w", err)
	}
	return out, nil
}

// Project returns one project by id or key, with its issue types, components and
// versions.
func (c *Client) Project(ctx context.Context, idOrKey string) (*Project, error) {
	var out Project
	if err := c.get(ctx, "/project/{key}", escape("/project/%s", idOrKey), nil, &out); err != nil {
		return nil, fmt.Errorf("project %s: %w", idOrKey, err)
	}
	return &out, nil
}

// Priorities lists the priorities.
func (c *Client) Priorities(ctx context.Context) ([]Priority, error) {
	var out []Priority
	if err := c.get(ctx, "/priority", "/priority", nil, &out); err != nil {
		return nil, fmt.Errorf("priorities: %w", err)
	}
	return out, nil
}

// Statuses lists the workflow statuses with their categories.
func (c *Client) Statuses(ctx context.Context) ([]Status, error) {
	var out []Status
	if err := c.get(ctx, "/status", "/status", nil, &out); err != nil {
		return nil, fmt.Errorf("statuses: %w", err)
	}
	return out, nil
}

// IssueTypes lists the issue types.
func (c *Client) IssueTypes(ctx context.Context) ([]IssueType, error) {
	var out []IssueType
	if err := c.get(ctx, "/issuetype", "/issuetype", nil, &out); err != nil {
		return nil, fmt.Errorf("issue types: %w", err)
	}
	return out, nil
}

// Resolutions lists the resolutions.
func (c *Client) Resolutions(ctx context.Context) ([]Resolution, error) {
	var out []Resolution
	if err := c.get(ctx, "/resolution", "/resolution", nil, &out); err != nil {
		return nil, fmt.Errorf("resolutions: %w", err)
	}
	return out, nil
}

// User returns a user by login name (GET /user?username=).
func (c *Client) User(ctx context.Context, username string) (*User, error) {
	var out User
	if err := c.get(ctx, "/user", "/user", url.Values{"username": {username}}, &out); err != nil {
		return nil, fmt.Errorf("user %s: %w", username, err)
	}
	return &out, nil
}

// UserByKey returns a user by user key (GET /user?key=), e.g. JIRAUSER10100.
func (c *Client) UserByKey(ctx context.Context, key string) (*User, error) {
	var out User
	if err := c.get(ctx, "/user", "/user", url.Values{"key": {key}}, &out); err != nil {
		return nil, fmt.Errorf("user key %s: %w", key, err)
	}
	return &out, nil
}

// UserSearchOptions tunes SearchUsers.
type UserSearchOptions struct {
	StartAt         int
	MaxResults      int  // Jira caps at 1000; 0 uses Jira's default (50)
	IncludeInactive bool // also inactive users (active ones are always included)
}

// SearchUsers finds users whose name, display name or email matches query (one page).
func (c *Client) SearchUsers(ctx context.Context, query string, opt UserSearchOptions) ([]User, error) {
	q := url.Values{"username": {query}}
	if opt.StartAt > 0 {
		q.Set("startAt", strconv.Itoa(opt.StartAt))
	}
	if opt.MaxResults > 0 {
		q.Set("maxResults", strconv.Itoa(opt.MaxResults))
	}
	if opt.IncludeInactive {
		q.Set("includeInactive", "true")
	}
	var out []User
	if err := c.get(ctx, "/user/search", "/user/search", q, &out); err != nil {
		return nil, fmt.Errorf("search users %q: %w", query, err)
	}
	return out, nil
}

// listQuery returns {name: "a,b"} or nil when vals is empty.
func listQuery(name string, vals []string) url.Values {
	if len(vals) == 0 {
		return nil
	}
	return url.Values{name: {strings.Join(vals, ",")}}
}
