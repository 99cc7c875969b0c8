package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// Worklog states of the twin page.
const (
	WorklogInSync    = "in sync"
	WorklogPending   = "changed, not synced yet"
	WorklogNotCopied = "not copied yet"
	WorklogKeptHome  = "stays home (restricted)"
	WorklogClosed    = "no longer synced"
)

// WorklogInfo is one worklog as the console shows it.
type WorklogInfo struct {
	ID         string
	Author     string // display name; for a copy, the attribution line
	Started    time.Time
	Seconds    int64
	Comment    string // without a copy's header
	Copy       bool
	Visibility string // "role:Developers", "" when unrestricted
}

// WorklogLine is one worklog of a twin side by side: Local and Remote (nil where there is none).
type WorklogLine struct {
	Local, Remote *WorklogInfo
	State         string
}

// TwinWorklogs is the worklog section of the twin page, read live from both Jiras.
type TwinWorklogs struct {
	Enabled bool
	Lines   []WorklogLine
}

// InspectWorklogs reads the worklogs of both issues of a twin and pairs them through the worklog
// twins, naming the state of each (GET requests only).
func (e *Engine) InspectWorklogs(ctx context.Context, twinID uint) (*TwinWorklogs, error) {
	tw, err := e.loadTwin(ctx, twinID)
	if err != nil {
		return nil, err
	}
	l, err := e.loadLink(ctx, tw.ConnectionID)
	if err != nil {
		return nil, fmt.Errorf("worklogs of twin %d: %w", twinID, err)
	}
	out := &TwinWorklogs{Enabled: l.Rules.Worklogs.Enabled}
	if !out.Enabled {
		return out, nil
	}
	p, err := e.pair(ctx, l, tw)
	if err != nil {
		return nil, err
	}
	views := map[string]map[string]*worklogView{}
	var order []*worklogView
	for _, s := range []*Side{p.Local, p.Remote} {
		views[s.Name] = map[string]*worklogView{}
		id := twinIssueID(tw, s.Name)
		if id == nil {
			continue
		}
		is, err := s.Jira.GetIssue(ctx, *id, jira.GetIssueOptions{Fields: []string{"worklog"}})
		if err != nil {
			return nil, fmt.Errorf("worklogs of %s issue %s: %w", s.Name, *id, err)
		}
		s.Issue = is
		ws, err := worklogsOf(ctx, s)
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			v := parseWorklog(s, w)
			views[s.Name][w.ID] = v
			order = append(order, v)
		}
	}
	var rows []models.WorklogTwin
	if err := e.DB.WithContext(ctx).Where("twin_id = ?", tw.ID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("worklog twins of twin %d: %w", tw.ID, err)
	}
	r := &worklogRun{e: e, p: p}
	get := func(side string, id *string) *worklogView {
		if id == nil {
			return nil
		}
		return views[side][*id]
	}
	for i := range rows {
		lv, rv := get(models.SideLocal, rows[i].LocalID), get(models.SideRemote, rows[i].RemoteID)
		if lv == nil && rv == nil {
			continue
		}
		line := WorklogLine{Local: worklogInfo(lv), Remote: worklogInfo(rv), State: WorklogInSync}
		for _, v := range []*worklogView{lv, rv} {
			if v != nil {
				v.twinned = true
			}
		}
		switch {
		case rows[i].Deleted:
			line.State = WorklogClosed
		case lv == nil || rv == nil:
			line.State = WorklogPending
		default:
			base := rowState(&rows[i])
			if lv.state() != base || rv.state() != base {
				line.State = WorklogPending
			}
		}
		out.Lines = append(out.Lines, line)
	}
	for _, v := range order {
		if v.twinned {
			continue
		}
		line := WorklogLine{State: WorklogNotCopied}
		if !r.shareable(v) {
			line.State = WorklogKeptHome
		}
		if v.side.Name == models.SideLocal {
			line.Local = worklogInfo(v)
		} else {
			line.Remote = worklogInfo(v)
		}
		out.Lines = append(out.Lines, line)
	}
	return out, nil
}

func worklogInfo(v *worklogView) *WorklogInfo {
	if v == nil {
		return nil
	}
	in := &WorklogInfo{ID: v.w.ID, Started: v.w.Started.Time, Seconds: v.w.TimeSpentSeconds, Comment: v.content, Copy: v.isCopy()}
	switch {
	case v.isCopy():
		in.Author = commentMarkerRe.ReplaceAllString(v.header, "")
	case v.w.Author != nil && v.w.Author.DisplayName != "":
		in.Author = v.w.Author.DisplayName
	case v.w.Author != nil:
		in.Author = v.w.Author.Name
	}
	if vis := v.w.Visibility; vis != nil && vis.Value != "" {
		in.Visibility = vis.Type + ":" + vis.Value
	}
	return in
}

// previewWorklogs notes what the source issue's worklogs would do: how many (and how much time)
// leave for the other side, and how many restricted ones stay home. Copies are not counted.
func (e *Engine) previewWorklogs(ctx context.Context, p *Pair, src *Side, res *PreviewResult) error {
	if !p.Rules.Worklogs.Enabled {
		return nil
	}
	ws, err := worklogsOf(ctx, src)
	if err != nil {
		return err
	}
	r := &worklogRun{e: e, p: p}
	var leave, home int
	var seconds int64
	for _, w := range ws {
		v := parseWorklog(src, w)
		switch {
		case v.isCopy():
		case r.shareable(v):
			leave++
			seconds += w.TimeSpentSeconds
		default:
			home++
		}
	}
	to := instanceName(p.Other(src))
	if leave > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("Worklogs: %d of %s (%s in all) are shared with %s, with their exact start and time spent; the remaining estimate there is left alone.",
			leave, src.Issue.Key, FormatSeconds(seconds), to))
	}
	if home > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("Worklogs: %d restricted worklog(s) of %s stay on %s.", home, src.Issue.Key, instanceName(src)))
	}
	return nil
}
