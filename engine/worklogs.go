package engine

// Worklogs travel through worklog twins (models.WorklogTwin: local id <-> remote id), as comments
// do (engine/comments.go), creates, edits and deletes both ways.
//
// Jira makes the caller the author of a worklog it is given, so a copy is always the sync user's.
// Who logged the work is said in the copy's comment instead: a header line (Rules.Worklogs.
// Attribution, with the author's name on the target when the user map maps them), an {anchor}
// origin marker, a blank line, then the original comment:
//
//	_Alice Able logged work on A:_ {anchor:airlock-1a2b3c4d-10300}
//
//	replaced the fuser
//
// The marker names the origin worklog (its Jira's base URL hash and its id), which makes creation
// crash-safe: an untwinned worklog of the same origin on the target (a copy whose twin row was
// lost between Jira's answer and our commit) is adopted, never posted twice. A copy of a copy
// (A -> AB -> B) keeps the first header, so B shows who logged the work on A.
//
// started and timeSpentSeconds are copied exactly: started in Jira's millisecond format with its
// offset, the seconds as a number (never through a "1h 30m" string, which rounds). Every write
// carries adjustEstimate=leave: the remaining estimate is a field of its own, governed by its own
// mapping, and a copied worklog must not move it on the target.
//
// Visibility follows the comment rule: a worklog restricted to a group or role stays home unless
// Rules.Worklogs.AllowVisibilities lists that restriction; one restricted after it was copied is
// withdrawn from the other side (its copy deleted), and travels again if it is ever unrestricted.
// A copy carries its source's allowed restriction, and follows when the source changes it (a
// lifted restriction by posting the copy again: an update that leaves visibility out keeps it);
// a copy a person restricted on its own side keeps that restriction, and its edits stay there.
//
// The baseline of a worklog twin is the source worklog as last agreed (started, seconds, comment
// content). The source changed -> the copy is rewritten; the copy changed -> a human edited it,
// and the edit is carried back to the source; both changed -> the later `updated` wins. A copy
// deleted or an original deleted: the copy is deleted (originals are never deleted by Airlock;
// their twin is closed instead).

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// WorklogRules governs worklogs.
type WorklogRules struct {
	Enabled bool `json:"enabled"`
	// AllowVisibilities lists restrictions that may leave ("group:jira-users", "role:Developers");
	// by default only unrestricted worklogs are shared.
	AllowVisibilities []string `json:"allow_visibilities,omitempty"`
	// Attribution is the first line of a copied worklog's comment; {author}, {instance} and
	// {started} expand.
	Attribution string `json:"attribution,omitempty"`
}

// DefaultWorklogAttribution is the worklog attribution when none is configured.
const DefaultWorklogAttribution = "_{author} logged work on {instance}:_"

// worklogJira is what the worklog sync needs of a Jira client beyond the engine's Jira interface
// (*jira.Client has it).
type worklogJira interface {
	Worklogs(ctx context.Context, idOrKey string) ([]jira.Worklog, error)
	AddWorklog(ctx context.Context, idOrKey string, in jira.WorklogInput, est jira.Estimate) (*jira.Worklog, error)
	ReplaceWorklog(ctx context.Context, idOrKey, id string, in jira.WorklogEdit, est jira.Estimate) (*jira.Worklog, error)
	DeleteWorklog(ctx context.Context, idOrKey, id string, est jira.Estimate) error
}

// worklogClient returns the side's client as a worklogJira; a client without worklog calls is a
// config error.
func worklogClient(s *Side) (worklogJira, error) {
	if j, ok := s.Jira.(worklogJira); ok {
		return j, nil
	}
	return nil, configError("the %s Jira client cannot carry worklogs", s.Name)
}

// leaveEstimate is the adjustEstimate of every worklog write Airlock makes.
var leaveEstimate = jira.Estimate{Adjust: jira.EstimateLeave}

// worklogView is one worklog split into its copy header (empty for an original) and content.
type worklogView struct {
	side    *Side
	w       jira.Worklog
	header  string // first line of the comment when it carries an origin marker
	origin  string // "<hash8>-<worklog id>"
	content string // comment without the header
	twinned bool
}

