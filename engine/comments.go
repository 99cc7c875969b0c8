package engine

// Comments travel through comment twins (models.CommentTwin: local id <-> remote id).
//
// A copy's body is a header line, a blank line, then the content:
//
//	_Alice Able on A, 2024-05-01 10:02:_ {anchor:airlock-1a2b3c4d-10100}
//
//	the original text, with [~mentions] rewritten
//
// The header is the attribution template (Rules.Comments.Attribution) followed by an {anchor}
// macro, which Jira renders as nothing. The anchor names the *origin* comment: the first 8 hex
// digits of the SHA-256 of its Jira's base URL and its comment id. It makes creation crash-safe:
// before posting a copy, the target is searched for an untwinned comment of the same origin, and
// such a comment (a copy whose twin row was lost between Jira's answer and our commit) is adopted
// instead of posted again. A copy of a copy (the relay hop A -> AB -> B) keeps the first header
// verbatim, so B shows who wrote the comment on A, and every copy carries the same origin marker.
//
// A comment is a copy when its first line carries a marker; every other comment is an original.
// Copies may be deleted by Airlock, originals never (their twin is marked Deleted instead).
//
// A service desk's internal comments stay on their side unless the connection lets them travel,
// and copies carried into a service project arrive internal unless the connection makes them
// public (engine/internal.go, engine/servicedesk.go).
//
// Baseline is the source content (the original's body, or a copy's body without its header) as
// last agreed. On each run: the source content differs from Baseline -> the copy is rewritten; the
// copy's content differs from the rendered Baseline -> a human edited the copy, and the edit is
// carried back to the source. When both changed, the later `updated` wins (last edit wins, both
// ways). Text is compared after trimming trailing white space, so Jira's normalisation cannot make
// comments ping-pong.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// commentMarkerRe finds the origin marker in a copy's header line.
var commentMarkerRe = regexp.MustCompile(`\{anchor:airlock-([0-9a-f]{8}-[0-9A-Za-z]+)\}`)

// commentMentionRe finds Jira Server mentions, [~login].
var commentMentionRe = regexp.MustCompile(`\[~([^\]\[\s]+)\]`)

// commentView is one comment split into its copy header (empty for an original) and content.
type commentView struct {
	side    *Side
	c       jira.Comment
	header  string // first line when it carries an origin marker
	origin  string // origin marker value, "<hash8>-<comment id>"
	content string // body without the header
	twinned bool
}

func (v *commentView) isCopy() bool { return v.header != "" }

// instanceHash identifies a Jira by its base URL, for origin markers.
func instanceHash(baseURL string) string {
	sum := sha256.Sum256([]byte(strings.TrimRight(strings.ToLower(baseURL), "/")))
	return hex.EncodeToString(sum[:4])
}

// commentMarker is the {anchor} macro naming an origin comment.
func commentMarker(origin string) string { return "{anchor:airlock-" + origin + "}" }

// parseComment splits a comment of side s into header, origin and content.
func parseComment(s *Side, c jira.Comment) *commentView {
	v := &commentView{side: s, c: c, content: c.Body}
	first, rest, _ := strings.Cut(strings.ReplaceAll(c.Body, "\r\n", "\n"), "\n")
	if m := commentMarkerRe.FindStringSubmatch(first); m != nil {
		v.header = first
		v.origin = m[1]
		v.content = strings.TrimPrefix(rest, "\n")
		return v
	}
	v.origin = instanceHash(s.Jira.BaseURL()) + "-" + c.ID
	return v
}

// normText is the form comment texts are compared in: line ends unified, trailing white space of
// every line and of the text removed (Jira trims; a difference there is no edit).
func normText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// commentRun is the state of one syncComments call: the pair, a per-side display name cache and
// what was written.
type commentRun struct {
	e     *Engine
	p     *Pair
	names map[*Side]map[string]string
	wrote [2]bool
}

