package engine

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/models"
)

// JSM Data Center's shapes of its fields on GET /rest/api/2/issue (values trimmed of links and
// icons; the names and nesting are JSM's).
const (
	jsmRequestTypeJSON = `{"_links":{"jiraRest":"https://a.example/rest/api/2/issue/10001","web":"https://a.example/servicedesk/customer/portal/1/HELP-1"},
		"requestType":{"_expands":["field"],"id":"11","_links":{"self":"https://a.example/rest/servicedeskapi/servicedesk/1/requesttype/11"},
			"name":"Get IT help","description":"Get assistance","helpText":"","issueTypeId":"10100","serviceDeskId":"1","groupIds":["1"]},
		"currentStatus":{"status":"Waiting for support","statusCategory":"NEW","statusDate":{"iso8601":"2024-05-01T10:00:00+0000","epochMillis":1714557600000}}}`
	jsmParticipantsJSON = `[{"self":"https://a.example/rest/api/2/user?username=alice","name":"alice","key":"JIRAUSER10100","displayName":"Alice","active":true},
		{"self":"https://a.example/rest/api/2/user?username=cust1","name":"cust1","key":"JIRAUSER10200","emailAddress":"c1@customer.example","displayName":"Customer One","active":true}]`
	jsmOrganizationsJSON = `[{"id":1,"name":"Acme","_links":{"self":"https://a.example/rest/servicedeskapi/organization/1"}},
		{"id":2,"name":"Globex","_links":{"self":"https://a.example/rest/servicedeskapi/organization/2"}}]`
	// An ongoing cycle 40 minutes into a 4h goal, due 14:00 UTC, and an earlier completed cycle.
	jsmSLAOngoingJSON = `{"id":"1","name":"Time to resolution","_links":{"self":"https://a.example/rest/servicedeskapi/request/10001/sla/1"},
		"completedCycles":[{"startTime":{"epochMillis":1714471200000},"stopTime":{"epochMillis":1714474800000},"breached":false,
			"goalDuration":{"millis":14400000,"friendly":"4h"},"elapsedTime":{"millis":3600000,"friendly":"1h"},"remainingTime":{"millis":10800000,"friendly":"3h"}}],
		"ongoingCycle":{"startTime":{"iso8601":"2024-05-01T10:00:00+0000","epochMillis":1714557600000},
			"breachTime":{"iso8601":"2024-05-01T14:00:00+0000","jira":"2024-05-01T14:00:00.000+0000","friendly":"Today 2:00 PM","epochMillis":1714572000000},
			"breached":false,"paused":false,"withinCalendarHours":true,
			"goalDuration":{"millis":14400000,"friendly":"4h"},"elapsedTime":{"millis":2400000,"friendly":"40m"},"remainingTime":{"millis":12000000,"friendly":"3h 20m"}},
		"slaDisplayFormat":"NEW_SLA_FORMAT"}`
)

func jsmRules() Rules {
	return Rules{Users: UserMap{Map: map[string]string{"alice": "alice.b"}}, Fields: []FieldRule{
		{Name: "reqtype", Kind: KindRequestType, Local: "customfield_10010", Remote: "customfield_20010",
			Values: map[string]string{"Get IT help": "IT support"}},
		{Name: "participants", Kind: KindParticipants, Local: "customfield_10011", Remote: "customfield_20011"},
		{Name: "orgs", Kind: KindOrganizations, Local: "customfield_10012", Remote: "customfield_20012",
			Values: map[string]string{"Acme": "ACME Corp"}},
		{Name: "ttr", Kind: KindSLA, Local: "customfield_10013", Remote: "customfield_20013", Direction: DirOut},
	}}
}

