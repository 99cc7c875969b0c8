package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/airlock-sync/airlock/jira"
)

// Structure operations of the convergence scenario (issue 14): people create sub-tasks, link
// issues and unlink them, and log, edit and delete work. Verify then checks that every chain
// agrees on its parent, its links (between twinned issues, by type and direction) and its
// worklogs (started and seconds exact, comment content).

// errNoOp is a structure operation that found nothing to do (it is not counted).
var errNoOp = errors.New("nothing to do")

// structureOp applies one structure operation of the given kind on key; kinds are
// "subtask", "link-add", "link-remove", "worklog-add", "worklog-edit" and "worklog-delete".
func (o *Ops) structureOp(ctx context.Context, c *jira.Client, inst, key, kind string, op int) error {
	r := o.rnd
	switch kind {
	case "subtask":
		is, err := o.read(ctx, c, key)
		if err != nil {
			return err
		}
		if it, _ := is.IssueType(); it != nil && it.Subtask {
			return errNoOp // a sub-task has no sub-tasks
		}
		var ci *jira.CreatedIssue
		err = Try(ctx, "sub-task of "+key, func() (err error) {
			ci, err = c.CreateIssue(ctx, jira.IssueInput{Fields: map[string]any{
				"project": map[string]string{"key": projectOf(key)}, "issuetype": map[string]string{"name": "Sub-task"},
				"parent": map[string]string{"key": key}, "summary": fmt.Sprintf("sub-task %d of %s on %s", op, key, inst)}})
			return err
		})
		if err == nil {
			o.keys[inst] = append(o.keys[inst], ci.Key)
			o.created[inst]++
		}
		return err
	case "link-add":
		// Mostly within the project (the same connection, where links travel); now and then to
		// another project's issue, whose link stays home: Verify compares links within a project.
		var same []string
		for _, k := range o.keys[inst] {
			if projectOf(k) == projectOf(key) && k != key {
				same = append(same, k)
			}
		}
		other := pick(r, o.keys[inst])
		if len(same) > 0 && r.IntN(5) != 0 {
			other = pick(r, same)
		}
		if other == key {
			return errNoOp
		}
		typ := pick(r, []string{"Blocks", "Relates"})
		return Try(ctx, "link "+key+" "+other, func() error {
			// "key <outward> other": Jira reads inwardIssue as the link's source.
			return c.CreateIssueLink(ctx, jira.IssueLinkInput{Type: jira.IssueLinkType{Name: typ},
				InwardIssue: jira.IssueRefInput{Key: key}, OutwardIssue: jira.IssueRefInput{Key: other}})
		})
	case "link-remove":
		is, err := o.read(ctx, c, key)
		if err != nil {
			return err
		}
		ls, _ := is.IssueLinks()
		if len(ls) == 0 {
			return errNoOp
		}
		l := pick(r, ls)
		err = Try(ctx, "unlink "+key, func() error { return c.DeleteIssueLink(ctx, l.ID) })
		if jira.IsNotFound(err) {
			return nil
		}
		return err
	case "worklog-add":
		started := jira.Time{Time: time.Date(2026, 1, 1+r.IntN(28), 8+r.IntN(9), r.IntN(60), 0, 0, time.UTC)}
		secs := int64(60 * (1 + r.IntN(480)))
		var wl *jira.Worklog
		err := Try(ctx, "log work on "+key, func() (err error) {
			wl, err = c.AddWorklog(ctx, key, jira.WorklogInput{Comment: fmt.Sprintf("work %d on %s", op, inst), Started: &started,
				TimeSpentSeconds: secs}, jira.Estimate{})
			return err
		})
		if err == nil {
			o.worklogs[inst+"/"+wl.ID] = worklogText(wl.Started.Time, wl.TimeSpentSeconds, wl.Comment)
		}
		return err
	case "worklog-edit", "worklog-delete":
		// People edit and delete their own worklogs (copies belong to the sync user).
		var ws []jira.Worklog
		if err := Try(ctx, "worklogs of "+key, func() (err error) { ws, err = c.Worklogs(ctx, key); return err }); err != nil {
			return err
		}
		var own []jira.Worklog
		for _, w := range ws {
			if w.Author != nil && w.Author.Name != "airlock" {
				own = append(own, w)
			}
		}
		if len(own) == 0 {
			return errNoOp
		}
		w := pick(r, own)
		if kind == "worklog-delete" {
			err := Try(ctx, "delete worklog", func() error { return c.DeleteWorklog(ctx, key, w.ID, jira.Estimate{}) })
			if err == nil || jira.IsNotFound(err) {
				delete(o.worklogs, inst+"/"+w.ID)
				return nil
			}
			return err
		}
		secs := int64(60 * (1 + r.IntN(480)))
		comment := fmt.Sprintf("%s, edited by op %d", strings.SplitN(w.Comment, ", edited", 2)[0], op)
		var got *jira.Worklog
		err := Try(ctx, "edit worklog", func() (err error) {
			got, err = c.UpdateWorklog(ctx, key, w.ID, jira.WorklogInput{Comment: comment, Started: &w.Started, TimeSpentSeconds: secs}, jira.Estimate{})
			return err
		})
		if err == nil {
			o.worklogs[inst+"/"+w.ID] = worklogText(got.Started.Time, got.TimeSpentSeconds, got.Comment)
		}
		return err
	}
	return fmt.Errorf("unknown structure operation %q", kind)
}