func (v *worklogView) isCopy() bool { return v.header != "" }

// worklogState is what a worklog twin compares: the start in milliseconds, the seconds and the
// normalised comment content.
type worklogState struct {
	startedMS, seconds int64
	content            string
}

func (v *worklogView) state() worklogState {
	return worklogState{startedMS: v.w.Started.UnixMilli(), seconds: v.w.TimeSpentSeconds, content: normText(v.content)}
}

func rowState(row *models.WorklogTwin) worklogState {
	return worklogState{startedMS: row.StartedMS, seconds: row.Seconds, content: normText(row.Comment)}
}

// describe is how a worklog state reads in the Activity page.
func (s worklogState) describe() string {
	out := FormatSeconds(s.seconds) + " from " + time.UnixMilli(s.startedMS).UTC().Format("2006-01-02 15:04:05.000Z")
	if s.content != "" {
		out += ": " + s.content
	}
	return out
}

// FormatSeconds writes seconds as duration words ("1h 30m 1s"), for people only: Airlock never
// writes a worklog through such a string, which would round.
func FormatSeconds(n int64) string {
	if n <= 0 {
		return "0m"
	}
	var parts []string
	for _, u := range []struct {
		s    int64
		name string
	}{{3600, "h"}, {60, "m"}, {1, "s"}} {
		if n >= u.s {
			parts = append(parts, fmt.Sprintf("%d%s", n/u.s, u.name))
			n %= u.s
		}
	}
	return strings.Join(parts, " ")
}

// parseWorklog splits a worklog of side s into header, origin and content.
func parseWorklog(s *Side, w jira.Worklog) *worklogView {
	v := &worklogView{side: s, w: w, content: w.Comment}
	first, rest, _ := strings.Cut(strings.ReplaceAll(w.Comment, "\r\n", "\n"), "\n")
	if m := commentMarkerRe.FindStringSubmatch(first); m != nil {
		v.header, v.origin = first, m[1]
		v.content = strings.TrimPrefix(rest, "\n")
		return v
	}
	v.origin = instanceHash(s.Jira.BaseURL()) + "-" + w.ID
	return v
}

// worklogBody is a copy's comment: its header, then the content after a blank line.
func worklogBody(header, content string) string {
	if content == "" {
		return header
	}
	return header + "\n\n" + content
}

// worklogRun is the state of one syncWorklogs call.
type worklogRun struct {
	e     *Engine
	p     *Pair
	users *commentRun // the user map and display names, shared with comments
	wrote [2]bool
}

// syncWorklogs carries worklog creates, edits and deletes both ways; wrote[0] reports a write on
// the local side, wrote[1] on the remote side.
func (e *Engine) syncWorklogs(ctx context.Context, p *Pair) (wrote [2]bool, err error) {
	if !p.Rules.Worklogs.Enabled || p.Local == nil || p.Remote == nil || p.Local.Issue == nil || p.Remote.Issue == nil {
		return wrote, nil
	}
	r := &worklogRun{e: e, p: p, users: &commentRun{e: e, p: p, names: map[*Side]map[string]string{}}}
	views := map[*Side]map[string]*worklogView{}
	var order []*worklogView
	for _, s := range []*Side{p.Local, p.Remote} {
		ws, err := worklogsOf(ctx, s)
		if err != nil {
			return wrote, err
		}
		views[s] = map[string]*worklogView{}
		for _, w := range ws {
			v := parseWorklog(s, w)
			views[s][w.ID] = v
			order = append(order, v)
		}
	}
	var rows []models.WorklogTwin
	if err := e.DB.WithContext(ctx).Where("twin_id = ?", p.Twin.ID).Order("id").Find(&rows).Error; err != nil {
		return wrote, fmt.Errorf("worklog twins of twin %d: %w", p.Twin.ID, err)
	}
	lookup := func(s *Side, id *string) *worklogView {
		if id == nil {
			return nil
		}
		return views[s][*id]
	}
	for i := range rows {
		row := &rows[i]
		l, rm := lookup(p.Local, row.LocalID), lookup(p.Remote, row.RemoteID)
		for _, v := range []*worklogView{l, rm} {
			if v != nil {
				v.twinned = true
			}
		}
		if row.Deleted {
			continue
		}
		if err := r.reconcileTwin(ctx, row, l, rm); err != nil {
			return r.wrote, err
		}
	}
	// Untwinned worklogs: adopt a copy of the same origin, else create the copy.
	for _, v := range order {
		if v.twinned || !r.shareable(v) {
			continue
		}
		other := p.Other(v.side)
		var match *worklogView
		for _, u := range order {
			if u.side == other && !u.twinned && u.origin == v.origin {
				match = u
				break
			}
		}
		if match != nil {
			if err := r.adopt(ctx, v, match); err != nil {
				return r.wrote, err
			}
			continue
		}
		if err := r.create(ctx, v); err != nil {
			return r.wrote, err
		}
	}
	return r.wrote, nil
}

