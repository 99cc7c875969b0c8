package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// PreviewField is one shared value in a preview: the rule's shared name, kind and the Jira field
// id on the side concerned, the value before and the value after (remote vocabulary).
type PreviewField struct {
	Name, Kind, FieldID string
	From, To            string
}

// PreviewStatus is the status move a sync would make on the target issue.
type PreviewStatus struct {
	From, To string
	// Path lists the transitions (by name, "Start Progress -> In Progress") when they are known.
	Path []string
	// Note explains what happens when the path is not known yet.
	Note string
}

// PreviewWrite is what a sync would write on one side: an update of an existing issue or the
// create of a missing one, with the request body it would send.
type PreviewWrite struct {
	Side   string // models.SideLocal or models.SideRemote
	Key    string // target issue key; "" when the issue would be created
	Create bool
	Fields []PreviewField
	// Payload is the JSON body of the PUT (or POST on create) as it would be sent.
	Payload string
	Status  *PreviewStatus
	// Err is why the write could not be built (an unknown option without a default: a data
	// error the real sync would quarantine the twin for).
	Err string
}

// PreviewResult is the dry run of one issue: what leaves its side and what would be written
// on the other, computed from fresh reads without writing anything.
type PreviewResult struct {
	Side, Key, Summary string
	Project            string
	// InScope is false when the issue is outside the connection's project on its side.
	InScope   bool
	TwinID    uint
	TwinState string
	OtherKey  string
	// Leaving are the values the issue shares under the outgoing rules (fields that travel from
	// its side), in the form they leave the firewall.
	Leaving   []PreviewField
	Writes    []PreviewWrite
	Conflicts []FieldConflict
	Notes     []string
	// CommentsKeptHome counts the issue's internal comments (a service desk's internal notes)
	// that stay on its side: the connection does not let them travel that way.
	CommentsKeptHome int
}