// syncComments carries comment creates, edits and deletes both ways through comment twins.
// wrote[0] reports a write on the local side, wrote[1] on the remote side.
func (e *Engine) syncComments(ctx context.Context, p *Pair) (wrote [2]bool, err error) {
	if !p.Rules.Comments.Enabled || p.Local == nil || p.Remote == nil || p.Local.Issue == nil || p.Remote.Issue == nil {
		return wrote, nil
	}
	r := &commentRun{e: e, p: p, names: map[*Side]map[string]string{}}
	views := map[*Side]map[string]*commentView{}
	var order []*commentView
	p.comments = nil // read fresh: this run writes comments
	for _, s := range []*Side{p.Local, p.Remote} {
		cs, err := e.commentsOf(ctx, p, s)
		if err != nil {
			return wrote, err
		}
		views[s] = map[string]*commentView{}
		for _, c := range cs {
			v := parseComment(s, c)
			views[s][c.ID] = v
			order = append(order, v)
		}
	}
	var rows []models.CommentTwin
	if err := e.DB.WithContext(ctx).Where("twin_id = ?", p.Twin.ID).Order("id").Find(&rows).Error; err != nil {
		return wrote, fmt.Errorf("comment twins of twin %d: %w", p.Twin.ID, err)
	}
	lookup := func(s *Side, id *string) *commentView {
		if id == nil {
			return nil
		}
		return views[s][*id]
	}
	for i := range rows {
		row := &rows[i]
		l, rm := lookup(p.Local, row.LocalID), lookup(p.Remote, row.RemoteID)
		for _, v := range []*commentView{l, rm} {
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
	// Untwinned comments: adopt a copy of the same origin, else create the copy.
	for _, v := range order {
		if v.twinned || !r.shareable(v.c) || r.keptHome(v) {
			continue
		}
		other := p.Other(v.side)
		var match *commentView
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
	// Count what stayed home because internal: kept-home comments that no twin carries.
	var kept [2]int
	for _, v := range order {
		if !v.twinned && r.keptHome(v) {
			kept[r.sideIndex(v.side)]++
		}
	}
	return r.wrote, e.recordKeptHome(ctx, p, kept[0], kept[1])
}

// commentsOf returns every comment of the side's issue, once per run (kept on the Pair). The
// embedded page serves when it is complete and the side is no service project; a service
// project's comments are read from Jira with expand=properties, for the sd.public.comment
// property that tells an internal note (the embedded page never carries properties).
func (e *Engine) commentsOf(ctx context.Context, p *Pair, s *Side) ([]jira.Comment, error) {
	if cs, ok := p.comments[s]; ok {
		return cs, nil
	}
	sd, err := e.isServiceDesk(ctx, s)
	if err != nil {
		return nil, err
	}
	var page jira.CommentPage
	ok, err := s.Issue.Field("comment", &page)
	var cs []jira.Comment
	if err == nil && ok && page.Total <= len(page.Comments) && (!sd || len(page.Comments) == 0) {
		cs = page.Comments
	} else if cs, err = s.Jira.Comments(ctx, s.Issue.ID, jira.CommentOptions{Expand: []string{"properties"}}); err != nil {
		return nil, fmt.Errorf("comments of %s %s: %w", s.Name, s.Issue.Key, err)
	}
	if p.comments == nil {
		p.comments = map[*Side][]jira.Comment{}
	}
	p.comments[s] = cs
	return cs, nil
}

// sideIndex is 0 for the local side, 1 for the remote one (the wrote flags).
func (r *commentRun) sideIndex(s *Side) int {
	if s == r.p.Local {
		return 0
	}
	return 1
}

// shareable reports whether a comment's visibility lets it leave its side: unrestricted, or
// restricted to a group or role listed in Rules.Comments.AllowVisibilities. (Internal notes are
// keptHome's concern.)
func (r *commentRun) shareable(c jira.Comment) bool {
	return visibilityLeaves(&r.p.Rules.Comments, &c)
}

// source picks which of two twinned comments is the source: the original when exactly one is a
// copy; otherwise (a relayed copy twinned with our copy of it) the earlier one, local on a tie.
func source(l, rm *commentView) (src, dst *commentView) {
	switch {
	case rm.isCopy() && !l.isCopy():
		return l, rm
	case l.isCopy() && !rm.isCopy():
		return rm, l
	case rm.c.Created.Before(l.c.Created.Time):
		return rm, l
	}
	return l, rm
}

// reconcileTwin carries a deletion or an edit for one live comment twin.
func (r *commentRun) reconcileTwin(ctx context.Context, row *models.CommentTwin, l, rm *commentView) error {
	switch {
	case l == nil && rm == nil:
		return r.markDeleted(ctx, row)
	case l == nil || rm == nil:
		left := l
		if left == nil {
			left = rm
		}
		if left.isCopy() {
			if err := r.deleteComment(ctx, left); err != nil {
				return err
			}
			r.e.event(ctx, r.p, r.p.Other(left.side).Name, "comment", "comment", left.content, "(deleted)")
		}
		return r.markDeleted(ctx, row)
	}
	src, dst := source(l, rm)
	restricted, internal := !r.shareable(src.c), !src.isCopy() && r.keptHome(src)
	if restricted || internal {
		// The source became restricted (or an original became internal): take our copy back and
		// forget the twin, so the comment leaves again if it is ever unrestricted (or public).
		// A counterpart that is no copy of ours (its header was removed by hand) is never deleted;
		// the twin is closed instead, so neither comment travels again.
		if !dst.isCopy() {
			return r.markDeleted(ctx, row)
		}
		if err := r.deleteComment(ctx, dst); err != nil {
			return err
		}
		why := "(withdrawn: restricted)"
		if !restricted {
			why = "(withdrawn: internal)"
		}
		r.e.event(ctx, r.p, src.side.Name, "comment", "comment", dst.content, why)
		if err := r.e.DB.WithContext(ctx).Delete(row).Error; err != nil {
			return fmt.Errorf("comment %s: drop twin row: %w", src.c.ID, err)
		}
		return nil
	}
	base := normText(row.Baseline)
	want, err := r.render(ctx, row.Baseline, src.side)
	if err != nil {
		return fmt.Errorf("comment %s: %w", src.c.ID, err)
	}
	srcChanged := normText(src.content) != base
	copyChanged := normText(dst.content) != normText(want)
	// Content never flows out of a comment kept home (an internal copy: its edits stay there).
	srcOut, dstOut := !r.keptHome(src), !r.keptHome(dst)
	dstLater := dst.c.Updated.After(src.c.Updated.Time)
	switch {
	case !srcChanged && !copyChanged:
		return nil
	case srcChanged && srcOut && (!copyChanged || !dstOut || !dstLater):
		content, err := r.render(ctx, src.content, src.side)
		if err != nil {
			return fmt.Errorf("comment %s: %w", src.c.ID, err)
		}
		body := r.headerFor(src, dst) + "\n\n" + content
		if err := r.updateComment(ctx, dst, body, src.c.Visibility); err != nil {
			return err
		}
		r.e.event(ctx, r.p, src.side.Name, "comment", "comment", row.Baseline, src.content)
		return r.setBaseline(ctx, row, src.content)
	case !copyChanged || !dstOut:
		return nil // what changed is an internal comment's: it stays on its side
	default: // a human edited the copy: carry it back to the source
		content, err := r.render(ctx, dst.content, dst.side)
		if err != nil {
			return fmt.Errorf("comment %s: %w", dst.c.ID, err)
		}
		body := content
		if src.isCopy() {
			body = src.header + "\n\n" + content
		}
		if err := r.updateComment(ctx, src, body, src.c.Visibility); err != nil {
			return err
		}
		r.e.event(ctx, r.p, dst.side.Name, "comment", "comment", row.Baseline, content)
		back, err := r.render(ctx, content, src.side)
		if err != nil {
			return fmt.Errorf("comment %s: %w", src.c.ID, err)
		}
		if normText(back) != normText(dst.content) || !dst.isCopy() {
			if err := r.updateComment(ctx, dst, r.headerFor(src, dst)+"\n\n"+back, dst.c.Visibility); err != nil {
				return err
			}
		}
		return r.setBaseline(ctx, row, content)
	}
}

// headerFor is the header line of dst, the copy of src: its current header, else src's own
// header (a relayed copy), else a fresh attribution with src's origin marker.
func (r *commentRun) headerFor(src, dst *commentView) string {
	if dst != nil && dst.isCopy() {
		return dst.header
	}
	if src.isCopy() {
		return src.header
	}
	return r.attribution(src) + " " + commentMarker(src.origin)
}

// attribution expands Rules.Comments.Attribution for an original comment.
func (r *commentRun) attribution(v *commentView) string {
	tmpl := r.p.Rules.Comments.Attribution
	if tmpl == "" {
		tmpl = DefaultAttribution
	}
	author := "Anonymous"
	if a := v.c.Author; a != nil {
		switch {
		case a.DisplayName != "":
			author = a.DisplayName
		case a.Name != "":
			author = a.Name
		}
	}
	inst := v.side.Jira.Instance()
	if v.side.Instance != nil && v.side.Instance.Name != "" {
		inst = v.side.Instance.Name
	}
	created := ""
	if !v.c.Created.IsZero() {
		created = v.c.Created.Format("2006-01-02 15:04")
	}
	out := strings.NewReplacer("{author}", author, "{instance}", inst, "{created}", created).Replace(tmpl)
	// The header is one line: a newline in a name or the template would split it.
	return strings.Join(strings.Fields(out), " ")
}

// render rewrites the mentions of a text written on side from for the other side: a mapped user
// becomes [~mapped]; anyone else becomes their display name, so nobody on the other side is
// notified by mistake. With RewriteMentions off the text passes unchanged.
func (r *commentRun) render(ctx context.Context, text string, from *Side) (string, error) {
	if !r.p.Rules.Comments.RewriteMentions || !strings.Contains(text, "[~") {
		return text, nil
	}
	var firstErr error
	out := commentMentionRe.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		if mapped, ok := r.mapUser(name, from); ok {
			return "[~" + mapped + "]"
		}
		dn, err := r.displayName(ctx, from, name)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return m
		}
		return dn
	})
	if firstErr != nil {
		return "", firstErr
	}
	return out, nil
}

