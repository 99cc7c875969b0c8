package contract

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/airlock-sync/airlock/jira"
)

// TestEpics: Jira Software's Epic Link and Epic Name fields found by their custom types, an
// epic created with its name, an issue linked to it (the value reads as the epic's key), JQL
// "Epic Link" = KEY and cf[id] = KEY, and the link removed. Skips without Jira Software.
func TestEpics(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		fields, err := e.c.Fields(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var link, name *jira.Field
		for n := range fields {
			switch fields[n].Schema.Custom {
			case "com.pyxis.greenhopper.jira:gh-epic-link":
				link = &fields[n]
			case "com.pyxis.greenhopper.jira:gh-epic-label":
				name = &fields[n]
			}
		}
		if link == nil || name == nil {
			t.Skip("no Jira Software epic fields")
		}
		if link.Name != "Epic Link" || name.Name != "Epic Name" || link.Schema.Type != "any" {
			t.Errorf("epic fields %+v / %+v", link, name)
		}
		types, err := e.c.CreateMetaIssueTypes(e.ctx, tg.Project)
		if err != nil {
			t.Fatal(err)
		}
		epicType := ""
		for _, it := range types {
			if it.Name == "Epic" {
				epicType = it.ID
			}
		}
		if epicType == "" {
			t.Skipf("project %s has no Epic type", tg.Project)
		}
		meta, err := e.c.CreateMetaFields(e.ctx, tg.Project, epicType)
		if err != nil {
			t.Fatal(err)
		}
		required := false
		for _, m := range meta {
			if m.FieldID == name.ID {
				required = m.Required
			}
		}
		if !required {
			t.Errorf("Epic Name is not required in the Epic's createmeta")
		}
		_, err = e.c.CreateIssue(e.ctx, jira.IssueInput{Fields: map[string]any{"project": map[string]any{"key": tg.Project},
			"issuetype": map[string]any{"id": epicType}, "summary": "nameless epic", "labels": []string{e.runs}}})
		if je := asError(t, err); je.Status != 400 || je.Errors[name.ID] == "" {
			t.Errorf("epic without a name: %v (errors %v)", err, je.Errors)
		}
		epic := e.create(t, "epic", map[string]any{"issuetype": map[string]any{"id": epicType}, name.ID: "Epic " + e.runs})
		story := e.create(t, "in the epic", map[string]any{link.ID: epic.Key})
		var got string
		if ok, err := e.get(t, story.Key, jira.GetIssueOptions{Fields: []string{link.ID}}).Field(link.ID, &got); !ok || err != nil || got != epic.Key {
			t.Errorf("Epic Link = %q (%v, %v), want %s", got, ok, err, epic.Key)
		}
		for _, q := range []string{fmt.Sprintf(`"Epic Link" = %s`, epic.Key), fmt.Sprintf(`cf[%s] = %s`, strconv.FormatInt(link.Schema.CustomID, 10), epic.Key)} {
			e.eventually(t, q, func() (bool, error) {
				p, err := e.c.Search(e.ctx, jira.SearchQuery{JQL: q + ` AND labels = ` + e.runs, Fields: []string{"key"}})
				if err != nil {
					return false, err
				}
				return len(p.Issues) == 1 && p.Issues[0].Key == story.Key, nil
			})
		}
		if err := e.c.UpdateIssue(e.ctx, story.Key, jira.IssueInput{Fields: map[string]any{link.ID: nil}}, jira.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := e.get(t, story.Key, jira.GetIssueOptions{Fields: []string{link.ID}}).Field(link.ID, &got); ok {
			t.Errorf("Epic Link after removal = %q", got)
		}
	})
}
