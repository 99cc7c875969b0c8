package engine

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// RecoverResult counts what Recover did (or, dry, would do).
type RecoverResult struct {
	Scanned  int // issues read in both projects
	Linked   int // issues carrying this connection's link
	Restored int // twins rebuilt
	Skipped  int // links whose twin already exists (or whose peer is gone)
	// Twins says, per restored twin, what the first reconcile will carry and what the admin must
	// decide.
	Twins []RecoveredTwin
}

// RecoveredTwin is one twin rebuilt by Recover.
type RecoveredTwin struct {
	LocalKey, RemoteKey string
	// ToLocal and ToRemote name the fields changed on one side during the outage, to be carried.
	ToLocal, ToRemote []string
	// Conflicts name the fields that become Conflicts: changed on both sides under the manual
	// policy, or different on the two sides with no digest to tell which one changed.
	Conflicts []string
	// NoDigests is true when the link carried no usable digests (written before digests existed,
	// or under another AIRLOCK_SECRET_KEY).
	NoDigests bool
	// Items counts the comment and attachment twins rebuilt from the link's item digests and
	// what their first reconcile carries (engine/digests_items.go).
	Items RecoveredItems
}

// RecoverOptions adjust Recover; DryRun reads Jira and reports without writing anything.
type RecoverOptions struct{ DryRun bool }

// Recover rebuilds a connection's twin ledger from the airlock.twin properties in Jira, after the
// database was lost: every issue of both projects carrying this connection's link becomes a twin
// again. Its baseline comes from the digests of the agreed values in the local issue's link
// (engine/digests.go): a field changed on one side while the ledger was lost is carried to the
// other, a field changed on both follows the conflict policy, and where no digest can tell,
// differing fields become Conflicts. The comment and attachment twins are rebuilt from the
// link's item digests (engine/digests_items.go), so edits and deletions made meanwhile are carried
// as they would have been live. Every restored twin is left dirty, so its first reconcile carries
// all that, and the comments and attachments added meanwhile (copies made before the loss but
// not in the digests are adopted by their origin markers, not made twice). Existing twins are
// left alone.
func (e *Engine) Recover(ctx context.Context, connID uint) (*RecoverResult, error) {
	return e.RecoverWith(ctx, connID, RecoverOptions{})
}

// RecoverWith is Recover with options.
func (e *Engine) RecoverWith(ctx context.Context, connID uint, opt RecoverOptions) (*RecoverResult, error) {
	l, err := e.loadLink(ctx, connID)
	if err != nil {
		return nil, err
	}
	res := &RecoverResult{}
	type found struct {
		ids     [2]string
		keys    [2]string
		digests *FieldDigests
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
			if side == models.SideLocal {
				f.digests = lk.Digests
			}
		}
	}
	g := e.digester()
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
		p.Local.Issue, p.Remote.Issue = issues[0], issues[1]
		usable := g != nil && f.digests != nil && f.digests.K == g.keyID()
		items := &itemRows{}
		var itemSum RecoveredItems
		if usable && f.digests.Items {
			if items, itemSum, err = e.rebuildItems(ctx, g, l.Key, p, f.digests); err != nil {
				return nil, fmt.Errorf("recover %s <-> %s: %w", issues[0].Key, issues[1].Key, err)
			}
		}
		cur := [2]Shared{Project(issues[0], &l.Rules, models.SideLocal), Project(issues[1], &l.Rules, models.SideRemote)}
		base, unknown := g.rebuiltBaseline(l.Key, l.Rules.Fields, cur, f.digests)
		mopt := MergeOptions{Policy: l.Conn.ConflictPolicy, Held: map[string]bool{}}
		mopt.UpdatedLocal, _ = issues[0].Updated()
		mopt.UpdatedRemote, _ = issues[1].Updated()
		for _, name := range unknown {
			mopt.Held[name] = true
		}
		plan := Merge(l.Rules.Fields, base, cur[0], cur[1], mopt)
		rt := RecoveredTwin{LocalKey: issues[0].Key, RemoteKey: issues[1].Key, ToLocal: sortedKeys(plan.ToLocal),
			ToRemote: sortedKeys(plan.ToRemote), Conflicts: unknown, NoDigests: !usable, Items: itemSum}
		var conflicts []models.Conflict
		now := e.now()
		for _, name := range unknown {
			conflicts = append(conflicts, models.Conflict{Field: name, LocalValue: cur[0][name], RemoteValue: cur[1][name], CreatedAt: now})
		}
		for _, c := range plan.Conflicts {
			// Changed on both sides under the manual policy: the admin decides, as after a sync.
			rt.Conflicts = append(rt.Conflicts, c.Field)
			conflicts = append(conflicts, models.Conflict{Field: c.Field, LocalValue: c.Local, RemoteValue: c.Remote, CreatedAt: now})
			base.Local[c.Field], base.Remote[c.Field] = cur[0][c.Field], cur[1][c.Field]
		}
		res.Twins = append(res.Twins, rt)
		res.Restored++
		if opt.DryRun {
			continue
		}
		l.Rules.stamp(&base, nil) // agreed under the rules in force: not a first sync
		lid, rid := issues[0].ID, issues[1].ID
		tw.LocalIssueID, tw.LocalKey, tw.RemoteIssueID, tw.RemoteKey = &lid, issues[0].Key, &rid, issues[1].Key
		tw.Baseline = base.String()
		tw.LastSyncedAt = &now
		// Dirty: the first reconcile carries what changed meanwhile (fields, comments, attachments).
		tw.Dirty, tw.DirtySince = true, &now
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
			for i := range conflicts {
				conflicts[i].TwinID = tw.ID
				if err := tx.Create(&conflicts[i]).Error; err != nil {
					return err
				}
			}
			for i := range items.comments {
				items.comments[i].TwinID = tw.ID
				if err := tx.Create(&items.comments[i]).Error; err != nil {
					return err
				}
			}
			for i := range items.attachments {
				items.attachments[i].TwinID = tw.ID
				if err := tx.Create(&items.attachments[i]).Error; err != nil {
					return err
				}
			}
			for i := range items.worklogs {
				items.worklogs[i].TwinID = tw.ID
				if err := tx.Create(&items.worklogs[i]).Error; err != nil {
					return err
				}
			}
			return tx.Create(&models.Event{TwinID: tw.ID, ConnectionID: l.Conn.ID, At: now, Direction: models.DirLocalToRemote,
				Kind: "link", NewValue: "recovered from " + TwinProperty + ": " + tw.LocalKey + " <-> " + tw.RemoteKey}).Error
		})
		if err != nil {
			return nil, fmt.Errorf("restore twin %s <-> %s: %w", tw.LocalKey, tw.RemoteKey, err)
		}
	}
	return res, nil
}