// worklogsOf returns every worklog of the side's issue: the issue's embedded page when it holds
// them all, else GET /issue/{id}/worklog (paged).
func worklogsOf(ctx context.Context, s *Side) ([]jira.Worklog, error) {
	var page jira.WorklogPage
	ok, err := s.Issue.Field("worklog", &page)
	if err == nil && ok && page.Total <= len(page.Worklogs) {
		return page.Worklogs, nil
	}
	j, err := worklogClient(s)
	if err != nil {
		return nil, err
	}
	ws, err := j.Worklogs(ctx, s.Issue.ID)
	if err != nil {
		return nil, fmt.Errorf("worklogs of %s %s: %w", s.Name, s.Issue.Key, err)
	}
	return ws, nil
}

func (r *worklogRun) sideIndex(s *Side) int {
	if s == r.p.Local {
		return 0
	}
	return 1
}

// shareable reports whether a worklog's visibility lets it leave its side.
func (r *worklogRun) shareable(v *worklogView) bool {
	return visibilityLeaves(&CommentRules{AllowVisibilities: r.p.Rules.Worklogs.AllowVisibilities}, &jira.Comment{Visibility: v.w.Visibility})
}

// worklogSource picks which of two twinned worklogs is the source: the original when exactly one
// is a copy; otherwise (a relayed copy twinned with our copy of it) the earlier one, local on a
// tie.
func worklogSource(l, rm *worklogView) (src, dst *worklogView) {
	switch {
	case rm.isCopy() && !l.isCopy():
		return l, rm
	case l.isCopy() && !rm.isCopy():
		return rm, l
	case rm.w.Created.Before(l.w.Created.Time):
		return rm, l
	}
	return l, rm
}

