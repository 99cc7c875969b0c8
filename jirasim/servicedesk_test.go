package jirasim

import (
	"encoding/json"
	"strings"
	"testing"
)

func jsmIssue(t *testing.T, a *Instance, fields map[string]any) (id, key string) {
	t.Helper()
	f := map[string]any{"project": map[string]string{"key": ServiceProjectKey}, "issuetype": map[string]string{"name": "Task"}, "summary": "printer on fire"}
	for k, v := range fields {
		f[k] = v
	}
	r := call(t, a, "POST", "/rest/api/2/issue", "airlock", map[string]any{"fields": f})
	mustStatus(t, r, 201)
	return r.obj(t)["id"].(string), r.obj(t)["key"].(string)
}

func TestServiceProjectShapes(t *testing.T) {
	s, a := tsim(t)
	b := s.Instance("B")

	// Project type in /project, /project/{key} and fields.project.
	types := map[string]string{}
	for _, p := range call(t, a, "GET", "/rest/api/2/project", "airlock", nil).arr(t) {
		types[dig(p, "key").(string)] = dig(p, "projectTypeKey").(string)
	}
	if types["ALPHA"] != "software" || types["HELP"] != "service_desk" || types[SimpleProjectKey] != "software" || len(types) != 3 {
		t.Errorf("project types %v", types)
	}
	if pt := call(t, a, "GET", "/rest/api/2/project/HELP", "airlock", nil).obj(t)["projectTypeKey"]; pt != "service_desk" {
		t.Errorf("/project/HELP type %v", pt)
	}
	if n := len(call(t, b, "GET", "/rest/api/2/project", "airlock", nil).arr(t)); n != 2 { // BETA, SIMPLE
		t.Errorf("B has %d projects", n)
	}

	// /field: JSM's fields on A only, with their schemas.
	schemas := map[string]any{}
	for _, f := range call(t, a, "GET", "/rest/api/2/field", "airlock", nil).arr(t) {
		schemas[dig(f, "id").(string)] = dig(f, "schema")
	}
	for id, custom := range map[string]string{cfRequestType: "com.atlassian.servicedesk:vp-origin", cfParticipants: "com.atlassian.servicedesk:sd-request-participants",
		cfOrgs: "com.atlassian.servicedesk:sd-customer-organizations", cfSLAResponse: "com.atlassian.servicedesk:sd-sla-field", cfSLAResolve: "com.atlassian.servicedesk:sd-sla-field"} {
		if dig(schemas[id], "custom") != custom {
			t.Errorf("%s schema %v", id, schemas[id])
		}
	}
	if dig(schemas[cfSLAResolve], "type") != "sd-servicelevelagreement" || dig(schemas[cfOrgs], "items") != "sd-customerorganization" {
		t.Errorf("schemas %v %v", schemas[cfSLAResolve], schemas[cfOrgs])
	}
	for _, f := range call(t, b, "GET", "/rest/api/2/field", "airlock", nil).arr(t) {
		if c, _ := dig(f, "schema", "custom").(string); strings.Contains(c, "servicedesk") {
			t.Errorf("B lists %v", f)
		}
	}

	// createmeta: request type, participants, organizations on HELP's screen; SLA never.
	meta := map[string]map[string]any{}
	for _, v := range call(t, a, "GET", "/rest/api/2/issue/createmeta/HELP/issuetypes/10002", "airlock", nil).obj(t)["values"].([]any) {
		meta[dig(v, "fieldId").(string)] = v.(map[string]any)
	}
	if meta[cfRequestType] == nil || meta[cfParticipants] == nil || meta[cfOrgs] == nil || meta[cfSLAResolve] != nil || meta[cfSLAResponse] != nil {
		t.Errorf("HELP createmeta %v", meta)
	}
	if !strings.Contains(meta[cfOrgs]["autoCompleteUrl"].(string), "/rest/servicedesk/1/customer/organisations/project/10001/search") {
		t.Errorf("organizations meta %v", meta[cfOrgs])
	}
	for _, v := range call(t, a, "GET", "/rest/api/2/issue/createmeta/ALPHA/issuetypes/10002", "airlock", nil).obj(t)["values"].([]any) {
		if id := dig(v, "fieldId").(string); id >= cfRequestType && id <= cfSLAResolve {
			t.Errorf("ALPHA createmeta has %s", id)
		}
	}

	// A request with its JSM values.
	id, key := jsmIssue(t, a, map[string]any{cfRequestType: "help/getithelp", cfParticipants: []any{map[string]string{"name": "alice"}}, cfOrgs: []any{1}})
	iss := call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t)
	f := iss["fields"].(map[string]any)
	if dig(f, "project", "projectTypeKey") != "service_desk" {
		t.Errorf("fields.project %v", f["project"])
	}
	if dig(f, cfRequestType, "requestType", "name") != "Get IT help" || dig(f, cfRequestType, "currentStatus", "status") != "To Do" ||
		dig(f, cfRequestType, "_links", "self") != a.URL()+"/rest/servicedeskapi/request/"+id {
		t.Errorf("request type value %v", f[cfRequestType])
	}
	if p := f[cfParticipants].([]any); len(p) != 1 || dig(p[0], "name") != "alice" {
		t.Errorf("participants %v", f[cfParticipants])
	}
	if o := f[cfOrgs].([]any); len(o) != 1 || dig(o[0], "name") != "Acme Corp" || dig(o[0], "id") != "1" {
		t.Errorf("organizations %v", f[cfOrgs])
	}
	sla := f[cfSLAResolve].(map[string]any)
	if sla["name"] != "Time to resolution" || dig(sla, "ongoingCycle", "goalDuration", "millis") != 8*3600e3 ||
		dig(sla, "ongoingCycle", "breached") != false || len(sla["completedCycles"].([]any)) != 0 || dig(sla, "ongoingCycle", "breachTime", "epochMillis") == nil {
		t.Errorf("SLA %v", sla)
	}
	// The request type by id (Cloud's form) and a wrong one.
	jsmIssue(t, a, map[string]any{cfRequestType: "2"})
	r := call(t, a, "POST", "/rest/api/2/issue", "airlock", map[string]any{"fields": map[string]any{"project": map[string]string{"key": "HELP"},
		"issuetype": map[string]string{"name": "Task"}, "summary": "x", cfRequestType: "help/nope"}})
	if r.status != 400 || !strings.Contains(string(r.raw), cfRequestType) {
		t.Errorf("unknown request type: %d %s", r.status, r.raw)
	}

	// Edits: participants through update, the SLA refused as Jira refuses a field off the screen.
	mustStatus(t, call(t, a, "PUT", "/rest/api/2/issue/"+key, "airlock",
		map[string]any{"update": map[string]any{cfParticipants: []any{map[string]any{"add": map[string]string{"name": "bob"}}}}}), 204)
	if p := dig(call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t), "fields", cfParticipants).([]any); len(p) != 2 {
		t.Errorf("after add %v", p)
	}
	r = call(t, a, "PUT", "/rest/api/2/issue/"+key, "airlock", map[string]any{"fields": map[string]any{cfSLAResolve: "1h"}})
	if r.status != 400 || dig(r.obj(t), "errors", cfSLAResolve) != cannotBeSet(cfSLAResolve) {
		t.Errorf("SLA PUT: %d %s", r.status, r.raw)
	}
	em := call(t, a, "GET", "/rest/api/2/issue/"+key+"/editmeta", "airlock", nil).obj(t)["fields"].(map[string]any)
	if em[cfSLAResolve] != nil || em[cfParticipants] == nil {
		t.Errorf("editmeta %v", em)
	}
	hist := call(t, a, "GET", "/rest/api/2/issue/"+key+"?expand=changelog&fields=summary", "airlock", nil).obj(t)
	if b, _ := json.Marshal(dig(hist, "changelog")); !strings.Contains(string(b), `"field":"Request participants"`) {
		t.Errorf("changelog %s", b)
	}

	// A software issue on the same instance has none of it.
	_, akey := createIssue(t, a, nil)
	af := dig(call(t, a, "GET", "/rest/api/2/issue/"+akey, "airlock", nil).obj(t), "fields").(map[string]any)
	for _, id := range []string{cfRequestType, cfParticipants, cfOrgs, cfSLAResolve} {
		if _, ok := af[id]; ok {
			t.Errorf("ALPHA issue renders %s", id)
		}
	}
	if r := call(t, a, "PUT", "/rest/api/2/issue/"+akey, "airlock", map[string]any{"fields": map[string]any{cfParticipants: []any{}}}); r.status != 400 {
		t.Errorf("participants on ALPHA: %d", r.status)
	}

	// Search renders them too.
	sr := call(t, a, "GET", "/rest/api/2/search?jql=project%3DHELP&fields="+cfRequestType+","+cfSLAResponse, "airlock", nil).obj(t)
	if is := sr["issues"].([]any); len(is) == 0 || dig(is[0], "fields", cfSLAResponse, "name") != "Time to first response" {
		t.Errorf("search %v", sr)
	}
}

