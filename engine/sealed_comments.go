package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/seal"
)

// Comments through a sealed relay (issue 15): each comment on AB is its own envelope in the
// comment body; its id names its issue's opaque id, and its version guards against replays.

// commentSeal is what a comment's envelope said.
type commentSeal struct {
	ID  string
	Seq uint64
}

// commentPayload is the plaintext of a comment envelope.
type commentPayload struct {
	Body string `json:"body"`
}

// Comments reads AB's comments and opens the sealed ones.
func (d *sealedJira) Comments(ctx context.Context, id string, opt jira.CommentOptions) ([]jira.Comment, error) {
	cs, err := d.Jira.Comments(ctx, id, opt)
	if err != nil {
		return nil, err
	}
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.openComments(ctx, v, cs)
}

// openComments opens sealed comments: a comment that is not an envelope (written on AB by hand)
// is left out; one that is and fails is a data error.
func (d *sealedJira) openComments(ctx context.Context, v *sealedView, cs []jira.Comment) ([]jira.Comment, error) {
	out := make([]jira.Comment, 0, len(cs))
	seen := map[string]string{}
	present := map[string]bool{}
	trusted := d.trusted()
	for _, c := range cs {
		text, ok := strings.CutPrefix(c.Body, sealedCommentHeader)
		if !ok {
			continue
		}
		envText, rotText, _ := strings.Cut(strings.TrimSpace(text), "\n")
		env, err := seal.Unmarshal([]byte(envText))
		if err != nil {
			return nil, refused(v.key, "envelope of comment "+c.ID, err)
		}
		if !d.knows(trusted, env.From) && rotText != "" {
			// Written under the partner's new key: its announcement, signed by the old one, follows.
			if rot, err := seal.Unmarshal([]byte(strings.TrimSpace(rotText))); err == nil && d.acceptRotation(ctx, rot, env.From) {
				trusted = d.trusted()
			}
		}
		if env.Kind != seal.KindComment || !strings.HasPrefix(env.ID, v.opaque+"/") {
			return nil, refused(v.key, "envelope of comment "+c.ID, fmt.Errorf("it belongs to another issue or is not a comment"))
		}
		if other, dup := seen[env.ID]; dup {
			return nil, refused(v.key, "envelope of comment "+c.ID, fmt.Errorf("it repeats comment %s (copied on the relay)", other))
		}
		seen[env.ID] = c.ID
		keys := trusted
		if !d.knows(trusted, env.From) {
			// A key retired after a rotation still vouches for what this node accepted from it
			// before (the comments it signed are not resealed); nothing new is taken from it.
			if pub, ok := d.retiredPartner(env.From); ok {
				marks, err := d.e.DB.SealMarks(ctx, d.conn.ID, []string{"comment:" + env.ID})
				if err != nil {
					return nil, err
				}
				if m, seen := marks["comment:"+env.ID]; seen && env.Seq <= m {
					keys = append(append([]seal.Public(nil), trusted...), pub)
				}
			}
		}
		payload, _, err := seal.Open(env, keys, d.self...)
		if err != nil {
			return nil, refused(v.key, "envelope of comment "+c.ID, err)
		}
		var cp commentPayload
		if err := json.Unmarshal(payload, &cp); err != nil {
			return nil, refused(v.key, "envelope of comment "+c.ID, err)
		}
		d.mu.Lock()
		d.comments[c.ID] = commentSeal{ID: env.ID, Seq: env.Seq} // its version is checked below (checkMarks)
		d.mu.Unlock()
		present[env.ID] = true
		if v.deleted(env.ID) {
			continue // a node deleted it: the DELETE on AB is still to come
		}
		c.Body = cp.Body
		c.RenderedBody = ""
		out = append(out, c)
	}
	if err := d.checkGone(ctx, v, "comment", present); err != nil { // engine/sealed_deletions.go
		return nil, err
	}
	ids := make([]string, len(out))
	seals := make([]commentSeal, len(out))
	d.mu.Lock()
	for i, c := range out {
		ids[i], seals[i] = c.ID, d.comments[c.ID]
	}
	d.mu.Unlock()
	return out, d.checkMarks(ctx, v, "comment", ids, seals)
}

