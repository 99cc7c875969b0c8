package web

import (
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
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
		_, errs := buildRules(in, meta)
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
