package engine

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

func issueWith(t *testing.T, fields string) *jira.Issue {
	t.Helper()
	is, err := jira.DecodeIssue([]byte(`{"id":"1","key":"X-1","fields":` + fields + `}`))
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func TestProject(t *testing.T) {
	rules := Rules{Users: UserMap{Map: map[string]string{"alice": "alice.r"}}, Fields: []FieldRule{
		{Name: "summary", Kind: KindText, Local: "summary", Remote: "summary"},
		{Name: "labels", Kind: KindLabels, Local: "labels", Remote: "labels"},
		{Name: "priority", Kind: KindPriority, Local: "priority", Remote: "priority", Values: map[string]string{"Highest": "P1"}},
		{Name: "status", Kind: KindStatus, Local: "status", Remote: "status", Values: map[string]string{"Open": "To Do"}},
		{Name: "components", Kind: KindComponents, Local: "components", Remote: "components"},
		{Name: "due", Kind: KindDate, Local: "duedate", Remote: "duedate"},
		{Name: "at", Kind: KindDateTime, Local: "customfield_1", Remote: "customfield_9"},
		{Name: "points", Kind: KindNumber, Local: "customfield_2", Remote: "customfield_8"},
		{Name: "sev", Kind: KindSelect, Local: "customfield_3", Remote: "customfield_7", Values: map[string]string{"S1": "Critical"}},
		{Name: "plat", Kind: KindMultiSelect, Local: "customfield_4", Remote: "customfield_6"},
		{Name: "assignee", Kind: KindUser, Local: "assignee", Remote: "assignee"},
	}}
	is := issueWith(t, `{"summary":"Hello","labels":["b","a","b"],"priority":{"name":"Highest"},"status":{"name":"Open"},
		"components":[{"name":"Docs"},{"name":"Backend"}],"duedate":"2024-05-01","customfield_1":"2024-05-01T12:00:00.000+0200",
		"customfield_2":2.50,"customfield_3":{"value":"S1","id":"1"},"customfield_4":[{"value":"Win"},{"value":"Linux"}],
		"assignee":{"name":"alice"}}`)
	tests := []struct {
		side string
		want Shared
	}{
		{models.SideLocal, Shared{"summary": "Hello", "labels": `["a","b"]`, "priority": "P1", "status": "To Do",
			"components": `["Backend","Docs"]`, "due": "2024-05-01", "at": "", "points": "", "sev": "", "plat": "", "assignee": "alice.r"}},
		{models.SideRemote, Shared{"summary": "Hello", "labels": `["a","b"]`, "priority": "Highest", "status": "Open",
			"components": `["Backend","Docs"]`, "due": "2024-05-01", "at": "", "points": "", "sev": "", "plat": "", "assignee": "alice"}},
	}
	for _, tc := range tests {
		got := Project(is, &rules, tc.side)
		if tc.side == models.SideLocal {
			tc.want["at"], tc.want["points"], tc.want["sev"], tc.want["plat"] = "2024-05-01T10:00:00.000+0000", "2.5", "Critical", `["Linux","Win"]`
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v\nwant %v", tc.side, got, tc.want)
		}
	}
	if got := Project(issueWith(t, `{"summary":null}`), &rules, models.SideLocal)["summary"]; got != "" {
		t.Errorf("null summary = %q", got)
	}
}

func TestMerge(t *testing.T) {
	rules := []FieldRule{
		{Name: "summary", Kind: KindText},
		{Name: "out", Kind: KindText, Direction: DirOut},
		{Name: "in", Kind: KindText, Direction: DirIn},
		{Name: "type", Kind: KindIssueType},
	}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	base := Baseline{Local: Shared{"summary": "a", "out": "a", "in": "a", "type": "Bug"}, Remote: Shared{"summary": "a", "out": "a", "in": "a", "type": "Bug"}}
	tests := []struct {
		name          string
		base          Baseline
		local, remote Shared
		opt           MergeOptions
		toL, toR      map[string]string
		conflicts     int
		held          []string
	}{
		{"nothing changed", base, Shared{"summary": "a"}, Shared{"summary": "a"}, MergeOptions{}, map[string]string{}, map[string]string{}, 0, nil},
		{"local changed", base, Shared{"summary": "b"}, Shared{"summary": "a"}, MergeOptions{}, map[string]string{}, map[string]string{"summary": "b"}, 0, nil},
		{"remote changed", base, Shared{"summary": "a"}, Shared{"summary": "c"}, MergeOptions{}, map[string]string{"summary": "c"}, map[string]string{}, 0, nil},
		{"both same", base, Shared{"summary": "z"}, Shared{"summary": "z"}, MergeOptions{}, map[string]string{}, map[string]string{}, 0, nil},
		{"newest remote", base, Shared{"summary": "l"}, Shared{"summary": "r"}, MergeOptions{UpdatedLocal: t0, UpdatedRemote: t0.Add(time.Second)},
			map[string]string{"summary": "r"}, map[string]string{}, 0, nil},
		{"newest local", base, Shared{"summary": "l"}, Shared{"summary": "r"}, MergeOptions{UpdatedLocal: t0.Add(time.Second), UpdatedRemote: t0},
			map[string]string{}, map[string]string{"summary": "l"}, 0, nil},
		{"local wins", base, Shared{"summary": "l"}, Shared{"summary": "r"}, MergeOptions{Policy: models.PolicyLocalWins, UpdatedRemote: t0.Add(time.Hour)},
			map[string]string{}, map[string]string{"summary": "l"}, 0, nil},
		{"remote wins", base, Shared{"summary": "l"}, Shared{"summary": "r"}, MergeOptions{Policy: models.PolicyRemoteWins},
			map[string]string{"summary": "r"}, map[string]string{}, 0, nil},
		{"manual holds only that field", base, Shared{"summary": "l", "out": "x"}, Shared{"summary": "r", "out": "a"}, MergeOptions{Policy: models.PolicyManual},
			map[string]string{}, map[string]string{"out": "x"}, 1, []string{"summary"}},
		{"open conflict holds", base, Shared{"summary": "l"}, Shared{"summary": "a"}, MergeOptions{Held: map[string]bool{"summary": true}},
			map[string]string{}, map[string]string{}, 0, []string{"summary"}},
		{"decided conflict applied", base, Shared{"summary": "l"}, Shared{"summary": "r"}, MergeOptions{Decided: map[string]string{"summary": "l"}},
			map[string]string{}, map[string]string{"summary": "l"}, 0, nil},
		{"normalised by remote: no ping-pong", Baseline{Local: Shared{"summary": " a "}, Remote: Shared{"summary": "a"}},
			Shared{"summary": " a "}, Shared{"summary": "a"}, MergeOptions{}, map[string]string{}, map[string]string{}, 0, nil},
		{"missing baseline: newest wins", Baseline{}, Shared{"summary": "l"}, Shared{"summary": "r"}, MergeOptions{UpdatedRemote: t0.Add(time.Second)},
			map[string]string{"summary": "r"}, map[string]string{}, 0, nil},
		{"direction out ignores remote", base, Shared{"out": "a"}, Shared{"out": "r"}, MergeOptions{}, map[string]string{}, map[string]string{}, 0, nil},
		{"direction out carries local", base, Shared{"out": "l"}, Shared{"out": "r"}, MergeOptions{UpdatedRemote: t0.Add(time.Hour)},
			map[string]string{}, map[string]string{"out": "l"}, 0, nil},
		{"direction in carries remote only", base, Shared{"in": "l"}, Shared{"in": "a"}, MergeOptions{}, map[string]string{}, map[string]string{}, 0, nil},
		{"issue type is create-only", base, Shared{"type": "Task"}, Shared{"type": "Bug"}, MergeOptions{}, map[string]string{}, map[string]string{}, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range []Shared{tc.local, tc.remote} {
				for _, f := range []string{"summary", "out", "in"} {
					if _, ok := s[f]; !ok {
						s[f] = "a"
					}
				}
				if _, ok := s["type"]; !ok {
					s["type"] = "Bug"
				}
			}
			p := Merge(rules, tc.base, tc.local, tc.remote, tc.opt)
			if !reflect.DeepEqual(p.ToLocal, tc.toL) || !reflect.DeepEqual(p.ToRemote, tc.toR) {
				t.Errorf("toLocal %v toRemote %v, want %v %v", p.ToLocal, p.ToRemote, tc.toL, tc.toR)
			}
			if len(p.Conflicts) != tc.conflicts {
				t.Errorf("conflicts %v", p.Conflicts)
			}
			for _, h := range tc.held {
				if !p.Held[h] {
					t.Errorf("%s not held", h)
				}
			}
		})
	}
}

