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
		now := e.now()
		if err := e.db(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).Update("create_attempted_at", now).Error; err != nil {
			return fmt.Errorf("record create attempt: %w", err)
		}
		tw.CreateAttemptedAt = &now
		created, in, err := e.createIssue(ctx, l, p, src, dst, srcShared)
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
	}
	// The source learns its twin too (merged: an AB issue carries both nodes' links).
	if err := writeLink(ctx, src.Jira, src.Issue.ID, l.Key, &TwinLink{SyncID: tw.SyncID, PeerBaseURL: dst.Instance.BaseURL,
		PeerID: dstIssue.ID, PeerKey: dstIssue.Key}); err != nil {
		return fmt.Errorf("link source issue %s: %w", src.Issue.Key, err)
	}
	opt := jira.GetIssueOptions{Fields: issueFields(&l.Rules, dst.Name)}
	if sent != nil {
		opt.Expand = []string{"changelog"} // short: the issue is new (see touchedSinceCreate)
	}
	is, err := dst.Jira.GetIssue(ctx, dstIssue.ID, opt)
	if err != nil {
		return fmt.Errorf("read %s issue %s: %w", dst.Name, dstIssue.ID, err)
	}
	dst.Issue = is
	dstFirst := Project(is, &l.Rules, dst.Name)
	// The new issue's baseline is what the create asked Jira to store (the fields it carried,
	// projected like a read), else what Jira stored at create (read at once, before the status
	// moves and the copies of comments and attachments), its status as moved: a later change
	// there, or on the source, is someone else's and keeps the twin dirty. A person may edit the
	// new issue before that first read; taking such an edit of a created field as the baseline
	// would lose it, so the read-back is only the baseline of fields the create did not carry.
	ex := maps.Clone(dstFirst)
	if sent != nil {
		maps.Copy(ex, sent)
		if touchedSinceCreate(is) {
			// Someone changed the new issue before our first read: for the fields the create
			// could have carried but did not (empty on the source), the read shows their edit,
			// not what Jira stored at create; expect them empty, so the next reconcile carries
			// such an edit over.
			for i := range l.Rules.Fields {
				f := &l.Rules.Fields[i]
				if _, ok := sent[f.Name]; !ok && f.Kind != KindStatus && travels(f, srcName) {
					ex[f.Name] = ""
				}
			}
		}
		// The twin is already active: should a status move or a copy below fail (the calls most
		// likely to), the retry is a normal reconcile. Record this agreement as its baseline, so
		// that it merges what either side changed meanwhile instead of treating every field as
		// changed on both sides. The source's status entry is the new issue's, so that the retry
		// moves the status when it still differs.
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
		if err := e.db(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).Update("baseline", pb.String()).Error; err != nil {
			return fmt.Errorf("record the baseline of the create: %w", err)
		}
	}
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
	in, err := BuildUpdate(values, dst.Name, &l.Rules, &WriteMeta{Create: true, Users: users})
	if err != nil {
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

// createIssue builds and sends the create request of the missing issue; it returns the request
// too, whose fields are the new issue's baseline.
func (e *Engine) createIssue(ctx context.Context, l *link, p *Pair, src, dst *Side, srcShared Shared) (*jira.CreatedIssue, jira.IssueInput, error) {
	in, notes, err := e.createInput(ctx, l, p, src, dst, createValues(l, src, srcShared))
	if err != nil {
		return nil, in, err
	}
	in.Properties = []jira.EntityProperty{{Key: TwinProperty, Value: TwinValue{V: 1, Links: map[string]TwinLink{l.Key: {
		SyncID: p.Twin.SyncID, PeerBaseURL: src.Instance.BaseURL, PeerID: src.Issue.ID, PeerKey: src.Issue.Key}}}}}
	created, err := dst.Jira.CreateIssue(ctx, in)
	if err != nil {
		return nil, in, fmt.Errorf("create %s issue from %s: %w", dst.Name, src.Issue.Key, err)
	}
	for _, n := range notes {
		e.event(ctx, p, src.Name, "user", n.Field, n.Original, "replaced by default user "+n.Replacement)
	}
	return created, in, nil
}

// linkCreated commits the created (or found) issue to the twin.
func (e *Engine) linkCreated(ctx context.Context, p *Pair, dst *Side, id, key string) error {
	idCol, keyCol := "local_issue_id", "local_key"
	if dst.Name == models.SideRemote {
		idCol, keyCol = "remote_issue_id", "remote_key"
	}
	if err := e.db(ctx).Model(&models.Twin{}).Where("id = ?", p.Twin.ID).
		Updates(map[string]any{idCol: id, keyCol: key, "state": models.TwinActive}).Error; err != nil {
		return fmt.Errorf("link created issue %s: %w", key, err)
	}
	if dst.Name == models.SideLocal {
		p.Twin.LocalIssueID, p.Twin.LocalKey = &id, key
	} else {
		p.Twin.RemoteIssueID, p.Twin.RemoteKey = &id, key
	}
	p.Twin.State = models.TwinActive
	return nil
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