// reconcileTwin carries a deletion, a withdrawal or an edit for one live worklog twin.
func (r *worklogRun) reconcileTwin(ctx context.Context, row *models.WorklogTwin, l, rm *worklogView) error {
	switch {
	case l == nil && rm == nil:
		return r.markDeleted(ctx, row)
	case l == nil || rm == nil:
		left := l
		if left == nil {
			left = rm
		}
		if left.isCopy() {
			if err := r.deleteWorklog(ctx, left); err != nil {
				return err
			}
			r.e.event(ctx, r.p, r.p.Other(left.side).Name, "worklog", "worklog", left.state().describe(), "(deleted)")
		}
		return r.markDeleted(ctx, row)
	}
	src, dst := worklogSource(l, rm)
	if !r.shareable(src) {
		// Restricted after it was copied: take our copy back and forget the twin, so the worklog
		// leaves again if it is ever unrestricted. A counterpart that is no copy (its header
		// removed by hand) is never deleted; the twin is closed instead.
		if !dst.isCopy() {
			return r.markDeleted(ctx, row)
		}
		if err := r.deleteWorklog(ctx, dst); err != nil {
			return err
		}
		r.e.event(ctx, r.p, src.side.Name, "worklog", "worklog", dst.state().describe(), "(withdrawn: restricted)")
		if err := r.e.DB.WithContext(ctx).Delete(row).Error; err != nil {
			return fmt.Errorf("worklog %s: drop twin row: %w", src.w.ID, err)
		}
		return nil
	}
	base := rowState(row)
	srcChanged, dstChanged := src.state() != base, dst.state() != base
	// A copy restricted where it stands keeps its edits there.
	dstOut := r.shareable(dst)
	dstLater := dst.w.Updated.After(src.w.Updated.Time)
	if err := r.reconcileVisibility(ctx, row, src, dst); err != nil || row.ID == 0 {
		return err // row.ID 0: the copy was posted again, with its own fresh twin
	}
	switch {
	case !srcChanged && !dstChanged:
		return nil
	case srcChanged && (!dstChanged || !dstOut || !dstLater):
		header, err := r.headerOf(ctx, src, dst)
		if err != nil {
			return err
		}
		if err := r.write(ctx, dst, src.state(), header, dst.w.Visibility); err != nil {
			return err
		}
		r.e.event(ctx, r.p, src.side.Name, "worklog", "worklog", base.describe(), src.state().describe())
		return r.setBaseline(ctx, row, src.state())
	case !dstOut:
		return nil
	default: // a human edited the copy: carry it back to the source
		st := dst.state()
		if err := r.write(ctx, src, st, src.header, src.w.Visibility); err != nil {
			return err
		}
		if !dst.isCopy() {
			header, err := r.headerOf(ctx, src, dst)
			if err != nil {
				return err
			}
			if err := r.write(ctx, dst, st, header, dst.w.Visibility); err != nil {
				return err
			}
		}
		r.e.event(ctx, r.p, dst.side.Name, "worklog", "worklog", base.describe(), st.describe())
		return r.setBaseline(ctx, row, st)
	}
}

// visKey is a visibility as the baseline keeps it: "type:value", "" when unrestricted.
func visKey(v *jira.Visibility) string {
	if v == nil || v.Value == "" {
		return ""
	}
	return strings.ToLower(v.Type) + ":" + v.Value
}

// reconcileVisibility carries a change of the source's own restriction (one that may leave) to
// its copy. Jira keeps a worklog's restriction when an update leaves visibility out, so a lifted
// one is carried by posting the copy again, unrestricted (its row is replaced: row.ID becomes 0).
// A copy a person restricted on its side keeps its restriction.
func (r *worklogRun) reconcileVisibility(ctx context.Context, row *models.WorklogTwin, src, dst *worklogView) error {
	want := visKey(src.w.Visibility)
	if want == row.Visibility || !dst.isCopy() {
		return nil
	}
	if want != "" {
		if err := r.write(ctx, dst, dst.state(), dst.header, src.w.Visibility); err != nil {
			return err
		}
		r.e.event(ctx, r.p, src.side.Name, "worklog", "visibility", row.Visibility, want)
		if err := r.e.DB.WithContext(ctx).Model(row).Update("visibility", want).Error; err != nil {
			return fmt.Errorf("worklog twin %d: visibility: %w", row.ID, err)
		}
		row.Visibility = want
		return nil
	}
	if visKey(dst.w.Visibility) == "" {
		return r.e.DB.WithContext(ctx).Model(row).Update("visibility", "").Error
	}
	if err := r.deleteWorklog(ctx, dst); err != nil {
		return err
	}
	if err := r.e.DB.WithContext(ctx).Delete(row).Error; err != nil {
		return fmt.Errorf("worklog %s: drop twin row: %w", src.w.ID, err)
	}
	row.ID = 0
	src.twinned = false
	return r.create(ctx, src)
}

// headerFor is the header of dst, the copy of src, when it has one or src has one (a relayed
// copy); "" when a fresh attribution is needed (headerOf).
func (r *worklogRun) headerFor(src, dst *worklogView) string {
	if dst != nil && dst.isCopy() {
		return dst.header
	}
	return src.header
}