func TestProjectJSMFields(t *testing.T) {
	rules := jsmRules()
	is := issueWith(t, `{"customfield_10010":`+jsmRequestTypeJSON+`,"customfield_10011":`+jsmParticipantsJSON+
		`,"customfield_10012":`+jsmOrganizationsJSON+`,"customfield_10013":`+jsmSLAOngoingJSON+`}`)
	got := Project(is, &rules, models.SideLocal)
	want := Shared{
		"reqtype":      "IT support",             // the request type's name, through the value map
		"participants": `["alice.b","cust1"]`,    // logins through the user map, as a set
		"orgs":         `["ACME Corp","Globex"]`, // names through the value map, as a set
		"ttr":          "Time to resolution: due 2024-05-01 14:00 UTC (goal 4h)",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	// The remote side is read in its own vocabulary; the SLA's target there is a text field.
	ris := issueWith(t, `{"customfield_20010":{"requestType":{"id":"4","name":"IT support"}},"customfield_20011":[{"name":"alice"}],
		"customfield_20012":[{"id":7,"name":"Acme"}],"customfield_20013":"Time to resolution: met"}`)
	got = Project(ris, &rules, models.SideRemote)
	want = Shared{"reqtype": "IT support", "participants": `["alice"]`, "orgs": `["Acme"]`, "ttr": "Time to resolution: met"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("remote %s = %q, want %q", k, got[k], v)
		}
	}
	// Absent and empty values project to "".
	empty := Project(issueWith(t, `{"customfield_10010":null,"customfield_10011":[],"customfield_10012":[]}`), &rules, models.SideLocal)
	for _, k := range []string{"reqtype", "participants", "orgs", "ttr"} {
		if empty[k] != "" {
			t.Errorf("empty %s = %q", k, empty[k])
		}
	}
}

