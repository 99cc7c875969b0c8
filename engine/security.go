package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// Issue security levels keep issues home unless levels are mapped (issue 14).
//
// Jira Server/DC gives an issue of a project with an issue security scheme a "security" field,
// {"self","id","name","description"}, absent or null without a level; such an issue is seen only
// by the level's members (to anybody else GET answers 404 and search leaves it out). An issue
// with a level never leaves its side by default:
//
//   - a poll makes no pending twin for it and a create gives it no copy (engine/poll.go,
//     engine/create.go);
//   - a twin whose issue gets a level is withdrawn: the deletion policy applies to the copy on
//     the other side as if the issue had been deleted (delete: the copy is deleted; unlink: the
//     copy loses its link; ignore: the copy stays), and nothing is written to the other side;
//   - when the sync user is outside the level, the issue simply vanishes (404) and the
//     deletion policy applies in the same way (engine/reconcile.go deleted).
//
// Levels may be mapped explicitly (SecurityRules.Levels, local name -> remote name): an issue
// with a mapped level travels and the level is written on the other side as a field
// ("security level", added to the rules by withSecurityField); a level not in the map still
// keeps its issue home, on either side.

// SecurityRules governs issue security levels.
type SecurityRules struct {
	// Levels maps local level names to remote level names; an issue with a level in the map (or,
	// on the remote side, a level some local level maps to) travels and carries the mapped level.
	Levels map[string]string `json:"levels,omitempty"`
}

// KindSecurity is the security level field that SecurityRules.Levels adds to the rules; it is
// not a kind a field rule of the mapping may name.
const KindSecurity = "security"

// SecurityFieldName is the shared name of the security level field.
const SecurityFieldName = "security level"

// fieldSecurity is Jira's issue security level field.
const fieldSecurity = "security"

// securityLevel is the name of an issue's security level ("" when it has none).
func securityLevel(is *jira.Issue) string {
	if is == nil {
		return ""
	}
	raw, ok := is.Fields[fieldSecurity]
	if !ok || len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var n struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &n) != nil {
		return ""
	}
	if n.Name == "" && n.ID != "" {
		return "id " + n.ID // a level with no readable name is still a level
	}
	return n.Name
}

// mapped reports whether a level of side may travel: named in Levels (local) or the target of
// an entry (remote).
func (r *SecurityRules) mapped(level, side string) bool {
	if side == models.SideLocal {
		_, ok := r.Levels[level]
		return ok
	}
	for _, v := range r.Levels {
		if v == level {
			return true
		}
	}
	return false
}

// KeepsHome returns the level that keeps an issue of side home ("" when it may travel).
func (r *SecurityRules) KeepsHome(is *jira.Issue, side string) string {
	lv := securityLevel(is)
	if lv == "" || r.mapped(lv, side) {
		return ""
	}
	return lv
}

// validateSecurity checks the level map.
func (r *SecurityRules) validate() []*RuleError {
	var errs []*RuleError
	for _, k := range sortedKeys(r.Levels) {
		if strings.TrimSpace(k) == "" || strings.TrimSpace(r.Levels[k]) == "" {
			errs = append(errs, &RuleError{"security.levels", "a level map entry needs a level on both sides"})
		}
	}
	return errs
}

// withSecurityField adds the security level field to the rules when levels are mapped, so the
// mapped level travels like a field (merge, baseline, create).
func (r Rules) withSecurityField() Rules {
	if len(r.Security.Levels) == 0 || r.field(SecurityFieldName) != nil {
		return r
	}
	r.Fields = append(append([]FieldRule(nil), r.Fields...), FieldRule{Name: SecurityFieldName, Kind: KindSecurity,
		Local: fieldSecurity, Remote: fieldSecurity, Values: r.Security.Levels})
	return r
}

// projectSecurity reads a level by name into the remote vocabulary.
func projectSecurity(raw json.RawMessage, f *FieldRule, local bool) string {
	is := &jira.Issue{Fields: map[string]json.RawMessage{fieldSecurity: raw}}
	return mapOut(f, securityLevel(is), local)
}

// buildSecurity writes a level by name (null removes it).
func buildSecurity(in *jira.IssueInput, f *FieldRule, id, v string, toLocal bool) {
	if v == "" {
		in.Fields[id] = nil
		return
	}
	if toLocal {
		v = mapIn(f, v)
	}
	in.Fields[id] = map[string]string{"name": v}
}

// withdrawn is the twin's last error after a withdrawal; the twin page shows it.
const withdrawnPrefix = "withdrawn: security level"

// keptHome checks a twin's two issues as read (first) and withdraws the twin when one of them
// has a level that keeps it home. It reports whether it did.
func (e *Engine) keptHome(ctx context.Context, l *link, p *Pair, first [2]*jira.Issue) (bool, error) {
	for i, side := range []string{models.SideLocal, models.SideRemote} {
		if lv := l.Rules.Security.KeepsHome(first[i], side); lv != "" {
			return true, e.withdraw(ctx, l, p, side, lv)
		}
	}
	return false, nil
}

