package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/seal"
)

// Worklogs through a sealed relay (issue 15): each worklog on AB is its own envelope in the
// worklog's comment, holding the comment, the start and the time spent; AB's own worklog logs one
// minute, started when it was written, so AB's time tracking says nothing of the work.

// sealedWorklogHeader starts the comment of a sealed worklog on AB.
const sealedWorklogHeader = "Sealed by Airlock · worklog\n"

// sealedWorklogSeconds is what AB's copy of every sealed worklog logs.
const sealedWorklogSeconds = 60

type worklogPayload struct {
	Comment string    `json:"comment"`
	Started time.Time `json:"started"`
	Seconds int64     `json:"seconds"`
}

// Worklogs reads AB's worklogs and opens the sealed ones (others are left out).
func (d *sealedJira) Worklogs(ctx context.Context, id string) ([]jira.Worklog, error) {
	wj, ok := d.Jira.(worklogJira)
	if !ok {
		return nil, configError("the relay's Jira client cannot carry worklogs")
	}
	ws, err := wj.Worklogs(ctx, id)
	if err != nil {
		return nil, err
	}
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.openWorklogs(ctx, v, ws)
}

func (d *sealedJira) openWorklogs(ctx context.Context, v *sealedView, ws []jira.Worklog) ([]jira.Worklog, error) {
	out := make([]jira.Worklog, 0, len(ws))
	trusted := d.trusted()
	var ids []string
	var seals []commentSeal
	present := map[string]bool{}
	for _, w := range ws {
		text, ok := strings.CutPrefix(w.Comment, sealedWorklogHeader)
		if !ok {
			continue
		}
		env, err := seal.Unmarshal([]byte(strings.TrimSpace(text)))
		if err != nil {
			return nil, refused(v.key, "envelope of worklog "+w.ID, err)
		}
		if env.Kind != seal.KindWorklog || !strings.HasPrefix(env.ID, v.opaque+"/") {
			return nil, refused(v.key, "envelope of worklog "+w.ID, fmt.Errorf("it belongs to another issue or is not a worklog"))
		}
		payload, _, err := seal.Open(env, trusted, d.self...)
		if err != nil {
			return nil, refused(v.key, "envelope of worklog "+w.ID, err)
		}
		var p worklogPayload
		if err := json.Unmarshal(payload, &p); err != nil {
			return nil, refused(v.key, "envelope of worklog "+w.ID, err)
		}
		d.mu.Lock()
		d.worklogs[w.ID] = commentSeal{ID: env.ID, Seq: env.Seq}
		d.mu.Unlock()
		present[env.ID] = true
		if v.deleted(env.ID) {
			continue // a node deleted it: the DELETE on AB is still to come
		}
		ids, seals = append(ids, w.ID), append(seals, commentSeal{ID: env.ID, Seq: env.Seq})
		w.Comment, w.Started, w.TimeSpentSeconds, w.TimeSpent = p.Comment, jira.Time{Time: p.Started}, p.Seconds, ""
		out = append(out, w)
	}
	if err := d.checkGone(ctx, v, "worklog", present); err != nil { // engine/sealed_deletions.go
		return nil, err
	}
	return out, d.checkMarks(ctx, v, "worklog", ids, seals)
}

func (d *sealedJira) sealWorklog(v *sealedView, envID string, seq uint64, p worklogPayload) (string, error) {
	payload, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	env, err := seal.Seal(d.self[0], d.recipients(), seal.KindWorklog, envID, seq, payload)
	if err != nil {
		return "", err
	}
	b, err := env.Marshal()
	if err != nil {
		return "", err
	}
	out := sealedWorklogHeader + string(b)
	if len(out) > 32767 {
		return "", dataError("a worklog comment on %s is too long for a sealed relay (%d characters sealed, Jira keeps 32,767)", v.key, len(out))
	}
	return out, nil
}

