package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// link is a connection with everything a sync operation needs: rules, both instances and
// their clients, and the connection key used in Jira properties.
type link struct {
	Conn   *models.Connection
	Rules  Rules
	Local  *models.Instance
	Remote *models.Instance
	LJ, RJ Jira
	Key    string
}

// ErrNotFound is returned when a twin or connection does not exist.
var ErrNotFound = models.ErrNotFound

// loadLink reads a connection, parses its rules and gets both clients. Blocked instances fail
// here, before any Jira call.
func (e *Engine) loadLink(ctx context.Context, connID uint) (*link, error) {
	var c models.Connection
	if err := e.DB.WithContext(ctx).First(&c, connID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("connection %d: %w", connID, ErrNotFound)
		}
		return nil, fmt.Errorf("load connection %d: %w", connID, err)
	}
	l := &link{Conn: &c}
	rules, err := ParseRules(c.Rules)
	if err != nil {
		return nil, configError("connection %s: %v", c.Name, err)
	}
	l.Rules = rules.withSecurityField() // mapped security levels travel as a field (engine/security.go)
	var insts []models.Instance
	if err := e.DB.WithContext(ctx).Where("id IN ?", []uint{c.LocalInstanceID, c.RemoteInstanceID}).Find(&insts).Error; err != nil {
		return nil, fmt.Errorf("load instances of connection %s: %w", c.Name, err)
	}
	for i := range insts {
		if insts[i].ID == c.LocalInstanceID {
			l.Local = &insts[i]
		}
		if insts[i].ID == c.RemoteInstanceID {
			l.Remote = &insts[i]
		}
	}
	if l.Local == nil || l.Remote == nil {
		return nil, configError("connection %s: an instance is missing", c.Name)
	}
	l.Key = ConnectionKey(l.Local, l.Remote, &c)
	return l, nil
}

// client returns the Jira client of one side, refusing blocked instances.
func (e *Engine) client(ctx context.Context, l *link, side string) (Jira, error) {
	inst := l.inst(side)
	if inst.AuthBlocked {
		return nil, &AuthBlockedError{Instance: inst.Name}
	}
	if side == models.SideLocal && l.LJ != nil {
		return l.LJ, nil
	}
	if side == models.SideRemote && l.RJ != nil {
		return l.RJ, nil
	}
	j, err := e.Clients.For(ctx, inst)
	if err != nil {
		return nil, err
	}
	if side == models.SideRemote && l.Conn.Sealed {
		if j, err = e.sealedSide(ctx, l, j); err != nil { // engine/sealed.go
			return nil, err
		}
	}
	if side == models.SideLocal {
		l.LJ = j
	} else {
		l.RJ = j
	}
	return j, nil
}

func (l *link) inst(side string) *models.Instance {
	if side == models.SideLocal {
		return l.Local
	}
	return l.Remote
}

func (l *link) project(side string) string {
	if side == models.SideLocal {
		return l.Conn.LocalProject
	}
	return l.Conn.RemoteProject
}

func (l *link) issueTypes(side string) string {
	if side == models.SideLocal {
		return l.Conn.LocalIssueTypes
	}
	return l.Conn.RemoteIssueTypes
}

func (l *link) extraJQL(side string) string {
	if side == models.SideLocal {
		return l.Conn.LocalJQL
	}
	return l.Conn.RemoteJQL
}

func otherSide(side string) string {
	if side == models.SideLocal {
		return models.SideRemote
	}
	return models.SideLocal
}

func (e *Engine) log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// noteAuthFailure marks the instance behind an auth error as blocked, so every later task for it
// returns at once without calling Jira.
func (e *Engine) noteAuthFailure(ctx context.Context, l *link, err error) {
	if ClassOf(err) != models.ClassAuth {
		return
	}
	var je *jira.Error
	var ab *AuthBlockedError
	if errors.As(err, &ab) {
		return
	}
	name := ""
	if errors.As(err, &je) {
		name = je.Instance
	}
	now := e.now()
	for _, inst := range []*models.Instance{l.Local, l.Remote} {
		if name != "" && inst.Name != name {
			continue
		}
		inst.AuthBlocked = true
		if uerr := e.DB.WithContext(context.WithoutCancel(ctx)).Model(&models.Instance{}).Where("id = ?", inst.ID).
			UpdateColumns(map[string]any{"auth_blocked": true, "last_error": clip(err.Error()), "last_error_at": now,
				"consecutive_errors": gorm.Expr("consecutive_errors + 1")}).Error; uerr != nil {
			e.log().Error("cannot mark instance blocked", "instance", inst.Name, "err", uerr)
		}
		e.log().Warn("instance blocked after an authentication failure", "instance", inst.Name, "err", err)
		if name == "" {
			break
		}
	}
}

// db is the database bound to ctx.
func (e *Engine) db(ctx context.Context) *gorm.DB { return e.DB.WithContext(ctx) }
