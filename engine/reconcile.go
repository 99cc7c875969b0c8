package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// Reconcile brings one twin's two issues into agreement: fresh reads, projection, three-way
// merge against the baseline, one write per side, status by transitions, comments and
// attachments, then the read-back that becomes the new baseline. A pending twin first gets its
// missing issue created (idempotently). Failures are recorded on the twin: config and data
// errors (and internal errors after a few attempts) quarantine it and come back as a
// *TwinError with Quarantined set; the queue must not retry those.
func (e *Engine) Reconcile(ctx context.Context, twinID uint) error {
	_, err := e.ReconcileRan(ctx, twinID)
	return err
}

// ReconcileRan is Reconcile that also says whether the reconcile ran: false with a nil error
// when the twin was left alone (unlinked, quarantined, or its connection paused or not active).
// Only a run that ran may close the twin's open errors: a skipped one proves nothing, and a
// quarantined twin's data error must stay on the Errors page until someone retries it.
func (e *Engine) ReconcileRan(ctx context.Context, twinID uint) (bool, error) {
	var tw models.Twin
	q := e.DB.WithContext(ctx).Limit(1).Find(&tw, twinID)
	if q.Error != nil {
		return false, fmt.Errorf("load twin %d: %w", twinID, q.Error)
	}
	if q.RowsAffected == 0 || tw.State == models.TwinUnlinked || tw.State == models.TwinQuarantined {
		return false, nil
	}
	ls, ctx, cancel, err := e.claimTwin(ctx, twinID)
	defer cancel()
	if err != nil {
		return false, fmt.Errorf("twin %d: %w", twinID, err)
	}
	if ls == nil {
		return false, ErrTwinBusy // another run holds the twin; it stays dirty for the next dispatch
	}
	defer ls.release(ctx)
	// Re-read under the lease: the row may have moved while another run held it.
	if err := e.DB.WithContext(ctx).First(&tw, twinID).Error; err != nil {
		return false, fmt.Errorf("load twin %d: %w", twinID, err)
	}
	if tw.State == models.TwinUnlinked || tw.State == models.TwinQuarantined {
		return false, nil
	}
	l, err := e.loadLink(ctx, tw.ConnectionID)
	if err != nil {
		return false, e.fail(ctx, nil, &tw, err)
	}
	if !l.Conn.Syncing() {
		return false, nil // stays dirty until the connection resumes (or is activated)
	}
	l = l.withoutSkipped(&tw)
	if err := e.reconcile(ctx, l, &tw); err != nil {
		if errors.Is(err, ErrTwinBusy) {
			return false, ErrTwinBusy // a parent or epic to sync first is held by another run: wait, no error
		}
		return true, e.fail(ctx, l, &tw, err)
	}
	return true, nil
}

// fail records a reconcile failure on the twin (miniflux style: the error lives on the row) and
// decides whether it is quarantined.
func (e *Engine) fail(ctx context.Context, l *link, tw *models.Twin, err error) error {
	ctx = context.WithoutCancel(ctx)
	class := ClassOf(err)
	if l != nil {
		e.noteAuthFailure(ctx, l, err)
	}
	now := e.now()
	upd := map[string]any{"last_error": clip(err.Error())}
	quarantine := false
	switch class {
	case models.ClassAuth, models.ClassRateLimited:
		// Not the twin's fault: the instance is blocked, or Jira asked us to wait.
	case models.ClassConfig, models.ClassData:
		quarantine = true
	case models.ClassInternal:
		// Only internal failures count toward quarantine (error_count is their streak).
		n := tw.ErrorCount + 1
		upd["error_count"] = n
		maxAttempts := e.MaxInternalAttempts
		if maxAttempts <= 0 {
			maxAttempts = 3
		}
		if n >= maxAttempts {
			quarantine = true
		} else {
			upd["next_attempt_at"] = now.Add(backoff(n))
		}
	default:
		// Transient (Jira or network down, database connection lost): the queue retries with its
		// own growing backoff; the attempt never counts toward quarantine.
		upd["next_attempt_at"] = now.Add(backoff(max(tw.ErrorCount, 1)))
	}
	if quarantine {
		upd["state"] = models.TwinQuarantined
		upd["error_count"] = tw.ErrorCount + 1
	}
	if uerr := e.DB.WithContext(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).Updates(upd).Error; uerr != nil {
		e.log().Error("cannot record twin failure", "twin", tw.ID, "err", uerr)
	}
	return &TwinError{TwinID: tw.ID, Quarantined: quarantine, Err: err}
}

