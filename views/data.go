package views

import "time"

// DashboardData is what the dashboard shows: counts and the A - AB - B picture.
type DashboardData struct {
	Instances     int64
	Connections   int64
	Twins         int64
	DirtyTwins    int64
	Quarantined   int64
	OpenErrors    int64
	OpenConflicts int64
	Events24h     int64
	Topology      Topology
	// Links of the empty state.
	InstancesURL, ConnectionsURL string
}

// Topology is the A - AB - B picture: the instance names this node knows and which hops have
// a connection. An empty name is drawn as a dashed placeholder.
type Topology struct {
	A, AB, B    string
	HopA, HopB  bool
	HopAPaused  bool
	HopBPaused  bool
	AUnhealthy  bool
	ABUnhealthy bool
	BUnhealthy  bool
}

// InstanceRow is one Jira instance in the list.
type InstanceRow struct {
	Name, BaseURL, Role, AuthType, Username string
	LastOKAt                                *time.Time
	LastError                               string
	ConsecutiveErrors                       int
	AuthBlocked                             bool
}

// Health is a one-word summary of an instance's state.
func (r InstanceRow) Health() string {
	switch {
	case r.AuthBlocked:
		return "blocked"
	case r.ConsecutiveErrors > 0:
		return "failing"
	case r.LastOKAt != nil:
		return "healthy"
	}
	return "untested"
}

// ConnectionRow is one connection in the list, with its instances by name.
type ConnectionRow struct {
	Name           string
	Local, Remote  string
	LocalProject   string
	RemoteProject  string
	ConflictPolicy string
	Paused         bool
}

// TwinRow is one linked issue pair in the list.
type TwinRow struct {
	Connection          string
	LocalKey, RemoteKey string
	State               string
	Dirty               bool
	LastSyncedAt        *time.Time
	LastError           string
}

// ErrorRow is one open sync error in the list.
type ErrorRow struct {
	Class, Message, Scope string
	Attempts              int
	LastSeen              time.Time
}

// ConflictRow is one open conflict in the list.
type ConflictRow struct {
	Twin, Field, LocalValue, RemoteValue string
	CreatedAt                            time.Time
}

// EventRow is one line of the activity audit.
type EventRow struct {
	At                    time.Time
	Twin, Direction, Kind string
	Field, NewValue       string
}

// UserRow is one console user on the settings page.
type UserRow struct {
	Username    string
	IsAdmin     bool
	Disabled    bool
	LastLoginAt *time.Time
}

// SettingRow is one effective configuration value (never a secret).
type SettingRow struct {
	Name, Value, Help string
}

// SettingsData is the settings page: console users and the effective configuration.
type SettingsData struct {
	Users    []UserRow
	Settings []SettingRow
}

// LoginForm is the login page's form state; Error is shown above the form.
type LoginForm struct {
	Action   string
	Username string
	Next     string
	CSRF     string
	Error    string
}

// ErrorInfo is an error page's content: never internals, only what the visitor can act on.
type ErrorInfo struct {
	Code    int
	Title   string
	Message string
	// BackURL is where the page's one link leads (dashboard or login).
	BackURL   string
	BackLabel string
}
