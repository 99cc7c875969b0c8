package jira

import (
	"encoding/json"
	"fmt"
	"time"
)

// User is Jira Server/DC's user bean. Users are identified by Name (login) and Key;
// there is no accountId on Server/DC.
type User struct {
	Self         string            `json:"self,omitempty"`
	Key          string            `json:"key,omitempty"`
	Name         string            `json:"name,omitempty"`
	EmailAddress string            `json:"emailAddress,omitempty"`
	DisplayName  string            `json:"displayName,omitempty"`
	Active       bool              `json:"active"`
	Deleted      bool              `json:"deleted,omitempty"`
	TimeZone     string            `json:"timeZone,omitempty"`
	Locale       string            `json:"locale,omitempty"`
	AvatarURLs   map[string]string `json:"avatarUrls,omitempty"`
}

// Location loads the user's profile time zone, the zone Jira reads JQL date
// literals in. An empty TimeZone gives UTC.
func (u *User) Location() (*time.Location, error) {
	if u == nil || u.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(u.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("user %s time zone: %w", u.Name, err)
	}
	return loc, nil
}

// ServerInfo is the answer of /serverInfo. DeploymentType does not tell DC from Server.
type ServerInfo struct {
	BaseURL        string `json:"baseUrl"`
	Version        string `json:"version"`
	VersionNumbers []int  `json:"versionNumbers,omitempty"`
	DeploymentType string `json:"deploymentType,omitempty"`
	BuildNumber    int64  `json:"buildNumber,omitempty"`
	BuildDate      Time   `json:"buildDate"`
	ServerTime     Time   `json:"serverTime"`
	ScmInfo        string `json:"scmInfo,omitempty"`
	ServerTitle    string `json:"serverTitle,omitempty"`
}

// FieldSchema describes a field's type: system fields set System, custom fields
// set Custom (the plugin type key) and CustomID.
type FieldSchema struct {
	Type     string `json:"type,omitempty"`
	Items    string `json:"items,omitempty"`
	System   string `json:"system,omitempty"`
	Custom   string `json:"custom,omitempty"`
	CustomID int64  `json:"customId,omitempty"`
}

// Field is one entry of /field.
type Field struct {
	ID          string       `json:"id"`
	Key         string       `json:"key,omitempty"`
	Name        string       `json:"name"`
	Custom      bool         `json:"custom"`
	Orderable   bool         `json:"orderable"`
	Navigable   bool         `json:"navigable"`
	Searchable  bool         `json:"searchable"`
	ClauseNames []string     `json:"clauseNames,omitempty"`
	Schema      *FieldSchema `json:"schema,omitempty"`
}

