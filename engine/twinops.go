package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// The console's operations on one twin: resync now, unlink, and a live look at both issues
// with the state of every shared field.

// ErrTwinUnlinked is returned when an operation needs a linked twin.
var ErrTwinUnlinked = errors.New("the twin is unlinked")

// ResyncResult says what Resync did, for the console's flash.
type ResyncResult struct {
	// Enqueued is true when a reconcile was handed to the queue; false means the sweeper picks
	// the dirty twin up on its next round (no Enqueuer, or the queue refused).
	Enqueued bool
	// Unquarantined is true when the twin was quarantined and has been released (as Retry does).
	Unquarantined bool
}

// Resync marks a twin dirty and enqueues its reconcile, so both issues are read and merged again
// now. A quarantined twin is released through Retry (its open errors are resolved as retried).
func (e *Engine) Resync(ctx context.Context, twinID uint) (ResyncResult, error) {
	var res ResyncResult
	tw, err := e.loadTwin(ctx, twinID)
	if err != nil {
		return res, err
	}
	switch tw.State {
	case models.TwinUnlinked:
		return res, fmt.Errorf("resync twin %d: %w", twinID, ErrTwinUnlinked)
	case models.TwinQuarantined:
		r, err := e.Retry(ctx, RetryFilter{TwinID: twinID})
		if err != nil {
			return res, fmt.Errorf("resync twin %d: %w", twinID, err)
		}
		if r.Retried == 0 {
			return res, fmt.Errorf("resync twin %d: the twin could not be released", twinID)
		}
		return ResyncResult{Enqueued: e.Enqueuer != nil, Unquarantined: true}, nil
	}
	upd := map[string]any{"dirty": true, "next_attempt_at": nil}
	if tw.DirtySince == nil {
		upd["dirty_since"] = e.now()
	}
	if err := e.db(ctx).Model(&models.Twin{}).Where("id = ?", twinID).Updates(upd).Error; err != nil {
		return res, fmt.Errorf("resync twin %d: mark dirty: %w", twinID, err)
	}
	if e.Enqueuer == nil {
		return res, nil
	}
	if err := e.Enqueuer.EnqueueReconcile(ctx, twinID, tw.ConnectionID); err != nil {
		e.log().Warn("resync: cannot enqueue; the sweeper will", "twin", twinID, "err", err)
		return res, nil
	}
	res.Enqueued = true
	return res, nil
}

// UnlinkResult reports, per side, whether the airlock.twin link was removed from the issue.
type UnlinkResult struct {
	// Cleared lists the issue keys whose property no longer names this twin.
	Cleared []string
	// Problems lists the sides whose property could not be updated, in words; the twin is
	// unlinked in the ledger regardless (a later Recover ignores unlinked twins' issues only
	// once their property is gone, so the console shows these).
	Problems []string
}

// UnlinkTimeout bounds each side's property update during Unlink.
const UnlinkTimeout = 10 * time.Second

// Unlink ends a twin: this connection's entry is removed from the airlock.twin property of both
// issues (best effort, each side on its own), then the twin is marked unlinked, no longer dirty,
// its open errors resolved as "unlinked", and a "link" event records it. Unlinking an unlinked
// twin does nothing.
func (e *Engine) Unlink(ctx context.Context, twinID uint, by string) (UnlinkResult, error) {
	var res UnlinkResult
	tw, err := e.loadTwin(ctx, twinID)
	if err != nil {
		return res, err
	}
	if tw.State == models.TwinUnlinked {
		return res, nil
	}
	l, err := e.loadLink(ctx, tw.ConnectionID)
	if err != nil {
		return res, fmt.Errorf("unlink twin %d: %w", twinID, err)
	}
	for _, side := range []string{models.SideLocal, models.SideRemote} {
		id, key := twinIssueID(tw, side), twinKey(tw, side)
		if id == nil {
			continue
		}
		if key == "" {
			key = *id
		}
		j, err := e.client(ctx, l, side)
		if err == nil {
			sctx, cancel := context.WithTimeout(ctx, UnlinkTimeout)
			err = writeLink(sctx, j, *id, l.Key, nil)
			cancel()
		}
		switch {
		case err == nil || jira.IsNotFound(err):
			res.Cleared = append(res.Cleared, key)
		default:
			res.Problems = append(res.Problems, fmt.Sprintf("%s (%s): %v", key, l.inst(side).Name, err))
		}
	}
	now := e.now()
	label := twinKey(tw, models.SideLocal) + " ↔ " + twinKey(tw, models.SideRemote)
	note := "unlinked"
	if by != "" {
		note += " by " + by
	}
	err = e.db(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&models.Twin{}).Where("id = ?", twinID).Updates(map[string]any{"state": models.TwinUnlinked,
			"dirty": false, "dirty_since": nil, "next_attempt_at": nil, "last_error": ""}).Error; err != nil {
			return err
		}
		if err := tx.Model(&models.SyncError{}).Where("twin_id = ? AND resolved_at IS NULL", twinID).
			Updates(map[string]any{"resolved_at": now, "resolution": "unlinked"}).Error; err != nil {
			return err
		}
		return tx.Create(&models.Event{TwinID: twinID, ConnectionID: tw.ConnectionID, At: now,
			Direction: models.DirLocalToRemote, Kind: "link", OldValue: label, NewValue: note}).Error
	})
	if err != nil {
		return res, fmt.Errorf("unlink twin %d: %w", twinID, err)
	}
	return res, nil
}

