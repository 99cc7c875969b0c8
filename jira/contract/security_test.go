package contract

import (
	"encoding/json"
	"testing"

	"github.com/airlock-sync/airlock/jira"
)

// TestSecurityLevel: the project's levels in createmeta, an issue created with one and the
// level removed again (with its history item). On the emulator also: a user outside the
// level gets 404 and does not find the issue by search. Skips where the project has no
// issue security scheme.
func TestSecurityLevel(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		meta, err := e.c.CreateMetaFields(e.ctx, tg.Project, e.typ)
		if err != nil {
			t.Fatal(err)
		}
		var levels []struct{ ID, Name string }
		for _, m := range meta {
			if m.FieldID != "security" {
				continue
			}
			if m.Schema.Type != "securitylevel" {
				t.Errorf("security schema %+v", m.Schema)
			}
			for _, raw := range m.AllowedValues {
				var l struct{ ID, Name string }
				if err := json.Unmarshal(raw, &l); err != nil {
					t.Fatal(err)
				}
				levels = append(levels, l)
			}
		}
		if len(levels) == 0 {
			t.Skipf("project %s has no issue security scheme", tg.Project)
		}
		lv := levels[0]
		ci := e.create(t, "secret", map[string]any{"security": map[string]any{"id": lv.ID}})
		var got struct{ ID, Name, Self string }
		is := e.get(t, ci.Key, jira.GetIssueOptions{Fields: []string{"security"}})
		if ok, err := is.Field("security", &got); !ok || err != nil || got.ID != lv.ID || got.Name != lv.Name || !numeric(got.ID) {
			t.Errorf("security = %+v (%v, %v), want %+v", got, ok, err, lv)
		}
		if tg.Sim != nil {
			bob := tg.Client(t, nil, func(c *jira.Config) { c.Auth = jira.BasicAuth{User: "bob", Password: "bob"} })
			if _, err := bob.GetIssue(e.ctx, ci.Key, jira.GetIssueOptions{}); !jira.IsNotFound(err) {
				t.Errorf("a user outside the level read the issue: %v", err)
			}
			p, err := bob.Search(e.ctx, jira.SearchQuery{JQL: "labels = " + e.runs})
			if err != nil || len(p.Issues) != 0 {
				t.Errorf("a user outside the level found %+v, %v", p, err)
			}
		}
		if err := e.c.UpdateIssue(e.ctx, ci.Key, jira.IssueInput{Fields: map[string]any{"security": nil}}, jira.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		is = e.get(t, ci.Key, jira.GetIssueOptions{Fields: []string{"security"}, Expand: []string{"changelog"}})
		if ok, _ := is.Field("security", &got); ok {
			t.Errorf("security after removal %+v", got)
		}
		found := false
		for _, h := range is.Changelog.Histories {
			for _, it := range h.Items {
				found = found || (it.Field == "security" && it.From == lv.ID && it.FromString == lv.Name)
			}
		}
		if !found {
			t.Errorf("no security history item in %+v", is.Changelog.Histories)
		}
	})
}

// TestGlobalTransitions: on a project with Jira Software's simplified workflow every status
// is one transition away from any status, the current one included (isGlobal, isLooped).
func TestGlobalTransitions(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		if tg.SimpleProject == "" {
			t.Skip("no simplified-workflow project: set " + EnvSimple)
		}
		e := setup(t, tg)
		types, err := e.c.CreateMetaIssueTypes(e.ctx, tg.SimpleProject)
		if err != nil {
			t.Fatal(err)
		}
		typ := ""
		for _, it := range types {
			if !it.Subtask && it.Name != "Epic" && typ == "" {
				typ = it.ID
			}
		}
		ci, err := e.c.CreateIssue(e.ctx, jira.IssueInput{Fields: map[string]any{"project": map[string]any{"key": tg.SimpleProject},
			"issuetype": map[string]any{"id": typ}, "summary": "simplified", "labels": []string{e.runs}}})
		if err != nil {
			t.Fatal(err)
		}
		Cleanup(t, e.c, ci.Key)
		statuses := map[string]bool{}
		for step := 0; step < 4; step++ {
			trs, err := e.c.Transitions(e.ctx, ci.Key, false)
			if err != nil {
				t.Fatal(err)
			}
			is := e.get(t, ci.Key, jira.GetIssueOptions{Fields: []string{"status"}})
			cur, _ := is.Status()
			looped := false
			var next *jira.Transition
			for n := range trs {
				if !trs[n].IsGlobal {
					t.Errorf("transition %+v is not global", trs[n])
				}
				if trs[n].To.ID == cur.ID {
					looped = looped || trs[n].IsLooped
				} else if !statuses[trs[n].To.ID] && next == nil {
					next = &trs[n]
				}
			}
			statuses[cur.ID] = true
			if !looped {
				t.Errorf("from %s no looped transition in %+v", cur.Name, trs)
			}
			if next == nil {
				break
			}
			if err := e.c.DoTransition(e.ctx, ci.Key, jira.TransitionInput{ID: next.ID}); err != nil {
				t.Fatal(err)
			}
		}
		if len(statuses) < 3 {
			t.Errorf("visited %d statuses, each in one step; want at least 3", len(statuses))
		}
	})
}
