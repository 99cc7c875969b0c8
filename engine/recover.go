package engine

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// RecoverResult counts what Recover did.
type RecoverResult struct {
	Scanned  int // issues read in both projects
	Linked   int // issues carrying this connection's link
	Restored int // twins rebuilt
	Skipped  int // links whose twin already exists (or whose peer is gone)
}

// Recover rebuilds a connection's twin ledger from the airlock.twin properties in Jira, after the
// database was lost: every issue of both projects carrying this connection's link becomes a twin
// again, with the current projections as its baseline (so nothing is rewritten) and each side's
// current `updated` (so polls skip them). Existing twins are left alone.
func (e *Engine) Recover(ctx context.Context, connID uint) (*RecoverResult, error) {
	l, err := e.loadLink(ctx, connID)
	if err != nil {
		return nil, err
	}
	res := &RecoverResult{}
	type found struct {
		ids  [2]string
		keys [2]string
	}
	bySync := map[string]*found{}
	var order []string
	for _, side := range []string{models.SideLocal, models.SideRemote} {
		j, err := e.client(ctx, l, side)
		if err != nil {
			return nil, err
		}
		hits, err := j.SearchAll(ctx, jira.SearchQuery{JQL: fmt.Sprintf("project = %s ORDER BY key ASC", quoteJQL(l.project(side))),
			MaxResults: 100, Fields: []string{"updated"}, Properties: []string{TwinProperty}}, jira.SearchAllOptions{})
		if err != nil {
			return nil, fmt.Errorf("scan %s project %s: %w", side, l.project(side), err)
		}
		res.Scanned += len(hits)
		for i := range hits {
			lk, ok, err := readLink(ctx, j, &hits[i], l.Key)
			if err != nil {
				return nil, err
			}
			if !ok || lk.SyncID == "" {
				continue
			}
			res.Linked++
			f := bySync[lk.SyncID]
			if f == nil {
				f = &found{}
				bySync[lk.SyncID] = f
				order = append(order, lk.SyncID)
			}
			k, o := sideIndex(side), 1-sideIndex(side)
			f.ids[k], f.keys[k] = hits[i].ID, hits[i].Key
			if f.ids[o] == "" {
				f.ids[o], f.keys[o] = lk.PeerID, lk.PeerKey
			}
		}
	}
	for _, sid := range order {
		f := bySync[sid]
		if f.ids[0] == "" || f.ids[1] == "" {
			res.Skipped++
			continue
		}
		var n int64
		if err := e.db(ctx).Model(&models.Twin{}).Where("sync_id = ? OR (connection_id = ? AND (local_issue_id = ? OR remote_issue_id = ?))",
			sid, l.Conn.ID, f.ids[0], f.ids[1]).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("look up twin: %w", err)
		}
		if n > 0 {
			res.Skipped++
			continue
		}
		tw := models.Twin{ConnectionID: l.Conn.ID, SyncID: sid, State: models.TwinActive}
		p, err := e.pair(ctx, l, &tw)
		if err != nil {
			return nil, err
		}
		var issues [2]*jira.Issue
		gone := false
		for i, s := range []*Side{p.Local, p.Remote} {
			is, err := e.getIssue(ctx, s, f.ids[i], &l.Rules, false)
			if jira.IsNotFound(err) {
				gone = true
				break
			}
			if err != nil {
				return nil, err
			}
			issues[i] = is
		}
		if gone {
			res.Skipped++
			continue
		}
		lid, rid := issues[0].ID, issues[1].ID
		now := e.now()
		base := Baseline{Local: Project(issues[0], &l.Rules, models.SideLocal), Remote: Project(issues[1], &l.Rules, models.SideRemote)}
		l.Rules.stamp(&base, nil)
		tw.LocalIssueID, tw.LocalKey, tw.RemoteIssueID, tw.RemoteKey = &lid, issues[0].Key, &rid, issues[1].Key
		tw.Baseline = base.String()
		tw.LastSyncedAt = &now
		if t, ok := issueUpdated(issues[0]); ok {
			tw.LocalUpdated = &t
		}
		if t, ok := issueUpdated(issues[1]); ok {
			tw.RemoteUpdated = &t
		}
		err = e.db(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&tw).Error; err != nil {
				return err
			}
			return tx.Create(&models.Event{TwinID: tw.ID, ConnectionID: l.Conn.ID, At: now, Direction: models.DirLocalToRemote,
				Kind: "link", NewValue: "recovered from " + TwinProperty + ": " + tw.LocalKey + " <-> " + tw.RemoteKey}).Error
		})
		if err != nil {
			return nil, fmt.Errorf("restore twin %s <-> %s: %w", tw.LocalKey, tw.RemoteKey, err)
		}
		res.Restored++
	}
	return res, nil
}