func (e *Engine) loadTwin(ctx context.Context, twinID uint) (*models.Twin, error) {
	var tw models.Twin
	q := e.db(ctx).Limit(1).Find(&tw, twinID)
	if q.Error != nil {
		return nil, fmt.Errorf("load twin %d: %w", twinID, q.Error)
	}
	if q.RowsAffected == 0 {
		return nil, fmt.Errorf("twin %d: %w", twinID, ErrNotFound)
	}
	return &tw, nil
}

// Field states shown on the twin page.
const (
	FieldStateInSync   = "in-sync"  // both sides hold the same shared value
	FieldStatePending  = "pending"  // the next reconcile writes it (dirty)
	FieldStateConflict = "conflict" // both sides changed it; an operator decides
	FieldStateError    = "error"    // it would be written, but the twin is failing
	FieldStateDiffers  = "differs"  // values differ and the rules never carry it that way
	FieldStateUnknown  = "unknown"  // a side could not be read
)

// FieldState is one shared field of a twin as the console shows it.
type FieldState struct {
	Name, Kind, Direction string
	// Local and Remote are the live projections (remote vocabulary); Base* the baseline entries.
	Local, Remote         string
	BaseLocal, BaseRemote string
	State                 string
	// Towards is the side a pending value is written to (models.SideLocal or SideRemote).
	Towards string
	// Note explains a state in words.
	Note string
}

// FieldStateInput is what FieldStates needs besides the rules.
type FieldStateInput struct {
	Base          Baseline
	Local, Remote Shared
	// LocalOK and RemoteOK are false when that side could not be read.
	LocalOK, RemoteOK bool
	Policy            string
	UpdatedLocal      time.Time
	UpdatedRemote     time.Time
	// Conflicts are the twin's conflicts not yet applied (open or decided).
	Conflicts []models.Conflict
	// FirstSync lists the fields on their first sync for this twin (FirstSyncFields).
	FirstSync map[string]bool
	// Failing is true when the twin has a last error, an open SyncError or is quarantined.
	Failing bool
}

// FieldStates decides each shared field's state with the engine's own merge, so the page says
// exactly what the next reconcile would do: conflict (an open Conflict row or a new manual
// conflict), pending (the merge writes it; error instead when the twin is failing), in sync
// (equal values) or differs (equal neither, yet never written: a one-way field or the issue
// type, which is set at create only).
func FieldStates(rules []FieldRule, in FieldStateInput) []FieldState {
	opt := MergeOptions{Policy: in.Policy, UpdatedLocal: in.UpdatedLocal, UpdatedRemote: in.UpdatedRemote,
		Held: map[string]bool{}, Decided: map[string]string{}, FirstSync: in.FirstSync}
	for _, c := range in.Conflicts {
		switch c.Decision {
		case "":
			opt.Held[c.Field] = true
		case models.SideLocal:
			opt.Decided[c.Field] = in.Local[c.Field]
		case models.SideRemote:
			opt.Decided[c.Field] = in.Remote[c.Field]
		default:
			opt.Decided[c.Field] = c.Value
		}
	}
	plan := Merge(rules, in.Base, in.Local, in.Remote, opt)
	fresh := map[string]bool{}
	for _, c := range plan.Conflicts {
		fresh[c.Field] = true
	}
	out := make([]FieldState, 0, len(rules))
	for i := range rules {
		f := &rules[i]
		dir := f.Direction
		if dir == "" {
			dir = DirBoth
		}
		fs := FieldState{Name: f.Name, Kind: f.Kind, Direction: dir, Local: in.Local[f.Name], Remote: in.Remote[f.Name],
			BaseLocal: in.Base.Local[f.Name], BaseRemote: in.Base.Remote[f.Name]}
		_, toR := plan.ToRemote[f.Name]
		_, toL := plan.ToLocal[f.Name]
		switch {
		case opt.Held[f.Name]:
			fs.State, fs.Note = FieldStateConflict, "both sides changed it: decide on the Conflicts page"
		case !in.LocalOK || !in.RemoteOK:
			fs.State, fs.Note = FieldStateUnknown, "a side could not be read"
		case fresh[f.Name]:
			fs.State, fs.Note = FieldStateConflict, "both sides changed it; the next reconcile records the conflict"
		case toR || toL:
			fs.State = FieldStatePending
			if toR {
				fs.Towards = models.SideRemote
			} else {
				fs.Towards = models.SideLocal
			}
			fs.Note = "the next reconcile writes it to the " + fs.Towards + " issue"
			if _, ok := opt.Decided[f.Name]; ok {
				fs.Note = "a conflict decision waits to be written to the " + fs.Towards + " issue"
			}
			if in.Failing {
				fs.State = FieldStateError
				fs.Note = "waiting to be written to the " + fs.Towards + " issue, but the twin is failing: see its error"
			}
		case fs.Local == fs.Remote:
			fs.State = FieldStateInSync
		default:
			fs.State = FieldStateDiffers
			switch {
			case f.Kind == KindIssueType:
				fs.Note = "the issue type is set when the issue is created, never changed afterwards"
			case in.FirstSync[f.Name]:
				fs.Note = "first sync of this field: its rule's choice leaves both values as they are (an empty value never overwrites a filled one)"
			case dir == DirOut:
				fs.Note = "this field only travels local → remote"
			case dir == DirIn:
				fs.Note = "this field only travels remote → local"
			default:
				fs.Note = "the values differ but neither side changed since the last agreement"
			}
		}
		out = append(out, fs)
	}
	return out
}