// backoff is the sweeper's wait before re-dispatching a failed twin: 2 s doubling, at most 10 min.
func backoff(n int) time.Duration {
	return min(2*time.Second<<min(max(n-1, 0), 9), 10*time.Minute)
}

// issueFields lists what a reconcile reads of an issue.
func issueFields(r *Rules, side string) []string {
	fs := []string{"updated", "created", "status", "issuetype", "project", "resolution", "comment", "attachment", "parent", "security"}
	for i := range r.Fields {
		fs = append(fs, r.Fields[i].fieldID(side))
	}
	if r.Worklogs.Enabled {
		fs = append(fs, "worklog")
	}
	fs = append(fs, linkFields(r)...)
	return fs
}

func (e *Engine) getIssue(ctx context.Context, s *Side, id string, r *Rules, props bool) (*jira.Issue, error) {
	opt := jira.GetIssueOptions{Fields: issueFields(r, s.Name)}
	if props {
		opt.Properties = []string{TwinProperty}
	}
	is, err := s.Jira.GetIssue(ctx, id, opt)
	if err != nil {
		return nil, fmt.Errorf("read %s issue %s: %w", s.Name, id, err)
	}
	if _, sealed := s.Jira.(*sealedJira); !sealed && s.Instance != nil && s.Instance.Role == models.RoleRelay && isSealedIssue(is) {
		return nil, configError("%s is sealed by Airlock but this connection is not sealed: both nodes must seal it (paste the partner's public key and tick Seal), and nothing is written until they do", is.Key)
	}
	if err := e.loadWatchers(ctx, s, is, r); err != nil { // engine/tracking_fields.go
		return nil, err
	}
	return is, nil
}

// pair builds the Pair of a twin with both clients.
func (e *Engine) pair(ctx context.Context, l *link, tw *models.Twin) (*Pair, error) {
	lj, err := e.client(ctx, l, models.SideLocal)
	if err != nil {
		return nil, err
	}
	rj, err := e.client(ctx, l, models.SideRemote)
	if err != nil {
		return nil, err
	}
	return &Pair{Twin: tw, Conn: l.Conn, Rules: l.Rules,
		Local:  &Side{Name: models.SideLocal, Jira: lj, Instance: l.Local, Project: l.Conn.LocalProject},
		Remote: &Side{Name: models.SideRemote, Jira: rj, Instance: l.Remote, Project: l.Conn.RemoteProject}}, nil
}

func (p *Pair) side(name string) *Side {
	if name == models.SideLocal {
		return p.Local
	}
	return p.Remote
}

func sideIndex(name string) int {
	if name == models.SideLocal {
		return 0
	}
	return 1
}

