package engine

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// createLookback is how far before a failed create attempt a retry searches for the issue.
const createLookback = 2 * time.Minute

// create gives a pending twin its missing issue, idempotently: the attempt is committed before
// Jira is asked; the create carries the twin's sync id in the airlock.twin property; a retried
// create first looks for an issue carrying it and adopts it. Then the source issue gets its
// link, the new issue its status, comments and attachments, and the twin its baseline.
func (e *Engine) create(ctx context.Context, l *link, p *Pair, dirtySince *time.Time) error {
	tw := p.Twin
	srcName := models.SideLocal
	if tw.LocalIssueID == nil {
		srcName = models.SideRemote
	}
	if tw.LocalIssueID == nil && tw.RemoteIssueID == nil {
		return &ClassedError{Class: models.ClassInternal, Message: fmt.Sprintf("twin %d has no issue on either side", tw.ID)}
	}
	var dstIssue *jira.Issue
	var sent Shared // what this call's create asked Jira to store, projected like a read of dst
	if tw.LocalIssueID != nil && tw.RemoteIssueID != nil {
		// Both ids known (a poll adopted the created issue): the source is the older issue.
		li, err := e.getIssue(ctx, p.Local, *tw.LocalIssueID, &l.Rules, false)
		if err != nil && !jira.IsNotFound(err) {
			return err
		}
		ri, err := e.getIssue(ctx, p.Remote, *tw.RemoteIssueID, &l.Rules, false)
		if err != nil && !jira.IsNotFound(err) {
			return err
		}
		if li == nil || ri == nil {
			var gone []string
			if li == nil {
				gone = append(gone, models.SideLocal)
			} else {
				p.Local.Issue = li
			}
			if ri == nil {
				gone = append(gone, models.SideRemote)
			} else {
				p.Remote.Issue = ri
			}
			return e.deleted(ctx, l, p, gone)
		}
		lc, _ := li.Created()
		rc, _ := ri.Created()
		srcName = models.SideLocal
		p.Local.Issue, p.Remote.Issue = li, ri
		dstIssue = ri
		if rc.Before(lc) {
			srcName, dstIssue = models.SideRemote, li
		}
	}
	src, dst := p.side(srcName), p.side(otherSide(srcName))
	if src.Issue == nil {
		is, err := e.getIssue(ctx, src, *twinIssueID(tw, srcName), &l.Rules, false)
		if jira.IsNotFound(err) {
			// The source vanished before its copy was made: nothing to create.
			return e.db(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).Updates(map[string]any{"state": models.TwinUnlinked,
				"dirty": false, "dirty_since": nil, "last_error": fmt.Sprintf("%s issue %s was deleted before its copy was created", srcName, twinKey(tw, srcName))}).Error
		}
		if err != nil {
			return err
		}
		src.Issue = is
	}
	srcShared := Project(src.Issue, &l.Rules, srcName)
	if lv := l.Rules.Security.KeepsHome(src.Issue, srcName); lv != "" && dstIssue == nil {
		return e.stayHome(ctx, p, src, lv) // engine/security.go
	}
	if dstIssue == nil && tw.CreateAttemptedAt != nil {
		// A retry: look for the issue of an earlier attempt that died before linking it.
		grace := e.CreateSearchGrace
		if grace == 0 {
			grace = 5 * time.Second
		}
		if wait := tw.CreateAttemptedAt.Add(grace).Sub(e.now()); wait > 0 {
			return transientError("a retried create of twin %d waits %s for Jira's search index before looking for the issue", tw.ID, wait.Round(time.Millisecond))
		}
		found, err := e.findCreated(ctx, l, dst, tw)
		if err != nil {
			return err
		}
		if found != nil {
			if err := e.linkCreated(ctx, p, dst, found.ID, found.Key); err != nil {
				return err
			}
			e.log().Info("adopted the issue of an earlier create attempt", "twin", tw.ID, "issue", found.Key)
			e.event(ctx, p, srcName, "create", "", src.Issue.Key, found.Key)
			dstIssue = found
		}
	}
	if dstIssue == nil {
		cs, err := e.prepareStructure(ctx, l, p, src, dst, srcShared)
		if err != nil {
			return err
		}
		if cs.skip != "" {
			return e.skipTwin(ctx, p, srcName, cs.skip)
		}
		in, notes, err := e.createRequest(ctx, l, p, src, dst, srcShared)
		if err != nil {
			return err
		}
		cs.apply(&in)
		// The attempt is recorded with what it asks for, before Jira is asked: should the copy be
		// made and this call end before the agreement below is stored, the retry that finds the
		// copy (adoptCreated) knows what the copy held and what the source held at create.
		now := e.now()
		prior := Baseline{Local: srcShared, Remote: sentShared(in.Fields, &l.Rules, dst.Name)}
		if srcName == models.SideRemote {
			prior.Local, prior.Remote = prior.Remote, prior.Local
		}
		if err := e.db(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).
			Updates(map[string]any{"create_attempted_at": now, "baseline": prior.String()}).Error; err != nil {
			return fmt.Errorf("record create attempt: %w", err)
		}
		tw.CreateAttemptedAt, tw.Baseline = &now, prior.String()
		created, err := e.sendCreate(ctx, p, src, dst, in, notes)
		if err != nil {
			return err
		}
		if e.Hooks != nil && e.Hooks.AfterCreate != nil {
			if err := e.Hooks.AfterCreate(dst.Name, created); err != nil {
				return err
			}
		}
		if err := e.linkCreated(ctx, p, dst, created.ID, created.Key); err != nil {
			return err
		}
		e.event(ctx, p, srcName, "create", "", src.Issue.Key, created.Key)
		dstIssue = &jira.Issue{ID: created.ID, Key: created.Key}
		sent = sentShared(in.Fields, &l.Rules, dst.Name)
		if err := e.createWatchers(ctx, p, src, dst, created.ID, srcShared, sent); err != nil { // engine/tracking_fields.go
			return err
		}
	}
	// The source learns its twin too (merged: an AB issue carries both nodes' links).
	if err := writeLink(ctx, src.Jira, src.Issue.ID, l.Key, &TwinLink{SyncID: tw.SyncID, PeerBaseURL: dst.Instance.BaseURL,
		PeerID: dstIssue.ID, PeerKey: dstIssue.Key}); err != nil {
		return fmt.Errorf("link source issue %s: %w", src.Issue.Key, err)
	}
	// The changelog is short: the issue is new (see touchedSinceCreate).
	is, err := dst.Jira.GetIssue(ctx, dstIssue.ID, jira.GetIssueOptions{Fields: issueFields(&l.Rules, dst.Name), Expand: []string{"changelog"}})
	if err != nil {
		return fmt.Errorf("read %s issue %s: %w", dst.Name, dstIssue.ID, err)
	}
	dst.Issue = is
	if sent == nil {
		return e.adoptCreated(ctx, l, p, srcName, is)
	}
	dstFirst := Project(is, &l.Rules, dst.Name)
	// The new issue's baseline is what the create asked Jira to store (the fields it carried,
	// projected like a read), else what Jira stored at create (read at once, before the status
	// moves and the copies of comments and attachments), its status as moved: a later change
	// there, or on the source, is someone else's and keeps the twin dirty. A person may edit the
	// new issue before that first read; taking such an edit of a created field as the baseline
	// would lose it, so the read-back is only the baseline of fields the create did not carry.
	ex := maps.Clone(dstFirst)
	maps.Copy(ex, sent)
	if touchedSinceCreate(is) {
		// Someone changed the new issue before our first read: for the fields the create could
		// have carried but did not (empty on the source), the read shows their edit, not what
		// Jira stored at create; expect them empty, so the next reconcile carries such an edit
		// over.
		for i := range l.Rules.Fields {
			f := &l.Rules.Fields[i]
			if _, ok := sent[f.Name]; !ok && f.Kind != KindStatus && travels(f, srcName) {
				ex[f.Name] = ""
			}
		}
	}
	// From here the twin is active: should a status move or a copy below fail (the calls most
	// likely to), the retry is a normal reconcile. Record this agreement as its baseline, so that
	// it merges what either side changed meanwhile instead of treating every field as changed on
	// both sides. The source's status entry is the new issue's, so that the retry moves the
	// status when it still differs.
	srcBase := maps.Clone(srcShared)
	for i := range l.Rules.Fields {
		if f := &l.Rules.Fields[i]; f.Kind == KindStatus {
			srcBase[f.Name] = dstFirst[f.Name]
		}
	}
	pb := Baseline{Local: srcBase, Remote: maps.Clone(ex)}
	if srcName == models.SideRemote {
		pb = Baseline{Local: maps.Clone(ex), Remote: srcBase}
	}
	l.Rules.stamp(&pb, nil)
	if err := e.db(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).
		Updates(map[string]any{"baseline": pb.String(), "state": models.TwinActive}).Error; err != nil {
		return fmt.Errorf("record the baseline of the create: %w", err)
	}
	tw.State = models.TwinActive
	for i := range l.Rules.Fields {
		f := &l.Rules.Fields[i]
		if f.Kind != KindStatus || !travels(f, srcName) || srcShared[f.Name] == "" || srcShared[f.Name] == dstFirst[f.Name] {
			continue
		}
		if err := e.moveStatus(ctx, p, f, src, dst, srcShared[f.Name]); err != nil {
			return err
		}
		ex[f.Name] = statusSent(f, dst.Name, srcShared[f.Name])
		e.event(ctx, p, srcName, "status", f.Name, dstFirst[f.Name], srcShared[f.Name])
	}
	extra, err := e.syncExtras(ctx, p)
	if err != nil {
		return err
	}
	var expect [2]Shared
	var after [2]*jira.Issue
	if after[sideIndex(dst.Name)], err = e.getIssue(ctx, dst, dstIssue.ID, &l.Rules, false); err != nil {
		return err
	}
	// Reading the source again catches an edit made while we created its copy.
	if after[sideIndex(srcName)], err = e.getIssue(ctx, src, src.Issue.ID, &l.Rules, false); err != nil {
		return err
	}
	expect[sideIndex(srcName)] = srcShared
	expect[sideIndex(dst.Name)] = ex
	base, _ := ParseBaseline("")
	// The new issue is confirmed by one more reconcile; so is the source when it changed while we
	// worked (its read-back `updated` would hide that change from the next poll).
	var confirm [2]bool
	confirm[sideIndex(dst.Name)] = true
	u0, _ := src.Issue.Updated()
	u1, _ := after[sideIndex(srcName)].Updated()
	confirm[sideIndex(srcName)] = extra[sideIndex(srcName)] || !u0.Equal(u1)
	if err := e.finish(ctx, l, tw, dirtySince, base, nil, expect, after, confirm, nil); err != nil {
		return err
	}
	e.kickOthers(ctx, l, dst.Name)
	return nil
}