// IssueSnapshot is one side of a twin read live for the console.
type IssueSnapshot struct {
	Side     string
	Instance string
	BaseURL  string
	Key      string
	// Issue is nil when the side has no issue yet or could not be read (Err says why).
	Issue  *jira.Issue
	Shared Shared
	Err    error
}

// Summary is the issue's summary, or "".
func (s *IssueSnapshot) Summary() string {
	if s.Issue == nil {
		return ""
	}
	v, _ := s.Issue.Summary()
	return v
}

// TwinSnapshot is a twin with both issues read live and the state of every shared field.
type TwinSnapshot struct {
	Twin          models.Twin
	Conn          models.Connection
	Local, Remote IssueSnapshot
	Fields        []FieldState
}

// InspectTimeout bounds each side's read in InspectTwin, so an unreachable Jira cannot hold a
// console page.
const InspectTimeout = 8 * time.Second

// InspectTwin reads both issues of a twin (in parallel, each bounded by timeout; InspectTimeout
// when zero), projects them through the connection's rules and returns the per-field states.
// A side that cannot be read is reported in its snapshot's Err, never as the call's error.
func (e *Engine) InspectTwin(ctx context.Context, twinID uint, timeout time.Duration) (*TwinSnapshot, error) {
	if timeout <= 0 {
		timeout = InspectTimeout
	}
	tw, err := e.loadTwin(ctx, twinID)
	if err != nil {
		return nil, err
	}
	l, err := e.loadLink(ctx, tw.ConnectionID)
	if err != nil {
		return nil, fmt.Errorf("inspect twin %d: %w", twinID, err)
	}
	l = l.withoutSkipped(tw)
	snap := &TwinSnapshot{Twin: *tw, Conn: *l.Conn}
	sides := [2]*IssueSnapshot{&snap.Local, &snap.Remote}
	var wg sync.WaitGroup
	for i, name := range []string{models.SideLocal, models.SideRemote} {
		s := sides[i]
		inst := l.inst(name)
		*s = IssueSnapshot{Side: name, Instance: inst.Name, BaseURL: strings.TrimRight(inst.BaseURL, "/"), Key: twinKey(tw, name)}
		id := twinIssueID(tw, name)
		if id == nil {
			s.Err = errors.New("no issue yet: it is created by the next reconcile")
			continue
		}
		j, err := e.client(ctx, l, name)
		if err != nil {
			s.Err = err
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			is, err := e.getIssue(sctx, &Side{Name: name, Jira: j}, *id, &l.Rules, false)
			if err != nil {
				if sctx.Err() != nil && ctx.Err() == nil {
					err = fmt.Errorf("%s did not answer within %s: %w", inst.Name, timeout, err)
				}
				s.Err = err
				return
			}
			s.Issue, s.Key = is, is.Key
			s.Shared = Project(is, &l.Rules, name)
		}()
	}
	wg.Wait()
	base, err := ParseBaseline(tw.Baseline)
	if err != nil {
		base, _ = ParseBaseline("")
	}
	var conflicts []models.Conflict
	if err := e.db(ctx).Where("twin_id = ? AND applied_at IS NULL", tw.ID).Find(&conflicts).Error; err != nil {
		return nil, fmt.Errorf("inspect twin %d: load conflicts: %w", twinID, err)
	}
	var openErrs int64
	if err := e.db(ctx).Model(&models.SyncError{}).Where("twin_id = ? AND resolved_at IS NULL", tw.ID).Count(&openErrs).Error; err != nil {
		return nil, fmt.Errorf("inspect twin %d: count errors: %w", twinID, err)
	}
	in := FieldStateInput{Base: base, Local: snap.Local.Shared, Remote: snap.Remote.Shared,
		LocalOK: snap.Local.Issue != nil, RemoteOK: snap.Remote.Issue != nil, Policy: l.Conn.ConflictPolicy,
		Conflicts: conflicts, FirstSync: FirstSyncFields(&l.Rules, base), Failing: tw.LastError != "" || openErrs > 0 || tw.State == models.TwinQuarantined}
	in.UpdatedLocal, _ = snap.Local.Issue.Updated()
	in.UpdatedRemote, _ = snap.Remote.Issue.Updated()
	snap.Fields = FieldStates(l.Rules.Fields, in)
	return snap, nil
}
