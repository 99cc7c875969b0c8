package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CommentOptions tunes Comments.
type CommentOptions struct {
	OrderBy    string   // "created" or "-created"; empty leaves Jira's order
	Expand     []string // e.g. renderedBody
	MaxResults int      // page size asked for; 0 leaves Jira's default
}

// Comments returns all comments of an issue, paging to the end (startAt advances by
// what came back; stops at total or on an empty page).
func (c *Client) Comments(ctx context.Context, idOrKey string, opt CommentOptions) ([]Comment, error) {
	var out []Comment
	start := 0
	for {
		q := url.Values{"startAt": {strconv.Itoa(start)}}
		if opt.MaxResults > 0 {
			q.Set("maxResults", strconv.Itoa(opt.MaxResults))
		}
		if opt.OrderBy != "" {
			q.Set("orderBy", opt.OrderBy)
		}
		if len(opt.Expand) > 0 {
			q.Set("expand", strings.Join(opt.Expand, ","))
		}
		var page CommentPage
		if err := c.get(ctx, "/issue/{key}/comment", escape("/issue/%s/comment", idOrKey), q, &page); err != nil {
			return out, fmt.Errorf("comments of %s from %d: %w", idOrKey, start, err)
		}
		out = append(out, page.Comments...)
		n := len(page.Comments)
		if n == 0 || start+n >= page.Total {
			return out, nil
		}
		start += n
	}
}

// Comment reads one comment.
func (c *Client) Comment(ctx context.Context, idOrKey, id string) (*Comment, error) {
	var out Comment
	if err := c.get(ctx, "/issue/{key}/comment/{id}", escape("/issue/%s/comment/%s", idOrKey, id), nil, &out); err != nil {
		return nil, fmt.Errorf("comment %s of %s: %w", id, idOrKey, err)
	}
	return &out, nil
}

// AddComment adds a comment (POST, not retried automatically except a 429).
func (c *Client) AddComment(ctx context.Context, idOrKey string, in CommentInput) (*Comment, error) {
	var out Comment
	if err := c.write(ctx, http.MethodPost, "/issue/{key}/comment", escape("/issue/%s/comment", idOrKey), nil, in, &out); err != nil {
		return nil, fmt.Errorf("add comment to %s: %w", idOrKey, err)
	}
	return &out, nil
}

// UpdateComment replaces a comment's body and visibility.
func (c *Client) UpdateComment(ctx context.Context, idOrKey, id string, in CommentInput) (*Comment, error) {
	var out Comment
	if err := c.write(ctx, http.MethodPut, "/issue/{key}/comment/{id}", escape("/issue/%s/comment/%s", idOrKey, id), nil, in, &out); err != nil {
		return nil, fmt.Errorf("update comment %s of %s: %w", id, idOrKey, err)
	}
	return &out, nil
}

// DeleteComment deletes a comment.
func (c *Client) DeleteComment(ctx context.Context, idOrKey, id string) error {
	r := request{method: http.MethodDelete, tmpl: "/issue/{key}/comment/{id}", path: escape("/issue/%s/comment/%s", idOrKey, id), idempotent: true}
	if err := c.do(ctx, r, nil); err != nil {
		return fmt.Errorf("delete comment %s of %s: %w", id, idOrKey, err)
	}
	return nil
}

// CommentProperty reads one entity property of a comment (GET /comment/{id}/properties/{key}).
func (c *Client) CommentProperty(ctx context.Context, commentID, key string) (json.RawMessage, error) {
	var out struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := c.get(ctx, "/comment/{id}/properties/{propertyKey}", escape("/comment/%s/properties/%s", commentID, key), nil, &out); err != nil {
		return nil, fmt.Errorf("property %s of comment %s: %w", key, commentID, err)
	}
	return out.Value, nil
}

// SetCommentProperty creates or replaces an entity property of a comment; value is marshalled
// to JSON. Jira answers 201 or 200.
func (c *Client) SetCommentProperty(ctx context.Context, commentID, key string, value any) error {
	if err := c.write(ctx, http.MethodPut, "/comment/{id}/properties/{propertyKey}", escape("/comment/%s/properties/%s", commentID, key), nil, value, nil); err != nil {
		return fmt.Errorf("set property %s of comment %s: %w", key, commentID, err)
	}
	return nil
}

// DeleteCommentProperty deletes an entity property of a comment.
func (c *Client) DeleteCommentProperty(ctx context.Context, commentID, key string) error {
	r := request{method: http.MethodDelete, tmpl: "/comment/{id}/properties/{propertyKey}", path: escape("/comment/%s/properties/%s", commentID, key), idempotent: true}
	if err := c.do(ctx, r, nil); err != nil {
		return fmt.Errorf("delete property %s of comment %s: %w", key, commentID, err)
	}
	return nil
}
