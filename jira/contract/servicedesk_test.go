package contract

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/airlock-sync/airlock/jira"
)

// Comment properties and Jira Service Management (issue 19). Against a real Jira the service
// desk tests need JIRA_CONTRACT_SERVICE_PROJECT; the comment property round trip runs on the
// ordinary scratch project.

func TestCommentPropertiesRoundTrip(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e := setup(t, tg)
		ci := e.create(t, "comment properties", nil)
		cm, err := e.c.AddComment(e.ctx, ci.Key, jira.CommentInput{Body: "with a property",
			Properties: []jira.EntityProperty{{Key: "airlock.contract", Value: map[string]int{"n": 1}}}})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := e.c.Comments(e.ctx, ci.Key, jira.CommentOptions{})
		if err != nil || len(plain) != 1 || len(plain[0].Properties) != 0 {
			t.Errorf("without expand: %+v, %v", plain, err)
		}
		all, err := e.c.Comments(e.ctx, ci.Key, jira.CommentOptions{Expand: []string{"properties"}})
		if err != nil || len(all) != 1 || len(all[0].Properties) != 1 || all[0].Properties[0].Key != "airlock.contract" {
			t.Fatalf("with expand=properties: %+v, %v", all, err)
		}
		if v := string(all[0].Properties[0].Value); v != `{"n":1}` {
			t.Errorf("property value %s", v)
		}
		if keys, err := e.c.CommentPropertyKeys(e.ctx, cm.ID); err != nil || !slices.Equal(keys, []string{"airlock.contract"}) {
			t.Errorf("keys %v, %v", keys, err)
		}

		before := e.updated(t, ci.Key)
		e.tick()
		if err := e.c.SetCommentProperty(e.ctx, cm.ID, "airlock.contract", map[string]int{"n": 2}); err != nil {
			t.Fatal(err)
		}
		if err := e.c.SetCommentProperty(e.ctx, cm.ID, "airlock.second", true); err != nil {
			t.Fatal(err)
		}
		if puts := e.rec.Find("PUT", "/properties/airlock.second"); len(puts) != 1 || puts[0].Status != 201 {
			t.Errorf("a new property answers %+v, want 201", puts)
		}
		if puts := e.rec.Find("PUT", "/properties/airlock.contract"); len(puts) != 1 || puts[0].Status != 200 {
			t.Errorf("a replaced property answers %+v, want 200", puts)
		}
		if v, err := e.c.CommentProperty(e.ctx, cm.ID, "airlock.contract"); err != nil || string(v) != `{"n":2}` {
			t.Errorf("after PUT: %s, %v", v, err)
		}
		moved := e.updated(t, ci.Key).After(before)
		if tg.Real() {
			t.Logf("a comment property change moves the issue's updated: %v", moved)
		} else if !moved {
			t.Error("the emulator bumps the issue's updated on a comment property change")
		}

		if err := e.c.DeleteCommentProperty(e.ctx, cm.ID, "airlock.second"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.CommentProperty(e.ctx, cm.ID, "airlock.second"); !jira.IsNotFound(err) {
			t.Errorf("deleted property: %v", err)
		}
		if _, err := e.c.CommentProperty(e.ctx, "999999999", "airlock.contract"); !jira.IsNotFound(err) {
			t.Errorf("unknown comment: %v", err)
		}
	})
}

// service is setup for the service desk tests: it skips when the target has no service project.
func service(t *testing.T, tg *Target) (*env, string) {
	t.Helper()
	if tg.ServiceProject == "" {
		t.Skip("no service project: set " + EnvService)
	}
	e := setup(t, tg)
	types, err := e.c.CreateMetaIssueTypes(e.ctx, tg.ServiceProject)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range types {
		// Not Epic: Jira Software requires an Epic Name on it.
		if !it.Subtask && it.Name != "Epic" {
			return e, it.ID
		}
	}
	t.Fatalf("service project %s offers no standard issue type", tg.ServiceProject)
	return nil, ""
}

func (e *env) createRequest(t *testing.T, typ, summary string) *jira.CreatedIssue {
	t.Helper()
	ci, err := e.c.CreateIssue(e.ctx, jira.IssueInput{Fields: map[string]any{
		"project": map[string]any{"key": e.tg.ServiceProject}, "issuetype": map[string]any{"id": typ}, "summary": summary}})
	if err != nil {
		t.Fatalf("create request: %v", err)
	}
	Cleanup(t, e.c, ci.Key)
	return ci
}

