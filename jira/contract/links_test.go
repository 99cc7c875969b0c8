package contract

import (
	"testing"

	"github.com/airlock-sync/airlock/jira"
)

// TestIssueLinks: the stock link types, a link "A blocks B" seen from both issues, the
// link read by id, Link changelog items on both issues, updated bumped, and its deletion.
func TestIssueLinks(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		types, err := e.c.IssueLinkTypes(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var blocks *jira.IssueLinkType
		for n := range types {
			if types[n].Name == "Blocks" {
				blocks = &types[n]
			}
		}
		if blocks == nil || blocks.Inward != "is blocked by" || blocks.Outward != "blocks" || !numeric(blocks.ID) {
			t.Fatalf("no stock Blocks link type in %+v", types)
		}
		a := e.create(t, "link source", nil)
		b := e.create(t, "link destination", nil)
		ua, ub := e.updated(t, a.Key), e.updated(t, b.Key)
		e.tick()
		// "a blocks b": Jira reads the request as "inwardIssue <outward> outwardIssue".
		in := jira.IssueLinkInput{Type: jira.IssueLinkType{Name: "Blocks"}, InwardIssue: jira.IssueRefInput{Key: a.Key}, OutwardIssue: jira.IssueRefInput{Key: b.Key}}
		e.rec.Reset()
		if err := e.c.CreateIssueLink(e.ctx, in); err != nil {
			t.Fatal(err)
		}
		if ex := e.rec.Find("POST", "/rest/api/2/issueLink"); len(ex) != 1 || ex[0].Status != 201 {
			t.Errorf("POST /issueLink exchanges %+v, want one 201", ex)
		}
		opt := jira.GetIssueOptions{Fields: []string{"issuelinks", "updated"}, Expand: []string{"changelog"}}
		ia, ib := e.get(t, a.Key, opt), e.get(t, b.Key, opt)
		la, _ := ia.IssueLinks()
		lb, _ := ib.IssueLinks()
		if len(la) != 1 || la[0].OutwardIssue == nil || la[0].OutwardIssue.Key != b.Key || la[0].InwardIssue != nil || la[0].Type.Name != "Blocks" {
			t.Fatalf("source %s issuelinks %+v, want outwardIssue %s", a.Key, la, b.Key)
		}
		if len(lb) != 1 || lb[0].InwardIssue == nil || lb[0].InwardIssue.Key != a.Key || lb[0].OutwardIssue != nil || lb[0].ID != la[0].ID {
			t.Fatalf("destination %s issuelinks %+v, want inwardIssue %s", b.Key, lb, a.Key)
		}
		if lb[0].InwardIssue.Fields.Summary != "link source" || lb[0].InwardIssue.Fields.Status == nil || lb[0].InwardIssue.Fields.IssueType == nil {
			t.Errorf("short issue shape %+v", lb[0].InwardIssue)
		}
		for _, c := range []struct {
			is     *jira.Issue
			to, ts string
		}{{ia, b.Key, "This issue blocks " + b.Key}, {ib, a.Key, "This issue is blocked by " + a.Key}} {
			found := false
			for _, h := range c.is.Changelog.Histories {
				for _, it := range h.Items {
					if it.Field == "Link" && it.To == c.to && it.ToString == c.ts && it.From == "" {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("%s: no Link item to %s %q in %+v", c.is.Key, c.to, c.ts, c.is.Changelog.Histories)
			}
		}
		if up, _ := ia.Updated(); !up.After(ua) {
			t.Errorf("source updated %v not after %v", up, ua)
		}
		if up, _ := ib.Updated(); !up.After(ub) {
			t.Errorf("destination updated %v not after %v", up, ub)
		}
		l, err := e.c.IssueLink(e.ctx, la[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if l.InwardIssue == nil || l.InwardIssue.Key != a.Key || l.OutwardIssue == nil || l.OutwardIssue.Key != b.Key || l.Type.ID != blocks.ID {
			t.Errorf("issueLink %s = %+v, want inward %s outward %s", la[0].ID, l, a.Key, b.Key)
		}
		if err := e.c.DeleteIssueLink(e.ctx, la[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.IssueLink(e.ctx, la[0].ID); !jira.IsNotFound(err) {
			t.Errorf("deleted link: %v", err)
		}
		ib = e.get(t, b.Key, opt)
		if lb, _ = ib.IssueLinks(); len(lb) != 0 {
			t.Errorf("after delete %s has %+v", b.Key, lb)
		}
		if err := e.c.CreateIssueLink(e.ctx, jira.IssueLinkInput{Type: jira.IssueLinkType{Name: "No such type " + e.runs}, OutwardIssue: jira.IssueRefInput{Key: a.Key}, InwardIssue: jira.IssueRefInput{Key: b.Key}}); !jira.IsNotFound(err) {
			t.Errorf("unknown link type: %v, want 404", err)
		}
	})
}

// TestSubtasks: a sub-task created under a parent by key, seen from both sides; a sub-task
// type without a parent is refused with a parent error; deleting the parent needs
// deleteSubtasks.
func TestSubtasks(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		subType := e.subtaskType(t, tg)
		parent := e.create(t, "parent", nil)
		sub := e.create(t, "sub-task", map[string]any{"issuetype": map[string]any{"id": subType}, "parent": map[string]any{"key": parent.Key}})
		ps, _ := e.get(t, parent.Key, jira.GetIssueOptions{Fields: []string{"subtasks"}}).Subtasks()
		if len(ps) != 1 || ps[0].Key != sub.Key || ps[0].ID != sub.ID || ps[0].Fields.IssueType == nil || !ps[0].Fields.IssueType.Subtask {
			t.Errorf("parent's subtasks %+v", ps)
		}
		if p, ok := e.get(t, sub.Key, jira.GetIssueOptions{Fields: []string{"parent"}}).Parent(); !ok || p.Key != parent.Key || p.Fields.Summary != "parent" {
			t.Errorf("sub-task's parent %+v", p)
		}
		_, err := e.c.CreateIssue(e.ctx, jira.IssueInput{Fields: map[string]any{"project": map[string]any{"key": tg.Project},
			"issuetype": map[string]any{"id": subType}, "summary": "orphan", "labels": []string{e.runs}}})
		if je := asError(t, err); je.Status != 400 || je.Errors["parent"] == "" {
			t.Errorf("sub-task without parent: %v (errors %v)", err, je.Errors)
		}
		err = e.c.DeleteIssue(e.ctx, parent.Key, false)
		if je := asError(t, err); je.Status != 400 {
			t.Errorf("delete parent without deleteSubtasks: %v", err)
		}
		if err := e.c.DeleteIssue(e.ctx, parent.Key, true); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.GetIssue(e.ctx, sub.Key, jira.GetIssueOptions{}); !jira.IsNotFound(err) {
			t.Errorf("sub-task after its parent's deletion: %v", err)
		}
	})
}
