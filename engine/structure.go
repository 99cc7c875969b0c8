package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// Sub-tasks and epics (issue 14): a sub-task's parent and an issue's epic link point at the twin
// of the parent or epic on the other side, created first when it has none yet.
//
// Parent first: when a sub-task's copy is about to be created and its parent has no twin with
// both issues yet, the parent's twin is made (pending) and reconciled inline, under its own
// lease, before the sub-task's create; so is an epic before the issue that links to it. The
// chain is at most maxStructureDepth deep (an epic of a parent of a sub-task), which also stops
// any cycle. A parent that is busy in another run makes the sub-task wait for one retry.
//
// Epic Link (KindEpicLink) projects to the epic's key on its own side: the baseline is per side,
// so the merge sees a change of either side's epic link as a change of that side, and the write
// translates the key to the key of the epic's twin on the target (an epic that is not shared
// clears the target's epic link: nothing about it leaves its zone).
//
// Moving a sub-task: Jira DC has no REST call to change a sub-task's parent. When the parent of
// one side's issue changed since the last agreement (models.TwinStructure) and the other side's
// issue is Airlock's copy, the copy is re-created under the parent's twin (fields through the
// normal create; comments and attachments re-copy through the normal sync) and the old copy is
// deleted; the new copy keeps the airlock.twin entries of other connections, so the next node of
// a relay chain, finding its issue gone, adopts the new copy (findReplacement) and moves its own
// copy in turn. When the other side's issue is an original, the twin gets a config error asking
// for the move by hand.

// Choices for a sub-task whose parent is outside the connection's scope.
const (
	ParentOutOfScopeError      = "error"      // default: a config error on that sub-task
	ParentOutOfScopeSkip       = "skip"       // the sub-task is not synced
	ParentOutOfScopeStandalone = "standalone" // carried as a standalone issue of StandaloneType
)

// KindEpicLink is Jira Software's Epic Link (com.pyxis.greenhopper.jira:gh-epic-link): the
// epic's key, translated to the key of the epic's twin on write.
const KindEpicLink = "epiclink"

// StructureRules governs sub-tasks and epics.
type StructureRules struct {
	// OutOfScopeParent says what a sub-task whose parent is outside the scope does: error (the
	// default), skip or standalone.
	OutOfScopeParent string `json:"out_of_scope_parent,omitempty"`
	// StandaloneType is the issue type on the other side of such a sub-task carried standalone
	// ("Task" when empty).
	StandaloneType string `json:"standalone_type,omitempty"`
}

// validate checks the structure rules.
func (s *StructureRules) validate() []*RuleError {
	switch s.OutOfScopeParent {
	case "", ParentOutOfScopeError, ParentOutOfScopeSkip, ParentOutOfScopeStandalone:
	default:
		return []*RuleError{{"structure.out_of_scope_parent", "error, skip or standalone"}}
	}
	return nil
}

func (s *StructureRules) standaloneType() string {
	if t := strings.TrimSpace(s.StandaloneType); t != "" {
		return t
	}
	return "Task"
}

const maxStructureDepth = 3

type structureDepthKey struct{}
type carryLinksKey struct{}

