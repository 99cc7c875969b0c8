package engine

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Field kinds: how a field's value is read, compared, mapped and written.
const (
	KindText        = "text"        // summary, description, environment, text custom fields (wiki markup, untouched)
	KindLabels      = "labels"      // labels: a set of strings
	KindPriority    = "priority"    // by name, through Values
	KindIssueType   = "issuetype"   // by name, through Values; written at create only
	KindComponents  = "components"  // by name, a set
	KindVersions    = "versions"    // fixVersions / versions by name, a set
	KindDate        = "date"        // duedate and date custom fields, 2006-01-02
	KindDateTime    = "datetime"    // datetime custom fields, Jira time format
	KindNumber      = "number"      // number custom fields
	KindSelect      = "select"      // single select / radio by option value, through Values
	KindMultiSelect = "multiselect" // multi select by option values, through Values
	KindUser        = "user"        // assignee, reporter, user pickers, through the user map
	KindStatus      = "status"      // status by name through Values, written by transitions
	// Jira Service Management fields (engine/jsm_fields.go).
	KindRequestType   = "requesttype"   // Customer Request Type (vp-origin) by name, through Values
	KindParticipants  = "participants"  // Request participants: a set of users, through the user map
	KindOrganizations = "organizations" // Organizations: a set of names, through Values
	KindSLA           = "sla"           // an SLA field read as text on its side; never written (one way only)
)

// Directions a field rule may carry values in.
const (
	DirBoth = "both" // default
	DirOut  = "out"  // local -> remote only
	DirIn   = "in"   // remote -> local only
)

// Rules is a connection's sync configuration (stored as JSON in models.Connection.Rules).
// Outgoing rules are the fields a side shares and how they are shaped; incoming rules are where
// shared values land on the other side (the same FieldRule read the other way).
type Rules struct {
	Fields      []FieldRule     `json:"fields"`
	Users       UserMap         `json:"users"`
	Comments    CommentRules    `json:"comments"`
	Attachments AttachmentRules `json:"attachments"`
	// Structure governs sub-tasks and epics (engine/structure.go), Links issue links
	// (engine/links.go), Worklogs worklogs (engine/worklogs.go) and Security issue security
	// levels (engine/security.go).
	Structure StructureRules `json:"structure"`
	Links     LinkRules      `json:"links"`
	Worklogs  WorklogRules   `json:"worklogs"`
	Security  SecurityRules  `json:"security"`
	// Resolution names the resolution set when a transition to a done status requires one and
	// the other side's resolution does not map ("Done" when empty).
	Resolution string `json:"resolution,omitempty"`
	// NotifyUsers=false asks Jira not to mail watchers about our writes (needs project admin).
	NotifyUsers *bool `json:"notify_users,omitempty"`
}

// FieldRule shares one field between the sides.
type FieldRule struct {
	// Name is the shared name of the value (unique in Rules.Fields), e.g. "summary".
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Local and Remote are the Jira field ids on each side (summary, customfield_10010).
	Local  string `json:"local"`
	Remote string `json:"remote"`
	// Direction: both (default), out (local -> remote only) or in (remote -> local only).
	Direction string `json:"direction,omitempty"`
	// Values maps local values to remote values (status, priority, issue type, options). A value
	// without an entry passes unchanged. Read backwards for remote -> local; when several local
	// values map to one remote value, the first listed in ReverseValues (or else the first in
	// sorted order) is used.
	Values        map[string]string `json:"values,omitempty"`
	ReverseValues map[string]string `json:"reverse_values,omitempty"`
	// Default is written when the value is unknown on the target (an unmapped option).
	Default string `json:"default,omitempty"`
	// FirstSync is what the field does on its first sync for a twin (newly mapped, or its
	// direction, value map or user map changed): fill (default), local, remote or keep
	// (engine/firstsync.go). An empty value never overwrites a non-empty one either way.
	FirstSync string `json:"first_sync,omitempty"`
}

// UserMap says how users are matched across sides.
type UserMap struct {
	// Map pairs local user names with remote user names explicitly.
	Map map[string]string `json:"map,omitempty"`
	// ByName and ByEmail try the same login name, then the same e-mail address on the other side.
	ByName  bool `json:"by_name"`
	ByEmail bool `json:"by_email"`
	// DefaultLocal and DefaultRemote are used when no match is found; the original display name is
	// then kept in the text (for example in the attribution line). Empty: leave the field empty.
	DefaultLocal  string `json:"default_local,omitempty"`
	DefaultRemote string `json:"default_remote,omitempty"`
}

// CommentRules governs comments.
type CommentRules struct {
	Enabled bool `json:"enabled"`
	// AllowVisibilities lists restrictions that may leave ("group:jira-users", "role:Developers");
	// by default only unrestricted comments are shared.
	AllowVisibilities []string `json:"allow_visibilities,omitempty"`
	// Attribution is the first line of a copied comment; {author}, {instance}, {created} expand.
	Attribution string `json:"attribution,omitempty"`
	// RewriteMentions turns [~name] into the display name unless the user is mapped.
	RewriteMentions bool `json:"rewrite_mentions"`
	// InternalToRemote and InternalToLocal let a service desk's internal comments (Jira Service
	// Management's sd.public.comment, jira.Comment.Internal) travel local -> remote and
	// remote -> local; by default they stay on their side.
	InternalToRemote bool `json:"internal_to_remote,omitempty"`
	InternalToLocal  bool `json:"internal_to_local,omitempty"`
	// PublicOnLocal and PublicOnRemote make the comments that arrive in a service project on that
	// side customer-visible; by default they arrive internal.
	PublicOnLocal  bool `json:"public_on_local,omitempty"`
	PublicOnRemote bool `json:"public_on_remote,omitempty"`
}