// touchedSinceCreate reports whether an issue changed after it was created: Jira records no
// change history at create and one entry per edit since, and sets `updated` to `created` at
// create and bumps it on every edit, comment or attachment (an edit within the same
// millisecond shows only in the history).
func touchedSinceCreate(is *jira.Issue) bool {
	if is.Changelog != nil && (len(is.Changelog.Histories) > 0 || is.Changelog.Total > 0) {
		return true
	}
	u, okU := is.Updated()
	c, okC := is.Created()
	return !okU || !okC || !u.Equal(c)
}

// createValues are the shared values a create carries from src: every field that may travel
// from that side, except status (reached by transitions after the create).
func createValues(l *link, src *Side, srcShared Shared) map[string]string {
	values := map[string]string{}
	for i := range l.Rules.Fields {
		f := &l.Rules.Fields[i]
		if v := srcShared[f.Name]; v != "" && travels(f, src.Name) && f.Kind != KindStatus {
			values[f.Name] = v
		}
	}
	return values
}

// createInput builds the create request of the missing issue from the values it carries: the
// fields through the incoming rules and user map, the project, and an issue type and summary
// (Jira requires both) when the rules do not carry them. The caller adds the twin property.
func (e *Engine) createInput(ctx context.Context, l *link, p *Pair, src, dst *Side, values map[string]string) (jira.IssueInput, []userNote, error) {
	users, notes, err := e.resolveUsers(ctx, p, values, src, dst)
	if err != nil {
		return jira.IssueInput{}, nil, err
	}
	refs, err := e.refsFor(ctx, p, values, dst)
	if err != nil {
		return jira.IssueInput{}, nil, err
	}
	in, err := BuildUpdate(values, dst.Name, &l.Rules, &WriteMeta{Create: true, Users: users, Refs: refs})
	if err != nil {
		return in, nil, err
	}
	if err := e.shapeWrite(ctx, dst, &in); err != nil { // engine/security.go
		return in, nil, err
	}
	for k, v := range in.Fields {
		if v == nil {
			delete(in.Fields, k)
		}
	}
	in.Fields["project"] = map[string]string{"key": dst.Project}
	if _, ok := in.Fields["issuetype"]; !ok {
		name := "Task"
		if its := splitList(l.issueTypes(dst.Name)); len(its) > 0 {
			name = its[0]
		} else if t, ok := src.Issue.IssueType(); ok && t.Name != "" {
			name = t.Name
		}
		in.Fields["issuetype"] = map[string]string{"name": name}
	}
	if _, ok := in.Fields["summary"]; !ok {
		s, _ := src.Issue.Summary()
		if s == "" {
			s = src.Issue.Key
		}
		in.Fields["summary"] = s
	}
	return in, notes, nil
}