func (o *Ops) read(ctx context.Context, c *jira.Client, key string) (*jira.Issue, error) {
	var is *jira.Issue
	err := Try(ctx, "read "+key, func() (err error) {
		is, err = c.GetIssue(ctx, key, jira.GetIssueOptions{Fields: []string{"issuetype", "issuelinks", "parent"}})
		return err
	})
	return is, err
}

func projectOf(key string) string { p, _, _ := strings.Cut(key, "-"); return p }

// worklogText is how Verify compares worklogs: started (UTC, to the second), exact seconds and
// the comment's content without a copy's attribution line.
func worklogText(started time.Time, secs int64, comment string) string {
	return fmt.Sprintf("%s %ds %s", started.UTC().Format(time.RFC3339), secs, commentContent(comment))
}

// structureState fills the parent, links and worklogs of one issue's state.
func structureState(ctx context.Context, c *jira.Client, st *issueState) error {
	if p, ok := st.issue.Parent(); ok && p != nil {
		st.parent = p.ID
	}
	// Links travel between issues of one connection (here: one project); a link to another
	// project's issue stays home, so only links within the project are compared.
	ls, _ := st.issue.IssueLinks()
	for _, l := range ls {
		switch {
		case l.OutwardIssue != nil && projectOf(l.OutwardIssue.Key) == projectOf(st.issue.Key):
			st.links = append(st.links, linkEnd{typ: l.Type.Name, outward: true, other: l.OutwardIssue.ID})
		case l.InwardIssue != nil && projectOf(l.InwardIssue.Key) == projectOf(st.issue.Key):
			st.links = append(st.links, linkEnd{typ: l.Type.Name, other: l.InwardIssue.ID})
		}
	}
	var ws []jira.Worklog
	if err := Try(ctx, "worklogs of "+st.issue.Key, func() (err error) { ws, err = c.Worklogs(ctx, st.issue.ID); return err }); err != nil {
		return err
	}
	for _, w := range ws {
		st.worklogs = append(st.worklogs, worklogText(w.Started.Time, w.TimeSpentSeconds, w.Comment))
	}
	slices.Sort(st.worklogs)
	return nil
}

// linkEnd is one issue link seen from an issue: its type, its direction and the other end's id.
type linkEnd struct {
	typ     string
	outward bool // this issue is the link's source ("this issue blocks other")
	other   string
}

// chainID maps an issue id of inst to the AB id of its chain ("" when it has none).
type chainID func(inst, id string) string

// structureDiffs compares the parent, links and worklogs of one chain, with the issue ids of
// each side translated to AB ids.
func structureDiffs(sides map[string]issueState, toAB chainID) []string {
	var diffs []string
	norm := func(inst string, st issueState) (parent string, links []string) {
		parent = toAB(inst, st.parent)
		if st.parent != "" && parent == "" {
			parent = "(unshared " + st.parent + ")"
		}
		for _, l := range st.links {
			other := toAB(inst, l.other)
			if other == "" {
				continue // a link to an issue without a chain stays home
			}
			links = append(links, fmt.Sprintf("%s %v %s", l.typ, l.outward, other))
		}
		slices.Sort(links)
		return parent, links
	}
	pa, la := norm("AB", sides["AB"])
	for _, inst := range []string{"A", "B"} {
		p, l := norm(inst, sides[inst])
		if p != pa {
			diffs = append(diffs, fmt.Sprintf("parent on %s is AB's %q, AB's parent is %q", inst, p, pa))
		}
		if !slices.Equal(l, la) {
			diffs = append(diffs, fmt.Sprintf("links on %s %q, on AB %q", inst, l, la))
		}
	}
	for _, x := range []string{"A", "AB", "B"} {
		for _, y := range []string{"A", "AB", "B"} {
			if x == y {
				continue
			}
			for _, m := range missing(sides[x].worklogs, sides[y].worklogs) {
				diffs = append(diffs, fmt.Sprintf("worklog %q on %s, not on %s", m, x, y))
			}
		}
	}
	return diffs
}