func (e *Engine) reconcile(ctx context.Context, l *link, tw *models.Twin) error {
	dirtySince := tw.DirtySince
	p, err := e.pair(ctx, l, tw)
	if err != nil {
		return err
	}
	if tw.State == models.TwinPendingCreate || tw.LocalIssueID == nil || tw.RemoteIssueID == nil {
		return e.create(ctx, l, p, dirtySince)
	}
	var first [2]*jira.Issue
	var gone []string
	for i, s := range []*Side{p.Local, p.Remote} {
		// The local issue is read with its airlock.twin property: recordDigests compares with it.
		is, err := e.getIssue(ctx, s, *twinIssueID(tw, s.Name), &l.Rules, s.Name == models.SideLocal)
		if jira.IsNotFound(err) {
			gone = append(gone, s.Name)
			continue
		}
		if err != nil {
			return err
		}
		first[i], s.Issue = is, is
	}
	if len(gone) > 0 {
		return e.deleted(ctx, l, p, gone)
	}
	if home, err := e.keptHome(ctx, l, p, first); home || err != nil {
		return err // a security level keeps an issue home (engine/security.go)
	}
	if done, err := e.syncParent(ctx, l, p, dirtySince); done || err != nil {
		return err // a sub-task moved: its copy was re-created (engine/structure.go)
	}
	base, err := ParseBaseline(tw.Baseline)
	if err != nil {
		e.log().Warn("unreadable baseline: merging as if new", "twin", tw.ID, "err", err)
		base, _ = ParseBaseline("")
	}
	shared := [2]Shared{Project(first[0], &l.Rules, models.SideLocal), Project(first[1], &l.Rules, models.SideRemote)}

	var conflicts []models.Conflict
	if err := e.DB.WithContext(ctx).Where("twin_id = ? AND applied_at IS NULL", tw.ID).Find(&conflicts).Error; err != nil {
		return fmt.Errorf("load conflicts: %w", err)
	}
	opt := MergeOptions{Policy: l.Conn.ConflictPolicy, Held: map[string]bool{}, Decided: map[string]string{},
		FirstSync: FirstSyncFields(&l.Rules, base)}
	opt.UpdatedLocal, _ = first[0].Updated()
	opt.UpdatedRemote, _ = first[1].Updated()
	var applied []uint
	for _, c := range conflicts {
		switch c.Decision {
		case "":
			opt.Held[c.Field] = true
		case models.SideLocal:
			opt.Decided[c.Field] = shared[0][c.Field]
		case models.SideRemote:
			opt.Decided[c.Field] = shared[1][c.Field]
		default:
			opt.Decided[c.Field] = c.Value
		}
		if c.Decision != "" {
			applied = append(applied, c.ID)
		}
	}
	plan := Merge(l.Rules.Fields, base, shared[0], shared[1], opt)
	for _, c := range plan.Conflicts {
		row := models.Conflict{TwinID: tw.ID, Field: c.Field, Baseline: c.Base, LocalValue: c.Local, RemoteValue: c.Remote, CreatedAt: e.now()}
		if err := e.DB.WithContext(ctx).Create(&row).Error; err != nil {
			return fmt.Errorf("record conflict on %s: %w", c.Field, err)
		}
	}
	var written [2]map[string]string
	if len(plan.ToRemote) > 0 {
		if written[1], err = e.write(ctx, p, p.Local, p.Remote, plan.ToRemote, shared[1]); err != nil {
			return err
		}
	}
	if len(plan.ToLocal) > 0 {
		if written[0], err = e.write(ctx, p, p.Remote, p.Local, plan.ToLocal, shared[0]); err != nil {
			return err
		}
	}
	// The written fields' new baseline is what we asked Jira to store (projected like a read).
	// The read-back right after the writes is checked against it: a difference is either a
	// person's edit that landed between our write and the read (taking the read-back as the
	// baseline would lose that edit for good) or Jira normalising the value. Either way the twin
	// stays dirty, and the next reconcile carries the stored value to the other side, where it
	// settles (for a normalised value, after one more write). A later change (while comments and
	// attachments are copied) is someone else's and keeps the twin dirty too.
	after, expect := first, shared
	for i, s := range []*Side{p.Local, p.Remote} {
		if len(written[i]) == 0 {
			continue
		}
		is, err := e.getIssue(ctx, s, first[i].ID, &l.Rules, false)
		if err != nil {
			return err
		}
		after[i] = is
		ex := maps.Clone(shared[i])
		maps.Copy(ex, written[i])
		expect[i] = ex
	}
	extra, err := e.syncExtras(ctx, p)
	if err != nil {
		return err
	}
	for i, s := range []*Side{p.Local, p.Remote} {
		if !extra[i] {
			continue
		}
		is, err := e.getIssue(ctx, s, first[i].ID, &l.Rules, false)
		if err != nil {
			return err
		}
		after[i] = is
	}
	confirm := [2]bool{len(written[0]) > 0 || extra[0], len(written[1]) > 0 || extra[1]}
	if err := e.finish(ctx, l, tw, dirtySince, base, plan.Held, expect, after, confirm, applied); err != nil {
		return err
	}
	if err := e.recordDigests(ctx, l, p, first[0]); err != nil {
		return err
	}
	for i, s := range []*Side{p.Local, p.Remote} {
		if len(written[i]) > 0 || extra[i] {
			e.kickOthers(ctx, l, s.Name)
		}
	}
	return nil
}

// syncExtras carries comments, attachments, issue links and worklogs (engine/comments.go,
// engine/attachments.go, engine/links.go, engine/worklogs.go).
func (e *Engine) syncExtras(ctx context.Context, p *Pair) ([2]bool, error) {
	var out [2]bool
	if p.Rules.Comments.Enabled {
		w, err := e.syncComments(ctx, p)
		out[0], out[1] = out[0] || w[0], out[1] || w[1]
		if err != nil {
			return out, fmt.Errorf("comments: %w", err)
		}
	}
	if p.Rules.Attachments.Enabled {
		w, err := e.syncAttachments(ctx, p)
		out[0], out[1] = out[0] || w[0], out[1] || w[1]
		if err != nil {
			return out, fmt.Errorf("attachments: %w", err)
		}
	}
	if p.Rules.Links.Enabled {
		w, err := e.syncLinks(ctx, p)
		out[0], out[1] = out[0] || w[0], out[1] || w[1]
		if err != nil {
			return out, fmt.Errorf("links: %w", err)
		}
	}
	if p.Rules.Worklogs.Enabled {
		w, err := e.syncWorklogs(ctx, p)
		out[0], out[1] = out[0] || w[0], out[1] || w[1]
		if err != nil {
			return out, fmt.Errorf("worklogs: %w", err)
		}
	}
	return out, nil
}