// travels reports whether a field may travel from side `from`.
func travels(f *FieldRule, from string) bool {
	switch f.Direction {
	case DirOut:
		return from == models.SideLocal
	case DirIn:
		return from == models.SideRemote
	}
	return true
}

// createRequest builds the create request of the missing issue, with the twin property; its
// fields are the new issue's baseline.
func (e *Engine) createRequest(ctx context.Context, l *link, p *Pair, src, dst *Side, srcShared Shared) (jira.IssueInput, []userNote, error) {
	in, notes, err := e.createInput(ctx, l, p, src, dst, createValues(l, src, srcShared))
	if err != nil {
		return in, nil, err
	}
	in.Properties = []jira.EntityProperty{{Key: TwinProperty, Value: TwinValue{V: 1, Links: map[string]TwinLink{l.Key: {
		SyncID: p.Twin.SyncID, PeerBaseURL: src.Instance.BaseURL, PeerID: src.Issue.ID, PeerKey: src.Issue.Key}}}}}
	return in, notes, nil
}

// sendCreate sends the create request of the missing issue.
func (e *Engine) sendCreate(ctx context.Context, p *Pair, src, dst *Side, in jira.IssueInput, notes []userNote) (*jira.CreatedIssue, error) {
	created, err := dst.Jira.CreateIssue(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("create %s issue from %s: %w", dst.Name, src.Issue.Key, err)
	}
	for _, n := range notes {
		e.event(ctx, p, src.Name, "user", n.Field, n.Original, "replaced by default user "+n.Replacement)
	}
	return created, nil
}

