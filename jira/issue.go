package jira

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Issue is an issue bean. Fields keeps every field as raw JSON so values the sync
// does not understand pass through untouched; the accessors decode the system
// fields on demand.
type Issue struct {
	Expand         string                     `json:"expand,omitempty"`
	ID             string                     `json:"id,omitempty"`
	Self           string                     `json:"self,omitempty"`
	Key            string                     `json:"key,omitempty"`
	Fields         map[string]json.RawMessage `json:"fields,omitempty"`
	RenderedFields map[string]json.RawMessage `json:"renderedFields,omitempty"`
	Names          map[string]string          `json:"names,omitempty"`
	Schema         map[string]FieldSchema     `json:"schema,omitempty"`
	Changelog      *Changelog                 `json:"changelog,omitempty"`
	Transitions    []Transition               `json:"transitions,omitempty"`
	Properties     map[string]json.RawMessage `json:"properties,omitempty"`
	EditMeta       *EditMeta                  `json:"editmeta,omitempty"`
}

// EditMeta is /issue/{key}/editmeta: the fields on the edit screen.
type EditMeta struct {
	Fields map[string]FieldMeta `json:"fields"`
}

// DecodeIssue decodes one issue bean. It is the decoder the client uses and the
// fuzz target's subject; it never panics.
func DecodeIssue(b []byte) (*Issue, error) {
	var is Issue
	if err := json.Unmarshal(b, &is); err != nil {
		return nil, fmt.Errorf("decode issue: %w", err)
	}
	return &is, nil
}

// Field decodes field id into v. It reports false with a nil error when the field is
// absent or null, and an error when the value does not fit v.
func (is *Issue) Field(id string, v any) (bool, error) {
	if is == nil {
		return false, nil
	}
	raw, ok := is.Fields[id]
	if !ok || isNull(raw) {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("issue %s field %s: %w", is.Key, id, err)
	}
	return true, nil
}

func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// fieldOf is the shared body of the typed accessors: absent, null and malformed
// values all give the zero value and false (use Field to see the decode error).
func fieldOf[T any](is *Issue, id string) (T, bool) {
	var v T
	ok, err := is.Field(id, &v)
	if err != nil || !ok {
		var zero T
		return zero, false
	}
	return v, true
}

// Summary returns fields.summary.
func (is *Issue) Summary() (string, bool) { return fieldOf[string](is, "summary") }

// Description returns fields.description (wiki markup).
func (is *Issue) Description() (string, bool) { return fieldOf[string](is, "description") }

// Environment returns fields.environment (wiki markup).
func (is *Issue) Environment() (string, bool) { return fieldOf[string](is, "environment") }

// Status returns fields.status.
func (is *Issue) Status() (*Status, bool) { return fieldOf[*Status](is, "status") }

// IssueType returns fields.issuetype.
func (is *Issue) IssueType() (*IssueType, bool) { return fieldOf[*IssueType](is, "issuetype") }

// Priority returns fields.priority.
func (is *Issue) Priority() (*Priority, bool) { return fieldOf[*Priority](is, "priority") }

// Resolution returns fields.resolution; false also when the issue is unresolved.
func (is *Issue) Resolution() (*Resolution, bool) { return fieldOf[*Resolution](is, "resolution") }

// Project returns fields.project.
func (is *Issue) Project() (*Project, bool) { return fieldOf[*Project](is, "project") }

// Labels returns fields.labels.
func (is *Issue) Labels() ([]string, bool) { return fieldOf[[]string](is, "labels") }

// Assignee returns fields.assignee; false when unassigned.
func (is *Issue) Assignee() (*User, bool) { return fieldOf[*User](is, "assignee") }

// Reporter returns fields.reporter.
func (is *Issue) Reporter() (*User, bool) { return fieldOf[*User](is, "reporter") }

// Components returns fields.components.
func (is *Issue) Components() ([]Component, bool) { return fieldOf[[]Component](is, "components") }

// FixVersions returns fields.fixVersions.
func (is *Issue) FixVersions() ([]Version, bool) { return fieldOf[[]Version](is, "fixVersions") }

// Attachments returns fields.attachment.
func (is *Issue) Attachments() ([]Attachment, bool) { return fieldOf[[]Attachment](is, "attachment") }

// Comments returns fields.comment, the first page of comments embedded in the issue.
func (is *Issue) Comments() (*CommentPage, bool) { return fieldOf[*CommentPage](is, "comment") }

// DueDate returns fields.duedate.
func (is *Issue) DueDate() (Date, bool) { return fieldOf[Date](is, "duedate") }

// Updated returns fields.updated with its millisecond precision and offset.
func (is *Issue) Updated() (time.Time, bool) {
	t, ok := fieldOf[Time](is, "updated")
	return t.Time, ok && !t.IsZero()
}

// Created returns fields.created.
func (is *Issue) Created() (time.Time, bool) {
	t, ok := fieldOf[Time](is, "created")
	return t.Time, ok && !t.IsZero()
}
