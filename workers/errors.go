package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// Classed is implemented by errors that know their class (the Jira client's errors, engine
// config errors). Anything else is classified by Classify.
type Classed interface {
	error
	ErrorClass() string
}

// Excerpted is implemented by errors that carry the Jira request and response they came from.
type Excerpted interface {
	RequestExcerpt() string
	ResponseExcerpt() string
}

// Scope identifies what a task works on; every payload embeds it so failures can be attributed.
type Scope struct {
	TwinID       uint `json:"twin_id,omitempty"`
	ConnectionID uint `json:"connection_id,omitempty"`
	InstanceID   uint `json:"instance_id,omitempty"`
	// Side is the connection side a poll works on: the two sides of one connection fail and
	// recover independently, so their errors never share a row.
	Side string `json:"side,omitempty"`
}

// Classify returns the DESIGN.md error class of err: its own class when it has one, transient
// for timeouts, network failures and a lost database connection, internal for everything else.
func Classify(err error) string {
	var c Classed
	if errors.As(err, &c) {
		return c.ErrorClass()
	}
	if models.ConnectionLost(err) {
		return models.ClassTransient
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return models.ClassTransient
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return models.ClassTransient
	}
	return models.ClassInternal
}

// Retryable reports whether a class is retried by the queue; config and data errors are not
// (they quarantine the twin until an operator acts).
func Retryable(class string) bool {
	return class != models.ClassConfig && class != models.ClassData && class != models.ClassAuth
}

// secretPatterns catches credentials that must never reach the SyncError table.
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)(authorization:\s*)(basic|bearer)\s+\S+`),
	regexp.MustCompile(`(?i)("?(password|token|secret)"?\s*[:=]\s*)"?[^"\s,}]+"?`),
	regexp.MustCompile(`(?i)(://[^:/@\s]+:)[^@/\s]+@`),
}

// Redact removes credentials from a request or response excerpt.
func Redact(s string) string {
	for _, p := range secretPatterns {
		s = p.ReplaceAllString(s, "${1}[redacted]")
	}
	return s
}

// digits normalises ids and counters so repeats of one failure share a fingerprint.
var digits = regexp.MustCompile(`\d+`)

// Recorder writes task failures to the SyncError table.
type Recorder struct {
	DB     *models.DB
	Logger *slog.Logger
}

// Record stores err for the task, merging repeats of the same failure into one open row.
func (r *Recorder) Record(ctx context.Context, taskType, taskID string, scope Scope, err error) (*models.SyncError, error) {
	class := Classify(err)
	// asynq's SkipRetry marker is how we stop retries, not part of what went wrong.
	msg := Redact(strings.TrimSpace(strings.ReplaceAll(err.Error(), asynq.SkipRetry.Error(), "")))
	var req, resp string
	var ex Excerpted
	if errors.As(err, &ex) {
		req, resp = Redact(ex.RequestExcerpt()), Redact(ex.ResponseExcerpt())
	}
	key := fmt.Sprintf("%s|%d|%d|%d|%s|%s", taskType, scope.TwinID, scope.ConnectionID, scope.InstanceID, class, digits.ReplaceAllString(msg, "#"))
	if scope.Side != "" {
		key += "|" + scope.Side
	}
	// An auth failure belongs to the instance, not to the task that met it: every poll, reconcile
	// and connection that runs into the block bumps the instance's one open row.
	var ab *engine.AuthBlockedError
	refused := errors.As(err, &ab) // no Jira call was made: the row keeps the 401 that caused the block
	authInst := uint(0)
	if class == models.ClassAuth {
		authInst = r.authInstance(ctx, err)
	}
	if authInst != 0 {
		key = fmt.Sprintf("auth|instance|%d", authInst)
		scope = Scope{InstanceID: authInst}
	}
	sum := sha256.Sum256([]byte(key))
	fp := hex.EncodeToString(sum[:])
	now := time.Now().UTC()
	var row models.SyncError
	var txErr error
	// Two workers failing the same way at once both try to insert; the partial unique index on
	// open fingerprints lets one win and the other retries as an update.
	for range 3 {
		row = models.SyncError{}
		txErr = r.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			q := tx.Where("fingerprint = ? AND resolved_at IS NULL", fp).Limit(1).Find(&row)
			if q.Error != nil {
				return q.Error
			}
			if q.RowsAffected > 0 {
				upd := map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_seen": now, "task_id": taskID}
				if !refused {
					upd["message"], upd["request"], upd["response"] = msg, req, resp
				}
				return tx.Model(&row).Updates(upd).Error
			}
			row = models.SyncError{Fingerprint: fp, Class: class, TaskType: taskType, TaskID: taskID, Message: msg,
				Request: req, Response: resp, Attempts: 1, FirstSeen: now, LastSeen: now,
				TwinID: nonZero(scope.TwinID), ConnectionID: nonZero(scope.ConnectionID), InstanceID: nonZero(scope.InstanceID)}
			return tx.Create(&row).Error
		})
		if !errors.Is(txErr, gorm.ErrDuplicatedKey) {
			break
		}
	}
	if txErr != nil {
		return nil, fmt.Errorf("record sync error: %w", txErr)
	}
	return &row, nil
}