func TestBuildUpdate(t *testing.T) {
	rules := Rules{Users: UserMap{Map: map[string]string{"alice": "alice.r"}}, Fields: []FieldRule{
		{Name: "summary", Kind: KindText, Local: "summary", Remote: "summary"},
		{Name: "description", Kind: KindText, Local: "description", Remote: "description"},
		{Name: "labels", Kind: KindLabels, Local: "labels", Remote: "labels"},
		{Name: "priority", Kind: KindPriority, Local: "priority", Remote: "priority", Values: map[string]string{"Highest": "P1", "High": "P1"}, ReverseValues: map[string]string{"P1": "High"}},
		{Name: "status", Kind: KindStatus, Local: "status", Remote: "status"},
		{Name: "type", Kind: KindIssueType, Local: "issuetype", Remote: "issuetype"},
		{Name: "sev", Kind: KindSelect, Local: "customfield_3", Remote: "customfield_7", Values: map[string]string{"S1": "Critical"}, Default: "Other"},
		{Name: "plat", Kind: KindMultiSelect, Local: "customfield_4", Remote: "customfield_6"},
		{Name: "points", Kind: KindNumber, Local: "customfield_2", Remote: "customfield_8"},
		{Name: "assignee", Kind: KindUser, Local: "assignee", Remote: "assignee"},
		{Name: "comps", Kind: KindComponents, Local: "components", Remote: "components"},
	}}
	tests := []struct {
		name   string
		values map[string]string
		target string
		meta   WriteMeta
		want   string
		err    string
	}{
		{"remote text and labels", map[string]string{"summary": "S", "description": "", "labels": `["a","b"]`}, models.SideRemote, WriteMeta{},
			`{"description":null,"labels":["a","b"],"summary":"S"}`, ""},
		{"reverse map to local", map[string]string{"priority": "P1", "sev": "Critical", "assignee": "alice.r"}, models.SideLocal, WriteMeta{},
			`{"assignee":{"name":"alice"},"customfield_3":{"value":"S1"},"priority":{"name":"High"}}`, ""},
		{"status left to transitions, type only on create", map[string]string{"status": "Done", "type": "Bug"}, models.SideRemote, WriteMeta{}, `{}`, ""},
		{"type on create", map[string]string{"type": "Bug"}, models.SideRemote, WriteMeta{Create: true}, `{"issuetype":{"name":"Bug"}}`, ""},
		{"unknown option -> default", map[string]string{"sev": "Nope"}, models.SideRemote, WriteMeta{Options: map[string][]string{"customfield_7": {"Critical", "Other"}}},
			`{"customfield_7":{"value":"Other"}}`, ""},
		{"unknown multi option -> data error", map[string]string{"plat": `["Amiga"]`}, models.SideRemote, WriteMeta{Options: map[string][]string{"customfield_6": {"Linux"}}},
			"", `option "Amiga"`},
		{"resolved user and empty number", map[string]string{"assignee": "carol", "points": "", "comps": `["Docs"]`}, models.SideRemote,
			WriteMeta{Users: map[string]string{"carol": "airlock"}}, `{"assignee":{"name":"airlock"},"components":[{"name":"Docs"}],"customfield_8":null}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := BuildUpdate(tc.values, tc.target, &rules, &tc.meta)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || ClassOf(err) != models.ClassData {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(in.Fields)
			if string(got) != tc.want {
				t.Errorf("got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestShortestPath(t *testing.T) {
	g := map[string][]edge{
		"Open":        {{"1", "start", "In Progress"}},
		"In Progress": {{"2", "review", "Review"}, {"3", "back", "Open"}},
		"Review":      {{"4", "done", "Done"}},
		"Done":        {{"5", "reopen", "Open"}},
	}
	tests := []struct {
		from, to string
		max      int
		ids      []string
	}{
		{"Open", "Done", 5, []string{"1", "2", "4"}},
		{"Done", "In Progress", 5, []string{"5", "1"}},
		{"Open", "Done", 2, nil},
		{"Open", "Nowhere", 5, nil},
		{"Open", "Open", 5, []string{}},
	}
	for _, tc := range tests {
		p := shortestPath(g, tc.from, tc.to, tc.max)
		var ids []string
		if p != nil {
			ids = []string{}
			for _, e := range p {
				ids = append(ids, e.ID)
			}
		}
		if !reflect.DeepEqual(ids, tc.ids) {
			t.Errorf("%s -> %s (max %d) = %v, want %v", tc.from, tc.to, tc.max, ids, tc.ids)
		}
	}
}

// fakeWorkflow is a Jira that only knows a workflow graph and one issue's status.
type fakeWorkflow struct {
	Jira
	g      map[string][]edge
	status string
	calls  int
	moves  []string
}

func (f *fakeWorkflow) Transitions(_ context.Context, _ string, _ bool) ([]jira.Transition, error) {
	f.calls++
	var ts []jira.Transition
	for _, e := range f.g[f.status] {
		t := jira.Transition{ID: e.ID, Name: e.Name, To: jira.Status{Name: e.To}}
		if e.To == "Done" {
			t.Fields = map[string]jira.FieldMeta{"resolution": {Required: true, AllowedValues: []json.RawMessage{json.RawMessage(`{"name":"Done"}`), json.RawMessage(`{"name":"Fixed"}`)}}}
		}
		ts = append(ts, t)
	}
	return ts, nil
}

func (f *fakeWorkflow) GetIssue(_ context.Context, id string, _ jira.GetIssueOptions) (*jira.Issue, error) {
	st, _ := json.Marshal(jira.Status{Name: f.status})
	return &jira.Issue{ID: id, Fields: map[string]json.RawMessage{"status": st}}, nil
}

func (f *fakeWorkflow) DoTransition(_ context.Context, _ string, in jira.TransitionInput) error {
	for _, e := range f.g[f.status] {
		if e.ID == in.ID {
			f.status = e.To
			res := ""
			if r, ok := in.Fields["resolution"].(map[string]string); ok {
				res = "(" + r["name"] + ")"
			}
			f.moves = append(f.moves, in.ID+res)
			return nil
		}
	}
	return &jira.Error{Status: 400, Class: jira.ClassData}
}

func TestMoveStatus(t *testing.T) {
	g := map[string][]edge{
		"Open":        {{"1", "start", "In Progress"}, {"9", "park", "Parked"}},
		"Parked":      {{"8", "unpark", "Open"}},
		"In Progress": {{"2", "review", "Review"}, {"3", "back", "Open"}},
		"Review":      {{"4", "done", "Done"}},
		"Done":        {{"5", "reopen", "Open"}},
	}
	var w workflows
	k := graphKey{"A", "P", "Bug"}
	f := &fakeWorkflow{g: g, status: "Open"}
	if _, err := w.moveStatus(context.Background(), statusMove{Jira: f, Key: k, IssueID: "1", Current: "Open", Target: "Done", Resolution: "Fixed"}); err != nil {
		t.Fatal(err)
	}
	if f.status != "Done" || f.moves[len(f.moves)-1] != "4(Fixed)" {
		t.Fatalf("status %s moves %v", f.status, f.moves)
	}
	// A second issue plans the learned path without exploring.
	f2 := &fakeWorkflow{g: g, status: "Open"}
	if _, err := w.moveStatus(context.Background(), statusMove{Jira: f2, Key: k, IssueID: "2", Current: "Open", Target: "Done"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"1", "2", "4(Done)"}; !reflect.DeepEqual(f2.moves, want) {
		t.Errorf("moves %v, want %v", f2.moves, want)
	}
	// No path: a config error naming both statuses.
	f3 := &fakeWorkflow{g: map[string][]edge{"Open": {{"1", "start", "In Progress"}}}, status: "Open"}
	_, err := (&workflows{}).moveStatus(context.Background(), statusMove{Jira: f3, Key: k, IssueID: "3", Current: "Open", Target: "Done"})
	if err == nil || ClassOf(err) != models.ClassConfig || !strings.Contains(err.Error(), `"Open"`) || !strings.Contains(err.Error(), `"Done"`) {
		t.Errorf("err = %v", err)
	}
	// Someone moved the issue after we read it: not a config error, and what was learnt under
	// the wrong status is forgotten.
	var w4 workflows
	f4 := &fakeWorkflow{g: g, status: "Review"}
	_, err = w4.moveStatus(context.Background(), statusMove{Jira: f4, Key: k, IssueID: "4", Current: "Done", Target: "Parked"})
	if err == nil || ClassOf(err) != models.ClassTransient || !strings.Contains(err.Error(), `"Review"`) {
		t.Errorf("moved under us: err = %v", err)
	}
	if _, ok := w4.snapshot(k)["Done"]; ok {
		t.Errorf("edges learnt under the wrong status were kept: %v", w4.snapshot(k))
	}
}

func TestPollJQL(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	got := PollJQL("ALPHA", "Bug, Task", "labels = x", time.Date(2024, 1, 2, 10, 30, 45, 0, time.UTC), berlin)
	want := `project = "ALPHA" AND issuetype in ("Bug", "Task") AND (labels = x) AND updated >= "2024/01/02 11:30" ORDER BY updated DESC, key DESC`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestConnectionKeyAndTwinValue(t *testing.T) {
	a := &models.Instance{BaseURL: "https://a.example/jira/"}
	b := &models.Instance{BaseURL: "https://ab.example"}
	c := &models.Connection{LocalProject: "ALPHA", RemoteProject: "RELAY"}
	k1 := ConnectionKey(a, b, c)
	a.BaseURL = "https://a.example/jira"
	if k2 := ConnectionKey(a, b, c); k1 != k2 || len(k1) != 16 {
		t.Errorf("keys %q %q", k1, k2)
	}
	v := ParseTwinValue(json.RawMessage(`{"v":1,"links":{"x":{"sync_id":"s","peer_id":"9"}}}`))
	if v.Links["x"].SyncID != "s" || v.Links["x"].PeerID != "9" {
		t.Errorf("parsed %+v", v)
	}
	if len(ParseTwinValue(nil).Links) != 0 {
		t.Error("empty value has links")
	}
}

func TestEncodeSetKeepsTextReadable(t *testing.T) {
	got := encodeSet([]string{"b<x>", "a&b", "b<x>"})
	if want := `["a&b","b<x>"]`; got != want {
		t.Fatalf("encodeSet = %s, want %s", got, want)
	}
	if back := decodeSet(got); len(back) != 2 || back[1] != "b<x>" {
		t.Fatalf("decodeSet = %q", back)
	}
}

func TestLatestPerIssue(t *testing.T) {
	mk := func(id, updated string) jira.Issue {
		return jira.Issue{ID: id, Fields: map[string]json.RawMessage{"updated": json.RawMessage(`"` + updated + `"`)}}
	}
	got := latestPerIssue([]jira.Issue{
		mk("1", "2024-01-02T10:00:00.000+0000"), mk("2", "2024-01-02T10:01:00.000+0000"),
		mk("1", "2024-01-02T10:05:00.000+0000"), mk("1", "2024-01-02T10:03:00.000+0000"),
	})
	if len(got) != 2 || got[0].ID != "1" || got[1].ID != "2" {
		t.Fatalf("got %d hits: %+v", len(got), got)
	}
	if u, _ := got[0].Updated(); u.Minute() != 5 {
		t.Fatalf("kept updated %v, want the newest (10:05)", u)
	}
}
