// Package engine is Airlock's sync logic: poll a connection side, reconcile a twin (project each
// side into shared values, three-way merge against the baseline, plan and apply writes), carry
// comments and attachments, create idempotently, and rebuild the ledger from Jira. It knows Jira
// only through the Jira interface below.
package engine

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// Jira is what the engine needs of one Jira instance; *jira.Client implements it.
type Jira interface {
	Instance() string
	BaseURL() string
	Myself(ctx context.Context) (*jira.User, error)
	SearchAll(ctx context.Context, q jira.SearchQuery, opt jira.SearchAllOptions) ([]jira.Issue, error)
	GetIssue(ctx context.Context, idOrKey string, opt jira.GetIssueOptions) (*jira.Issue, error)
	CreateIssue(ctx context.Context, in jira.IssueInput) (*jira.CreatedIssue, error)
	UpdateIssue(ctx context.Context, idOrKey string, in jira.IssueInput, opt jira.UpdateOptions) error
	DeleteIssue(ctx context.Context, idOrKey string, deleteSubtasks bool) error
	Transitions(ctx context.Context, idOrKey string, expandFields bool) ([]jira.Transition, error)
	DoTransition(ctx context.Context, idOrKey string, in jira.TransitionInput) error
	Comments(ctx context.Context, idOrKey string, opt jira.CommentOptions) ([]jira.Comment, error)
	AddComment(ctx context.Context, idOrKey string, in jira.CommentInput) (*jira.Comment, error)
	UpdateComment(ctx context.Context, idOrKey, id string, in jira.CommentInput) (*jira.Comment, error)
	DeleteComment(ctx context.Context, idOrKey, id string) error
	DownloadAttachment(ctx context.Context, contentURL string) (io.ReadCloser, error)
	UploadAttachment(ctx context.Context, idOrKey, filename string, r io.Reader) ([]jira.Attachment, error)
	DeleteAttachment(ctx context.Context, id string) error
	EditMeta(ctx context.Context, idOrKey string) (map[string]jira.FieldMeta, error)
	GetProperty(ctx context.Context, idOrKey, prop string) (json.RawMessage, error)
	SetProperty(ctx context.Context, idOrKey, prop string, value any) error
	User(ctx context.Context, username string) (*jira.User, error)
	Project(ctx context.Context, idOrKey string) (*jira.Project, error)
	SearchUsers(ctx context.Context, query string, opt jira.UserSearchOptions) ([]jira.User, error)
}

// Clients hands out the Jira client of an instance (one per instance, shared, so its pacing and
// concurrency cap hold across tasks).
type Clients interface {
	For(ctx context.Context, inst *models.Instance) (Jira, error)
}

// Engine carries the dependencies of every sync operation. Build it once per process.
type Engine struct {
	DB      *models.DB
	Clients Clients
	Logger  *slog.Logger
	// Now is the clock (time.Now when nil); tests replace it.
	Now func() time.Time
	// Kick, when set, is called after a reconcile wrote to an issue of another connection's scope,
	// so the single topology can hand the change to the next hop at once.
	Kick func(ctx context.Context, connectionID uint, side string)
	// Hooks are test seams for crash-point tests; nil in production.
	Hooks *Hooks
	// Enqueuer dispatches reconciles and polls (the asynq client in workers); nil: nothing is
	// dispatched and the sweeper or the caller runs the work.
	Enqueuer Enqueuer
	// MinPollInterval is the shortest poll period honoured (default 1 s); tests lower it.
	MinPollInterval time.Duration
	// CreateSearchGrace is how long a retried create waits after the failed attempt before it
	// trusts Jira's search (which lags) to say whether the issue exists (default 5 s).
	CreateSearchGrace time.Duration
	// MaxInternalAttempts is how many times an internal error is retried before the twin is
	// quarantined (default 3).
	MaxInternalAttempts int

	cacheOnce sync.Once
	cache     *caches
}

// Enqueuer is how the engine hands work to the queue, with deterministic task ids so that
// repeats are harmless.
type Enqueuer interface {
	EnqueueReconcile(ctx context.Context, twinID, connectionID uint) error
	EnqueuePoll(ctx context.Context, connectionID uint, side string) error
}

// caches are the engine's in-process memories: workflow graphs, user lookups, field options.
type caches struct {
	workflows workflows
	mu        sync.Mutex
	users     map[string]userHit             // instance + "\x00" + name or "@"+email
	options   map[string]map[string][]string // instance/project/issuetype -> field id -> option values
	projTypes map[string]string              // base URL + "\x00" + project key -> projectTypeKey
	linkTypes map[string]linkTypesEntry      // base URL -> the issue link type names read last
}

func (e *Engine) caches() *caches {
	e.cacheOnce.Do(func() {
		e.cache = &caches{users: map[string]userHit{}, options: map[string]map[string][]string{}, projTypes: map[string]string{},
			linkTypes: map[string]linkTypesEntry{}}
	})
	return e.cache
}

// Hooks lets tests stop a reconcile at a precise point, as a crash would.
type Hooks struct {
	// AfterCreate runs after Jira answered a create and before the database commit.
	AfterCreate func(side string, created *jira.CreatedIssue) error
}

// Side is one issue of a twin during a reconcile, read fresh from its Jira.
type Side struct {
	Name     string // models.SideLocal or models.SideRemote
	Jira     Jira
	Instance *models.Instance
	Project  string
	Issue    *jira.Issue // nil while the twin is pending-create on this side
}

// Pair is one twin being reconciled: the row, its connection, the parsed rules and both sides.
type Pair struct {
	Twin   *models.Twin
	Conn   *models.Connection
	Rules  Rules
	Local  *Side
	Remote *Side

	// comments holds each side's comments as the comment sync read them (with their
	// properties), so the attachment sync of the same run can tell which comments stay home.
	comments map[*Side][]jira.Comment
}

// Other returns the side opposite s.
func (p *Pair) Other(s *Side) *Side {
	if s == p.Local {
		return p.Remote
	}
	return p.Local
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

// Direction returns the event direction of a value that travels from side `from`.
func Direction(from string) string {
	if from == models.SideLocal {
		return models.DirLocalToRemote
	}
	return models.DirRemoteToLocal
}

// event records what crossed, for the Activity page ("what left the firewall").
func (e *Engine) event(ctx context.Context, p *Pair, from, kind, field, oldValue, newValue string) {
	ev := models.Event{TwinID: p.Twin.ID, ConnectionID: p.Conn.ID, At: e.now(), Direction: Direction(from),
		Kind: kind, Field: field, OldValue: clip(oldValue), NewValue: clip(newValue)}
	if err := e.DB.WithContext(ctx).Create(&ev).Error; err != nil {
		e.Logger.Warn("cannot record event", "twin", p.Twin.ID, "err", err)
	}
}

// clip keeps audit values readable and bounded.
func clip(s string) string {
	const max = 4000
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
