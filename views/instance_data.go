package views

import "time"

// Instance health states, as shown by InstanceHealthBadge.
const (
	HealthOK           = "ok"
	HealthFailing      = "failing"
	HealthAuthBlocked  = "auth blocked"
	HealthNeverChecked = "never checked"
	HealthNeedsSecret  = "needs credentials"
)

// InstanceItem is one Jira instance on the Instances page, with the URLs of its actions.
type InstanceItem struct {
	ID                                      uint
	Name, BaseURL, Role, AuthType, Username string
	TimeZone, JiraVersion                   string
	HasSecret                               bool
	LastOKAt                                *time.Time
	LastError                               string
	LastErrorAt                             *time.Time
	ConsecutiveErrors                       int
	AuthBlocked                             bool
	// Connections using the instance, by name.
	Connections                            []string
	EditURL, DeleteURL, TestURL, ResumeURL string
	// Test is the outcome of a test just run from the list (nil when none).
	Test *InstanceTest
}

// Health is the instance's state in words: auth blocked, needs credentials, failing, ok or never checked.
func (r InstanceItem) Health() string {
	switch {
	case r.AuthBlocked:
		return HealthAuthBlocked
	case !r.HasSecret:
		return HealthNeedsSecret
	case r.ConsecutiveErrors > 0 || (r.LastError != "" && (r.LastOKAt == nil || (r.LastErrorAt != nil && r.LastErrorAt.After(*r.LastOKAt)))):
		return HealthFailing
	case r.LastOKAt != nil:
		return HealthOK
	}
	return HealthNeverChecked
}

// healthClass maps a health word to an app.css badge class.
func healthClass(h string) string {
	switch h {
	case HealthOK:
		return "badge badge-healthy"
	case HealthFailing, HealthNeedsSecret:
		return "badge badge-failing"
	case HealthAuthBlocked:
		return "badge badge-blocked"
	}
	return "badge"
}

// healthTestID is the data-testid suffix of a health word.
func healthTestID(h string) string {
	switch h {
	case HealthAuthBlocked:
		return "health-blocked"
	case HealthNeverChecked:
		return "health-never"
	case HealthNeedsSecret:
		return "health-needs-credentials"
	}
	return "health-" + h
}

// InstanceList is the Instances page.
type InstanceList struct {
	Items  []InstanceItem
	NewURL string
}

// InstanceTest is the outcome of "Test connection" in words a Jira administrator can act on.
type InstanceTest struct {
	OK bool
	// What Jira reported on success.
	JiraVersion, Deployment, ServerTitle string
	DisplayName, UserName, TimeZone      string
	// Problem says what went wrong; Hint says what to do about it.
	Problem, Hint string
	// Detail is the technical error, for the curious (never holds the secret).
	Detail string
	// Saved is true when the result was stored on the instance (zone, version, health).
	Saved bool
	// Resumed is true when the test cleared an auth block.
	Resumed bool
}

// InstanceForm is the add/edit form: what was typed and the error beside each field. The
// password or token is never put back into it.
type InstanceForm struct {
	ID                                      uint
	Name, BaseURL, Role, AuthType, Username string
	CABundle                                string
	MaxConcurrent, CallsPerSecond           string
	// HasSecret tells the edit form that a password or token is stored (leave empty to keep).
	HasSecret bool
	Errors    map[string]string
	// Action is where the form posts; TestURL is where "Test connection" posts; CancelURL goes back.
	Action, TestURL, CancelURL string
	// SavedTarget is where the stored secret may be sent (scheme, host and port): a form aimed
	// elsewhere needs the secret typed again.
	SavedTarget string
	// Test is the failed test Save ran on the new settings; with it the form asks for
	// "save anyway" (ConfirmSave) before it stores what Jira refused.
	Test        *InstanceTest
	ConfirmSave bool
	// PendingSecret is the typed secret of a save that waits for confirmation, sealed by the node
	// for this session and target (never in clear).
	PendingSecret string
}

// Err returns the error text of a field ("" when none).
func (f InstanceForm) Err(field string) string { return f.Errors[field] }

// IsNew is true for the add form.
func (f InstanceForm) IsNew() bool { return f.ID == 0 }

// InstanceConnLink is a connection that uses an instance, with the way to delete it.
type InstanceConnLink struct{ Name, ShowURL, DeleteURL string }

// InstanceDelete is the delete confirmation: refused while connections use the instance.
type InstanceDelete struct {
	Name        string
	Connections []string
	// Links lead to each using connection's overview and delete page.
	Links     []InstanceConnLink
	Action    string
	CancelURL string
	// ConnectionsURL leads to the connections page when the delete is refused.
	ConnectionsURL string
}
