package views

import "time"

// UserItem is one console user on the Settings page, with its action URLs.
type UserItem struct {
	ID          uint
	Username    string
	IsAdmin     bool
	Disabled    bool
	IsSelf      bool
	LastLoginAt *time.Time
	// ToggleURL disables or enables; PasswordURL changes the password; RoleURL sets the role.
	ToggleURL, PasswordURL, RoleURL string
}

// UserForm is the "add console user" form: what was typed and the errors (never the password).
type UserForm struct {
	Username string
	IsAdmin  bool
	Errors   map[string]string
}

// Err returns the error text of a field ("" when none).
func (f UserForm) Err(field string) string { return f.Errors[field] }

// SettingsPage is the Settings page: users, the configuration, export and import, queues.
type SettingsPage struct {
	Users []UserItem
	// IsAdmin tells whether the viewer may add users and disable others.
	IsAdmin     bool
	NewUser     UserForm
	AddUserURL  string
	Settings    []SettingRow
	ExportURL   string
	ImportURL   string
	ImportText  string
	ImportError string
	// QueuesURL is the read-only asynqmon page; "" when the queue cannot be inspected.
	QueuesURL     string
	EmbeddedQueue bool
	// AuditURL lists console actions; NotifyURL edits notifications (administrators).
	AuditURL, NotifyURL string
	// Seal is the node's public sealing keys (views/settings_seal.templ).
	Seal SealKeys
}

// PasswordForm changes a console user's password; Self asks for the current one.
type PasswordForm struct {
	Username  string
	Self      bool
	Errors    map[string]string
	Action    string
	CancelURL string
}

// Err returns the error text of a field ("" when none).
func (f PasswordForm) Err(field string) string { return f.Errors[field] }

// Import plan actions.
const (
	ImportCreate    = "create"
	ImportUpdate    = "update"
	ImportUnchanged = "unchanged"
	ImportInvalid   = "invalid"
)

// ImportItem is one instance or connection of an imported configuration and what applying it
// would do.
type ImportItem struct {
	Kind, Name string
	Action     string
	// Changes names the fields an update changes.
	Changes []string
	Errors  []string
	// NeedsCredentials marks a new instance: secrets are never exported, so it needs its
	// password or token entered before it can be used.
	NeedsCredentials bool
}

// ImportPreview is the import page: what would change, with every problem, before anything
// is written.
type ImportPreview struct {
	Items []ImportItem
	// Problems are errors of the document as a whole (YAML syntax, version).
	Problems []string
	YAML     string
	ApplyURL string
	BackURL  string
}

// Valid is true when nothing stops the import.
func (p ImportPreview) Valid() bool {
	if len(p.Problems) > 0 {
		return false
	}
	for _, it := range p.Items {
		if len(it.Errors) > 0 {
			return false
		}
	}
	return true
}

// Count returns how many items have the action.
func (p ImportPreview) Count(action string) int {
	n := 0
	for _, it := range p.Items {
		if it.Action == action {
			n++
		}
	}
	return n
}