// mapUser maps a user name through Rules.Users.Map (local -> remote; read backwards from the
// remote side).
func (r *commentRun) mapUser(name string, from *Side) (string, bool) {
	m := r.p.Rules.Users.Map
	if from == r.p.Local {
		if v, ok := m[name]; ok && v != "" {
			return v, true
		}
		for k, v := range m {
			if strings.EqualFold(k, name) && v != "" {
				return v, true
			}
		}
		return "", false
	}
	for _, exact := range []bool{true, false} {
		for k, v := range m {
			if k != "" && (v == name || (!exact && strings.EqualFold(v, name))) {
				return k, true
			}
		}
	}
	return "", false
}

// displayName looks a user up on side s once per run; an unknown user keeps the bare name.
func (r *commentRun) displayName(ctx context.Context, s *Side, name string) (string, error) {
	cache := r.names[s]
	if cache == nil {
		cache = map[string]string{}
		r.names[s] = cache
	}
	if dn, ok := cache[name]; ok {
		return dn, nil
	}
	dn := name
	u, err := s.Jira.User(ctx, name)
	switch {
	case err == nil && u != nil && u.DisplayName != "":
		dn = u.DisplayName
	case err != nil && !jira.IsNotFound(err):
		return "", fmt.Errorf("mention of %s on %s: %w", name, s.Name, err)
	}
	cache[name] = dn
	return dn, nil
}

