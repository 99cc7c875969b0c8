// Package models holds Airlock's storage: the gorm models of DESIGN.md's concepts, versioned
// migrations, credential encryption and the queries the rest of the code needs.
package models

import (
	"time"
)

// Instance roles.
const (
	RolePrivate = "private"
	RoleRelay   = "relay"
)

// Instance auth types.
const (
	AuthBasic = "basic"
	AuthPAT   = "pat"
)

// Instance is one Jira endpoint. Its secret (password or token) is stored only encrypted.
type Instance struct {
	ID        uint   `gorm:"primaryKey"`
	Name      string `gorm:"size:100;not null;uniqueIndex"`
	BaseURL   string `gorm:"size:500;not null"`
	Role      string `gorm:"size:20;not null;default:private"`
	AuthType  string `gorm:"size:20;not null;default:basic"`
	Username  string `gorm:"size:200"`
	SecretEnc []byte // AES-GCM sealed password or token; see Sealer
	CABundle  string `gorm:"type:text"`
	// TimeZone is the sync user's zone, read from /myself: JQL literals are written in it.
	TimeZone       string `gorm:"size:100"`
	JiraVersion    string `gorm:"size:50"`
	MaxConcurrent  int    `gorm:"not null;default:8"`
	CallsPerSecond float64
	// Health lives on the row (miniflux style): last success, last error, consecutive failures.
	LastOKAt          *time.Time
	LastError         string `gorm:"type:text"`
	LastErrorAt       *time.Time
	ConsecutiveErrors int `gorm:"not null;default:0"`
	// AuthBlocked stops every call to the instance after a 401 until an operator clears it.
	AuthBlocked bool `gorm:"not null;default:false"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Connection sides.
const (
	SideLocal  = "local"
	SideRemote = "remote"
)

// Conflict policies.
const (
	PolicyNewestWins = "newest"
	PolicyLocalWins  = "local"
	PolicyRemoteWins = "remote"
	PolicyManual     = "manual"
)

// Deletion policies.
const (
	DeleteIgnore = "ignore"
	DeleteTwin   = "delete"
	DeleteUnlink = "unlink"
)

// Connection links a local and a remote instance with a scope per side and the sync rules.
type Connection struct {
	ID               uint   `gorm:"primaryKey"`
	Name             string `gorm:"size:100;not null;uniqueIndex"`
	LocalInstanceID  uint   `gorm:"not null;index"`
	RemoteInstanceID uint   `gorm:"not null;index"`
	LocalProject     string `gorm:"size:100;not null"`
	RemoteProject    string `gorm:"size:100;not null"`
	// Issue types in scope, comma separated names; empty means all.
	LocalIssueTypes  string `gorm:"size:500"`
	RemoteIssueTypes string `gorm:"size:500"`
	// Optional extra JQL per side, ANDed to the scope (the trigger).
	LocalJQL  string `gorm:"type:text"`
	RemoteJQL string `gorm:"type:text"`
	// PollIntervalMS is the poll period per side in milliseconds (default 5 s, minimum 1 s).
	PollIntervalMS int `gorm:"not null;default:5000"`
	// Rules is the JSON document of outgoing and incoming rules, value maps, comment and
	// attachment settings (engine.Rules).
	Rules          string `gorm:"type:text"`
	ConflictPolicy string `gorm:"size:20;not null;default:newest"`
	DeletionPolicy string `gorm:"size:20;not null;default:ignore"`
	Paused         bool   `gorm:"not null;default:false"`
	// Draft is a connection the console just set up: it syncs nothing (no poll, reconcile,
	// sweep or bulk job) until an admin activates it. Rows made directly (demo, bench, import,
	// older versions) are active (migration 6).
	Draft bool `gorm:"not null;default:false"`
	// ActivatedAt is when the connection left draft (migration 6 sets created_at on upgrade).
	ActivatedAt *time.Time
	// AllowOverlap lets this connection's scope intersect another connection's on the same
	// instance, project and relay direction (engine.Overlaps); off, such scopes are refused.
	AllowOverlap bool `gorm:"not null;default:false"`
	// Sealed makes the relay side carry only envelopes (issue 15, engine/sealed.go): the partner
	// node's public keys are in SealKeyring (the JSON of a seal.Keyring), and both nodes of the
	// pair must seal (migration 16).
	Sealed      bool   `gorm:"not null;default:false"`
	SealKeyring string `gorm:"type:text"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Syncing reports whether the engine works on the connection: activated and not paused.
func (c *Connection) Syncing() bool { return !c.Draft && !c.Paused }

// Twin states.
const (
	TwinPendingCreate = "pending-create"
	TwinActive        = "active"
	TwinQuarantined   = "quarantined"
	TwinUnlinked      = "unlinked"
)

// Twin is one pair of linked issues in a connection, with the baseline of the three-way merge.
type Twin struct {
	ID           uint   `gorm:"primaryKey"`
	ConnectionID uint   `gorm:"not null;uniqueIndex:ux_twin_local,priority:1;uniqueIndex:ux_twin_remote,priority:1;index:ix_twin_conn_state,priority:1"`
	SyncID       string `gorm:"size:40;not null;uniqueIndex"`
	State        string `gorm:"size:20;not null;index:ix_twin_conn_state,priority:2"`
	// Issue ids are pointers: a pending twin lacks the other side, and NULLs never collide.
	LocalIssueID  *string `gorm:"size:40;uniqueIndex:ux_twin_local,priority:2"`
	LocalKey      string  `gorm:"size:100;index"`
	RemoteIssueID *string `gorm:"size:40;uniqueIndex:ux_twin_remote,priority:2"`
	RemoteKey     string  `gorm:"size:100;index"`
	// Baseline is the JSON object of shared values last agreed by both sides, per field.
	Baseline string `gorm:"type:text"`
	// Each side's last seen Jira `updated`, so a poll can skip our own echo.
	LocalUpdated  *time.Time
	RemoteUpdated *time.Time
	Dirty         bool       `gorm:"not null;default:false;index:ix_twin_dirty,priority:1"`
	DirtySince    *time.Time `gorm:"index:ix_twin_dirty,priority:2"`
	LastSyncedAt  *time.Time
	LastError     string `gorm:"type:text"`
	ErrorCount    int    `gorm:"not null;default:0"`
	NextAttemptAt *time.Time
	// CreateAttemptedAt is set (and committed) before the engine asks Jira to create the missing
	// issue of a pending twin, so a retried create looks for the issue first (migration 2).
	CreateAttemptedAt *time.Time
	// SkipFields is the JSON array of shared field names left out of this twin's sync (a field
	// Jira rejects for this pair only; migration 7). Empty: every field syncs.
	SkipFields string `gorm:"type:text"`
	// CommentsKeptHome counts, per side, the comments of this twin's issues that stayed on their
	// side at the last comment sync because they are a service desk's internal notes (migration
	// 9; the twin page and the preview show them).
	// LeaseToken and LeaseUntil let one reconcile at a time work on the twin, whatever the queue
	// does (engine/lease.go; migration 10).
	LeaseToken             string `gorm:"size:40"`
	LeaseUntil             *time.Time
	LocalCommentsKeptHome  int `gorm:"not null;default:0"`
	RemoteCommentsKeptHome int `gorm:"not null;default:0"`
	// LinksKeptHome counts, per side, the issue links of this twin's issues that stayed on their
	// side at the last link sync because their other end is not shared (migration 12).
	LocalLinksKeptHome  int `gorm:"not null;default:0"`
	RemoteLinksKeptHome int `gorm:"not null;default:0"`
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// CommentTwin maps a comment on one side to its copy on the other.
type CommentTwin struct {
	ID       uint    `gorm:"primaryKey"`
	TwinID   uint    `gorm:"not null;uniqueIndex:ux_ct_local,priority:1;uniqueIndex:ux_ct_remote,priority:1"`
	LocalID  *string `gorm:"size:40;uniqueIndex:ux_ct_local,priority:2"`
	RemoteID *string `gorm:"size:40;uniqueIndex:ux_ct_remote,priority:2"`
	// Baseline is the comment body last agreed by both sides.
	Baseline  string `gorm:"type:text"`
	Deleted   bool   `gorm:"not null;default:false"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AttachmentTwin maps an attachment on one side to its copy on the other.
type AttachmentTwin struct {
	ID        uint    `gorm:"primaryKey"`
	TwinID    uint    `gorm:"not null;uniqueIndex:ux_at_local,priority:1;uniqueIndex:ux_at_remote,priority:1"`
	LocalID   *string `gorm:"size:40;uniqueIndex:ux_at_local,priority:2"`
	RemoteID  *string `gorm:"size:40;uniqueIndex:ux_at_remote,priority:2"`
	Filename  string  `gorm:"size:500"`
	Size      int64
	SHA256    string `gorm:"size:64"`
	Deleted   bool   `gorm:"not null;default:false"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Watermark is the poll cursor of one connection side, taken from Jira's own `updated` values.
type Watermark struct {
	ID           uint   `gorm:"primaryKey"`
	ConnectionID uint   `gorm:"not null;uniqueIndex:ux_wm_side,priority:1"`
	Side         string `gorm:"size:10;not null;uniqueIndex:ux_wm_side,priority:2"`
	Cursor       *time.Time
	LastPollAt   *time.Time
	LastPollOK   *time.Time
	LastError    string `gorm:"type:text"`
	NextPollAt   *time.Time
	UpdatedAt    time.Time
}

// Error classes (DESIGN.md "Errors, in one place").
const (
	ClassTransient   = "transient"
	ClassRateLimited = "rate-limited"
	ClassAuth        = "auth"
	ClassConfig      = "config"
	ClassData        = "data"
	ClassInternal    = "internal"
)

// SyncError is the durable record of a failure; the console reads it, not asynq's archive.
type SyncError struct {
	ID           uint  `gorm:"primaryKey"`
	TwinID       *uint `gorm:"index"`
	ConnectionID *uint `gorm:"index:ix_err_open,priority:3"`
	InstanceID   *uint `gorm:"index"`
	// Fingerprint groups repeats of one failure into one row (attempts, first and last seen).
	Fingerprint string `gorm:"size:64;not null;index"`
	Class       string `gorm:"size:20;not null;index:ix_err_open,priority:2"`
	TaskType    string `gorm:"size:50"`
	TaskID      string `gorm:"size:200"`
	Message     string `gorm:"type:text;not null"`
	Request     string `gorm:"type:text"`
	Response    string `gorm:"type:text"`
	Attempts    int    `gorm:"not null;default:1"`
	FirstSeen   time.Time
	LastSeen    time.Time `gorm:"index"`
	// ResolvedAt is nil while the error is open.
	ResolvedAt *time.Time `gorm:"index:ix_err_open,priority:1"`
	Resolution string     `gorm:"size:50"`
}

// Conflict is a field both sides changed since the baseline under the manual policy.
type Conflict struct {
	ID          uint   `gorm:"primaryKey"`
	TwinID      uint   `gorm:"not null;index"`
	Field       string `gorm:"size:200;not null"`
	Baseline    string `gorm:"type:text"`
	LocalValue  string `gorm:"type:text"`
	RemoteValue string `gorm:"type:text"`
	// Decision is empty while open; then local, remote or edited.
	Decision  string `gorm:"size:20;index"`
	Value     string `gorm:"type:text"`
	DecidedBy string `gorm:"size:100"`
	DecidedAt *time.Time
	// AppliedAt is set once the engine has written the decision to both issues (migration 2).
	AppliedAt *time.Time
	CreatedAt time.Time
}

// Event directions.
const (
	DirLocalToRemote = "local->remote"
	DirRemoteToLocal = "remote->local"
)

// Event is the audit of what crossed, field by field, per twin and direction.
type Event struct {
	ID           uint      `gorm:"primaryKey"`
	TwinID       uint      `gorm:"not null;index:ix_ev_twin,priority:1"`
	ConnectionID uint      `gorm:"not null;index:ix_ev_conn,priority:1"`
	At           time.Time `gorm:"not null;index;index:ix_ev_twin,priority:2;index:ix_ev_conn,priority:2"`
	Direction    string    `gorm:"size:20;not null"`
	Kind         string    `gorm:"size:20;not null"` // create, field, comment, attachment, status, delete, link, issuelink
	Field        string    `gorm:"size:200"`
	OldValue     string    `gorm:"type:text"`
	NewValue     string    `gorm:"type:text"`
}

// User is a console user.
type User struct {
	ID           uint   `gorm:"primaryKey"`
	Username     string `gorm:"size:64;not null;uniqueIndex"`
	PasswordHash string `gorm:"size:100;not null"`
	IsAdmin      bool   `gorm:"not null;default:false"`
	Disabled     bool   `gorm:"not null;default:false"`
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Session is a console login. Its ID is the SHA-256 of the cookie token, so a database reader
// cannot take over a session.
type Session struct {
	ID         string `gorm:"primaryKey;size:64"`
	UserID     uint   `gorm:"not null;index"`
	CSRFToken  string `gorm:"size:64;not null"`
	IP         string `gorm:"size:64"`
	UserAgent  string `gorm:"size:300"`
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time `gorm:"not null;index"`
}

// SchemaVersion records each applied migration.
type SchemaVersion struct {
	Version   int `gorm:"primaryKey;autoIncrement:false"`
	Name      string
	AppliedAt time.Time
}

// All lists every model, for migrations and tests.
func All() []any {
	return []any{&Instance{}, &Connection{}, &Twin{}, &CommentTwin{}, &AttachmentTwin{}, &Watermark{},
		&SyncError{}, &Conflict{}, &Event{}, &User{}, &Session{}}
}