// write applies the values the plan sends to dst in one PUT, then moves its status; it records
// an Event per field and returns the fields written, each with the value it asked Jira to store
// (projected like a read of dst: after value maps, default users and default options).
func (e *Engine) write(ctx context.Context, p *Pair, src, dst *Side, values map[string]string, before Shared) (map[string]string, error) {
	written := map[string]string{}
	users, notes, err := e.resolveUsers(ctx, p, values, src, dst)
	if err != nil {
		return nil, err
	}
	meta := &WriteMeta{Users: users}
	if meta.Options, err = e.optionsFor(ctx, p, values, dst); err != nil {
		return nil, err
	}
	if meta.Refs, err = e.refsFor(ctx, p, values, dst); err != nil {
		return nil, err
	}
	in, err := BuildUpdate(values, dst.Name, &p.Rules, meta)
	if err != nil {
		return nil, err
	}
	if err := e.writeEpics(ctx, p, src, dst, values, &in); err != nil {
		return nil, err
	}
	if err := e.shapeWrite(ctx, dst, &in); err != nil { // engine/security.go
		return nil, err
	}
	if len(in.Fields) > 0 {
		if err := e.updateIssue(ctx, dst, in, jira.UpdateOptions{NotifyUsers: p.Rules.NotifyUsers}); err != nil { // engine/tracking_fields.go
			return nil, fmt.Errorf("update %s issue %s: %w", dst.Name, dst.Issue.Key, err)
		}
	}
	ws, err := e.writeWatchers(ctx, p, dst, values, users) // engine/tracking_fields.go
	if err != nil {
		return nil, err
	}
	sent := sentShared(in.Fields, &p.Rules, dst.Name)
	maps.Copy(sent, ws)
	for _, name := range sortedKeys(values) {
		f := p.Rules.field(name)
		if f == nil || f.Kind == KindStatus {
			continue
		}
		v, ok := sent[name]
		if !ok {
			continue
		}
		written[name] = v
		e.event(ctx, p, src.Name, "field", name, before[name], values[name])
	}
	for _, n := range notes {
		e.event(ctx, p, src.Name, "user", n.Field, n.Original, "replaced by default user "+n.Replacement)
	}
	for i := range p.Rules.Fields {
		f := &p.Rules.Fields[i]
		v, ok := values[f.Name]
		if f.Kind != KindStatus || !ok || v == "" {
			continue
		}
		if err := e.moveStatus(ctx, p, f, src, dst, v); err != nil {
			return nil, err
		}
		written[f.Name] = statusSent(f, dst.Name, v)
		e.event(ctx, p, src.Name, "status", f.Name, before[f.Name], v)
	}
	return written, nil
}

// sentShared projects the fields of a write (IssueInput.Fields of dst) like a read of dst: what
// a read-back shows when Jira stored exactly what it was sent and nobody changed it since. Only
// the rules whose field the write carries have an entry.
func sentShared(fields map[string]any, rules *Rules, side string) Shared {
	is := &jira.Issue{Fields: make(map[string]json.RawMessage, len(fields))}
	for id, v := range fields {
		if rb, ok := v.(readBacker); ok {
			v = rb.readBack() // a service-desk reference reads back as its name (engine/jsm_fields.go)
		}
		raw, err := json.Marshal(v)
		if err != nil {
			continue
		}
		is.Fields[id] = raw
	}
	spreadTimeTracking(is.Fields) // engine/tracking_fields.go
	out := Shared{}
	for i := range rules.Fields {
		f := &rules.Fields[i]
		if _, ok := is.Fields[f.fieldID(side)]; ok {
			out[f.Name] = projectField(is, f, rules, side)
		}
	}
	return out
}

// statusSent is the projection of the status moveStatus brings dst to for the shared value v.
func statusSent(f *FieldRule, side, v string) string {
	if side != models.SideLocal {
		return v
	}
	return mapOut(f, mapIn(f, v), true)
}