func TestServiceDeskAPI(t *testing.T) {
	_, a := tsim(t)
	id, key := jsmIssue(t, a, nil)
	r := call(t, a, "POST", "/rest/servicedeskapi/request/"+key+"/comment", "alice", map[string]any{"body": "internal note", "public": false})
	mustStatus(t, r, 201)
	c1 := r.obj(t)
	if c1["public"] != false || dig(c1, "author", "name") != "alice" || dig(c1, "created", "epochMillis") == nil ||
		dig(c1, "_links", "self") != a.URL()+"/rest/servicedeskapi/request/"+id+"/comment/"+c1["id"].(string) {
		t.Errorf("internal comment %s", r.raw)
	}
	if p := call(t, a, "GET", "/rest/api/2/comment/"+c1["id"].(string)+"/properties/sd.public.comment", "airlock", nil); string(p.raw) != `{"key":"sd.public.comment","value":{"internal":true}}` {
		t.Errorf("internal property %s", p.raw)
	}
	sla := func() map[string]any {
		return dig(call(t, a, "GET", "/rest/api/2/issue/"+key, "airlock", nil).obj(t), "fields", cfSLAResponse).(map[string]any)
	}
	if len(sla()["completedCycles"].([]any)) != 0 {
		t.Errorf("an internal note answered the customer: %v", sla())
	}
	r = call(t, a, "POST", "/rest/servicedeskapi/request/"+key+"/comment", "alice", map[string]any{"body": "hello customer", "public": true})
	mustStatus(t, r, 201)
	if r.obj(t)["public"] != true {
		t.Errorf("public comment %s", r.raw)
	}
	if s := sla(); len(s["completedCycles"].([]any)) != 1 || s["ongoingCycle"] != nil {
		t.Errorf("first response not stopped: %v", s)
	}
	list := call(t, a, "GET", "/rest/servicedeskapi/request/"+key+"/comment", "airlock", nil).obj(t)
	if list["size"] != 2.0 || list["isLastPage"] != true {
		t.Errorf("list %v", list)
	}
	if pub := call(t, a, "GET", "/rest/servicedeskapi/request/"+key+"/comment?internal=false", "airlock", nil).obj(t); pub["size"] != 1.0 {
		t.Errorf("public only %v", pub)
	}
	mustStatus(t, call(t, a, "GET", "/rest/servicedeskapi/request/"+key+"/comment/"+c1["id"].(string), "airlock", nil), 200)

	// The REST v2 comment list tells them apart by the property.
	cms := call(t, a, "GET", "/rest/api/2/issue/"+key+"/comment?expand=properties", "airlock", nil).obj(t)["comments"].([]any)
	if b, _ := json.Marshal(dig(cms[1], "properties")); string(b) != `[{"key":"sd.public.comment","value":{"internal":false}}]` {
		t.Errorf("public comment properties %s", b)
	}

	_, akey := createIssue(t, a, nil)
	for _, tc := range []struct {
		name, method, path, user string
		body                     any
		status                   int
	}{
		{"software issue", "POST", "/rest/servicedeskapi/request/" + akey + "/comment", "airlock", map[string]any{"body": "x"}, 404},
		{"empty body", "POST", "/rest/servicedeskapi/request/" + key + "/comment", "airlock", map[string]any{"body": " "}, 400},
		{"anonymous", "POST", "/rest/servicedeskapi/request/" + key + "/comment", "", map[string]any{"body": "x"}, 404},
		{"unknown comment", "GET", "/rest/servicedeskapi/request/" + key + "/comment/1", "airlock", nil, 404},
	} {
		if r := call(t, a, tc.method, tc.path, tc.user, tc.body); r.status != tc.status {
			t.Errorf("%s: %d, want %d (%s)", tc.name, r.status, tc.status, r.raw)
		}
	}

	// Service desks, request types, organizations.
	desks := call(t, a, "GET", "/rest/servicedeskapi/servicedesk", "airlock", nil).obj(t)["values"].([]any)
	if len(desks) != 1 || dig(desks[0], "projectKey") != "HELP" || dig(desks[0], "id") != "1" {
		t.Errorf("desks %v", desks)
	}
	rts := call(t, a, "GET", "/rest/servicedeskapi/servicedesk/1/requesttype", "airlock", nil).obj(t)["values"].([]any)
	if len(rts) != 3 || dig(rts[0], "name") != "Get IT help" || dig(rts[0], "serviceDeskId") != "1" {
		t.Errorf("request types %v", rts)
	}
	orgs := call(t, a, "GET", "/rest/servicedeskapi/organization", "airlock", nil).obj(t)["values"].([]any)
	if len(orgs) != 2 || dig(orgs[1], "name") != "Globex" {
		t.Errorf("organizations %v", orgs)
	}
}
