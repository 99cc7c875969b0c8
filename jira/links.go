package jira

import (
	"context"
	"fmt"
	"net/http"
)

// IssueLinkType is one kind of issue link ("Blocks": inward "is blocked by", outward "blocks").
type IssueLinkType struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	Inward  string `json:"inward,omitempty"`
	Outward string `json:"outward,omitempty"`
	Self    string `json:"self,omitempty"`
}

// LinkedIssue is the short issue shape Jira puts in issue links, sub-tasks and parent:
// id, key, self and a few fields (summary, status, priority, issuetype).
type LinkedIssue struct {
	ID     string `json:"id,omitempty"`
	Key    string `json:"key,omitempty"`
	Self   string `json:"self,omitempty"`
	Fields struct {
		Summary   string     `json:"summary,omitempty"`
		Status    *Status    `json:"status,omitempty"`
		Priority  *Priority  `json:"priority,omitempty"`
		IssueType *IssueType `json:"issuetype,omitempty"`
	} `json:"fields"`
}

// IssueLink is a link between two issues. In an issue's issuelinks each entry is seen
// from that issue and carries one end: OutwardIssue when the issue is the link's source
// ("this issue blocks OutwardIssue"), InwardIssue when it is the destination ("this
// issue is blocked by InwardIssue"). GET /issueLink/{id} carries both, named as in
// IssueLinkInput (InwardIssue is the source; unverified on a real Jira: read a link's
// direction from an issue's issuelinks).
type IssueLink struct {
	ID           string        `json:"id,omitempty"`
	Self         string        `json:"self,omitempty"`
	Type         IssueLinkType `json:"type"`
	InwardIssue  *LinkedIssue  `json:"inwardIssue,omitempty"`
	OutwardIssue *LinkedIssue  `json:"outwardIssue,omitempty"`
}

// IssueRefInput names an issue by key or id in a request.
type IssueRefInput struct {
	ID  string `json:"id,omitempty"`
	Key string `json:"key,omitempty"`
}

// IssueLinkInput is the body of CreateIssueLink. Jira reads it as "InwardIssue <outward>
// OutwardIssue", each issue under the name it has when seen from the other: to make
// "A-1 blocks A-2", InwardIssue is A-1 and OutwardIssue A-2 (JRJC's LinkIssuesInput sends its
// from issue as inwardIssue; clients that took the names at face value made reversed links).
// Type names the link type by Name or ID. Comment, when set, lands on one of the two issues
// (Atlassian's documentation and JRJC disagree on which): do not rely on it.
type IssueLinkInput struct {
	Type         IssueLinkType `json:"type"`
	InwardIssue  IssueRefInput `json:"inwardIssue"`
	OutwardIssue IssueRefInput `json:"outwardIssue"`
	Comment      *CommentInput `json:"comment,omitempty"`
}

// IssueLinkTypes lists the instance's issue link types.
func (c *Client) IssueLinkTypes(ctx context.Context) ([]IssueLinkType, error) {
	var out struct {
		IssueLinkTypes []IssueLinkType `json:"issueLinkTypes"`
	}
	if err := c.get(ctx, "/issueLinkType", "/issueLinkType", nil, &out); err != nil {
		return nil, fmt.Errorf("issue link types: %w", err)
	}
	return out.IssueLinkTypes, nil
}

// CreateIssueLink links two issues. Jira answers 201 with no body (and 201 again, adding
// nothing, for a link that exists): find the link's id in either issue's issuelinks.
func (c *Client) CreateIssueLink(ctx context.Context, in IssueLinkInput) error {
	if err := c.write(ctx, http.MethodPost, "/issueLink", "/issueLink", nil, in, nil); err != nil {
		return fmt.Errorf("link %s %s %s: %w", in.InwardIssue.Key+in.InwardIssue.ID, in.Type.Name+in.Type.ID, in.OutwardIssue.Key+in.OutwardIssue.ID, err)
	}
	return nil
}

// IssueLink reads one issue link.
func (c *Client) IssueLink(ctx context.Context, id string) (*IssueLink, error) {
	var out IssueLink
	if err := c.get(ctx, "/issueLink/{id}", escape("/issueLink/%s", id), nil, &out); err != nil {
		return nil, fmt.Errorf("issue link %s: %w", id, err)
	}
	return &out, nil
}

// DeleteIssueLink deletes an issue link (both issues lose it).
func (c *Client) DeleteIssueLink(ctx context.Context, id string) error {
	r := request{method: http.MethodDelete, tmpl: "/issueLink/{id}", path: escape("/issueLink/%s", id), idempotent: true}
	if err := c.do(ctx, r, nil); err != nil {
		return fmt.Errorf("delete issue link %s: %w", id, err)
	}
	return nil
}

// IssueLinks decodes the issuelinks field.
func (is *Issue) IssueLinks() ([]IssueLink, bool) { return fieldOf[[]IssueLink](is, "issuelinks") }

// Subtasks decodes the subtasks field (the sub-tasks of a parent).
func (is *Issue) Subtasks() ([]LinkedIssue, bool) { return fieldOf[[]LinkedIssue](is, "subtasks") }

// Parent decodes the parent field of a sub-task.
func (is *Issue) Parent() (*LinkedIssue, bool) { return fieldOf[*LinkedIssue](is, "parent") }
