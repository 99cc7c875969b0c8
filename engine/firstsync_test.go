package engine

import (
	"encoding/json"
	"testing"

	"github.com/airlock-sync/airlock/models"
)

func TestFirstSyncWrites(t *testing.T) {
	for _, tc := range []struct {
		name, choice, dir, l, r string
		toL, toR                bool
	}{
		{"fill: empty local filled", "", DirBoth, "", "x", true, false},
		{"fill: empty remote filled", FirstSyncFill, DirBoth, "x", "", false, true},
		{"fill: both set, left alone", "", DirBoth, "x", "y", false, false},
		{"fill: one-way out never erases remote", "", DirOut, "", "x", false, false},
		{"fill: one-way in never erases local", "", DirIn, "x", "", false, false},
		{"local wins", FirstSyncLocal, DirBoth, "x", "y", false, true},
		{"local wins, but empty local never erases", FirstSyncLocal, DirBoth, "", "y", true, false},
		{"local wins, one-way out, empty local", FirstSyncLocal, DirOut, "", "y", false, false},
		{"remote wins", FirstSyncRemote, DirBoth, "x", "y", true, false},
		{"remote wins, but empty remote never erases", FirstSyncRemote, DirBoth, "x", "", false, true},
		{"remote wins against direction out", FirstSyncRemote, DirOut, "x", "y", false, false},
		{"keep", FirstSyncKeep, DirBoth, "", "y", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &FieldRule{Name: "f", Kind: KindText, Direction: tc.dir, FirstSync: tc.choice}
			toL, toR := firstSyncWrites(f, tc.l, tc.r)
			if toL != tc.toL || toR != tc.toR {
				t.Errorf("got toLocal %v toRemote %v, want %v %v", toL, toR, tc.toL, tc.toR)
			}
			if (toL && tc.r == "" && tc.l != "") || (toR && tc.l == "" && tc.r != "") {
				t.Error("an empty value overwrites a non-empty one")
			}
		})
	}
}

func TestFirstSyncFieldsByRevision(t *testing.T) {
	r := testRules()
	base := Baseline{Local: Shared{}, Remote: Shared{}}
	for _, f := range r.Fields {
		base.Local[f.Name], base.Remote[f.Name] = "", ""
	}
	if fs := FirstSyncFields(&r, base); len(fs) != 0 {
		t.Errorf("a baseline without revisions (written before them) counts as agreed, got %v", fs)
	}
	r.stamp(&base, nil)
	if fs := FirstSyncFields(&r, base); len(fs) != 0 {
		t.Errorf("stamped baseline: %v", fs)
	}
	r.Fields[0].Direction = DirOut
	r.Fields[3].Values = map[string]string{"High": "Highest"}
	r.Fields = append(r.Fields, FieldRule{Name: "ref", Kind: KindText, Local: "customfield_10100", Remote: "customfield_10100"})
	fs := FirstSyncFields(&r, base)
	if len(fs) != 3 || !fs["summary"] || !fs["priority"] || !fs["ref"] {
		t.Errorf("first-sync fields = %v, want summary (direction), priority (value map), ref (new)", fs)
	}
	r.Fields[5].Values = map[string]string{"Open": "Open"} // maps a value to itself: no change
	r.Fields[0].FirstSync = FirstSyncKeep                  // the choice itself is no change of the mapping
	r.Fields[0].Direction = ""
	if FirstSyncFields(&r, base)["summary"] {
		t.Error("choosing a first-sync policy changed the revision")
	}
}