// adopt links v with u, a comment of the same origin on the other side (a copy whose twin row was
// lost), and brings the copy up to date with the source.
func (r *commentRun) adopt(ctx context.Context, v, u *commentView) error {
	l, rm := v, u
	if v.side != r.p.Local {
		l, rm = u, v
	}
	src, dst := source(l, rm)
	row := models.CommentTwin{TwinID: r.p.Twin.ID, LocalID: &l.c.ID, RemoteID: &rm.c.ID, Baseline: src.content}
	if err := r.e.DB.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("comment %s: adopt %s: %w", src.c.ID, dst.c.ID, err)
	}
	v.twinned, u.twinned = true, true
	content, err := r.render(ctx, src.content, src.side)
	if err != nil {
		return fmt.Errorf("comment %s: %w", src.c.ID, err)
	}
	if normText(content) != normText(dst.content) && dst.isCopy() && !r.keptHome(src) {
		if err := r.updateComment(ctx, dst, r.headerFor(src, dst)+"\n\n"+content, src.c.Visibility); err != nil {
			return err
		}
		r.e.event(ctx, r.p, src.side.Name, "comment", "comment", dst.content, src.content)
	}
	return nil
}

// create posts the copy of v on the other side and records the twin at once.
func (r *commentRun) create(ctx context.Context, v *commentView) error {
	to := r.p.Other(v.side)
	content, err := r.render(ctx, v.content, v.side)
	if err != nil {
		return fmt.Errorf("comment %s: %w", v.c.ID, err)
	}
	body := r.headerFor(v, nil) + "\n\n" + content
	props, err := r.e.arrivalProperties(ctx, r.p, to, &v.c)
	if err != nil {
		return fmt.Errorf("comment %s: %w", v.c.ID, err)
	}
	made, err := to.Jira.AddComment(ctx, to.Issue.ID, jira.CommentInput{Body: body, Visibility: v.c.Visibility, Properties: props})
	if err != nil {
		return fmt.Errorf("comment %s: copy to %s %s: %w", v.c.ID, to.Name, to.Issue.Key, err)
	}
	r.wrote[r.sideIndex(to)] = true
	row := models.CommentTwin{TwinID: r.p.Twin.ID, Baseline: v.content}
	if v.side == r.p.Local {
		row.LocalID, row.RemoteID = &v.c.ID, &made.ID
	} else {
		row.LocalID, row.RemoteID = &made.ID, &v.c.ID
	}
	if err := r.e.DB.WithContext(ctx).Create(&row).Error; err != nil {
		// The copy exists; the next run finds it by its origin marker and adopts it.
		return fmt.Errorf("comment %s: record twin of copy %s: %w", v.c.ID, made.ID, err)
	}
	v.twinned = true
	r.e.event(ctx, r.p, v.side.Name, "comment", "comment", "", v.content)
	return nil
}