// linkCreated commits the created (or found) issue to the twin. The twin stays pending until
// the agreement of the create is stored: a retry before that finishes the create (adoptCreated)
// rather than merging without a baseline.
func (e *Engine) linkCreated(ctx context.Context, p *Pair, dst *Side, id, key string) error {
	idCol, keyCol := "local_issue_id", "local_key"
	if dst.Name == models.SideRemote {
		idCol, keyCol = "remote_issue_id", "remote_key"
	}
	if err := e.db(ctx).Model(&models.Twin{}).Where("id = ?", p.Twin.ID).
		Updates(map[string]any{idCol: id, keyCol: key}).Error; err != nil {
		return fmt.Errorf("link created issue %s: %w", key, err)
	}
	if dst.Name == models.SideLocal {
		p.Twin.LocalIssueID, p.Twin.LocalKey = &id, key
	} else {
		p.Twin.RemoteIssueID, p.Twin.RemoteKey = &id, key
	}
	return nil
}

// adoptCreated finishes a create whose copy an earlier attempt made, found now by its sync id
// (by the retry, or by a poll of the copy's side): it stores the agreement the create made as
// the twin's baseline and reconciles the twin like any other, so that what either side changed
// since the copy was made is merged. The agreement is what the attempt recorded (the source's
// values and what the create asked Jira to store, create.go); for an attempt that recorded
// nothing, the copy's values stand for both sides, so that a source that differs is carried.
// Status is never carried by the create: its entry is the copy's on both sides, so that the
// source's status is moved when it differs.
func (e *Engine) adoptCreated(ctx context.Context, l *link, p *Pair, srcName string, copied *jira.Issue) error {
	tw := p.Twin
	dstName := otherSide(srcName)
	prior, err := ParseBaseline(tw.Baseline)
	if err != nil {
		prior, _ = ParseBaseline("")
	}
	now := Project(copied, &l.Rules, dstName)
	touched := touchedSinceCreate(copied)
	src, dst := Shared{}, Shared{}
	for i := range l.Rules.Fields {
		f := &l.Rules.Fields[i]
		name := f.Name
		v, asked := prior.Of(dstName)[name]
		switch {
		case f.Kind == KindStatus:
			dst[name] = now[name]
		case asked:
			dst[name] = v
		case touched && travels(f, srcName):
			// Not carried by the create (as in create): the copy's value may be an edit.
			dst[name] = ""
		default:
			dst[name] = now[name]
		}
		if v, ok := prior.Of(srcName)[name]; ok && f.Kind != KindStatus {
			src[name] = v
		} else {
			src[name] = dst[name]
		}
	}
	pb := Baseline{Local: src, Remote: dst}
	if srcName == models.SideRemote {
		pb = Baseline{Local: dst, Remote: src}
	}
	l.Rules.stamp(&pb, nil)
	if err := e.db(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).
		Updates(map[string]any{"baseline": pb.String(), "state": models.TwinActive}).Error; err != nil {
		return fmt.Errorf("record the baseline of the adopted create: %w", err)
	}
	tw.Baseline, tw.State = pb.String(), models.TwinActive
	return e.reconcile(ctx, l, tw)
}

