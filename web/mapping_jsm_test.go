package web

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// jsmSide is a side whose project is a service desk: JSM's fields as /field reports them.
func jsmSide() sideMeta {
	f := func(id, name, typ, items, custom string) jira.Field {
		return jira.Field{ID: id, Name: name, Custom: true, Navigable: true, Orderable: custom != jsmSLA,
			Schema: &jira.FieldSchema{Type: typ, Items: items, Custom: custom}}
	}
	return sideMeta{Fields: []jira.Field{
		{ID: "summary", Name: "Summary", Navigable: true, Orderable: true, Schema: &jira.FieldSchema{Type: "string", System: "summary"}},
		f("customfield_10010", "Customer Request Type", "sd-customerrequesttype", "", jsmRequestType),
		f("customfield_10011", "Request participants", "array", "user", jsmParticipants),
		f("customfield_10012", "Organizations", "array", "sd-customerorganization", jsmOrganizations),
		f("customfield_10013", "Time to resolution", "sd-servicelevelagreement", "", jsmSLA),
		f("customfield_10014", "SLA summary", "string", "", "com.atlassian.jira.plugin.system.customfieldtypes:textarea"),
	}, Options: map[string][]string{}}
}

func TestJSMKindsSuggested(t *testing.T) {
	m := jsmSide()
	want := map[string]string{"customfield_10010": engine.KindRequestType, "customfield_10011": engine.KindParticipants,
		"customfield_10012": engine.KindOrganizations, "customfield_10013": engine.KindSLA}
	for _, fd := range m.Fields {
		if k, ok := want[fd.ID]; ok && suggestKind(fd) != k {
			t.Errorf("%s suggests %q, want %q", fd.Name, suggestKind(fd), k)
		}
	}
	// An SLA decides a row's kind from either side: it is read as a sentence into the other.
	fields := [2]map[string]jira.Field{{}, {}}
	for _, fd := range m.Fields {
		fields[0][fd.ID], fields[1][fd.ID] = fd, fd
	}
	if k := suggestRowKind(ruleInput{Local: "customfield_10014", Remote: "customfield_10013"}, fields); k != engine.KindSLA {
		t.Errorf("text <- SLA suggests %q", k)
	}
}

func TestSLANeverATarget(t *testing.T) {
	m := jsmSide()
	for _, target := range []bool{false, true} {
		offered := false
		for _, o := range fieldOptions(&m, target) {
			offered = offered || o.ID == "customfield_10013"
		}
		if offered == target {
			t.Errorf("SLA offered=%v in a picker with target=%v", offered, target)
		}
	}
	meta := [2]sideMeta{jsmSide(), jsmSide()}
	in := mappingInput{Conflict: conflictChoices[0].Value, Deletion: deletionChoices[0].Value}
	check := func(row ruleInput) map[string]string {
		in.Rows = []ruleInput{row}
		_, errs := buildRules(in, meta, &engine.Rules{})
		return errs
	}
	// SLA (local) -> text (remote), one way: fine.
	if errs := check(ruleInput{Name: "ttr", Local: "customfield_10013", Remote: "customfield_10014", Dir: engine.DirOut}); len(errs) > 0 {
		t.Errorf("SLA as a source refused: %v", errs)
	}
	// The same both ways, or the SLA as the target of a one-way row: refused beside the SLA.
	for _, row := range []ruleInput{
		{Name: "ttr", Local: "customfield_10013", Remote: "customfield_10014", Dir: engine.DirBoth},
		{Name: "ttr", Local: "customfield_10013", Remote: "customfield_10014", Dir: engine.DirIn},
		{Name: "ttr", Kind: engine.KindText, Local: "customfield_10014", Remote: "customfield_10013", Dir: engine.DirOut},
	} {
		errs := check(row)
		side := "f0.local"
		if row.Remote == "customfield_10013" {
			side = "f0.remote"
		}
		if !strings.Contains(errs[side], "is an SLA") || !strings.Contains(errs[side], "only be a source") {
			t.Errorf("%+v: errors %v, want the SLA refused at %s", row, errs, side)
		}
	}
	// Read with another kind, an SLA would project to nothing: the kind is refused.
	if errs := check(ruleInput{Name: "ttr", Kind: engine.KindText, Local: "customfield_10013", Remote: "customfield_10014", Dir: engine.DirOut}); !strings.Contains(errs["f0.kind"], "SLA kind") {
		t.Errorf("SLA read as text: %v", errs)
	}
}

func TestJSMRowNotes(t *testing.T) {
	for _, k := range []string{engine.KindParticipants, engine.KindOrganizations} {
		if !strings.Contains(kindNote(k), "customers") {
			t.Errorf("%s: note %q does not say it names customers", k, kindNote(k))
		}
	}
	if !mappableKind(engine.KindRequestType) || !mappableKind(engine.KindOrganizations) || mappableKind(engine.KindParticipants) || mappableKind(engine.KindSLA) {
		t.Error("value maps: request type and organizations only")
	}
	if !strings.Contains(kindNote(engine.KindSLA), "read-only") || kindNote(engine.KindText) != "" {
		t.Error("kind notes")
	}
}

// JSM's fields in the emulator's service projects (jirasim/doc.go).
const (
	simRequestType = "customfield_10200"
	simOrgs        = "customfield_10202"
	simSLAResolve  = "customfield_10204"
)