// TestTwoHopEraseNeverBlanksTheOtherSide is the "two-hop erase": a field shared A <-> AB, not yet
// mapped on B <-> AB, is mapped there one-way B -> relay. B's empty value must not overwrite
// the relay's value, and so A's two hops away, while the rest of the twin still syncs.
func TestTwoHopEraseNeverBlanksTheOtherSide(t *testing.T) {
	w := newSimWorld(t)
	ref := FieldRule{Name: "customer_ref", Kind: KindText, Local: "customfield_10100", Remote: "customfield_10100"}
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"}, [2]string{"B", "AB"})
	withRef := testRules()
	withRef.Fields = append(withRef.Fields, ref)
	setRules(t, n, n.conns[0], withRef)
	settle(t, n)

	a := w.createIssue("A", map[string]any{"summary": "Customer printer", "customfield_10100": "CR-1"})
	settle(t, n)
	abKey := n.peer(a.Key)
	var bKey string
	for _, tw := range n.twins() {
		if tw.ConnectionID == n.conns[1].ID && tw.RemoteKey == abKey {
			bKey = tw.LocalKey
		}
	}
	if bKey == "" || fieldString(w.get("AB", abKey), "customfield_10100") != "CR-1" || fieldString(w.get("B", bKey), "customfield_10100") != "" {
		t.Fatalf("setup: want CR-1 on A and AB and nothing on B (B key %q)", bKey)
	}

	// The admin maps the field on B <-> AB one-way B -> relay; then someone edits B.
	oneWay := testRules()
	ref.Direction = DirOut
	oneWay.Fields = append(oneWay.Fields, ref)
	setRules(t, n, n.conns[1], oneWay)
	w.edit("B", bKey, map[string]any{"summary": "Customer printer (B)"})
	settle(t, n)

	for inst, key := range map[string]string{"A": a.Key, "AB": abKey} {
		is := w.get(inst, key)
		if got := fieldString(is, "customfield_10100"); got != "CR-1" {
			t.Errorf("%s %s Customer Reference = %q after the mapping change, want CR-1 (never blanked)", inst, key, got)
		}
		if got := fieldString(is, "summary"); got != "Customer printer (B)" {
			t.Errorf("%s %s summary = %q: the rest of the twin did not sync", inst, key, got)
		}
	}

	// After the first sync the field travels as configured: a real change on B reaches A.
	w.edit("B", bKey, map[string]any{"customfield_10100": "CR-2"})
	settle(t, n)
	if got := fieldString(w.get("A", a.Key), "customfield_10100"); got != "CR-2" {
		t.Errorf("A Customer Reference = %q after B's real change, want CR-2", got)
	}
}

// setRules stores new rules on one of a node's connections.
func setRules(t *testing.T, n *syncNode, c *models.Connection, r Rules) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	c.Rules = string(b)
	if err := n.db.Model(&models.Connection{}).Where("id = ?", c.ID).Update("rules", c.Rules).Error; err != nil {
		t.Fatal(err)
	}
}

// TestFirstSyncImpactCountsOverwrites: mapping a field anew counts the twins where the chosen
// first sync would overwrite a non-empty target value: none with "fill", those with differing
// values with "take local"; unchanged fields are not counted.
func TestFirstSyncImpactCountsOverwrites(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	var keys []string
	for _, ref := range []string{"CR-1", "CR-2", ""} {
		keys = append(keys, w.createIssue("A", map[string]any{"summary": "impact " + ref, "customfield_10100": ref}).Key)
	}
	settle(t, n)
	// The relay holds its own values: one differs, one is empty, one is set where A has none.
	for i, v := range []string{"OTHER", "", "RELAY-ONLY"} {
		w.edit("AB", n.peer(keys[i]), map[string]any{"customfield_10100": v})
	}
	for choice, want := range map[string]int{FirstSyncFill: 0, FirstSyncLocal: 1, FirstSyncRemote: 1, FirstSyncKeep: 0} {
		next := testRules()
		next.Fields = append(next.Fields, FieldRule{Name: "ref", Kind: KindText, Local: "customfield_10100", Remote: "customfield_10100", FirstSync: choice})
		im, err := n.e.FirstSyncImpact(w.ctx, n.conns[0].ID, next)
		if err != nil {
			t.Fatal(err)
		}
		if len(im) != 1 || im["ref"] == nil || im["ref"].Overwrites != want || im["ref"].Twins != 3 || im["ref"].Partial {
			t.Errorf("%s: impact %+v, want %d overwrites of 3 twins", choice, im["ref"], want)
		}
	}
}

// TestStampLegacyBaselines: a baseline written before rule revisions existed counts as agreed;
// once stamped with the rules in force, a later direction change is a first sync for it.
func TestStampLegacyBaselines(t *testing.T) {
	w := newSimWorld(t)
	r := testRules()
	n := w.newNode(r, nil, [2]string{"A", "AB"})
	a := w.createIssue("A", map[string]any{"summary": "legacy"})
	settle(t, n)
	tw := n.twinOf(a.Key)
	base, _ := ParseBaseline(tw.Baseline)
	base.Rev = nil // as an older version wrote it
	n.db.Model(&models.Twin{}).Where("id = ?", tw.ID).Update("baseline", base.String())
	next := testRules()
	next.Fields[0].Direction = DirIn
	if FirstSyncFields(&next, base)["summary"] {
		t.Fatal("setup: a legacy baseline already counts the change")
	}
	if got, err := n.e.StampLegacyBaselines(w.ctx, n.conns[0].ID, r); err != nil || got != 1 {
		t.Fatalf("stamped %d, %v", got, err)
	}
	tw = n.twinOf(a.Key)
	base, _ = ParseBaseline(tw.Baseline)
	if fs := FirstSyncFields(&next, base); len(fs) != 1 || !fs["summary"] {
		t.Errorf("after stamping, first-sync fields = %v, want summary", fs)
	}
	if got, _ := n.e.StampLegacyBaselines(w.ctx, n.conns[0].ID, r); got != 0 {
		t.Errorf("stamped again: %d", got)
	}
}
