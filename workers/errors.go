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
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%d|%d|%d|%s|%s", taskType, scope.TwinID, scope.ConnectionID, scope.InstanceID, class, digits.ReplaceAllString(msg, "#"))))
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
				return tx.Model(&row).Updates(map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_seen": now,
					"message": msg, "request": req, "response": resp, "task_id": taskID}).Error
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
// needs a look.
func ResolveRecovered(ctx context.Context, db *models.DB, where string, args ...any) error {
	now := time.Now().UTC()
	err := db.WithContext(ctx).Model(&models.SyncError{}).Where("resolved_at IS NULL").Where(where, args...).
		Updates(map[string]any{"resolved_at": now, "resolution": "recovered"}).Error
	if err != nil {
		return fmt.Errorf("resolve recovered errors: %w", err)
	}
	return nil
}