// AttachmentRules governs attachments.
type AttachmentRules struct {
	Enabled bool `json:"enabled"`
	// MaxBytes caps one attachment (default 10 MiB); larger ones are skipped with a warning.
	MaxBytes int64 `json:"max_bytes,omitempty"`
}

// DefaultAttribution is the comment attribution when none is configured.
const DefaultAttribution = "_{author} on {instance}, {created}:_"

// DefaultRules shares the common system fields both ways, with comments and attachments on.
func DefaultRules() Rules {
	return Rules{
		Fields: []FieldRule{
			{Name: "summary", Kind: KindText, Local: "summary", Remote: "summary"},
			{Name: "description", Kind: KindText, Local: "description", Remote: "description"},
			{Name: "labels", Kind: KindLabels, Local: "labels", Remote: "labels"},
			{Name: "priority", Kind: KindPriority, Local: "priority", Remote: "priority"},
			{Name: "issuetype", Kind: KindIssueType, Local: "issuetype", Remote: "issuetype"},
			{Name: "duedate", Kind: KindDate, Local: "duedate", Remote: "duedate"},
			{Name: "status", Kind: KindStatus, Local: "status", Remote: "status"},
		},
		Users:       UserMap{ByName: true, ByEmail: true},
		Comments:    CommentRules{Enabled: true, Attribution: DefaultAttribution, RewriteMentions: true},
		Attachments: AttachmentRules{Enabled: true, MaxBytes: 10 << 20},
	}
}

// ParseRules decodes a connection's rules; an empty document means DefaultRules.
func ParseRules(s string) (Rules, error) {
	if strings.TrimSpace(s) == "" {
		return DefaultRules(), nil
	}
	var r Rules
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Rules{}, fmt.Errorf("rules: %w", err)
	}
	if errs := r.Validate(); len(errs) > 0 {
		return Rules{}, errs[0]
	}
	return r, nil
}

// RuleError names the part of the rules that is wrong, for the console to show beside it.
type RuleError struct {
	Path    string // e.g. "fields[2].kind"
	Message string
}

func (e *RuleError) Error() string { return e.Path + ": " + e.Message }

var kinds = map[string]bool{KindText: true, KindLabels: true, KindPriority: true, KindIssueType: true,
	KindComponents: true, KindVersions: true, KindDate: true, KindDateTime: true, KindNumber: true,
	KindSelect: true, KindMultiSelect: true, KindUser: true, KindStatus: true,
	KindRequestType: true, KindParticipants: true, KindOrganizations: true, KindSLA: true, KindEpicLink: true,
	KindDuration: true, KindWatchers: true}

// Validate returns every problem in the rules (empty when valid).
func (r *Rules) Validate() []*RuleError {
	var errs []*RuleError
	seen := map[string]bool{}
	for i, f := range r.Fields {
		p := fmt.Sprintf("fields[%d]", i)
		switch {
		case f.Name == "":
			errs = append(errs, &RuleError{p + ".name", "a shared name is required"})
		case seen[f.Name]:
			errs = append(errs, &RuleError{p + ".name", fmt.Sprintf("%q is used twice", f.Name)})
		}
		seen[f.Name] = true
		if !kinds[f.Kind] {
			errs = append(errs, &RuleError{p + ".kind", fmt.Sprintf("unknown kind %q", f.Kind)})
		}
		if f.Local == "" || f.Remote == "" {
			errs = append(errs, &RuleError{p, "both a local and a remote field are required"})
		}
		switch f.Direction {
		case "", DirBoth, DirOut, DirIn:
		default:
			errs = append(errs, &RuleError{p + ".direction", "both, out or in"})
		}
		if e := validateJSMKind(&f, p); e != nil {
			errs = append(errs, e)
		}
		if e := validateTrackingKind(&f, p); e != nil {
			errs = append(errs, e)
		}
		switch f.FirstSync {
		case "", FirstSyncFill, FirstSyncLocal, FirstSyncRemote, FirstSyncKeep:
		default:
			errs = append(errs, &RuleError{p + ".first_sync", "fill, local, remote or keep"})
		}
	}
	for i, v := range r.Comments.AllowVisibilities {
		if t, _, ok := strings.Cut(v, ":"); !ok || (t != "group" && t != "role") {
			errs = append(errs, &RuleError{fmt.Sprintf("comments.allow_visibilities[%d]", i), "group:NAME or role:NAME"})
		}
	}
	errs = append(errs, r.Worklogs.validate()...)
	errs = append(errs, r.Structure.validate()...)
	errs = append(errs, r.Security.validate()...)
	if r.Attachments.MaxBytes < 0 {
		errs = append(errs, &RuleError{"attachments.max_bytes", "must not be negative"})
	}
	errs = append(errs, r.Links.validate()...)
	return errs
}
