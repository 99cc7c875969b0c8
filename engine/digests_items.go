package engine

// Item digests extend the field digests (engine/digests.go) to a twin's comment, attachment and
// worklog twins, so that `recover` also knows what happened to them while the ledger was lost.
// For each live comment twin the local issue's airlock.twin link carries a keyed digest of each
// side's comment id and of the agreed content; for each worklog twin, of each side's worklog id
// and of the agreed start, seconds and comment; for each attachment twin, of each side's
// attachment id.
// Keyed like the field digests, they tell the relay nothing (not even which ids are twinned).
//
// Recover rebuilds the comment and attachment twin rows from them before the first reconcile,
// which then carries what changed as it would have live:
//   - a comment or worklog edited on one side during the outage is carried to the other (the
//     side whose content still matches the agreed digest did not change); edited on both, the
//     later edit wins, as always for comments and worklogs;
//   - a comment, worklog or attachment deleted on one side is deleted on the other (a copy) or
//     left closed (an original whose copy was deleted), never resurrected;
//   - what was added meanwhile has no digest and is carried once, as new.
// Links written before item digests existed (no Items flag) leave comments to be adopted by their
// origin markers and attachments by name, size and checksum (the previous behaviour).

import (
	"context"
	"fmt"
	"slices"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// maxItemDigests bounds the item digests in one link, so the property stays well inside Jira's
// 32 KB limit for an entity property value (about 60 bytes per item). Beyond it no item digests
// are written and recover falls back to adoption.
const maxItemDigests = 300

// ItemDigest is the keyed digest of one comment or attachment twin: L and R of each side's Jira
// id, B of the agreed content (comments only).
type ItemDigest struct {
	L string `json:"l"`
	R string `json:"r"`
	B string `json:"b,omitempty"`
}

// unknownComment is the baseline of a rebuilt comment twin whose two sides both changed during
// the outage: no comment reads so, so the sync sees both as edited and the later edit wins. It is
// readable because it may show as the old value in the activity; it has no NUL (Postgres text).
const unknownComment = "(unknown: edited on both sides while the ledger was lost)"

// goneID stands in a rebuilt twin row for the side whose item was deleted during the outage: no
// Jira id equals it, so the sync sees that side's item gone. It is unique per item.
func goneID(d ItemDigest, side string) string {
	if side == models.SideLocal {
		return "gone-" + d.L
	}
	return "gone-" + d.R
}

// itemID is the digest of one side's id of an item of the given kind ("comment", "attachment").
func (g *digester) itemID(connKey, kind, side, id string) string {
	return g.mac(connKey, kind, side, id)[:11]
}

// itemContent is the digest of a comment's agreed content, compared after normText.
func (g *digester) itemContent(connKey, content string) string {
	return g.mac(connKey, "comment content", normText(content))
}

// itemDigests reads the twin's live comment and attachment twins and returns their digests;
// ok is false when there are too many to record.
func (e *Engine) itemDigests(ctx context.Context, g *digester, connKey string, p *Pair) (cs, as, ws []ItemDigest, ok bool, err error) {
	if p.Rules.Comments.Enabled {
		var rows []models.CommentTwin
		if err := e.db(ctx).Where("twin_id = ? AND deleted = ?", p.Twin.ID, false).Order("id").Find(&rows).Error; err != nil {
			return nil, nil, nil, false, fmt.Errorf("comment twins of twin %d: %w", p.Twin.ID, err)
		}
		for _, r := range rows {
			if r.LocalID == nil || r.RemoteID == nil {
				continue
			}
			cs = append(cs, ItemDigest{L: g.itemID(connKey, "comment", models.SideLocal, *r.LocalID),
				R: g.itemID(connKey, "comment", models.SideRemote, *r.RemoteID), B: g.itemContent(connKey, r.Baseline)})
		}
	}
	if p.Rules.Attachments.Enabled {
		var rows []models.AttachmentTwin
		if err := e.db(ctx).Where("twin_id = ? AND deleted = ?", p.Twin.ID, false).Order("id").Find(&rows).Error; err != nil {
			return nil, nil, nil, false, fmt.Errorf("attachment twins of twin %d: %w", p.Twin.ID, err)
		}
		for _, r := range rows {
			if r.LocalID == nil || r.RemoteID == nil {
				continue // a skipped attachment: recover's first run skips it again
			}
			as = append(as, ItemDigest{L: g.itemID(connKey, "attachment", models.SideLocal, *r.LocalID),
				R: g.itemID(connKey, "attachment", models.SideRemote, *r.RemoteID)})
		}
	}
	if p.Rules.Worklogs.Enabled {
		var rows []models.WorklogTwin
		if err := e.db(ctx).Where("twin_id = ? AND deleted = ?", p.Twin.ID, false).Order("id").Find(&rows).Error; err != nil {
			return nil, nil, nil, false, fmt.Errorf("worklog twins of twin %d: %w", p.Twin.ID, err)
		}
		for _, r := range rows {
			if r.LocalID == nil || r.RemoteID == nil {
				continue
			}
			ws = append(ws, ItemDigest{L: g.itemID(connKey, "worklog", models.SideLocal, *r.LocalID),
				R: g.itemID(connKey, "worklog", models.SideRemote, *r.RemoteID), B: g.worklogContent(connKey, rowState(&r))})
		}
	}
	if len(cs)+len(as)+len(ws) > maxItemDigests {
		return nil, nil, nil, false, nil
	}
	return cs, as, ws, true, nil
}

// worklogContent is the digest of a worklog's agreed start, seconds and comment.
func (g *digester) worklogContent(connKey string, st worklogState) string {
	return g.mac(connKey, "worklog content", fmt.Sprint(st.startedMS), fmt.Sprint(st.seconds), st.content)
}

// RecoveredItems counts, for one restored twin, the comment and attachment twins rebuilt from
// item digests and what their first reconcile will carry.
type RecoveredItems struct {
	Comments, Attachments, Worklogs int // twin rows rebuilt
	// Edited counts comments and worklogs edited on one side during the outage (carried),
	// EditedBoth those edited on both (the later edit wins), Deleted the comments, worklogs and
	// attachments deleted on one side (deleted on the other, or closed).
	Edited, EditedBoth, Deleted int
}

// itemRows is the plan of the comment and attachment twin rows recover rebuilds for one twin
// (TwinID filled in when the twin is stored).
type itemRows struct {
	comments    []models.CommentTwin
	attachments []models.AttachmentTwin
	worklogs    []models.WorklogTwin
}

// rebuildItems matches the item digests of a link with the comments and attachments both issues
// carry now (p.Local.Issue and p.Remote.Issue are set).
func (e *Engine) rebuildItems(ctx context.Context, g *digester, connKey string, p *Pair, d *FieldDigests) (*itemRows, RecoveredItems, error) {
	out := &itemRows{}
	var sum RecoveredItems
	sides := [2]*Side{p.Local, p.Remote}
	names := [2]string{models.SideLocal, models.SideRemote}
	if p.Rules.Comments.Enabled && len(d.C) > 0 {
		var byDigest [2]map[string]*commentView
		for i, s := range sides {
			cs, err := e.commentsOf(ctx, p, s)
			if err != nil {
				return nil, sum, err
			}
			byDigest[i] = map[string]*commentView{}
			for _, c := range cs {
				byDigest[i][g.itemID(connKey, "comment", names[i], c.ID)] = parseComment(s, c)
			}
		}
		for _, it := range d.C {
			l, rm := byDigest[0][it.L], byDigest[1][it.R]
			if l == nil && rm == nil {
				continue // gone on both sides: nothing left to twin
			}
			row := models.CommentTwin{}
			switch {
			case l != nil && rm != nil:
				lid, rid := l.c.ID, rm.c.ID
				row.LocalID, row.RemoteID = &lid, &rid
				src, dst := source(l, rm)
				switch {
				case g.itemContent(connKey, src.content) == it.B:
					// The source did not change; a copy that differs was edited and is carried back.
					row.Baseline = src.content
					if normText(dst.content) != normText(src.content) {
						sum.Edited++
					}
				case g.itemContent(connKey, dst.content) == it.B:
					row.Baseline = dst.content // the copy did not change: the source's edit travels
					sum.Edited++
				default:
					row.Baseline = unknownComment // both changed (or unknowable): the later edit wins
					sum.EditedBoth++
				}
			case l != nil:
				lid, gone := l.c.ID, goneID(it, models.SideRemote)
				row.LocalID, row.RemoteID, row.Baseline = &lid, &gone, l.content
				sum.Deleted++
			default:
				gone, rid := goneID(it, models.SideLocal), rm.c.ID
				row.LocalID, row.RemoteID, row.Baseline = &gone, &rid, rm.content
				sum.Deleted++
			}
			out.comments = append(out.comments, row)
		}
		sum.Comments = len(out.comments)
	}
	if p.Rules.Attachments.Enabled && len(d.A) > 0 {
		var byDigest [2]map[string]jira.Attachment
		for i, s := range sides {
			as, err := attachmentsOf(ctx, s)
			if err != nil {
				return nil, sum, err
			}
			byDigest[i] = map[string]jira.Attachment{}
			for _, a := range as {
				byDigest[i][g.itemID(connKey, "attachment", names[i], a.ID)] = a
			}
		}
		for _, it := range d.A {
			la, okL := byDigest[0][it.L]
			ra, okR := byDigest[1][it.R]
			if !okL && !okR {
				continue
			}
			lid, rid, from := la.ID, ra.ID, la
			if !okL {
				lid, from = goneID(it, models.SideLocal), ra
				sum.Deleted++
			}
			if !okR {
				rid = goneID(it, models.SideRemote)
				sum.Deleted++
			}
			row := models.AttachmentTwin{LocalID: &lid, RemoteID: &rid, Filename: from.Filename, Size: from.Size}
			out.attachments = append(out.attachments, row)
		}
		sum.Attachments = len(out.attachments)
	}
	if p.Rules.Worklogs.Enabled && len(d.W) > 0 {
		var byDigest [2]map[string]*worklogView
		for i, s := range sides {
			ws, err := worklogsOf(ctx, s)
			if err != nil {
				return nil, sum, err
			}
			byDigest[i] = map[string]*worklogView{}
			for _, w := range ws {
				byDigest[i][g.itemID(connKey, "worklog", names[i], w.ID)] = parseWorklog(s, w)
			}
		}
		for _, it := range d.W {
			l, rm := byDigest[0][it.L], byDigest[1][it.R]
			if l == nil && rm == nil {
				continue
			}
			row := models.WorklogTwin{}
			var base worklogState
			switch {
			case l != nil && rm != nil:
				lid, rid := l.w.ID, rm.w.ID
				row.LocalID, row.RemoteID = &lid, &rid
				src, dst := worklogSource(l, rm)
				row.Visibility = visKey(dst.w.Visibility)
				switch {
				case g.worklogContent(connKey, src.state()) == it.B:
					base = src.state()
					if dst.state() != src.state() {
						sum.Edited++
					}
				case g.worklogContent(connKey, dst.state()) == it.B:
					base = dst.state()
					sum.Edited++
				default:
					base = worklogState{startedMS: -1, seconds: -1, content: unknownComment}
					sum.EditedBoth++
				}
			case l != nil:
				lid, gone := l.w.ID, goneID(it, models.SideRemote)
				row.LocalID, row.RemoteID, base = &lid, &gone, l.state()
				sum.Deleted++
			default:
				gone, rid := goneID(it, models.SideLocal), rm.w.ID
				row.LocalID, row.RemoteID, base = &gone, &rid, rm.state()
				sum.Deleted++
			}
			row.StartedMS, row.Seconds, row.Comment = base.startedMS, base.seconds, base.content
			out.worklogs = append(out.worklogs, row)
		}
		sum.Worklogs = len(out.worklogs)
	}
	return out, sum, nil
}

// itemsEqual compares two lists of item digests.
func itemsEqual(a, b []ItemDigest) bool { return slices.Equal(a, b) }