// withdraw applies the deletion policy to the copy of an issue that got a security level
// (home is its side): delete deletes the copy, unlink removes the copy's link, ignore leaves it.
// Nothing else is written to the other side; the twin is no longer dirty.
func (e *Engine) withdraw(ctx context.Context, l *link, p *Pair, home, level string) error {
	tw := p.Twin
	copySide := p.side(otherSide(home))
	homeKey := twinKey(tw, home)
	msg := fmt.Sprintf("%s %q on %s issue %s: it stays home", withdrawnPrefix, level, home, homeKey)
	upd := map[string]any{"dirty": false, "dirty_since": nil}
	switch l.Conn.DeletionPolicy {
	case models.DeleteTwin:
		if err := copySide.Jira.DeleteIssue(ctx, copySide.Issue.ID, true); err != nil && !jira.IsNotFound(err) {
			return fmt.Errorf("withdraw %s: %w", copySide.Issue.Key, err)
		}
		upd["state"] = models.TwinUnlinked
		msg += fmt.Sprintf("; its copy %s was deleted", copySide.Issue.Key)
		if err := e.touchRelayTwins(ctx, l, copySide); err != nil {
			return err
		}
		e.kickOthers(ctx, l, copySide.Name)
	case models.DeleteUnlink:
		if err := writeLink(ctx, copySide.Jira, copySide.Issue.ID, l.Key, nil); err != nil && !jira.IsNotFound(err) {
			return fmt.Errorf("unlink %s: %w", copySide.Issue.Key, err)
		}
		upd["state"] = models.TwinUnlinked
		msg += fmt.Sprintf("; its copy %s was unlinked", copySide.Issue.Key)
	default:
		msg += fmt.Sprintf("; its copy %s is left as it is (deletion policy %s) and gets nothing more", copySide.Issue.Key, models.DeleteIgnore)
	}
	upd["last_error"] = msg
	for i, s := range []*Side{p.Local, p.Remote} {
		if t, ok := issueUpdated(s.Issue); ok && (s.Name == home || upd["state"] == nil) {
			upd[[]string{"local", "remote"}[i]+"_updated"] = t
		}
	}
	prev := tw.LastError
	if err := e.db(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).Updates(upd).Error; err != nil {
		return fmt.Errorf("record withdrawal: %w", err)
	}
	if prev != msg {
		e.event(ctx, p, home, "delete", fieldSecurity, homeKey, msg) // a deletion-policy action, like a deletion
	}
	return nil
}

// touchRelayTwins marks dirty the twins of this node's other connections that hold the deleted
// copy (single topology): their next reconcile meets the 404 and applies their own deletion
// policy at once, rather than when their other issue next changes.
func (e *Engine) touchRelayTwins(ctx context.Context, l *link, s *Side) error {
	inst := l.inst(s.Name)
	now := e.now()
	var conns []models.Connection
	if err := e.db(ctx).Where("id <> ? AND (local_instance_id = ? OR remote_instance_id = ?)", l.Conn.ID, inst.ID, inst.ID).Find(&conns).Error; err != nil {
		return fmt.Errorf("connections of %s: %w", inst.Name, err)
	}
	for _, c := range conns {
		for _, side := range []string{models.SideLocal, models.SideRemote} {
			if (side == models.SideLocal && c.LocalInstanceID != inst.ID) || (side == models.SideRemote && c.RemoteInstanceID != inst.ID) {
				continue
			}
			if err := e.db(ctx).Model(&models.Twin{}).Where("connection_id = ? AND "+twinIssueColumn(side)+" = ? AND state = ?", c.ID, s.Issue.ID, models.TwinActive).
				Updates(map[string]any{"dirty": true, "dirty_since": now}).Error; err != nil {
				return fmt.Errorf("mark relay twins: %w", err)
			}
		}
	}
	return nil
}

// stayHome drops a pending twin whose source issue has a level that keeps it home: no copy is
// made and, should the level go later, the next change makes a new pending twin.
func (e *Engine) stayHome(ctx context.Context, p *Pair, src *Side, level string) error {
	q := e.db(ctx).Where("id = ? AND state = ? AND create_attempted_at IS NULL", p.Twin.ID, models.TwinPendingCreate).Delete(&models.Twin{})
	if q.Error != nil || q.RowsAffected == 0 {
		// An earlier create attempt (its copy may exist) or a row something else refers to:
		// keep it, unlinked, with the reason.
		return e.db(ctx).Model(&models.Twin{}).Where("id = ?", p.Twin.ID).Updates(map[string]any{"state": models.TwinUnlinked,
			"dirty": false, "dirty_since": nil, "last_error": fmt.Sprintf("%s %q on %s issue %s: it stays home", withdrawnPrefix, level, src.Name, src.Issue.Key)}).Error
	}
	e.log().Info("issue stays home: security level", "issue", src.Issue.Key, "level", level)
	return nil
}