// checkMarks refuses an envelope of kind ("comment", "worklog") older than the version this
// node accepted for it, and records the newer ones; ids are AB's ids of the items, for the
// message.
func (d *sealedJira) checkMarks(ctx context.Context, v *sealedView, kind string, ids []string, seals []commentSeal) error {
	if len(seals) == 0 {
		return nil
	}
	items := make([]string, len(seals))
	for i, s := range seals {
		items[i] = kind + ":" + s.ID
	}
	marks, err := d.e.DB.SealMarks(ctx, d.conn.ID, items)
	if err != nil {
		return err
	}
	for i, s := range seals {
		if m := marks[items[i]]; s.Seq < m {
			return dataError("the envelope of %s %s on %s is refused: version %d is older than version %d accepted here (a replay, or an edit withheld by the relay)",
				kind, ids[i], v.key, s.Seq, m)
		} else if s.Seq > m {
			if err := d.e.DB.RaiseSealMark(ctx, d.conn.ID, items[i], s.Seq); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *sealedJira) sealComment(v *sealedView, envID string, seq uint64, body string) (string, error) {
	payload, err := json.Marshal(commentPayload{Body: body})
	if err != nil {
		return "", err
	}
	env, err := seal.Seal(d.self[0], d.recipients(), seal.KindComment, envID, seq, payload)
	if err != nil {
		return "", err
	}
	b, err := env.Marshal()
	if err != nil {
		return "", err
	}
	out := sealedCommentHeader + string(b)
	if rot := d.announcement(); rot != nil {
		rb, err := rot.Marshal()
		if err != nil {
			return "", err
		}
		out += "\n" + string(rb)
	}
	if len(out) > 32767 {
		return "", dataError("a comment on %s is too long for a sealed relay (%d characters sealed, Jira keeps 32,767)", v.key, len(out))
	}
	return out, nil
}

// AddComment posts the comment as an envelope.
func (d *sealedJira) AddComment(ctx context.Context, id string, in jira.CommentInput) (*jira.Comment, error) {
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, err
	}
	envID := v.opaque + "/" + newOpaqueID()
	plain := in.Body
	if in.Body, err = d.sealComment(v, envID, 1, plain); err != nil {
		return nil, err
	}
	c, err := d.Jira.AddComment(ctx, id, in)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.comments[c.ID] = commentSeal{ID: envID, Seq: 1}
	d.mu.Unlock()
	if err := d.e.DB.RaiseSealMark(ctx, d.conn.ID, "comment:"+envID, 1); err != nil {
		return nil, err
	}
	c.Body = plain
	return c, nil
}

// UpdateComment reseals the comment under its envelope id with the next version.
func (d *sealedJira) UpdateComment(ctx context.Context, id, cid string, in jira.CommentInput) (*jira.Comment, error) {
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, err
	}
	s, ok, err := d.sealOf(d.comments, cid, func() error { _, err := d.Comments(ctx, id, jira.CommentOptions{}); return err })
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, dataError("comment %s on %s is not a sealed comment", cid, v.key)
	}
	plain := in.Body
	seq := s.Seq + 1
	if in.Body, err = d.sealComment(v, s.ID, seq, plain); err != nil {
		return nil, err
	}
	c, err := d.Jira.UpdateComment(ctx, id, cid, in)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.comments[cid] = commentSeal{ID: s.ID, Seq: seq}
	d.mu.Unlock()
	if err := d.e.DB.RaiseSealMark(ctx, d.conn.ID, "comment:"+s.ID, seq); err != nil {
		return nil, err
	}
	c.Body = plain
	return c, nil
}

// sealOf returns the envelope id and version of the comment or worklog item (from cache, the
// map of this run's reads), reading the list once (reload) when this run has not seen it.
func (d *sealedJira) sealOf(cache map[string]commentSeal, item string, reload func() error) (commentSeal, bool, error) {
	d.mu.Lock()
	s, ok := cache[item]
	d.mu.Unlock()
	if ok {
		return s, true, nil
	}
	if err := reload(); err != nil {
		return commentSeal{}, false, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok = cache[item]
	return s, ok, nil
}