// ensureTwin returns the issue twinned with the issue id of side (its id and key on the other
// side), making and reconciling the twin inline when it has none yet.
func (e *Engine) ensureTwin(ctx context.Context, p *Pair, side, id, key, what string) (string, string, error) {
	other := otherSide(side)
	tw, err := e.twinOf(ctx, p.Conn.ID, side, id)
	if err != nil {
		return "", "", err
	}
	if tw != nil && tw.State == models.TwinActive && twinIssueID(tw, other) != nil {
		return *twinIssueID(tw, other), twinKey(tw, other), nil
	}
	if tw != nil && (tw.State == models.TwinUnlinked || tw.State == models.TwinQuarantined) {
		return "", "", configError("%s %s is not synced (its twin is %s: %s); fix or retry it first, then retry this issue", what, key, tw.State, tw.LastError)
	}
	depth, _ := ctx.Value(structureDepthKey{}).(int)
	if depth >= maxStructureDepth {
		return "", "", configError("%s %s: the chain of parents and epics to create first is deeper than %d", what, key, maxStructureDepth)
	}
	if tw == nil {
		now := e.now()
		nt := models.Twin{ConnectionID: p.Conn.ID, SyncID: uuid.NewString(), State: models.TwinPendingCreate, Dirty: true, DirtySince: &now}
		if side == models.SideLocal {
			nt.LocalIssueID, nt.LocalKey = &id, key
		} else {
			nt.RemoteIssueID, nt.RemoteKey = &id, key
		}
		if err := e.db(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&nt).Error; err != nil {
			return "", "", fmt.Errorf("pending twin for %s %s: %w", what, key, err)
		}
		// A poll may have made it meanwhile: take whichever row holds the issue.
		if tw, err = e.twinOf(ctx, p.Conn.ID, side, id); err != nil {
			return "", "", err
		}
		if tw == nil {
			return "", "", transientError("the twin of %s %s was not stored", what, key)
		}
	}
	e.log().Info("syncing first", "what", what, "issue", key, "twin", tw.ID)
	rerr := e.Reconcile(context.WithValue(ctx, structureDepthKey{}, depth+1), tw.ID)
	if errors.Is(rerr, ErrTwinBusy) {
		// Not an error: the run that holds the parent (or, after a crash, its lease running out)
		// decides. This twin stays dirty, unchanged, and the sweeper brings it back in a few
		// seconds; no backoff grows meanwhile.
		return "", "", fmt.Errorf("%s %s is being synced by another run; this issue follows it: %w", what, key, ErrTwinBusy)
	}
	if tw, err = e.twinOf(ctx, p.Conn.ID, side, id); err != nil {
		return "", "", err
	}
	if tw != nil && twinIssueID(tw, other) != nil && tw.State == models.TwinActive {
		return *twinIssueID(tw, other), twinKey(tw, other), nil
	}
	if rerr != nil {
		var te *TwinError
		if errors.As(rerr, &te) {
			rerr = te.Err
		}
		return "", "", &ClassedError{Class: ClassOf(rerr), Message: fmt.Sprintf("%s %s could not be synced first: %v", what, key, rerr)}
	}
	return "", "", transientError("%s %s has no copy yet; this issue follows it", what, key)
}

// inScope reports whether an issue of side (its id, project key and issue type) is in the
// connection's scope there; when not, why, in words.
func (e *Engine) inScope(ctx context.Context, p *Pair, side, id, project, issueType string) (bool, string, error) {
	s := p.side(side)
	types, jql := p.Conn.LocalIssueTypes, p.Conn.LocalJQL
	if side == models.SideRemote {
		types, jql = p.Conn.RemoteIssueTypes, p.Conn.RemoteJQL
	}
	if project != "" && !strings.EqualFold(project, s.Project) {
		return false, fmt.Sprintf("it is in project %s, and this connection's %s side syncs project %s", project, side, s.Project), nil
	}
	if its := splitList(types); len(its) > 0 && !containsFold(its, issueType) {
		return false, fmt.Sprintf("its issue type %s is not among the connection's %s issue types (%s)", issueType, side, strings.Join(its, ", ")), nil
	}
	if strings.TrimSpace(jql) == "" {
		return true, "", nil
	}
	hits, err := s.Jira.SearchAll(ctx, jira.SearchQuery{JQL: ScopeJQL(s.Project, types, jql) + " AND id = " + id, MaxResults: 1,
		Fields: []string{"updated"}}, jira.SearchAllOptions{})
	if err != nil {
		return false, "", fmt.Errorf("check the scope of %s issue %s: %w", side, id, err)
	}
	if len(hits) == 0 {
		return false, fmt.Sprintf("it does not match the connection's %s JQL filter (%s)", side, jql), nil
	}
	return true, "", nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), s) {
			return true
		}
	}
	return false
}

// createStructure is what a create carries of the source's structure.
type createStructure struct {
	skip      string              // why the issue is not synced (a sub-task with an out-of-scope parent, skip chosen)
	parent    string              // the id of the parent's twin on the target
	issueType string              // standalone type of a sub-task whose parent stays home
	epics     map[string]any      // target field id -> epic key or nil
	carry     map[string]TwinLink // airlock.twin entries of other connections (a re-created copy)
}