func TestServiceProjectTypeAndFields(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e, typ := service(t, tg)
		p, err := e.c.Project(e.ctx, tg.ServiceProject)
		if err != nil || p.ProjectTypeKey != "service_desk" {
			t.Errorf("service project = %+v, %v", p, err)
		}
		if sw, err := e.c.Project(e.ctx, tg.Project); err != nil || sw.ProjectTypeKey == "service_desk" || sw.ProjectTypeKey == "" {
			t.Errorf("scratch project = %+v, %v", sw, err)
		}
		fields, err := e.c.Fields(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		byType := map[string][]jira.Field{}
		for _, f := range fields {
			if f.Schema != nil {
				byType[f.Schema.Custom] = append(byType[f.Schema.Custom], f)
			}
		}
		for custom, schemaType := range map[string]string{
			"com.atlassian.servicedesk:vp-origin":                 "sd-customerrequesttype",
			"com.atlassian.servicedesk:sd-request-participants":   "array",
			"com.atlassian.servicedesk:sd-customer-organizations": "array",
			"com.atlassian.servicedesk:sd-sla-field":              "sd-servicelevelagreement",
		} {
			if fs := byType[custom]; len(fs) == 0 || fs[0].Schema.Type != schemaType {
				t.Errorf("%s: %+v", custom, fs)
			}
		}
		slas := byType["com.atlassian.servicedesk:sd-sla-field"]
		if len(slas) == 0 {
			t.Fatal("no SLA field")
		}
		sla := slas[0].ID

		// The SLA field is read-only: in no createmeta or editmeta, refused on edit.
		meta, err := e.c.CreateMetaFields(e.ctx, tg.ServiceProject, typ)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range meta {
			if m.Schema.Custom == "com.atlassian.servicedesk:sd-sla-field" {
				t.Errorf("createmeta offers %s", m.FieldID)
			}
		}
		ci := e.createRequest(t, typ, "sla read-only")
		em, err := e.c.EditMeta(e.ctx, ci.Key)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := em[sla]; ok {
			t.Errorf("editmeta offers %s", sla)
		}
		err = e.c.UpdateIssue(e.ctx, ci.Key, jira.IssueInput{Fields: map[string]any{sla: "1h"}}, jira.UpdateOptions{})
		if je := asError(t, err); je.Status != 400 || je.Errors[sla] == "" {
			t.Errorf("PUT %s: %+v", sla, je)
		}

		// Its value has JSM's cycles.
		is := e.get(t, ci.Key, jira.GetIssueOptions{Fields: []string{sla}})
		var v struct {
			Name            string            `json:"name"`
			OngoingCycle    *json.RawMessage  `json:"ongoingCycle"`
			CompletedCycles []json.RawMessage `json:"completedCycles"`
		}
		if err := json.Unmarshal(is.Fields[sla], &v); err != nil || v.Name == "" || (v.OngoingCycle == nil && v.CompletedCycles == nil) {
			t.Errorf("SLA value %s: %v", is.Fields[sla], err)
		}
	})
}

func TestServiceDeskInternalComments(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		e, typ := service(t, tg)
		ci := e.createRequest(t, typ, "internal comments")
		internal, err := e.c.AddRequestComment(e.ctx, ci.Key, "agents only", false)
		if err != nil {
			t.Fatal(err)
		}
		public, err := e.c.AddRequestComment(e.ctx, ci.Key, "dear customer", true)
		if err != nil {
			t.Fatal(err)
		}
		if internal.Public || !public.Public || internal.ID == "" || internal.Created.EpochMillis == 0 || internal.Author == nil {
			t.Errorf("servicedeskapi comments %+v %+v", internal, public)
		}
		// A REST v2 comment made internal on create, then public through its property.
		v2, err := e.c.AddComment(e.ctx, ci.Key, jira.CommentInput{Body: "v2 internal", Properties: []jira.EntityProperty{jira.InternalComment(true)}})
		if err != nil {
			t.Fatal(err)
		}
		flags := func() map[string]bool {
			all, err := e.c.Comments(e.ctx, ci.Key, jira.CommentOptions{Expand: []string{"properties"}})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]bool{}
			for _, cm := range all {
				out[cm.ID] = cm.Internal()
			}
			return out
		}
		if f := flags(); !f[internal.ID] || f[public.ID] || !f[v2.ID] {
			t.Errorf("internal flags %v (internal %s, public %s, v2 %s)", f, internal.ID, public.ID, v2.ID)
		}
		if err := e.c.SetCommentProperty(e.ctx, v2.ID, jira.ServiceDeskCommentProperty, map[string]bool{"internal": false}); err != nil {
			t.Fatal(err)
		}
		if f := flags(); f[v2.ID] {
			t.Errorf("v2 comment still internal after the property change: %v", f)
		}
		rcs, err := e.c.RequestComments(e.ctx, ci.Key)
		if err != nil {
			t.Fatal(err)
		}
		pub := map[string]bool{}
		for _, rc := range rcs {
			pub[rc.ID] = rc.Public
		}
		if pub[internal.ID] || !pub[public.ID] || !pub[v2.ID] {
			t.Errorf("servicedeskapi public flags %v", pub)
		}
	})
}