// ProjectCategory groups projects.
type ProjectCategory struct {
	Self        string `json:"self,omitempty"`
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// Project is a project bean; list answers carry only the short form.
type Project struct {
	Self            string            `json:"self,omitempty"`
	ID              string            `json:"id,omitempty"`
	Key             string            `json:"key,omitempty"`
	Name            string            `json:"name,omitempty"`
	Description     string            `json:"description,omitempty"`
	Lead            *User             `json:"lead,omitempty"`
	ProjectTypeKey  string            `json:"projectTypeKey,omitempty"`
	AvatarURLs      map[string]string `json:"avatarUrls,omitempty"`
	ProjectCategory *ProjectCategory  `json:"projectCategory,omitempty"`
	IssueTypes      []IssueType       `json:"issueTypes,omitempty"`
	Components      []Component       `json:"components,omitempty"`
	Versions        []Version         `json:"versions,omitempty"`
}

// StatusCategory is new, indeterminate or done; its ID is a number in JSON.
type StatusCategory struct {
	Self      string `json:"self,omitempty"`
	ID        int    `json:"id,omitempty"`
	Key       string `json:"key,omitempty"`
	ColorName string `json:"colorName,omitempty"`
	Name      string `json:"name,omitempty"`
}

// Status is a workflow status.
type Status struct {
	Self           string          `json:"self,omitempty"`
	ID             string          `json:"id,omitempty"`
	Name           string          `json:"name,omitempty"`
	Description    string          `json:"description,omitempty"`
	IconURL        string          `json:"iconUrl,omitempty"`
	StatusCategory *StatusCategory `json:"statusCategory,omitempty"`
}

// Priority is an issue priority.
type Priority struct {
	Self        string `json:"self,omitempty"`
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	IconURL     string `json:"iconUrl,omitempty"`
	StatusColor string `json:"statusColor,omitempty"`
}

// IssueType is an issue type.
type IssueType struct {
	Self        string `json:"self,omitempty"`
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	IconURL     string `json:"iconUrl,omitempty"`
	Subtask     bool   `json:"subtask"`
	AvatarID    int64  `json:"avatarId,omitempty"`
}

// Resolution is an issue resolution.
type Resolution struct {
	Self        string `json:"self,omitempty"`
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// Component is a project component.
type Component struct {
	Self        string `json:"self,omitempty"`
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// Version is a project version (fixVersions, versions).
type Version struct {
	Self        string `json:"self,omitempty"`
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Archived    bool   `json:"archived"`
	Released    bool   `json:"released"`
	ReleaseDate string `json:"releaseDate,omitempty"`
}

// Visibility restricts a comment to a group or a project role.
type Visibility struct {
	Type  string `json:"type"` // "group" or "role"
	Value string `json:"value"`
}

// Comment is an issue comment; Body is wiki markup.
type Comment struct {
	Self         string      `json:"self,omitempty"`
	ID           string      `json:"id,omitempty"`
	Author       *User       `json:"author,omitempty"`
	Body         string      `json:"body"`
	RenderedBody string      `json:"renderedBody,omitempty"`
	UpdateAuthor *User       `json:"updateAuthor,omitempty"`
	Created      Time        `json:"created"`
	Updated      Time        `json:"updated"`
	Visibility   *Visibility `json:"visibility,omitempty"`
	// Properties are the comment's entity properties, present when read with expand=properties
	// (Jira Service Management marks an internal comment with sd.public.comment).
	Properties []CommentProperty `json:"properties,omitempty"`
	// JSDPublic is Jira Cloud's flag for a service project comment customers can see.
	JSDPublic *bool `json:"jsdPublic,omitempty"`
}

// CommentProperty is one entity property of a comment as read with expand=properties.
type CommentProperty struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// ServiceDeskCommentProperty is the comment property by which Jira Service Management tells an
// internal comment (value {"internal": true}) from one customers see on the portal.
const ServiceDeskCommentProperty = "sd.public.comment"

// Internal reports whether a comment is a service desk's internal note: its sd.public.comment
// property says {"internal": true}, or (Jira Cloud) jsdPublic is false. Read comments with
// expand=properties for the property to be there.
func (c *Comment) Internal() bool {
	if c.JSDPublic != nil && !*c.JSDPublic {
		return true
	}
	for _, p := range c.Properties {
		if p.Key != ServiceDeskCommentProperty {
			continue
		}
		var v struct {
			Internal any `json:"internal"`
		}
		if json.Unmarshal(p.Value, &v) != nil {
			return false
		}
		switch x := v.Internal.(type) {
		case bool:
			return x
		case string: // older JSM versions stored the flag as a string
			return x == "true"
		}
	}
	return false
}

// CommentPage is one page of /issue/{key}/comment, also the shape of fields.comment.
type CommentPage struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	Total      int       `json:"total"`
	Comments   []Comment `json:"comments"`
}

// CommentInput is the body of AddComment and UpdateComment.
type CommentInput struct {
	Body       string      `json:"body"`
	Visibility *Visibility `json:"visibility,omitempty"`
	// Properties are set on create (AddComment), e.g. InternalComment(true).
	Properties []EntityProperty `json:"properties,omitempty"`
}

// InternalComment is the sd.public.comment property that makes a comment internal (true) or
// customer-visible (false) in a service project.
func InternalComment(internal bool) EntityProperty {
	return EntityProperty{Key: ServiceDeskCommentProperty, Value: map[string]bool{"internal": internal}}
}

// Attachment is attachment metadata; the bytes are at Content, an absolute URL.
type Attachment struct {
	Self      string `json:"self,omitempty"`
	ID        string `json:"id,omitempty"`
	Filename  string `json:"filename"`
	Author    *User  `json:"author,omitempty"`
	Created   Time   `json:"created"`
	Size      int64  `json:"size"`
	MimeType  string `json:"mimeType,omitempty"`
	Content   string `json:"content,omitempty"`
	Thumbnail string `json:"thumbnail,omitempty"`
}

// UnmarshalJSON accepts the id as a string (Jira) or a number (some older answers).
func (a *Attachment) UnmarshalJSON(b []byte) error {
	type plain Attachment
	var raw struct {
		plain
		ID json.RawMessage `json:"id,omitempty"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*a = Attachment(raw.plain)
	a.ID = flexibleID(raw.ID)
	return nil
}

// AttachmentMeta is /attachment/meta: whether attachments are on, and the size cap.
type AttachmentMeta struct {
	Enabled     bool  `json:"enabled"`
	UploadLimit int64 `json:"uploadLimit"`
}

// ChangeItem is one field change of a changelog history. Field is the display name
// for custom fields (FieldType "custom") and the id for system fields.
type ChangeItem struct {
	Field      string `json:"field"`
	FieldType  string `json:"fieldtype,omitempty"`
	FieldID    string `json:"fieldId,omitempty"`
	From       string `json:"from,omitempty"`
	FromString string `json:"fromString,omitempty"`
	To         string `json:"to,omitempty"`
	ToString   string `json:"toString,omitempty"`
}

// ChangeHistory is one changelog entry: who changed what, when.
type ChangeHistory struct {
	ID      string       `json:"id"`
	Author  *User        `json:"author,omitempty"`
	Created Time         `json:"created"`
	Items   []ChangeItem `json:"items"`
}

// Changelog is an issue's history, from expand=changelog.
type Changelog struct {
	StartAt    int             `json:"startAt"`
	MaxResults int             `json:"maxResults"`
	Total      int             `json:"total"`
	Histories  []ChangeHistory `json:"histories"`
}

// FieldMeta describes a field on a screen (editmeta, createmeta, transition fields).
type FieldMeta struct {
	FieldID         string            `json:"fieldId,omitempty"`
	Key             string            `json:"key,omitempty"`
	Name            string            `json:"name,omitempty"`
	Required        bool              `json:"required"`
	Schema          FieldSchema       `json:"schema"`
	Operations      []string          `json:"operations,omitempty"`
	AllowedValues   []json.RawMessage `json:"allowedValues,omitempty"`
	AutoCompleteURL string            `json:"autoCompleteUrl,omitempty"`
	HasDefaultValue bool              `json:"hasDefaultValue,omitempty"`
	DefaultValue    json.RawMessage   `json:"defaultValue,omitempty"`
}

// Transition is a workflow transition available on an issue; Fields is set with
// expand=transitions.fields.
type Transition struct {
	ID            string               `json:"id"`
	Name          string               `json:"name"`
	To            Status               `json:"to"`
	HasScreen     bool                 `json:"hasScreen,omitempty"`
	IsGlobal      bool                 `json:"isGlobal,omitempty"`
	IsInitial     bool                 `json:"isInitial,omitempty"`
	IsConditional bool                 `json:"isConditional,omitempty"`
	IsLooped      bool                 `json:"isLooped,omitempty"` // leads to the current status (simplified workflows)
	Fields        map[string]FieldMeta `json:"fields,omitempty"`
}

// TransitionInput is the body of DoTransition.
type TransitionInput struct {
	ID     string                      // transition id
	Fields map[string]any              // fields set on the transition screen
	Update map[string][]map[string]any // update operations, e.g. comment add
}

// RemoteLinkApplication names the application a remote link belongs to.
type RemoteLinkApplication struct {
	Type string `json:"type,omitempty"`
	Name string `json:"name,omitempty"`
}

// RemoteLinkIcon is an icon of a remote link object or status.
type RemoteLinkIcon struct {
	URL16x16 string `json:"url16x16,omitempty"`
	Title    string `json:"title,omitempty"`
	Link     string `json:"link,omitempty"`
}

// RemoteLinkStatus tells whether the linked object is resolved.
type RemoteLinkStatus struct {
	Resolved bool            `json:"resolved"`
	Icon     *RemoteLinkIcon `json:"icon,omitempty"`
}

// RemoteLinkObject is what a remote link points at.
type RemoteLinkObject struct {
	URL     string            `json:"url"`
	Title   string            `json:"title"`
	Summary string            `json:"summary,omitempty"`
	Icon    *RemoteLinkIcon   `json:"icon,omitempty"`
	Status  *RemoteLinkStatus `json:"status,omitempty"`
}

// RemoteLink is an issue's link to an outside object; its ID is a number in JSON.
// Airlock can use GlobalID to make its own links idempotent (Jira updates in place).
type RemoteLink struct {
	ID           int64                  `json:"id,omitempty"`
	Self         string                 `json:"self,omitempty"`
	GlobalID     string                 `json:"globalId,omitempty"`
	Application  *RemoteLinkApplication `json:"application,omitempty"`
	Relationship string                 `json:"relationship,omitempty"`
	Object       RemoteLinkObject       `json:"object"`
}

// RemoteLinkRef is the answer of CreateRemoteLink.
type RemoteLinkRef struct {
	ID   int64  `json:"id"`
	Self string `json:"self"`
}

// EntityProperty is an issue entity property, as sent on create.
type EntityProperty struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// CreatedIssue is the answer of CreateIssue.
type CreatedIssue struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Self string `json:"self"`
}

// IssueInput is the body of CreateIssue and UpdateIssue. Fields sets values directly
// (json.RawMessage values pass through untouched); Update holds operations such as
// {"labels":[{"add":"x"}]}. Properties is used on create only.
type IssueInput struct {
	Fields     map[string]any              `json:"fields,omitempty"`
	Update     map[string][]map[string]any `json:"update,omitempty"`
	Properties []EntityProperty            `json:"properties,omitempty"`
}

// CreateMetaPage is the 9.x paged createmeta bean; Values are issue types or fields.
type CreateMetaPage[T any] struct {
	StartAt    int  `json:"startAt"`
	MaxResults int  `json:"maxResults"`
	Total      int  `json:"total"`
	IsLast     bool `json:"isLast"`
	Values     []T  `json:"values"`
}

// flexibleID renders a JSON string or number id as a string.
func flexibleID(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String()
	}
	return ""
}