// prepareStructure resolves the parent and epics of src for the create of its copy on dst,
// syncing them first when they have no twin yet.
func (e *Engine) prepareStructure(ctx context.Context, l *link, p *Pair, src, dst *Side, srcShared Shared) (*createStructure, error) {
	cs := &createStructure{epics: map[string]any{}}
	cs.carry, _ = ctx.Value(carryLinksKey{}).(map[string]TwinLink)
	if par, ok := src.Issue.Parent(); ok && par != nil && par.ID != "" {
		typ := ""
		if par.Fields.IssueType != nil {
			typ = par.Fields.IssueType.Name
		}
		in, why, err := e.inScope(ctx, p, src.Name, par.ID, "", typ)
		if err != nil {
			return nil, err
		}
		if in {
			id, _, err := e.ensureTwin(ctx, p, src.Name, par.ID, par.Key, "parent")
			if err != nil {
				return nil, err
			}
			cs.parent = id
		} else {
			reason := fmt.Sprintf("sub-task %s: its parent %s is outside this connection's scope: %s", src.Issue.Key, par.Key, why)
			switch l.Rules.Structure.OutOfScopeParent {
			case ParentOutOfScopeSkip:
				cs.skip = reason + " (such sub-tasks are skipped)"
			case ParentOutOfScopeStandalone:
				cs.issueType = l.Rules.Structure.standaloneType()
			default:
				return nil, configError("%s. Widen the scope, or choose in the mapping (structure) to skip such sub-tasks or carry them as standalone issues", reason)
			}
		}
	}
	for i := range l.Rules.Fields {
		f := &l.Rules.Fields[i]
		if f.Kind != KindEpicLink || !travels(f, src.Name) || srcShared[f.Name] == "" {
			continue
		}
		k, err := e.epicTarget(ctx, p, src, srcShared[f.Name])
		if err != nil {
			return nil, err
		}
		cs.epics[f.fieldID(dst.Name)] = nullIfEmpty(k)
	}
	if err := e.db(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "twin_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"copy_side"})}).
		Create(&models.TwinStructure{TwinID: p.Twin.ID, CopySide: dst.Name}).Error; err != nil {
		return nil, fmt.Errorf("record the copy side: %w", err)
	}
	return cs, nil
}

// apply puts the structure into the create request.
func (cs *createStructure) apply(in *jira.IssueInput) {
	if cs.parent != "" {
		in.Fields["parent"] = map[string]string{"id": cs.parent}
	}
	if cs.issueType != "" {
		in.Fields["issuetype"] = map[string]string{"name": cs.issueType}
	}
	for id, v := range cs.epics {
		if v == nil {
			delete(in.Fields, id)
		} else {
			in.Fields[id] = v
		}
	}
	if len(cs.carry) > 0 && len(in.Properties) > 0 {
		if tv, ok := in.Properties[0].Value.(TwinValue); ok {
			for k, v := range cs.carry {
				if _, own := tv.Links[k]; !own {
					tv.Links[k] = v
				}
			}
		}
	}
}

// skipTwin leaves a twin out of the sync for good, with the reason.
func (e *Engine) skipTwin(ctx context.Context, p *Pair, from, reason string) error {
	e.event(ctx, p, from, "skip", "", "", reason)
	return e.db(ctx).Model(&models.Twin{}).Where("id = ?", p.Twin.ID).Updates(map[string]any{"state": models.TwinUnlinked,
		"dirty": false, "dirty_since": nil, "last_error": reason}).Error
}

// epicTarget returns the key of the twin of the epic src links to with key (on dst), syncing
// the epic first when it has no twin yet; "" when the epic is gone or not shared.
func (e *Engine) epicTarget(ctx context.Context, p *Pair, src *Side, key string) (string, error) {
	ep, in, _, err := e.epicInScope(ctx, p, src, key)
	if err != nil || !in {
		return "", err
	}
	_, k, err := e.ensureTwin(ctx, p, src.Name, ep.ID, ep.Key, "epic")
	return k, err
}

// epicInScope reads the epic an issue of src links to (by key) and tells whether it is in the
// connection's scope on that side, and if not, why; a gone epic is out of scope with no reason.
func (e *Engine) epicInScope(ctx context.Context, p *Pair, src *Side, key string) (ep *jira.Issue, in bool, why string, err error) {
	ep, err = src.Jira.GetIssue(ctx, key, jira.GetIssueOptions{Fields: []string{"issuetype", "project"}})
	if jira.IsNotFound(err) {
		return nil, false, "", nil
	}
	if err != nil {
		return nil, false, "", fmt.Errorf("read epic %s: %w", key, err)
	}
	typ, proj := "", ""
	if t, ok := ep.IssueType(); ok && t != nil {
		typ = t.Name
	}
	if pr, ok := ep.Project(); ok && pr != nil {
		proj = pr.Key
	}
	in, why, err = e.inScope(ctx, p, src.Name, ep.ID, proj, typ)
	return ep, in, why, err
}

// writeEpics puts the epic links a write sends into the update, translated to the target's
// epic keys (BuildUpdate leaves KindEpicLink out).
func (e *Engine) writeEpics(ctx context.Context, p *Pair, src, dst *Side, values map[string]string, in *jira.IssueInput) error {
	for i := range p.Rules.Fields {
		f := &p.Rules.Fields[i]
		v, ok := values[f.Name]
		if f.Kind != KindEpicLink || !ok {
			continue
		}
		k := ""
		if v != "" {
			var err error
			if k, err = e.epicTarget(ctx, p, src, v); err != nil {
				return err
			}
		}
		in.Fields[f.fieldID(dst.Name)] = nullIfEmpty(k)
	}
	return nil
}

func parentID(is *jira.Issue) string {
	if par, ok := is.Parent(); ok && par != nil {
		return par.ID
	}
	return ""
}

// syncParent carries a sub-task's move to another parent (see the top of this file). It reports
// done when it re-created the copy (the reconcile of the new copy is done then).
func (e *Engine) syncParent(ctx context.Context, l *link, p *Pair, dirtySince *time.Time) (bool, error) {
	pl, pr := parentID(p.Local.Issue), parentID(p.Remote.Issue)
	if pl == "" && pr == "" {
		return false, nil // not a sub-task (a re-created copy is a sub-task too)
	}
	var row models.TwinStructure
	found := e.db(ctx).Where("twin_id = ?", p.Twin.ID).Limit(1).Find(&row).RowsAffected > 0
	if found && row.ReplacedID != "" {
		// An old copy a re-creation replaced: delete it now (an earlier run may have died before).
		s := p.side(row.CopySide)
		if err := s.Jira.DeleteIssue(ctx, row.ReplacedID, true); err != nil && !jira.IsNotFound(err) {
			return false, fmt.Errorf("delete the replaced copy %s: %w", row.ReplacedID, err)
		}
		row.ReplacedID = ""
		if err := e.db(ctx).Model(&models.TwinStructure{}).Where("twin_id = ?", row.TwinID).Update("replaced_id", "").Error; err != nil {
			return false, err
		}
		e.kickOthers(ctx, l, row.CopySide)
	}
	if pl == "" || pr == "" {
		return false, nil // not a sub-task on both sides (or carried standalone)
	}
	record := func(lp, rp string) error {
		row.TwinID, row.Known, row.LocalParentID, row.RemoteParentID = p.Twin.ID, true, lp, rp
		return e.db(ctx).Save(&row).Error
	}
	if !found || !row.Known {
		return false, record(pl, pr)
	}
	movedL, movedR := row.LocalParentID != pl, row.RemoteParentID != pr
	if !movedL && !movedR {
		return false, nil
	}
	from := models.SideLocal
	if !movedL || (movedR && row.CopySide == models.SideRemote) {
		from = models.SideRemote // both moved: the original's parent wins
	}
	src, dst := p.side(from), p.side(otherSide(from))
	srcPar, _ := src.Issue.Parent()
	typ := ""
	if srcPar.Fields.IssueType != nil {
		typ = srcPar.Fields.IssueType.Name
	}
	in, why, err := e.inScope(ctx, p, from, srcPar.ID, "", typ)
	if err != nil {
		return false, err
	}
	if !in {
		return false, configError("sub-task %s was moved to parent %s, which is outside this connection's scope: %s. Widen the scope, or move it back",
			src.Issue.Key, srcPar.Key, why)
	}
	want, wantKey, err := e.ensureTwin(ctx, p, from, srcPar.ID, srcPar.Key, "parent")
	if err != nil {
		return false, err
	}
	if want == parentID(dst.Issue) {
		return false, record(pl, pr)
	}
	copySide := row.CopySide
	if copySide == "" {
		lc, _ := p.Local.Issue.Created()
		rc, _ := p.Remote.Issue.Created()
		copySide = models.SideRemote
		if lc.After(rc) {
			copySide = models.SideLocal
		}
	}
	if copySide != dst.Name {
		return false, configError("sub-task %s was moved to parent %s on the %s side; its twin %s on the %s side is an original, which Airlock does not re-create, "+
			"and Jira has no REST call to change a sub-task's parent: move %s to parent %s by hand (Move, Change parent), then retry",
			src.Issue.Key, srcPar.Key, src.Name, dst.Issue.Key, dst.Name, dst.Issue.Key, wantKey)
	}
	return true, e.recreateCopy(ctx, l, p, src, dst, dirtySince)
}

// recreateCopy replaces dst's issue (Airlock's copy) by a new copy of src, under src's parent's
// twin: the old copy loses its link at once (so no poll or retried create adopts it) and is
// deleted once the new copy exists.
func (e *Engine) recreateCopy(ctx context.Context, l *link, p *Pair, src, dst *Side, dirtySince *time.Time) error {
	tw, old := p.Twin, dst.Issue
	raw, err := dst.Jira.GetProperty(ctx, old.ID, TwinProperty)
	if err != nil && !jira.IsNotFound(err) {
		return fmt.Errorf("read the links of %s: %w", old.Key, err)
	}
	carry := ParseTwinValue(raw).Links
	delete(carry, l.Key)
	if err := writeLink(ctx, dst.Jira, old.ID, l.Key, nil); err != nil && !jira.IsNotFound(err) {
		return fmt.Errorf("unlink the old copy %s: %w", old.Key, err)
	}
	idCol, keyCol := "local_issue_id", "local_key"
	if dst.Name == models.SideRemote {
		idCol, keyCol = "remote_issue_id", "remote_key"
	}
	err = e.db(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&models.Twin{}).Where("id = ?", tw.ID).Updates(map[string]any{idCol: nil, keyCol: "",
			"state": models.TwinPendingCreate, "create_attempted_at": nil, "baseline": ""}).Error; err != nil {
			return err
		}
		for _, m := range []any{&models.CommentTwin{}, &models.AttachmentTwin{}} {
			if err := tx.Where("twin_id = ?", tw.ID).Delete(m).Error; err != nil {
				return err
			}
		}
		return tx.Model(&models.TwinStructure{}).Where("twin_id = ?", tw.ID).
			Updates(map[string]any{"known": false, "replaced_id": old.ID, "copy_side": dst.Name}).Error
	})
	if err != nil {
		return fmt.Errorf("reset the twin for the re-created copy: %w", err)
	}
	if dst.Name == models.SideLocal {
		tw.LocalIssueID, tw.LocalKey = nil, ""
	} else {
		tw.RemoteIssueID, tw.RemoteKey = nil, ""
	}
	tw.State, tw.CreateAttemptedAt, tw.Baseline = models.TwinPendingCreate, nil, ""
	dst.Issue = nil
	e.event(ctx, p, src.Name, "move", "parent", old.Key, "re-created under the new parent")
	if err := e.create(context.WithValue(ctx, carryLinksKey{}, carry), l, p, dirtySince); err != nil {
		return err
	}
	if err := dst.Jira.DeleteIssue(ctx, old.ID, true); err != nil && !jira.IsNotFound(err) {
		return fmt.Errorf("delete the old copy %s: %w", old.Key, err)
	}
	e.kickOthers(ctx, l, dst.Name)
	return e.db(ctx).Model(&models.TwinStructure{}).Where("twin_id = ?", tw.ID).Update("replaced_id", "").Error
}