// Preview computes, without writing, what a sync of the issue key (on either side of the
// connection) would send: its shared values, then either the create of its missing twin or the
// merge with the linked issue (updates per side, status path, conflicts). Only GET requests
// reach Jira.
func (e *Engine) Preview(ctx context.Context, connID uint, key string) (*PreviewResult, error) {
	key = strings.ToUpper(strings.TrimSpace(key))
	if key == "" {
		return nil, dataError("enter an issue key")
	}
	l, err := e.loadLink(ctx, connID)
	if err != nil {
		return nil, err
	}
	var tw models.Twin
	q := e.db(ctx).Where("connection_id = ? AND (local_key = ? OR remote_key = ?)", connID, key, key).Limit(1).Find(&tw)
	if q.Error != nil {
		return nil, fmt.Errorf("look up twin of %s: %w", key, q.Error)
	}
	hasTwin := q.RowsAffected > 0
	var sides []string
	switch {
	case hasTwin && tw.LocalKey == key:
		sides = []string{models.SideLocal}
	case hasTwin:
		sides = []string{models.SideRemote}
	case projectOf(key) == strings.ToUpper(l.Conn.RemoteProject) && projectOf(key) != strings.ToUpper(l.Conn.LocalProject):
		sides = []string{models.SideRemote, models.SideLocal}
	default:
		sides = []string{models.SideLocal, models.SideRemote}
	}
	p := &Pair{Conn: l.Conn, Rules: l.Rules}
	var src *Side
	for _, name := range sides {
		j, err := e.client(ctx, l, name)
		if err != nil {
			return nil, err
		}
		s := &Side{Name: name, Jira: j, Instance: l.inst(name), Project: l.project(name)}
		is, err := e.getIssue(ctx, s, key, &l.Rules, false)
		if jira.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.Issue, src = is, s
		break
	}
	if src == nil {
		return nil, fmt.Errorf("issue %s: not found in %s or %s: %w", key, l.Local.Name, l.Remote.Name, ErrNotFound)
	}
	if !hasTwin {
		q := e.db(ctx).Where(twinIssueColumn(src.Name)+" = ? AND connection_id = ?", src.Issue.ID, connID).Limit(1).Find(&tw)
		if q.Error != nil {
			return nil, fmt.Errorf("look up twin of %s: %w", key, q.Error)
		}
		hasTwin = q.RowsAffected > 0
	}
	if src.Name == models.SideLocal {
		p.Local = src
	} else {
		p.Remote = src
	}
	dstName := otherSide(src.Name)
	dj, err := e.client(ctx, l, dstName)
	if err != nil {
		return nil, err
	}
	dst := &Side{Name: dstName, Jira: dj, Instance: l.inst(dstName), Project: l.project(dstName)}
	if dstName == models.SideLocal {
		p.Local = dst
	} else {
		p.Remote = dst
	}

	res := &PreviewResult{Side: src.Name, Key: src.Issue.Key, InScope: true}
	res.Summary, _ = src.Issue.Summary()
	if pr, ok := src.Issue.Project(); ok {
		res.Project = pr.Key
		res.InScope = strings.EqualFold(pr.Key, src.Project)
	}
	if !res.InScope {
		res.Notes = append(res.Notes, fmt.Sprintf("%s is not in project %s, the %s scope of this connection: a poll would not pick it up.",
			src.Issue.Key, src.Project, src.Name))
	}
	if err := e.previewKeptHome(ctx, p, src, res); err != nil {
		return nil, err
	}
	if previewSecurity(l, src, hasTwin, res) { // engine/security.go
		return res, nil
	}
	if err := e.previewWorklogs(ctx, p, src, res); err != nil {
		return nil, err
	}
	if err := e.previewStructure(ctx, l, p, src, res); err != nil {
		return nil, err
	}
	if err := e.previewLinks(ctx, p, src, res); err != nil {
		return nil, err
	}
	srcShared := Project(src.Issue, &l.Rules, src.Name)
	for i := range l.Rules.Fields {
		f := &l.Rules.Fields[i]
		if travels(f, src.Name) {
			res.Leaving = append(res.Leaving, PreviewField{Name: f.Name, Kind: f.Kind, FieldID: f.fieldID(src.Name), To: srcShared[f.Name]})
		}
	}
	if hasTwin {
		res.TwinID, res.TwinState = tw.ID, tw.State
		res.OtherKey = twinKey(&tw, dstName)
		p.Twin = &tw
		switch tw.State {
		case models.TwinUnlinked:
			res.Notes = append(res.Notes, "This twin is unlinked: nothing is synced for it any more.")
			return res, nil
		case models.TwinQuarantined:
			res.Notes = append(res.Notes, "This twin is quarantined: nothing is written until someone retries it on the Errors page. "+
				"The preview shows what a retry would write.")
		}
	}
	if l.Conn.Draft {
		res.Notes = append(res.Notes, "The connection is a draft: nothing is written until it is activated.")
	} else if l.Conn.Paused {
		res.Notes = append(res.Notes, "The connection is paused: nothing is written until it resumes.")
	}
	otherID := (*string)(nil)
	if hasTwin {
		otherID = twinIssueID(&tw, dstName)
	}
	if otherID == nil {
		w := e.previewCreate(ctx, l, p, src, dst, srcShared)
		res.Writes = append(res.Writes, w)
		return res, nil
	}
	other, err := e.getIssue(ctx, dst, *otherID, &l.Rules, false)
	if jira.IsNotFound(err) {
		res.Notes = append(res.Notes, fmt.Sprintf("The linked %s issue %s no longer exists: the deletion policy (%s) applies.",
			dstName, res.OtherKey, l.Conn.DeletionPolicy))
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	dst.Issue = other
	res.OtherKey = other.Key
	if err := e.previewMerge(ctx, l.withoutSkipped(&tw), p, &tw, res); err != nil {
		return nil, err
	}
	return res, nil
}

// previewMerge runs the three-way merge of a linked pair and describes the writes per side.
func (e *Engine) previewMerge(ctx context.Context, l *link, p *Pair, tw *models.Twin, res *PreviewResult) error {
	base, err := ParseBaseline(tw.Baseline)
	if err != nil {
		base, _ = ParseBaseline("")
		res.Notes = append(res.Notes, "The stored baseline is unreadable: the merge treats every field as changed on both sides.")
	}
	local := Project(p.Local.Issue, &l.Rules, models.SideLocal)
	remote := Project(p.Remote.Issue, &l.Rules, models.SideRemote)
	var open []models.Conflict
	if err := e.db(ctx).Where("twin_id = ? AND applied_at IS NULL", tw.ID).Find(&open).Error; err != nil {
		return fmt.Errorf("load conflicts: %w", err)
	}
	opt := MergeOptions{Policy: l.Conn.ConflictPolicy, Held: map[string]bool{}, Decided: map[string]string{},
		FirstSync: FirstSyncFields(&l.Rules, base)}
	opt.UpdatedLocal, _ = p.Local.Issue.Updated()
	opt.UpdatedRemote, _ = p.Remote.Issue.Updated()
	for _, c := range open {
		switch c.Decision {
		case "":
			opt.Held[c.Field] = true
		case models.SideLocal:
			opt.Decided[c.Field] = local[c.Field]
		case models.SideRemote:
			opt.Decided[c.Field] = remote[c.Field]
		default:
			opt.Decided[c.Field] = c.Value
		}
	}
	plan := Merge(l.Rules.Fields, base, local, remote, opt)
	res.Conflicts = plan.Conflicts
	for name := range opt.Held {
		res.Notes = append(res.Notes, fmt.Sprintf("Field %s is held by an open conflict: decide it on the Conflicts page.", name))
	}
	if len(plan.ToRemote) > 0 {
		res.Writes = append(res.Writes, e.previewUpdate(ctx, p, p.Local, p.Remote, plan.ToRemote, remote))
	}
	if len(plan.ToLocal) > 0 {
		res.Writes = append(res.Writes, e.previewUpdate(ctx, p, p.Remote, p.Local, plan.ToLocal, local))
	}
	if plan.Empty() && len(plan.Conflicts) == 0 {
		res.Notes = append(res.Notes, "Both issues agree on every shared field: a sync would write no field.")
	}
	return nil
}

// previewUpdate describes the PUT and status move a reconcile would make on dst.
func (e *Engine) previewUpdate(ctx context.Context, p *Pair, src, dst *Side, values map[string]string, before Shared) PreviewWrite {
	w := PreviewWrite{Side: dst.Name, Key: dst.Issue.Key}
	for _, name := range sortedKeys(values) {
		if f := p.Rules.field(name); f != nil {
			w.Fields = append(w.Fields, PreviewField{Name: name, Kind: f.Kind, FieldID: f.fieldID(dst.Name), From: before[name], To: values[name]})
		}
	}
	users, _, err := e.resolveUsers(ctx, p, values, src, dst)
	if err != nil {
		w.Err = err.Error()
		return w
	}
	meta := &WriteMeta{Users: users}
	if meta.Options, err = e.optionsFor(ctx, p, values, dst); err != nil {
		w.Err = err.Error()
		return w
	}
	if meta.Refs, err = e.refsFor(ctx, p, values, dst); err != nil {
		w.Err = err.Error()
		return w
	}
	in, err := BuildUpdate(values, dst.Name, &p.Rules, meta)
	if err != nil {
		w.Err = err.Error()
		return w
	}
	if len(in.Fields) > 0 {
		w.Payload = payloadJSON(in)
		if w.Err = rejectedFields(ctx, dst, in.Fields); w.Err != "" {
			return w
		}
	}
	for i := range p.Rules.Fields {
		f := &p.Rules.Fields[i]
		if v, ok := values[f.Name]; ok && f.Kind == KindStatus && v != "" {
			w.Status = e.previewStatus(ctx, p, f, dst, v)
		}
	}
	return w
}

// rejectedFields names the fields of a write that Jira would reject because they are not on
// dst's edit screen (read-only fields such as Created or Votes never are); "" when all are.
func rejectedFields(ctx context.Context, dst *Side, fields map[string]any) string {
	meta, err := dst.Jira.EditMeta(ctx, dst.Issue.ID)
	if err != nil {
		return ""
	}
	var bad []string
	for _, id := range slices.Sorted(maps.Keys(fields)) {
		if _, ok := meta[id]; !ok {
			bad = append(bad, id)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("Jira would reject this write: %s is not on the edit screen of %s (a read-only field, or one missing from that screen). Change the mapping so this field is not a target.",
		strings.Join(bad, ", "), dst.Issue.Key)
}

// previewStatus finds the transitions that would bring dst to the status v: Jira's offered
// transitions (a GET), then the workflow graph learnt so far.
func (e *Engine) previewStatus(ctx context.Context, p *Pair, f *FieldRule, dst *Side, v string) *PreviewStatus {
	target := v
	if dst.Name == models.SideLocal {
		target = mapIn(f, v)
	}
	st := &PreviewStatus{To: target}
	if s, ok := dst.Issue.Status(); ok {
		st.From = s.Name
	}
	if st.From == target {
		st.Note = "already in this status"
		return st
	}
	ts, err := dst.Jira.Transitions(ctx, dst.Issue.ID, false)
	if err != nil {
		st.Note = "cannot read the transitions: " + err.Error()
		return st
	}
	for _, t := range ts {
		if t.To.Name == target {
			st.Path = []string{t.Name + " → " + t.To.Name}
			return st
		}
	}
	it := ""
	if t, ok := dst.Issue.IssueType(); ok {
		it = t.Name
	}
	c := e.caches()
	c.workflows.learn(graphKey{dst.Instance.Name, dst.Project, it}, st.From, ts)
	if path := shortestPath(c.workflows.snapshot(graphKey{dst.Instance.Name, dst.Project, it}), st.From, target, MaxTransitionSteps); len(path) > 0 {
		for _, ed := range path {
			st.Path = append(st.Path, ed.Name+" → "+ed.To)
		}
		return st
	}
	st.Note = fmt.Sprintf("no direct transition: the sync explores the workflow (at most %d transitions); with no path it reports a config error on this twin", MaxTransitionSteps)
	return st
}

// previewCreate describes the create request of the missing twin issue, built as createIssue
// builds it, without sending it.
func (e *Engine) previewCreate(ctx context.Context, l *link, p *Pair, src, dst *Side, srcShared Shared) PreviewWrite {
	w := PreviewWrite{Side: dst.Name, Create: true}
	values := map[string]string{}
	for i := range l.Rules.Fields {
		f := &l.Rules.Fields[i]
		if v := srcShared[f.Name]; v != "" && travels(f, src.Name) && f.Kind != KindStatus {
			values[f.Name] = v
			w.Fields = append(w.Fields, PreviewField{Name: f.Name, Kind: f.Kind, FieldID: f.fieldID(dst.Name), To: v})
		}
	}
	in, _, err := e.createInput(ctx, l, p, src, dst, values)
	if err != nil {
		w.Err = err.Error()
		return w
	}
	// The real value carries the twin's sync id, which exists only once the twin is stored.
	in.Properties = []jira.EntityProperty{{Key: TwinProperty, Value: "(link to " + src.Issue.Key + " with the twin's sync id)"}}
	w.Payload = payloadJSON(in)
	for i := range l.Rules.Fields {
		f := &l.Rules.Fields[i]
		if f.Kind == KindStatus && travels(f, src.Name) && srcShared[f.Name] != "" {
			target := srcShared[f.Name]
			if dst.Name == models.SideLocal {
				target = mapIn(f, target)
			}
			w.Status = &PreviewStatus{To: target, Note: "the new issue starts in its workflow's first status, then moves by transitions"}
		}
	}
	return w
}

// payloadJSON renders a request body for display, indented.
func payloadJSON(in jira.IssueInput) string {
	b, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		return fmt.Sprintf("(cannot render: %v)", err)
	}
	return string(b)
}

// projectOf returns the project part of an issue key ("ABC" of "ABC-12").
func projectOf(key string) string {
	p, _, _ := strings.Cut(key, "-")
	return p
}

// twinIssueColumn is the twin column holding a side's issue id.
func twinIssueColumn(side string) string {
	if side == models.SideLocal {
		return "local_issue_id"
	}
	return "remote_issue_id"
}

// IsPreviewInput reports whether err is a problem with what the operator entered (an empty or
// unknown key) rather than a failure.
func IsPreviewInput(err error) bool {
	var ce *ClassedError
	return errors.Is(err, ErrNotFound) || (errors.As(err, &ce) && ce.Class == models.ClassData)
}

// previewKeptHome counts the source issue's internal comments that would stay on its side, and
// says so in a note. Copies (comments that arrived from the other side) are not counted.
func (e *Engine) previewKeptHome(ctx context.Context, p *Pair, src *Side, res *PreviewResult) error {
	if !p.Rules.Comments.Enabled {
		return nil
	}
	cs, err := e.commentsOf(ctx, p, src)
	if err != nil {
		return err
	}
	for i := range cs {
		if internalKeptHome(&p.Rules.Comments, src.Name, &cs[i]) && !parseComment(src, cs[i]).isCopy() {
			res.CommentsKeptHome++
		}
	}
	if n := res.CommentsKeptHome; n > 0 {
		what := "internal comments stay"
		if n == 1 {
			what = "internal comment stays"
		}
		res.Notes = append(res.Notes, fmt.Sprintf("%d %s on %s: this connection does not let internal notes of %s travel to %s.",
			n, what, instanceName(src), src.Issue.Key, instanceName(p.Other(src))))
	}
	return nil
}

// instanceName names a side's Jira for the console.
func instanceName(s *Side) string {
	if s.Instance != nil && s.Instance.Name != "" {
		return s.Instance.Name
	}
	return s.Name
}
