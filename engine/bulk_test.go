package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/models"
)

func TestLinkRuleValidate(t *testing.T) {
	tests := []struct {
		rule  LinkRule
		field string // "" when valid
	}{
		{LinkRule{Kind: LinkBySummary}, ""},
		{LinkRule{Kind: LinkByField, Field: "customfield_10100", Side: models.SideRemote}, ""},
		{LinkRule{Kind: ""}, "rule"},
		{LinkRule{Kind: LinkByField, Side: models.SideLocal}, "field"},
		{LinkRule{Kind: LinkByField, Field: "custom field", Side: models.SideLocal}, "field"},
		{LinkRule{Kind: LinkByField, Field: "customfield_1"}, "side"},
	}
	for _, tt := range tests {
		err := tt.rule.Validate()
		var be *BulkInputError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%+v: %v", tt.rule, err)
		case tt.field != "" && (!errors.As(err, &be) || be.Field != tt.field):
			t.Errorf("%+v: got %v, want an error on %s", tt.rule, err, tt.field)
		}
	}
}

func TestKeyIn(t *testing.T) {
	for in, want := range map[string]string{
		" relay-3 ": "RELAY-3", "https://jira.example/jira/browse/RELAY-12": "RELAY-12", "not a key": "", "": "", "ABC": "",
	} {
		if got := keyIn(in); got != want {
			t.Errorf("keyIn(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBulkLinkBySummary(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	a1 := w.createIssue("A", map[string]any{"summary": "Printer on fire", "description": "left text"})
	a2 := w.createIssue("A", map[string]any{"summary": "VPN drops"})
	w.createIssue("A", map[string]any{"summary": "Twice"})
	w.createIssue("A", map[string]any{"summary": "twice"})
	w.createIssue("A", map[string]any{"summary": "Only here"})
	r1 := w.createIssue("AB", map[string]any{"summary": "printer on  fire", "description": "right text"})
	r2 := w.createIssue("AB", map[string]any{"summary": "VPN drops"})
	w.createIssue("AB", map[string]any{"summary": "Twice"})

	p, err := n.e.PreviewLinks(w.ctx, n.conns[0].ID, LinkRule{Kind: LinkBySummary})
	if err != nil {
		t.Fatal(err)
	}
	if p.LocalScanned != 5 || p.RemoteScanned != 3 {
		t.Errorf("scanned %d/%d", p.LocalScanned, p.RemoteScanned)
	}
	ok := map[string]string{}
	flagged := 0
	for _, c := range p.Candidates {
		if c.OK() {
			ok[c.LocalKey] = c.RemoteKey
		} else if strings.Contains(c.Problem, "one-to-many") {
			flagged++
		}
	}
	if len(ok) != 2 || ok[a1.Key] != r1.Key || ok[a2.Key] != r2.Key || flagged != 2 || p.Linkable() != 2 {
		t.Fatalf("preview ok=%v flagged=%d: %+v", ok, flagged, p.Candidates)
	}
	if len(n.twins()) != 0 {
		t.Fatal("a preview wrote twins")
	}

	var pairs []LinkPair
	for _, c := range p.Candidates {
		if c.OK() {
			pairs = append(pairs, LinkPair{LocalID: c.LocalID, RemoteID: c.RemoteID, Reason: c.Reason})
		}
	}
	var seen []BulkProgress
	res, err := n.e.LinkPairs(w.ctx, n.conns[0].ID, pairs, func(p BulkProgress) { seen = append(seen, p) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Done != 2 || res.Failed != 0 || len(seen) != 3 || seen[len(seen)-1].Done != 2 {
		t.Fatalf("result %+v, progress %+v", res, seen)
	}
	for _, tw := range n.twins() {
		if tw.State != models.TwinActive || tw.Baseline == "" || tw.LocalUpdated == nil || tw.RemoteUpdated == nil {
			t.Errorf("twin %+v", tw)
		}
	}
	for inst, key := range map[string]string{"A": a1.Key, "AB": r1.Key} {
		raw, err := w.human(inst, "admin").GetProperty(w.ctx, key, TwinProperty)
		if err != nil || len(ParseTwinValue(raw).Links) != 1 {
			t.Errorf("%s %s property %s (%v)", inst, key, raw, err)
		}
	}
	// Linking again fails per pair, and nothing is rewritten by the next rounds.
	res, _ = n.e.LinkPairs(w.ctx, n.conns[0].ID, pairs[:1], nil)
	if res.Failed != 1 || !strings.Contains(res.Errors[0], "already linked") {
		t.Errorf("relink: %+v", res)
	}
	// (The unmatched issues are new to the poll and get created on the other side.)
	settle(t, n)
	var linked []uint
	n.db.Model(&models.Twin{}).Where("local_key IN ?", []string{a1.Key, a2.Key}).Pluck("id", &linked)
	var writes int64
	n.db.Model(&models.Event{}).Where("twin_id IN ? AND kind <> ?", linked, "link").Count(&writes)
	if len(linked) != 2 || writes != 0 {
		t.Errorf("%d values written to the %d linked twins: the baseline should hold both sides as they are", writes, len(linked))
	}
	if d := fieldString(w.get("AB", r1.Key), "description"); d != "right text" {
		t.Errorf("remote description rewritten: %q", d)
	}
	// A later edit travels.
	w.edit("A", a1.Key, map[string]any{"summary": "Printer fixed"})
	settle(t, n)
	if s := fieldString(w.get("AB", r1.Key), "summary"); s != "Printer fixed" {
		t.Errorf("edit after link: remote summary %q", s)
	}
}

func TestBulkLinkByField(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	a1 := w.createIssue("A", map[string]any{"summary": "one"})
	a2 := w.createIssue("A", map[string]any{"summary": "two"})
	r1 := w.createIssue("AB", map[string]any{"summary": "uno", "customfield_10100": a1.Key})
	w.createIssue("AB", map[string]any{"summary": "dos", "customfield_10100": "https://x.example/browse/" + a2.Key})
	w.createIssue("AB", map[string]any{"summary": "tres", "customfield_10100": a2.Key})
	w.createIssue("AB", map[string]any{"summary": "cuatro", "customfield_10100": "ALPHA-999"})

	p, err := n.e.PreviewLinks(w.ctx, n.conns[0].ID, LinkRule{Kind: LinkByField, Field: "customfield_10100", Side: models.SideRemote})
	if err != nil {
		t.Fatal(err)
	}
	var okRows, manyRows, missing int
	for _, c := range p.Candidates {
		switch {
		case c.OK():
			okRows++
			if c.LocalKey != a1.Key || c.RemoteKey != r1.Key {
				t.Errorf("ok row %+v", c)
			}
		case strings.Contains(c.Problem, "one-to-many"):
			manyRows++
		case strings.Contains(c.Problem, "ALPHA-999"):
			missing++
		}
	}
	if okRows != 1 || manyRows != 2 || missing != 1 {
		t.Errorf("ok %d, one-to-many %d, missing %d: %+v", okRows, manyRows, missing, p.Candidates)
	}
}

func TestBulkSyncJQL(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	n.pollAll() // the watermark starts now: older issues need a bulk sync
	for _, s := range []string{"old one", "old two", "old three"} {
		w.createIssue("A", map[string]any{"summary": s, "labels": []string{"bulk"}})
	}
	w.createIssue("A", map[string]any{"summary": "not this one"})
	req := SyncJQLRequest{ConnectionID: n.conns[0].ID, Side: models.SideLocal, JQL: "labels = bulk", Reconcile: true}
	total, err := n.e.CheckSyncJQL(w.ctx, req)
	if err != nil || total != 3 {
		t.Fatalf("check: %d, %v", total, err)
	}
	bad := req
	bad.JQL = "labels = = bulk"
	var be *BulkInputError
	if _, err := n.e.CheckSyncJQL(w.ctx, bad); !errors.As(err, &be) || be.Field != "jql" {
		t.Errorf("bad JQL: %v", err)
	}
	var last BulkProgress
	calls := 0
	res, err := n.e.SyncJQL(w.ctx, req, func(p BulkProgress) { last = p; calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 3 || res.Done != 3 || res.Failed != 0 || calls != 4 || last.Done != 3 {
		t.Fatalf("result %+v after %d reports", res, calls)
	}
	if got := len(w.issues("AB")); got != 3 {
		t.Errorf("%d issues on AB, want 3", got)
	}
	// Again: the twins exist, so they are only marked dirty and reconciled (no duplicates).
	res, err = n.e.SyncJQL(w.ctx, req, nil)
	if err != nil || res.Done != 3 {
		t.Fatalf("second run %+v %v", res, err)
	}
	if got := len(w.issues("AB")); got != 3 {
		t.Errorf("%d issues on AB after a second bulk sync, want 3", got)
	}
	// With a queue, twins are handed over instead.
	q := &decideEnqueuer{}
	n.e.Enqueuer = q
	req.Reconcile = false
	if res, err = n.e.SyncJQL(w.ctx, req, nil); err != nil || res.Done != 3 || len(q.twins) != 3 {
		t.Errorf("queued run %+v %v, enqueued %v", res, err, q.twins)
	}
}