// findCreated looks for an issue an earlier create attempt of this twin made: created since the
// attempt (minus a lookback) in the target project, carrying this twin's sync id.
func (e *Engine) findCreated(ctx context.Context, l *link, dst *Side, tw *models.Twin) (*jira.Issue, error) {
	loc, err := e.location(ctx, dst.Instance, dst.Jira)
	if err != nil {
		return nil, err
	}
	jql := fmt.Sprintf("project = %s AND created >= %s ORDER BY created ASC, key ASC", quoteJQL(dst.Project),
		jira.JQLTime(tw.CreateAttemptedAt.Add(-createLookback), loc))
	hits, err := dst.Jira.SearchAll(ctx, jira.SearchQuery{JQL: jql, MaxResults: 100, Fields: []string{"updated", "created"},
		Properties: []string{TwinProperty}}, jira.SearchAllOptions{Overlap: 5})
	if err != nil {
		return nil, fmt.Errorf("look for an earlier create: %w", err)
	}
	for i := range hits {
		lk, found, err := readLink(ctx, dst.Jira, &hits[i], l.Key)
		if err != nil {
			return nil, err
		}
		if found && lk.SyncID == tw.SyncID {
			return &hits[i], nil
		}
	}
	return nil, nil
}

func twinKey(t *models.Twin, side string) string {
	if side == models.SideLocal {
		return t.LocalKey
	}
	return t.RemoteKey
}