// authInstance returns the id of the instance an auth error is about (0 when it cannot tell).
func (r *Recorder) authInstance(ctx context.Context, err error) uint {
	name := ""
	var ab *engine.AuthBlockedError
	var je *jira.Error
	switch {
	case errors.As(err, &ab):
		name = ab.Instance
	case errors.As(err, &je):
		name = je.Instance
	}
	if name == "" {
		return 0
	}
	var ids []uint
	if e := r.DB.WithContext(ctx).Model(&models.Instance{}).Where("name = ?", name).Limit(1).Pluck("id", &ids).Error; e != nil || len(ids) == 0 {
		return 0
	}
	return ids[0]
}

func nonZero(v uint) *uint {
	if v == 0 {
		return nil
	}
	return &v
}

// ErrorHandler is the asynq ErrorHandler: every failure becomes (or bumps) a SyncError row.
func (r *Recorder) ErrorHandler() asynq.ErrorHandler {
	return asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
		var scope Scope
		_ = json.Unmarshal(t.Payload(), &scope)
		id, _ := asynq.GetTaskID(ctx)
		// Record with a fresh context: the task's may already be cancelled.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, rerr := r.Record(rctx, t.Type(), id, scope, err); rerr != nil {
			r.Logger.Error("cannot record task failure", "task", t.Type(), "id", id, "err", rerr, "task_err", Redact(err.Error()))
			return
		}
		r.Logger.Warn("task failed", "task", t.Type(), "id", id, "class", Classify(err), "err", Redact(strings.TrimSpace(err.Error())))
	})
}

// ResolveRecovered closes the open SyncErrors matching where once the work they were about has
// succeeded (a transient failure that a retry got past), so the Errors page lists only what still
// needs a look. The auth error of a still-blocked instance stays open whatever succeeds: only
// unblocking the instance (models.DB.UnblockInstance) resolves it.
func ResolveRecovered(ctx context.Context, db *models.DB, where string, args ...any) error {
	now := time.Now().UTC()
	tx := db.WithContext(ctx)
	blocked := tx.Model(&models.Instance{}).Select("id").Where("auth_blocked = ?", true)
	err := tx.Model(&models.SyncError{}).Where("resolved_at IS NULL").Where(where, args...).
		Where("class <> ? OR instance_id IS NULL OR instance_id NOT IN (?)", models.ClassAuth, blocked).
		Updates(map[string]any{"resolved_at": now, "resolution": "recovered"}).Error
	if err != nil {
		return fmt.Errorf("resolve recovered errors: %w", err)
	}
	return nil
}
