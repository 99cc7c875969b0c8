package jirasim

import "testing"

// TestMetaOmitsReadOnlyFields: like Jira, editmeta and createmeta list only the fields a create
// or edit can set; read-only system fields (Created, Votes, Watchers, Σ Progress, Status...) are
// absent, so a client can tell writable targets from readable sources.
func TestMetaOmitsReadOnlyFields(t *testing.T) {
	_, a := tsim(t)
	_, key := createIssue(t, a, map[string]any{"summary": "meta"})
	edit := call(t, a, "GET", "/rest/api/2/issue/"+key+"/editmeta", "airlock", nil)
	mustStatus(t, edit, 200)
	create := call(t, a, "GET", "/rest/api/2/issue/createmeta/ALPHA/issuetypes/10002?maxResults=100", "airlock", nil)
	mustStatus(t, create, 200)
	em, _ := edit.obj(t)["fields"].(map[string]any)
	cm := map[string]bool{}
	for _, v := range create.obj(t)["values"].([]any) {
		cm[v.(map[string]any)["fieldId"].(string)] = true
	}
	for _, id := range []string{"created", "updated", "votes", "watches", "aggregateprogress", "progress", "status", "creator", "resolutiondate", "workratio"} {
		if _, ok := em[id]; ok {
			t.Errorf("editmeta lists the read-only field %s", id)
		}
		if cm[id] {
			t.Errorf("createmeta lists the read-only field %s", id)
		}
	}
	for _, id := range []string{"summary", "description", "labels", "priority", cfText} {
		if _, ok := em[id]; !ok {
			t.Errorf("editmeta lacks the writable field %s", id)
		}
		if !cm[id] {
			t.Errorf("createmeta lacks the writable field %s", id)
		}
	}
}