// Withdrawn reports whether a twin's last error is a security withdrawal (for the twin page).
func Withdrawn(lastError string) bool { return strings.HasPrefix(lastError, withdrawnPrefix) }

// SecurityHome counts the issues of a connection's scope on each side that stay home because of
// their security level (as the sync user sees them: an issue of a level the sync user is not in
// is invisible to it and counts nowhere), with the levels met.
type SecurityHome struct {
	Local, Remote int
	Levels        []string // "local: Staff", "remote: Secret"
}

// SecurityKeptHome counts the issues kept home by security level, for the preview.
func (e *Engine) SecurityKeptHome(ctx context.Context, connID uint) (*SecurityHome, error) {
	l, err := e.loadLink(ctx, connID)
	if err != nil {
		return nil, err
	}
	out := &SecurityHome{}
	seen := map[string]bool{}
	for _, side := range []string{models.SideLocal, models.SideRemote} {
		j, err := e.client(ctx, l, side)
		if err != nil {
			return nil, err
		}
		jql := fmt.Sprintf("project = %s AND level IS NOT EMPTY", quoteJQL(l.project(side)))
		if its := splitList(l.issueTypes(side)); len(its) > 0 {
			q := make([]string, len(its))
			for i, it := range its {
				q[i] = quoteJQL(it)
			}
			jql += " AND issuetype IN (" + strings.Join(q, ", ") + ")"
		}
		hits, err := j.SearchAll(ctx, jira.SearchQuery{JQL: jql, MaxResults: 100, Fields: []string{fieldSecurity}}, jira.SearchAllOptions{})
		if err != nil {
			return nil, fmt.Errorf("search %s issues with a security level: %w", side, err)
		}
		for i := range hits {
			lv := l.Rules.Security.KeepsHome(&hits[i], side)
			if lv == "" {
				continue
			}
			if side == models.SideLocal {
				out.Local++
			} else {
				out.Remote++
			}
			if k := side + ": " + lv; !seen[k] {
				seen[k] = true
				out.Levels = append(out.Levels, k)
			}
		}
	}
	sort.Strings(out.Levels)
	return out, nil
}

// previewSecurity notes in a preview that the issue stays home for its security level (and
// that its twin would be withdrawn); it reports whether nothing would be sent.
func previewSecurity(l *link, src *Side, hasTwin bool, res *PreviewResult) bool {
	lv := l.Rules.Security.KeepsHome(src.Issue, src.Name)
	if lv == "" {
		return false
	}
	msg := fmt.Sprintf("%s stays home: security level %q, which this connection does not map. Nothing about it is sent.", src.Issue.Key, lv)
	if hasTwin {
		msg += fmt.Sprintf(" Its twin is withdrawn per the deletion policy (%s).", l.Conn.DeletionPolicy)
	}
	res.Notes = append(res.Notes, msg)
	return true
}

// securityLevelJira is the part of a Jira client that lists a project's security levels.
type securityLevelJira interface {
	SecurityLevels(ctx context.Context, projectIDOrKey string) ([]jira.SecurityLevel, error)
}

// securityRef is a security level in a write: Jira is sent its id (what Jira's REST
// documentation shows for the security field), and the write reads back as the name.
type securityRef struct{ ID, Name string }

func (r securityRef) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"id": r.ID})
}

func (r securityRef) readBack() any { return map[string]string{"name": r.Name} }

// securityIDs turns a security level written by name into the target's level id, from the
// levels of dst's project the sync user belongs to; a level it cannot find is a config error
// (the sync user must be in the level, or the copy would vanish from its sight).
func (e *Engine) securityIDs(ctx context.Context, dst *Side, in *jira.IssueInput) error {
	v, ok := in.Fields[fieldSecurity].(map[string]string)
	if !ok {
		return nil
	}
	sj, ok := dst.Jira.(securityLevelJira)
	if !ok {
		return nil // written by name; Jira answers for it
	}
	lvs, err := sj.SecurityLevels(ctx, dst.Project)
	if err != nil {
		return fmt.Errorf("read the security levels of %s: %w", dst.Project, err)
	}
	for _, lv := range lvs {
		if lv.Name == v["name"] {
			in.Fields[fieldSecurity] = securityRef{ID: lv.ID, Name: lv.Name}
			return nil
		}
	}
	return configError("security level %q is not a level of project %s that the sync user belongs to: fix the level map, or add the sync user to the level", v["name"], dst.Project)
}

// shapeWrite finishes a write built by BuildUpdate for dst: both estimate parts
// (engine/tracking_fields.go) and security levels by id.
func (e *Engine) shapeWrite(ctx context.Context, dst *Side, in *jira.IssueInput) error {
	completeTimeTracking(in, dst.Issue)
	return e.securityIDs(ctx, dst, in)
}