// headerOf is the header of dst, the copy of src: its current header, else src's own header, else
// a fresh attribution with src's origin marker.
func (r *worklogRun) headerOf(ctx context.Context, src, dst *worklogView) (string, error) {
	if h := r.headerFor(src, dst); h != "" {
		return h, nil
	}
	a, err := r.attribution(ctx, src)
	if err != nil {
		return "", err
	}
	return a + " " + commentMarker(src.origin), nil
}

// attribution expands Rules.Worklogs.Attribution for an original worklog. The author is named as
// the target knows them when the user map maps them, else by their display name at the source.
func (r *worklogRun) attribution(ctx context.Context, v *worklogView) (string, error) {
	tmpl := r.p.Rules.Worklogs.Attribution
	if tmpl == "" {
		tmpl = DefaultWorklogAttribution
	}
	author := "Anonymous"
	if a := v.w.Author; a != nil {
		switch {
		case a.DisplayName != "":
			author = a.DisplayName
		case a.Name != "":
			author = a.Name
		}
		if a.Name != "" {
			if mapped, ok := r.users.mapUser(a.Name, v.side); ok {
				dn, err := r.users.displayName(ctx, r.p.Other(v.side), mapped)
				if err != nil {
					return "", fmt.Errorf("worklog %s: %w", v.w.ID, err)
				}
				author = dn
			}
		}
	}
	inst := v.side.Jira.Instance()
	if v.side.Instance != nil && v.side.Instance.Name != "" {
		inst = v.side.Instance.Name
	}
	started := ""
	if !v.w.Started.IsZero() {
		started = v.w.Started.Format("2006-01-02 15:04")
	}
	out := strings.NewReplacer("{author}", author, "{instance}", inst, "{started}", started).Replace(tmpl)
	return strings.Join(strings.Fields(out), " "), nil
}

// adopt links v with u, a worklog of the same origin on the other side (a copy whose twin row was
// lost), and brings the copy up to date with the source.
func (r *worklogRun) adopt(ctx context.Context, v, u *worklogView) error {
	l, rm := v, u
	if v.side != r.p.Local {
		l, rm = u, v
	}
	src, dst := worklogSource(l, rm)
	st := src.state()
	row := models.WorklogTwin{TwinID: r.p.Twin.ID, LocalID: &l.w.ID, RemoteID: &rm.w.ID, StartedMS: st.startedMS, Seconds: st.seconds, Comment: src.content,
		Visibility: visKey(dst.w.Visibility)}
	if err := r.e.DB.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("worklog %s: adopt %s: %w", src.w.ID, dst.w.ID, err)
	}
	v.twinned, u.twinned = true, true
	if !dst.isCopy() {
		return nil
	}
	if dst.state() != st {
		if err := r.write(ctx, dst, st, dst.header, dst.w.Visibility); err != nil {
			return err
		}
		r.e.event(ctx, r.p, src.side.Name, "worklog", "worklog", dst.state().describe(), st.describe())
	}
	return r.reconcileVisibility(ctx, &row, src, dst)
}

// create logs the copy of v on the other side and records the twin at once.
func (r *worklogRun) create(ctx context.Context, v *worklogView) error {
	to := r.p.Other(v.side)
	j, err := worklogClient(to)
	if err != nil {
		return err
	}
	header, err := r.headerOf(ctx, v, nil)
	if err != nil {
		return err
	}
	started := v.w.Started
	made, err := j.AddWorklog(ctx, to.Issue.ID, jira.WorklogInput{Comment: worklogBody(header, v.content), Started: &started,
		TimeSpentSeconds: v.w.TimeSpentSeconds, Visibility: v.w.Visibility}, leaveEstimate)
	if err != nil {
		return fmt.Errorf("worklog %s: copy to %s %s: %w", v.w.ID, to.Name, to.Issue.Key, err)
	}
	r.wrote[r.sideIndex(to)] = true
	st := v.state()
	row := models.WorklogTwin{TwinID: r.p.Twin.ID, StartedMS: st.startedMS, Seconds: st.seconds, Comment: v.content, Visibility: visKey(v.w.Visibility)}
	if v.side == r.p.Local {
		row.LocalID, row.RemoteID = &v.w.ID, &made.ID
	} else {
		row.LocalID, row.RemoteID = &made.ID, &v.w.ID
	}
	if err := r.e.DB.WithContext(ctx).Create(&row).Error; err != nil {
		// The copy exists; the next run finds it by its origin marker and adopts it.
		return fmt.Errorf("worklog %s: record twin of copy %s: %w", v.w.ID, made.ID, err)
	}
	v.twinned = true
	r.e.event(ctx, r.p, v.side.Name, "worklog", "worklog", "", st.describe())
	return nil
}