// moveStatus brings dst to the status v (remote vocabulary) by transitions.
func (e *Engine) moveStatus(ctx context.Context, p *Pair, f *FieldRule, src, dst *Side, v string) error {
	target := v
	if dst.Name == models.SideLocal {
		target = mapIn(f, v)
	}
	cur := ""
	if st, ok := dst.Issue.Status(); ok {
		cur = st.Name
	}
	if cur == target {
		return nil
	}
	it := ""
	if t, ok := dst.Issue.IssueType(); ok {
		it = t.Name
	}
	res := p.Rules.Resolution
	if src.Issue != nil {
		if r, ok := src.Issue.Resolution(); ok && r.Name != "" {
			res = r.Name
		}
	}
	_, err := e.caches().workflows.moveStatus(ctx, statusMove{Jira: dst.Jira, Key: graphKey{dst.Instance.Name, dst.Project, it},
		IssueID: dst.Issue.ID, Current: cur, Target: target, Resolution: res})
	if err != nil {
		return fmt.Errorf("status of %s issue %s: %w", dst.Name, dst.Issue.Key, err)
	}
	return nil
}

// field returns the rule with a shared name.
func (r *Rules) field(name string) *FieldRule {
	for i := range r.Fields {
		if r.Fields[i].Name == name {
			return &r.Fields[i]
		}
	}
	return nil
}

// finish stores the outcome of a reconcile: the new two-sided baseline (expect: per side, the
// fields we wrote as Jira stored them, the others as first read; held fields keep their entry),
// each side's `updated` as last read (so the next poll skips our echo), and clears the dirty flag
// unless it moved meanwhile or the last read shows a field other than expected (a change made
// under us while we worked).
//
// confirm marks the sides read back after writes of ours: their recorded `updated` may also
// cover a change someone else made between our first read and the read-back (a person, or the
// other node writing the relay issue) that no field shows (a comment, an attachment), which the
// next poll would then skip as our own echo. Such a twin stays dirty for one more reconcile,
// which reads both sides fresh and writes nothing unless something did change.
func (e *Engine) finish(ctx context.Context, l *link, tw *models.Twin, dirtySince *time.Time, base Baseline, held map[string]bool,
	expect [2]Shared, after [2]*jira.Issue, confirm [2]bool, applied []uint) error {
	nb := Baseline{Local: Shared{}, Remote: Shared{}}
	changedUnder := confirm[0] || confirm[1]
	for i, side := range []string{models.SideLocal, models.SideRemote} {
		last := Project(after[i], &l.Rules, side)
		out := nb.Of(side)
		for j := range l.Rules.Fields {
			name := l.Rules.Fields[j].Name
			if held[name] {
				if v, ok := base.Of(side)[name]; ok {
					out[name] = v
				}
				continue
			}
			out[name] = expect[i][name]
			if last[name] != expect[i][name] {
				changedUnder = true
			}
		}
	}
	nb.Rev = base.Rev
	l.Rules.stamp(&nb, held)
	keepSkipped(&nb, base, tw)
	now := e.now()
	upd := map[string]any{"baseline": nb.String(), "last_synced_at": now, "last_error": "", "error_count": 0,
		"next_attempt_at": nil, "state": models.TwinActive, "local_key": after[0].Key, "remote_key": after[1].Key}
	if t, ok := after[0].Updated(); ok {
		upd["local_updated"] = t.UTC()
	}
	if t, ok := after[1].Updated(); ok {
		upd["remote_updated"] = t.UTC()
	}
	return e.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur models.Twin
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id", "dirty", "dirty_since").First(&cur, tw.ID).Error; err != nil {
			return fmt.Errorf("reload twin: %w", err)
		}
		same := (cur.DirtySince == nil) == (dirtySince == nil) && (cur.DirtySince == nil || cur.DirtySince.Equal(*dirtySince))
		if same && !changedUnder {
			upd["dirty"] = false
			upd["dirty_since"] = nil
		} else {
			upd["dirty"] = true
			if cur.DirtySince == nil {
				upd["dirty_since"] = now
			}
		}
		if err := tx.Model(&models.Twin{}).Where("id = ?", tw.ID).Updates(upd).Error; err != nil {
			return fmt.Errorf("store baseline: %w", err)
		}
		if len(applied) > 0 {
			if err := tx.Model(&models.Conflict{}).Where("id IN ?", applied).Update("applied_at", now).Error; err != nil {
				return fmt.Errorf("mark conflicts applied: %w", err)
			}
		}
		// The caller works on with what was stored (recordDigests digests this baseline).
		tw.Baseline, tw.LocalKey, tw.RemoteKey = nb.String(), after[0].Key, after[1].Key
		return nil
	})
}

