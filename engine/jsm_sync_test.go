package engine

import (
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// JSM's fields in the emulator's service projects (jirasim/doc.go).
const (
	simRequestType  = "customfield_10200"
	simParticipants = "customfield_10201"
	simOrgs         = "customfield_10202"
	simSLAResolve   = "customfield_10204"
)

// jsmWorld is A (HELP, the emulator's service project) and AB with a service project DESK of
// its own whose request types and organizations are named partly differently.
func jsmWorld(t *testing.T) *simWorld {
	t.Helper()
	ab := jirasim.DefaultSeed("AB")
	ab.Projects = append(ab.Projects, jirasim.SeedProject{ID: "20001", Key: "DESK", Name: "Vendor Desk", Lead: "admin", Admins: []string{"airlock"},
		ProjectTypeKey: "service_desk", Organizations: []string{"ACME Corp", "Globex"},
		RequestTypes: []jirasim.SeedRequestType{{ID: "7", Key: "itsupport", Name: "IT support"}, {ID: "8", Key: "account", Name: "Fix an account problem"}}})
	return simWorldOf(t, jirasim.Options{Name: "A"}, jirasim.Options{Name: "AB", Seed: ab})
}

// TestJSMFieldsSyncOverTheEmulator carries a request of A's service desk to AB's: its request
// type and organizations by name through the value maps (written by id on AB), its
// participants through the user map, its SLA as a sentence into a text field; an edit of the
// request type on AB comes back by name; the SLA is never written; and once settled nothing is
// written again (what was sent reads back as what Jira shows).
func TestJSMFieldsSyncOverTheEmulator(t *testing.T) {
	w := jsmWorld(t)
	rules := Rules{Users: UserMap{ByName: true}, Fields: []FieldRule{
		{Name: "summary", Kind: KindText, Local: "summary", Remote: "summary"},
		{Name: "reqtype", Kind: KindRequestType, Local: simRequestType, Remote: simRequestType, Values: map[string]string{"Get IT help": "IT support"}},
		{Name: "participants", Kind: KindParticipants, Local: simParticipants, Remote: simParticipants},
		{Name: "orgs", Kind: KindOrganizations, Local: simOrgs, Remote: simOrgs, Values: map[string]string{"Acme Corp": "ACME Corp"}},
		{Name: "ttr", Kind: KindSLA, Local: simSLAResolve, Remote: "environment", Direction: DirOut},
	}}
	n := w.newNode(rules, func(c *models.Connection) { c.LocalProject, c.RemoteProject = "HELP", "DESK" }, [2]string{"A", "AB"})
	created := w.createIssue("A", map[string]any{"project": map[string]string{"key": "HELP"}, "summary": "printer on fire",
		simRequestType: "help/getithelp", simParticipants: []map[string]string{{"name": "bob"}}, simOrgs: []int{1}})
	settle(t, n)

	key := n.peer(created.Key)
	if !strings.HasPrefix(key, "DESK-") {
		t.Fatalf("copy %s, want one in DESK", key)
	}
	copy := w.get("AB", key)
	var rt jsmRequestType
	if _, err := copy.Field(simRequestType, &rt); err != nil || rt.RequestType == nil || rt.RequestType.Name != "IT support" {
		t.Errorf("AB's request type: %+v %v", rt.RequestType, err)
	}
	if got := encodeSet(participantNames(copy.Fields[simParticipants], nil, false)); got != `["bob"]` {
		t.Errorf("AB's participants: %s", got)
	}
	if got := encodeSet(organizationNames(copy.Fields[simOrgs])); got != `["ACME Corp"]` {
		t.Errorf("AB's organizations: %s", got)
	}
	if env := fieldString(copy, "environment"); !strings.HasPrefix(env, "Time to resolution: due ") || !strings.HasSuffix(env, " UTC (goal 8h)") {
		t.Errorf("AB's text copy of the SLA: %q", env)
	}

	// Settled: another round writes nothing (no echo of what was sent).
	w.clearLogs()
	settle(t, n)
	if got := w.writes("A") + w.writes("AB"); got != 0 {
		t.Errorf("%d writes after settling", got)
	}

	// The request type changed on AB travels back by name; the SLA on A is never written.
	w.edit("AB", key, map[string]any{simRequestType: "8"})
	settle(t, n)
	var back jsmRequestType
	if _, err := w.get("A", created.Key).Field(simRequestType, &back); err != nil || back.RequestType == nil || back.RequestType.Name != "Fix an account problem" {
		t.Errorf("A's request type after the edit on AB: %+v %v", back.RequestType, err)
	}
	for _, e := range w.sim.Instance("A").Log().Entries() {
		if e.User == "airlock" && e.Method != "GET" && strings.Contains(e.Body, simSLAResolve) {
			t.Errorf("the SLA was written on A: %s %s %s", e.Method, e.Path, e.Body)
		}
	}
	// The references a write into HELP uses: request types and organizations by id; an unknown
	// request type on the way in is a data error on that twin, not a silent change.
	j, err := n.e.Clients.For(w.ctx, n.insts["A"])
	if err != nil {
		t.Fatal(err)
	}
	refs, err := n.e.refsFor(w.ctx, &Pair{Rules: rules}, map[string]string{"reqtype": "", "orgs": ""},
		&Side{Name: models.SideLocal, Jira: j, Instance: n.insts["A"], Project: "HELP"})
	if err != nil || string(refs[simRequestType]["Get IT help"]) != `"1"` || string(refs[simOrgs]["Globex"]) != `2` {
		t.Fatalf("refs of HELP: %v %v", refs, err)
	}
	if _, err := BuildUpdate(map[string]string{"reqtype": "Nope"}, models.SideLocal, &rules, &WriteMeta{Refs: refs}); err == nil {
		t.Error("an unknown request type was accepted")
	}
}