func TestSLAText(t *testing.T) {
	cycle := func(s string) string { return `{"name":"Time to first response","ongoingCycle":` + s + `}` }
	for _, tc := range []struct{ name, raw, want string }{
		{"running", jsmSLAOngoingJSON, "Time to resolution: due 2024-05-01 14:00 UTC (goal 4h)"},
		{"breached", cycle(`{"breachTime":{"epochMillis":1714572000000},"breached":true,"remainingTime":{"millis":-3900000,"friendly":"-1h 5m"}}`),
			"Time to first response: breached (due 2024-05-01 14:00 UTC)"},
		{"overdue not yet flagged", cycle(`{"breached":false,"remainingTime":{"millis":-60000}}`), "Time to first response: breached"},
		{"paused", cycle(`{"breachTime":{"epochMillis":1714572000000},"paused":true,"remainingTime":{"millis":12000000}}`),
			"Time to first response: paused, 3h 20m remaining"},
		{"iso only", cycle(`{"breachTime":{"iso8601":"2024-05-01T16:00:00+0200"},"goalDuration":{"friendly":"8h"}}`),
			"Time to first response: due 2024-05-01 14:00 UTC (goal 8h)"},
		{"met", `{"name":"Time to resolution","completedCycles":[{"breached":true},{"breached":false}]}`, "Time to resolution: met"},
		{"last breached", `{"name":"Time to resolution","completedCycles":[{"breached":false},{"breached":true}]}`, "Time to resolution: breached"},
		{"no cycle", `{"name":"Time to resolution","completedCycles":[]}`, ""},
		{"text target", `"Time to resolution: met"`, "Time to resolution: met"},
		{"garbage", `[1,2]`, ""},
	} {
		if got := slaText(json.RawMessage(tc.raw)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestBuildUpdateJSMFields(t *testing.T) {
	rules := jsmRules()
	values := map[string]string{"reqtype": "IT support", "participants": `["alice.b","cust1","nobody"]`,
		"orgs": `["ACME Corp","Globex"]`, "ttr": "Time to resolution: due 2024-05-01 14:00 UTC (goal 4h)"}
	// Into the local side: names mapped back through the value maps and the user map; references
	// from the target's screens; the SLA side is never written.
	meta := &WriteMeta{Users: map[string]string{"alice": "alice", "cust1": "cust1", "nobody": ""},
		Refs: map[string]map[string]json.RawMessage{
			"customfield_10010": {"Get IT help": json.RawMessage(`"help/getithelp"`)},
			"customfield_10012": {"Acme": json.RawMessage(`1`), "Globex": json.RawMessage(`2`)},
		}}
	noSLA := map[string]string{}
	for k, v := range values {
		if k != "ttr" {
			noSLA[k] = v
		}
	}
	in, err := BuildUpdate(noSLA, models.SideLocal, &rules, meta)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(in.Fields)
	wantBody := `{"customfield_10010":"help/getithelp","customfield_10011":[{"name":"alice"},{"name":"cust1"}],"customfield_10012":[1,2]}`
	if string(body) != wantBody {
		t.Errorf("body\n got %s\nwant %s", body, wantBody)
	}
	// What was sent reads back as a read of the target would show it, so no echo is mistaken
	// for a change on the target.
	back := sentShared(in.Fields, &rules, models.SideLocal)
	for k, v := range map[string]string{"reqtype": "IT support", "participants": `["alice.b","cust1"]`, "orgs": `["ACME Corp","Globex"]`} {
		if back[k] != v {
			t.Errorf("read back %s = %q, want %q", k, back[k], v)
		}
	}

	// An SLA is written into the other side's field as text, one way only.
	in, err = BuildUpdate(map[string]string{"ttr": values["ttr"]}, models.SideRemote, &rules, nil)
	if err != nil || in.Fields["customfield_20013"] != values["ttr"] {
		t.Errorf("SLA to its text target: %v %v", in.Fields, err)
	}
	// ... and never into the SLA itself: a config error that says why.
	_, err = BuildUpdate(map[string]string{"ttr": values["ttr"]}, models.SideLocal, &rules, nil)
	var ce *ClassedError
	if !errors.As(err, &ce) || ce.Class != models.ClassConfig || !strings.Contains(err.Error(), "SLA") {
		t.Errorf("SLA as target: %v", err)
	}
	two := rules
	two.Fields = []FieldRule{{Name: "ttr", Kind: KindSLA, Local: "customfield_10013", Remote: "customfield_20013"}}
	if _, err := BuildUpdate(map[string]string{"ttr": "x"}, models.SideRemote, &two, nil); err == nil {
		t.Error("a two-way SLA rule wrote")
	}
	if errs := two.Validate(); len(errs) != 1 || errs[0].Path != "fields[0].direction" {
		t.Errorf("Validate of a two-way SLA: %v", errs)
	}

	// An unknown request type or organization is a data error naming it, unless a default is set.
	_, err = BuildUpdate(map[string]string{"reqtype": "Unknown"}, models.SideLocal, &rules, meta)
	if !errors.As(err, &ce) || ce.Class != models.ClassData || !strings.Contains(err.Error(), `"Unknown"`) {
		t.Errorf("unknown request type: %v", err)
	}
	rules.Fields[0].Default = "Get IT help"
	in, err = BuildUpdate(map[string]string{"reqtype": "Unknown"}, models.SideLocal, &rules, meta)
	if err != nil || string(must(json.Marshal(in.Fields["customfield_10010"]))) != `"help/getithelp"` {
		t.Errorf("default request type: %v %v", in.Fields, err)
	}
	_, err = BuildUpdate(map[string]string{"orgs": `["Initech"]`}, models.SideLocal, &rules, meta)
	if !errors.As(err, &ce) || ce.Class != models.ClassData || !strings.Contains(err.Error(), "organization") {
		t.Errorf("unknown organization: %v", err)
	}
	// An empty request type writes nothing (JSM has no "none"); empty sets clear.
	in, _ = BuildUpdate(map[string]string{"reqtype": "", "orgs": "", "participants": ""}, models.SideRemote, &rules, nil)
	if body, _ := json.Marshal(in.Fields); string(body) != `{"customfield_20011":[],"customfield_20012":[]}` {
		t.Errorf("empty values: %s", body)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
