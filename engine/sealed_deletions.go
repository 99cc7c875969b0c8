package engine

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/airlock-sync/airlock/jira"
)

// Deletions on a sealed relay (issue 15). A node that deletes a comment or a worklog on AB first
// records a tombstone in its sealed state ("del:<envelope id>"); a comment or worklog this node
// accepted before that is gone from AB without a tombstone was deleted on the relay itself, and
// is a data error on the twin rather than a deletion to carry.

const entryDeleted = "del:"

func (v *sealedView) deleted(envID string) bool {
	_, ok := v.value(entryDeleted + envID)
	return ok
}

// checkGone reports an item of kind ("comment", "worklog") this node accepted whose envelope is
// missing from present without a tombstone.
func (d *sealedJira) checkGone(ctx context.Context, v *sealedView, kind string, present map[string]bool) error {
	if v.opaque == "" {
		return nil
	}
	prefix := kind + ":" + v.opaque + "/"
	marks, err := d.e.DB.SealMarksPrefix(ctx, d.conn.ID, prefix)
	if err != nil {
		return err
	}
	for item, seq := range marks {
		envID := strings.TrimPrefix(item, kind+":")
		if present[envID] || v.deleted(envID) {
			continue
		}
		return dataError("a sealed %s of %s (version %d accepted here) is missing: it was deleted on the relay, not by a node (a node records its deletions)",
			kind, v.key, seq)
	}
	return nil
}

// tombstone records that this node deletes the item with envelope id envID.
func (d *sealedJira) tombstone(ctx context.Context, id string, v *sealedView, envID string) error {
	if v.deleted(envID) {
		return nil
	}
	return d.store(ctx, id, v, map[string]json.RawMessage{entryDeleted + envID: json.RawMessage("true")}, nil)
}

// DeleteComment records the deletion, then deletes AB's comment.
func (d *sealedJira) DeleteComment(ctx context.Context, id, cid string) error {
	v, err := d.view(ctx, id)
	if err != nil {
		return err
	}
	s, ok, err := d.sealOf(d.comments, cid, func() error { _, err := d.Comments(ctx, id, jira.CommentOptions{}); return err })
	if err != nil {
		return err
	}
	if ok {
		if err := d.tombstone(ctx, id, v, s.ID); err != nil {
			return err
		}
	}
	return d.Jira.DeleteComment(ctx, id, cid)
}