// write sets worklog v to state st (with header, when v is a copy) and visibility vis, unless it
// already reads so. A worklog deleted meanwhile is left to the next run, which sees it gone.
func (r *worklogRun) write(ctx context.Context, v *worklogView, st worklogState, header string, vis *jira.Visibility) error {
	body := st.content
	if header != "" {
		body = worklogBody(header, st.content)
	}
	if v.state() == st && normText(body) == normText(v.w.Comment) && sameVisibility(vis, v.w.Visibility) {
		return nil
	}
	j, err := worklogClient(v.side)
	if err != nil {
		return err
	}
	started := jira.Time{Time: time.UnixMilli(st.startedMS).In(v.w.Started.Location())}
	_, err = j.ReplaceWorklog(ctx, v.side.Issue.ID, v.w.ID, jira.WorklogEdit{Comment: body, Started: started,
		TimeSpentSeconds: st.seconds, Visibility: vis}, leaveEstimate)
	if jira.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("worklog %s: update on %s %s: %w", v.w.ID, v.side.Name, v.side.Issue.Key, err)
	}
	r.wrote[r.sideIndex(v.side)] = true
	// The view reads as written, for what this run does next with it.
	v.w.Comment, v.w.Started, v.w.TimeSpentSeconds, v.w.Visibility = body, started, st.seconds, vis
	v.content = st.content
	if header != "" {
		v.header = header
	}
	return nil
}

// deleteWorklog deletes one of our copies; already gone is fine.
func (r *worklogRun) deleteWorklog(ctx context.Context, v *worklogView) error {
	j, err := worklogClient(v.side)
	if err != nil {
		return err
	}
	err = j.DeleteWorklog(ctx, v.side.Issue.ID, v.w.ID, leaveEstimate)
	if err != nil && !jira.IsNotFound(err) {
		return fmt.Errorf("worklog %s: delete on %s %s: %w", v.w.ID, v.side.Name, v.side.Issue.Key, err)
	}
	if err == nil {
		r.wrote[r.sideIndex(v.side)] = true
	}
	return nil
}

func (r *worklogRun) markDeleted(ctx context.Context, row *models.WorklogTwin) error {
	if err := r.e.DB.WithContext(ctx).Model(row).Update("deleted", true).Error; err != nil {
		return fmt.Errorf("worklog twin %d: mark deleted: %w", row.ID, err)
	}
	return nil
}

func (r *worklogRun) setBaseline(ctx context.Context, row *models.WorklogTwin, st worklogState) error {
	if err := r.e.DB.WithContext(ctx).Model(row).Updates(map[string]any{"started_ms": st.startedMS, "seconds": st.seconds, "comment": st.content}).Error; err != nil {
		return fmt.Errorf("worklog twin %d: baseline: %w", row.ID, err)
	}
	return nil
}

// validate checks the restrictions that may leave (Rules.Validate).
func (w *WorklogRules) validate() []*RuleError {
	var errs []*RuleError
	for i, v := range w.AllowVisibilities {
		if t, _, ok := strings.Cut(v, ":"); !ok || (t != "group" && t != "role") {
			errs = append(errs, &RuleError{fmt.Sprintf("worklogs.allow_visibilities[%d]", i), "group:NAME or role:NAME"})
		}
	}
	return errs
}