// deleted applies the connection's deletion policy when a side's issue answers 404.
func (e *Engine) deleted(ctx context.Context, l *link, p *Pair, gone []string) error {
	tw := p.Twin
	if replaced, err := e.findReplacement(ctx, l, p, gone); replaced || err != nil {
		return err // re-created under a new parent (engine/structure.go)
	}
	key := func(side string) string {
		if side == models.SideLocal {
			return tw.LocalKey
		}
		return tw.RemoteKey
	}
	policy := l.Conn.DeletionPolicy
	upd := map[string]any{}
	if len(gone) == 2 {
		policy = DeletionBoth
	}
	g := gone[0]
	survivor := p.side(otherSide(g))
	msg := fmt.Sprintf("%s issue %s was deleted on the %s side (or hidden from the sync user by a security level)", g, key(g), g)
	switch policy {
	case DeletionBoth:
		upd["state"] = models.TwinUnlinked
		msg = "both issues were deleted"
	case models.DeleteTwin:
		if err := survivor.Jira.DeleteIssue(ctx, survivor.Issue.ID, true); err != nil && !jira.IsNotFound(err) {
			return fmt.Errorf("delete twin issue %s: %w", survivor.Issue.Key, err)
		}
		upd["state"] = models.TwinUnlinked
		msg += fmt.Sprintf("; %s deleted too", survivor.Issue.Key)
		e.kickOthers(ctx, l, survivor.Name)
	case models.DeleteUnlink:
		if err := writeLink(ctx, survivor.Jira, survivor.Issue.ID, l.Key, nil); err != nil && !jira.IsNotFound(err) {
			return fmt.Errorf("unlink %s: %w", survivor.Issue.Key, err)
		}
		upd["state"] = models.TwinUnlinked
		msg += "; unlinked"
	default:
		msg = "deleted on the other side: " + msg
	}
	upd["last_error"] = msg
	upd["dirty"] = false
	upd["dirty_since"] = nil
	if t, ok := issueUpdated(survivor.Issue); ok {
		upd[survivor.Name+"_updated"] = t
	}
	prev := tw.LastError
	if err := e.DB.WithContext(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).Updates(upd).Error; err != nil {
		return fmt.Errorf("record deletion: %w", err)
	}
	if prev != msg {
		e.event(ctx, p, otherSide(g), "delete", "", key(g), msg)
	}
	return nil
}

// DeletionBoth is the outcome when both issues of a twin are gone.
const DeletionBoth = "both"

func issueUpdated(is *jira.Issue) (time.Time, bool) {
	if is == nil {
		return time.Time{}, false
	}
	t, ok := is.Updated()
	return t.UTC(), ok
}

// kickOthers hands a write to the next hop at once (single topology): every other connection
// of this node whose scope holds the written instance and project gets its poll enqueued now.
func (e *Engine) kickOthers(ctx context.Context, l *link, side string) {
	kick := e.Kick
	if kick == nil && e.Enqueuer != nil {
		kick = func(ctx context.Context, id uint, side string) {
			if err := e.Enqueuer.EnqueuePoll(ctx, id, side); err != nil {
				e.log().Warn("cannot kick poll", "connection", id, "side", side, "err", err)
			}
		}
	}
	if kick == nil {
		return
	}
	inst, proj := l.inst(side), l.project(side)
	var conns []models.Connection
	if err := e.DB.WithContext(ctx).Where("id <> ? AND paused = ? AND draft = ? AND ((local_instance_id = ? AND local_project = ?) OR (remote_instance_id = ? AND remote_project = ?))",
		l.Conn.ID, false, false, inst.ID, proj, inst.ID, proj).Find(&conns).Error; err != nil {
		e.log().Warn("cannot find connections to kick", "err", err)
		return
	}
	for _, c := range conns {
		if c.LocalInstanceID == inst.ID && c.LocalProject == proj {
			kick(ctx, c.ID, models.SideLocal)
		}
		if c.RemoteInstanceID == inst.ID && c.RemoteProject == proj {
			kick(ctx, c.ID, models.SideRemote)
		}
	}
}