// jsmConnEnv is A's service project HELP connected to a service project DESK on the relay whose
// request types and organizations are named partly like HELP's.
func jsmConnEnv(t *testing.T, rules engine.Rules) (*connEnv, *models.Connection) {
	t.Helper()
	ab := jirasim.DefaultSeed("AB")
	ab.Projects = append(ab.Projects, jirasim.SeedProject{ID: "20001", Key: "DESK", Name: "Vendor Desk", Lead: "admin", Admins: []string{"airlock"},
		ProjectTypeKey: "service_desk", Organizations: []string{"ACME Corp", "Globex"},
		RequestTypes: []jirasim.SeedRequestType{{Key: "itsupport", Name: "IT support"}, {Key: "account", Name: "fix an account problem"}}})
	e := newConnEnvSeeded(t, ab)
	cn := e.connection(t, rules)
	if err := e.db.Model(cn).Updates(map[string]any{"local_project": "HELP", "remote_project": "DESK"}).Error; err != nil {
		t.Fatal(err)
	}
	return e, cn
}

// valueMap reads the value map under the row named name: local value -> selected remote value.
func valueMap(doc *goquery.Document, name string) map[string]string {
	out := map[string]string{}
	doc.Find(`[data-testid="mapping-row"]`).Each(func(_ int, row *goquery.Selection) {
		if v, _ := row.Find(`[data-testid="row-name"]`).Attr("value"); v != name {
			return
		}
		row.Find(`[data-testid="value-pair"]`).Each(func(_ int, p *goquery.Selection) {
			sel, _ := p.Find(`option[selected]`).Attr("value")
			out[p.Find(`[data-testid="value-local"]`).Text()] = sel
		})
	})
	return out
}

func TestMappingEditorJSMFields(t *testing.T) {
	rules := engine.DefaultRules()
	rules.Fields = append(rules.Fields,
		engine.FieldRule{Name: "reqtype", Kind: engine.KindRequestType, Local: simRequestType, Remote: simRequestType},
		engine.FieldRule{Name: "orgs", Kind: engine.KindOrganizations, Local: simOrgs, Remote: simOrgs})
	e, cn := jsmConnEnv(t, rules)
	path := "/connections/" + strconv.Itoa(int(cn.ID)) + "/mapping"
	doc := parse(t, e.get(t, path, e.token))

	// Request types and organizations come from both service desks, pre-filled by name (case
	// ignored); one without a match is left for the administrator.
	rt := valueMap(doc, "reqtype")
	if rt["Fix an account problem"] != "fix an account problem" || rt["Get IT help"] != "" || len(rt) != 3 {
		t.Errorf("request type value map %v", rt)
	}
	if orgs := valueMap(doc, "orgs"); orgs["Acme Corp"] != "ACME Corp" || orgs["Globex"] != "Globex" {
		t.Errorf("organizations value map %v", orgs)
	}
	// The page explains the service desk fields; the organizations row says it names customers.
	if !strings.Contains(squash(doc.Find(`[data-testid="mapping-jsm-help"]`).Text()), "never shared unless you add their row") {
		t.Error("no explanation of the service desk fields")
	}
	if note := doc.Find(`[data-testid="row-note"][data-kind="organizations"]`).Text(); !strings.Contains(note, "customers") {
		t.Errorf("organizations note %q", note)
	}
	// The SLA is offered in no picker of a two-way row (each row writes both sides).
	if n := doc.Find(`[data-testid="mapping-row"] option[value="` + simSLAResolve + `"]`).Length(); n != 0 {
		t.Errorf("SLA offered %d times in two-way rows", n)
	}

	// Posted as the target of a row, it is refused beside the field, and the form keeps it.
	base := formValues(doc.Find(`[data-testid="mapping-form"]`))
	base.Set("f0.local", simSLAResolve)
	base.Set("f0.remote", "environment")
	base.Set("f0.kind", "")
	base.Set("f0.dir", engine.DirIn)
	base.Set("op", "save")
	res := e.post(t, path, base, false)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("SLA as target: status %d, want 422", res.StatusCode)
	}
	doc = parse(t, res)
	sel := doc.Find(`select[name="f0.local"]`)
	if msg := squash(sel.Parent().Find("small").Text()); !strings.Contains(msg, "Time to resolution (customfield_10204) is an SLA") {
		t.Errorf("error beside the SLA: %q", msg)
	}
	if v, _ := sel.Find("option[selected]").Attr("value"); v != simSLAResolve {
		t.Errorf("the refused choice was lost: %q", v)
	}
	var stored models.Connection
	e.db.First(&stored, cn.ID)
	if strings.Contains(stored.Rules, simSLAResolve) {
		t.Error("the refused mapping was saved")
	}

	// One way from the SLA into the relay's text field: saved.
	base.Set("f0.dir", engine.DirOut)
	if res := e.post(t, path, base, false); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("SLA as a source: status %d: %s", res.StatusCode, squash(parse(t, res).Find(`[aria-invalid="true"]`).Parent().Text()))
	}
	e.db.First(&stored, cn.ID)
	saved, err := engine.ParseRules(stored.Rules)
	if err != nil || saved.Fields[0].Kind != engine.KindSLA || saved.Fields[0].Direction != engine.DirOut {
		t.Errorf("saved %+v %v", saved.Fields[0], err)
	}
}