// updateComment rewrites v's body unless it already reads so. A comment deleted meanwhile is left
// to the next run, which sees it gone.
func (r *commentRun) updateComment(ctx context.Context, v *commentView, body string, vis *jira.Visibility) error {
	if normText(body) == normText(v.c.Body) && sameVisibility(vis, v.c.Visibility) {
		return nil
	}
	_, err := v.side.Jira.UpdateComment(ctx, v.side.Issue.ID, v.c.ID, jira.CommentInput{Body: body, Visibility: vis})
	if jira.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("comment %s: update on %s %s: %w", v.c.ID, v.side.Name, v.side.Issue.Key, err)
	}
	r.wrote[r.sideIndex(v.side)] = true
	return nil
}

func sameVisibility(a, b *jira.Visibility) bool {
	if a == nil || b == nil {
		return (a == nil || a.Value == "") && (b == nil || b.Value == "")
	}
	return strings.EqualFold(a.Type, b.Type) && strings.EqualFold(a.Value, b.Value)
}

// deleteComment deletes one of our copies; already gone is fine.
func (r *commentRun) deleteComment(ctx context.Context, v *commentView) error {
	err := v.side.Jira.DeleteComment(ctx, v.side.Issue.ID, v.c.ID)
	if err != nil && !jira.IsNotFound(err) {
		return fmt.Errorf("comment %s: delete on %s %s: %w", v.c.ID, v.side.Name, v.side.Issue.Key, err)
	}
	if err == nil {
		r.wrote[r.sideIndex(v.side)] = true
	}
	return nil
}

func (r *commentRun) markDeleted(ctx context.Context, row *models.CommentTwin) error {
	if err := r.e.DB.WithContext(ctx).Model(row).Update("deleted", true).Error; err != nil {
		return fmt.Errorf("comment twin %d: mark deleted: %w", row.ID, err)
	}
	return nil
}

func (r *commentRun) setBaseline(ctx context.Context, row *models.CommentTwin, content string) error {
	if err := r.e.DB.WithContext(ctx).Model(row).Update("baseline", content).Error; err != nil {
		return fmt.Errorf("comment twin %d: baseline: %w", row.ID, err)
	}
	return nil
}