// AddWorklog logs a sealed worklog of one minute on AB.
func (d *sealedJira) AddWorklog(ctx context.Context, id string, in jira.WorklogInput, est jira.Estimate) (*jira.Worklog, error) {
	wj, v, err := d.worklogTarget(ctx, id)
	if err != nil {
		return nil, err
	}
	p := worklogPayload{Comment: in.Comment, Seconds: in.TimeSpentSeconds}
	if in.Started != nil {
		p.Started = in.Started.Time
	}
	envID := v.opaque + "/" + newOpaqueID()
	body, err := d.sealWorklog(v, envID, 1, p)
	if err != nil {
		return nil, err
	}
	now := jira.Time{Time: d.now().UTC().Truncate(time.Second)}
	w, err := wj.AddWorklog(ctx, id, jira.WorklogInput{Comment: body, Started: &now, TimeSpentSeconds: sealedWorklogSeconds, Visibility: in.Visibility}, est)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.worklogs[w.ID] = commentSeal{ID: envID, Seq: 1}
	d.mu.Unlock()
	if err := d.e.DB.RaiseSealMark(ctx, d.conn.ID, "worklog:"+envID, 1); err != nil {
		return nil, err
	}
	w.Comment, w.Started, w.TimeSpentSeconds, w.TimeSpent = p.Comment, jira.Time{Time: p.Started}, p.Seconds, ""
	return w, nil
}

// ReplaceWorklog reseals a worklog under its envelope id with the next version.
func (d *sealedJira) ReplaceWorklog(ctx context.Context, id, wid string, in jira.WorklogEdit, est jira.Estimate) (*jira.Worklog, error) {
	wj, v, err := d.worklogTarget(ctx, id)
	if err != nil {
		return nil, err
	}
	s, known, err := d.sealOf(d.worklogs, wid, func() error { _, err := d.Worklogs(ctx, id); return err })
	if err != nil {
		return nil, err
	}
	if !known {
		return nil, dataError("worklog %s on %s is not a sealed worklog", wid, v.key)
	}
	p := worklogPayload{Comment: in.Comment, Started: in.Started.Time, Seconds: in.TimeSpentSeconds}
	body, err := d.sealWorklog(v, s.ID, s.Seq+1, p)
	if err != nil {
		return nil, err
	}
	now := jira.Time{Time: d.now().UTC().Truncate(time.Second)}
	w, err := wj.ReplaceWorklog(ctx, id, wid, jira.WorklogEdit{Comment: body, Started: now, TimeSpentSeconds: sealedWorklogSeconds, Visibility: in.Visibility}, est)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.worklogs[wid] = commentSeal{ID: s.ID, Seq: s.Seq + 1}
	d.mu.Unlock()
	if err := d.e.DB.RaiseSealMark(ctx, d.conn.ID, "worklog:"+s.ID, s.Seq+1); err != nil {
		return nil, err
	}
	w.Comment, w.Started, w.TimeSpentSeconds, w.TimeSpent = p.Comment, jira.Time{Time: p.Started}, p.Seconds, ""
	return w, nil
}

// DeleteWorklog records the deletion, then deletes AB's copy.
func (d *sealedJira) DeleteWorklog(ctx context.Context, id, wid string, est jira.Estimate) error {
	wj, v, err := d.worklogTarget(ctx, id)
	if err != nil {
		return err
	}
	s, known, err := d.sealOf(d.worklogs, wid, func() error { _, err := d.Worklogs(ctx, id); return err })
	if err != nil {
		return err
	}
	if known {
		if err := d.tombstone(ctx, id, v, s.ID); err != nil {
			return err
		}
	}
	return wj.DeleteWorklog(ctx, id, wid, est)
}

// worklogTarget is the relay's worklog client and the sealed state.
func (d *sealedJira) worklogTarget(ctx context.Context, id string) (worklogJira, *sealedView, error) {
	wj, ok := d.Jira.(worklogJira)
	if !ok {
		return nil, nil, configError("the relay's Jira client cannot carry worklogs")
	}
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return wj, v, nil
}