// findReplacement handles a twin whose issue on one side is gone: when an issue carrying the
// twin's sync id was created there since the last sync (a copy re-created under a new parent by
// the other node of a relay chain), the twin follows it instead of applying the deletion policy.
func (e *Engine) findReplacement(ctx context.Context, l *link, p *Pair, gone []string) (bool, error) {
	tw := p.Twin
	if len(gone) != 1 || tw.LastSyncedAt == nil {
		return false, nil
	}
	s := p.side(gone[0])
	loc, err := e.location(ctx, s.Instance, s.Jira)
	if err != nil {
		return false, err
	}
	jql := fmt.Sprintf("project = %s AND created >= %s ORDER BY created ASC, key ASC", quoteJQL(s.Project),
		jira.JQLTime(tw.LastSyncedAt.Add(-createLookback), loc))
	hits, err := s.Jira.SearchAll(ctx, jira.SearchQuery{JQL: jql, MaxResults: 100, Fields: []string{"updated", "created"},
		Properties: []string{TwinProperty}}, jira.SearchAllOptions{Overlap: 5})
	if err != nil {
		return false, fmt.Errorf("look for a re-created issue: %w", err)
	}
	for i := range hits {
		lk, found, err := readLink(ctx, s.Jira, &hits[i], l.Key)
		if err != nil {
			return false, err
		}
		if !found || lk.SyncID != tw.SyncID || hits[i].ID == derefStr(twinIssueID(tw, s.Name)) {
			continue
		}
		h := hits[i]
		idCol, keyCol := "local_issue_id", "local_key"
		if s.Name == models.SideRemote {
			idCol, keyCol = "remote_issue_id", "remote_key"
		}
		err = e.db(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Model(&models.Twin{}).Where("id = ?", tw.ID).Updates(map[string]any{idCol: h.ID, keyCol: h.Key,
				"dirty": true, "dirty_since": e.now(), "last_error": ""}).Error; err != nil {
				return err
			}
			for _, m := range []any{&models.CommentTwin{}, &models.AttachmentTwin{}} {
				if err := tx.Where("twin_id = ?", tw.ID).Delete(m).Error; err != nil {
					return err
				}
			}
			// The parent there is new: the next reconcile sees the move from the recorded parent.
			return nil
		})
		if err != nil {
			return false, fmt.Errorf("follow the re-created issue %s: %w", h.Key, err)
		}
		e.event(ctx, p, s.Name, "move", "", twinKey(tw, s.Name), "follows the re-created issue "+h.Key)
		return true, nil
	}
	return false, nil
}

func derefStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// previewStructure says in the preview where a sub-task's copy would go (under its parent's
// twin, after its parent, or, for a parent outside the scope, what the structure rules do) and
// where an epic link would point. It looks, never creates.
func (e *Engine) previewStructure(ctx context.Context, l *link, p *Pair, src *Side, res *PreviewResult) error {
	dst := p.side(otherSide(src.Name))
	if par, ok := src.Issue.Parent(); ok && par != nil && par.ID != "" {
		typ := ""
		if par.Fields.IssueType != nil {
			typ = par.Fields.IssueType.Name
		}
		in, why, err := e.inScope(ctx, p, src.Name, par.ID, "", typ)
		if err != nil {
			return err
		}
		switch {
		case in:
			tw, err := e.twinOf(ctx, l.Conn.ID, src.Name, par.ID)
			if err != nil {
				return err
			}
			if tw != nil && twinIssueID(tw, dst.Name) != nil {
				res.Notes = append(res.Notes, fmt.Sprintf("Sub-task of %s: its copy goes under %s, the twin of its parent on %s.", par.Key, twinKey(tw, dst.Name), dst.Instance.Name))
			} else {
				res.Notes = append(res.Notes, fmt.Sprintf("Sub-task of %s, which has no copy yet: the sync copies the parent first, then this sub-task under it.", par.Key))
			}
		default:
			msg := fmt.Sprintf("Sub-task of %s, whose parent is outside this connection's scope: %s. ", par.Key, why)
			switch l.Rules.Structure.OutOfScopeParent {
			case ParentOutOfScopeSkip:
				msg += "The structure rules skip such sub-tasks: nothing about it is sent."
			case ParentOutOfScopeStandalone:
				msg += fmt.Sprintf("The structure rules carry it as a standalone %s.", l.Rules.Structure.standaloneType())
			default:
				msg += "A sync stops on this sub-task with a config error: widen the scope, or choose in the mapping to skip such sub-tasks or carry them standalone."
			}
			res.Notes = append(res.Notes, msg)
		}
	}
	srcShared := Project(src.Issue, &l.Rules, src.Name)
	for i := range l.Rules.Fields {
		f := &l.Rules.Fields[i]
		key := srcShared[f.Name]
		if f.Kind != KindEpicLink || key == "" || !travels(f, src.Name) {
			continue
		}
		ep, in, why, err := e.epicInScope(ctx, p, src, key)
		if err != nil {
			return err
		}
		if ep == nil {
			continue // gone
		}
		if !in {
			res.Notes = append(res.Notes, fmt.Sprintf("Epic %s is outside this connection's scope (%s): the epic link stays home, the copy has none.", key, why))
			continue
		}
		tw, err := e.twinOf(ctx, l.Conn.ID, src.Name, ep.ID)
		if err != nil {
			return err
		}
		if tw != nil && twinIssueID(tw, dst.Name) != nil {
			res.Notes = append(res.Notes, fmt.Sprintf("Epic link %s: points at %s, the epic's twin on %s.", key, twinKey(tw, dst.Name), dst.Instance.Name))
		} else {
			res.Notes = append(res.Notes, fmt.Sprintf("Epic link %s: the epic has no copy yet; the sync copies it first.", key))
		}
	}
	return nil
}
