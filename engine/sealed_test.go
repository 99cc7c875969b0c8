package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/seal"
)

// sealedWorld is A <-> AB <-> B with the relay sealed: in the split topology node A and node B
// trust each other's keys, in the single one the node trusts its own.
type sealedWorld struct {
	*simWorld
	nodes []*syncNode
	split bool
}

func sealedRules() Rules {
	r := DefaultRules()
	r.Worklogs.Enabled = true
	r.Fields = append(r.Fields, FieldRule{Name: "ref", Kind: KindText, Local: "customfield_10100", Remote: "customfield_10100"},
		FieldRule{Name: "environment", Kind: KindText, Local: "environment", Remote: "environment"})
	return r
}

func newSealedWorld(t *testing.T, split bool) *sealedWorld {
	t.Helper()
	w := &sealedWorld{simWorld: newSimWorld(t), split: split}
	if split {
		w.nodes = []*syncNode{w.newNode(sealedRules(), nil, [2]string{"A", "AB"}), w.newNode(sealedRules(), nil, [2]string{"B", "AB"})}
	} else {
		w.nodes = []*syncNode{w.newNode(sealedRules(), nil, [2]string{"A", "AB"}, [2]string{"B", "AB"})}
	}
	pubs := make([]seal.Public, len(w.nodes))
	for i, n := range w.nodes {
		id, err := EnsureSealIdentity(w.ctx, n.db, w.sealer, "")
		if err != nil {
			t.Fatal(err)
		}
		if pubs[i], err = seal.ParsePublic(id.Public); err != nil {
			t.Fatal(err)
		}
	}
	for i, n := range w.nodes {
		partner := pubs[len(pubs)-1-i]
		for _, c := range n.conns {
			if err := SealConnection(w.ctx, n.db, c.ID, partner); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w
}

func (w *sealedWorld) settle() { w.t.Helper(); settle(w.t, w.nodes...) }

// nodeOf is the node holding the connection of a private instance.
func (w *sealedWorld) nodeOf(inst string) *syncNode {
	if !w.split || inst == "A" {
		return w.nodes[0]
	}
	return w.nodes[1]
}

// abText is everything AB holds and was told, as one string: the request log's bodies and
// queries, and every issue with all fields, properties, comments, history and attachments
// (names and bytes).
func (w *sealedWorld) abText() string {
	w.t.Helper()
	var b strings.Builder
	for _, e := range w.sim.Instance("AB").Log().Entries() {
		b.WriteString(e.Path + "?" + e.Query + "\n" + e.Body + "\n")
	}
	admin := w.human("AB", "admin")
	hits, err := admin.SearchAll(w.ctx, jira.SearchQuery{JQL: "ORDER BY key", Fields: []string{"*all"}, Properties: []string{"*all"},
		Expand: []string{"changelog", "renderedFields"}}, jira.SearchAllOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, h := range hits {
		raw, _ := json.Marshal(h)
		b.Write(raw)
		for _, a := range issueFiles(&h) {
			r, err := admin.DownloadAttachment(w.ctx, a.Content)
			if err != nil {
				w.t.Fatal(err)
			}
			data, _ := io.ReadAll(r)
			r.Close()
			b.Write(data)
		}
	}
	return b.String()
}

func issueFiles(is *jira.Issue) []jira.Attachment {
	as, _ := is.Attachments()
	return as
}

func TestSealedRelayCarriesPlaintextEndToEnd(t *testing.T) {
	topologies(t, func(t *testing.T, split bool) {
		w := newSealedWorld(t, split)
		const (
			mSummary   = "MARKSUMMARY-7f3a"
			mDesc      = "MARKDESC-91c2"
			mCustom    = "MARKCUSTOM-5d10"
			mEnv       = "MARKENV-aa01"
			mComment   = "MARKCOMMENT-0b7e"
			mFile      = "MARKFILE-3c44.txt"
			mBytes     = "MARKBYTES-e19d"
			mBack      = "MARKBACK-2f6b"
			mReply     = "MARKREPLY-77aa"
			mBackFile  = "MARKBACKFILE-41d0.csv"
			mWorklog   = "MARKWORKLOG-6a1f"
			mBackBytes = "MARKBACKBYTES-9e2c"
		)
		src := w.createIssue("A", map[string]any{"summary": mSummary + " printer", "description": mDesc + " jams",
			"customfield_10100": mCustom, "environment": mEnv, "labels": []string{"markerlabel"}})
		alice := w.human("A", "alice")
		if _, err := alice.AddComment(w.ctx, src.Key, jira.CommentInput{Body: mComment + " seen twice"}); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.UploadAttachment(w.ctx, src.ID, mFile, strings.NewReader(mBytes+" log lines")); err != nil {
			t.Fatal(err)
		}
		started := jira.Time{Time: time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC)}
		if _, err := alice.AddWorklog(w.ctx, src.Key, jira.WorklogInput{Comment: mWorklog + " replaced the fuser", Started: &started,
			TimeSpentSeconds: 5400}, jira.Estimate{}); err != nil {
			t.Fatal(err)
		}
		w.settle()

		nA := w.nodeOf("A")
		relayKey := nA.peer(src.Key)
		nB := w.nodeOf("B")
		var twB models.Twin
		if nB.db.Where("remote_key = ? AND local_key <> ?", relayKey, src.Key).First(&twB).Error != nil {
			t.Fatalf("no twin of %s on B's connection", relayKey)
		}
		bKey := twB.LocalKey
		got := w.get("B", bKey)
		if s, _ := got.Summary(); s != mSummary+" printer" {
			t.Fatalf("B's summary = %q", s)
		}
		if d, _ := got.Description(); d != mDesc+" jams" {
			t.Errorf("B's description = %q", d)
		}
		if v := fieldString(got, "customfield_10100"); v != mCustom {
			t.Errorf("B's custom field = %q", v)
		}
		if l, _ := got.Labels(); len(l) != 1 || l[0] != "markerlabel" {
			t.Errorf("B's labels = %v", l)
		}
		cs, err := w.human("B", "admin").Comments(w.ctx, bKey, jira.CommentOptions{})
		if err != nil || len(cs) != 1 || !strings.Contains(cs[0].Body, mComment) {
			t.Fatalf("B's comments = %+v, %v", cs, err)
		}
		wls, err := w.human("B", "admin").Worklogs(w.ctx, bKey)
		if err != nil || len(wls) != 1 || !strings.Contains(wls[0].Comment, mWorklog) || wls[0].TimeSpentSeconds != 5400 ||
			!wls[0].Started.Equal(started.Time) {
			t.Errorf("B's worklogs = %+v, %v", wls, err)
		}
		as := issueFiles(got)
		if len(as) != 1 || as[0].Filename != mFile {
			t.Fatalf("B's attachments = %+v", as)
		}
		r, err := w.human("B", "admin").DownloadAttachment(w.ctx, as[0].Content)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(r)
		r.Close()
		if string(data) != mBytes+" log lines" {
			t.Errorf("B's attachment bytes = %q", data)
		}

		// Back from B: an edit, a status change and a reply.
		w.edit("B", bKey, map[string]any{"description": mBack + " fixed by reseating"})
		bob := w.human("B", "alice")
		ts, err := bob.Transitions(w.ctx, bKey, false)
		if err != nil || len(ts) == 0 {
			t.Fatalf("transitions on B: %v %v", ts, err)
		}
		target := ts[0]
		if err := bob.DoTransition(w.ctx, bKey, jira.TransitionInput{ID: target.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.AddComment(w.ctx, bKey, jira.CommentInput{Body: mReply + " done"}); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.UploadAttachment(w.ctx, got.ID, mBackFile, strings.NewReader(mBackBytes)); err != nil {
			t.Fatal(err)
		}
		w.settle()
		back := w.get("A", src.Key)
		if d, _ := back.Description(); d != mBack+" fixed by reseating" {
			t.Errorf("A's description = %q", d)
		}
		if st := statusOf(back); st != target.To.Name {
			t.Errorf("A's status = %q, want %q", st, target.To.Name)
		}
		var backFile *jira.Attachment
		for _, a := range issueFiles(back) {
			if a.Filename == mBackFile {
				backFile = &a
			}
		}
		if backFile == nil {
			t.Errorf("A's attachments lack B's %s: %+v", mBackFile, issueFiles(back))
		} else if r, err := alice.DownloadAttachment(w.ctx, backFile.Content); err != nil {
			t.Error(err)
		} else {
			data, _ := io.ReadAll(r)
			r.Close()
			if string(data) != mBackBytes {
				t.Errorf("A's copy of B's file = %q", data)
			}
		}
		cs, _ = alice.Comments(w.ctx, src.Key, jira.CommentOptions{})
		if len(cs) != 2 || !strings.Contains(cs[1].Body, mReply) {
			t.Errorf("A's comments = %+v", cs)
		}
		// AB's status never moved, and AB holds no plaintext byte of what was shared.
		ab := w.get("AB", relayKey)
		if st := statusOf(ab); st == target.To.Name && st != "To Do" {
			t.Errorf("AB's status moved to %q", st)
		}
		if s, _ := ab.Summary(); !strings.HasPrefix(s, sealedSummaryPrefix) {
			t.Errorf("AB's summary = %q", s)
		}
		text := w.abText()
		for _, m := range []string{mSummary, mDesc, mCustom, mEnv, mComment, mFile, mBytes, mBack, mReply, mBackFile, mBackBytes, mWorklog, "markerlabel", "printer", src.Key} {
			if strings.Contains(text, m) {
				i := strings.Index(text, m)
				t.Errorf("AB holds the plaintext %q: ...%s...", m, text[max(0, i-120):min(len(text), i+60)])
			}
		}
		for _, n := range w.nodes {
			var open int64
			n.db.Model(&models.Twin{}).Where("last_error <> ''").Count(&open)
			if open != 0 {
				var tws []models.Twin
				n.db.Where("last_error <> ''").Find(&tws)
				t.Errorf("twins with errors: %+v", tws)
			}
		}
	})
}

var _ = bytes.NewReader

// TestSealedRelayRefusesTamperedEnvelopes changes AB behind the nodes' backs, one way per
// issue: an altered envelope, an envelope signed by a key nobody trusts, an older envelope put
// back, a deleted envelope. Each is a data error on that twin with the reason in words, B's
// issue is not written, and another twin keeps syncing.
func TestSealedRelayRefusesTamperedEnvelopes(t *testing.T) {
	w := newSealedWorld(t, true)
	nA, nB := w.nodes[0], w.nodes[1]
	admin := w.human("AB", "admin")
	type tc struct {
		name   string
		reason string
		tamper func(abKey string, slot string, old json.RawMessage)
	}
	idA, _ := nA.db.CurrentIdentity(w.ctx)
	slotA := slotKey(idA.Fingerprint) + "." + ConnectionKey(nA.insts["A"], nA.insts["AB"], nA.conns[0])
	stranger, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	put := func(key, prop string, v any) {
		t.Helper()
		if err := admin.SetProperty(w.ctx, key, prop, v); err != nil {
			t.Fatal(err)
		}
	}
	var donor *jira.CreatedIssue
	cases := []tc{
		{"altered", "the signature does not match", func(k, slot string, _ json.RawMessage) {
			raw, err := admin.GetProperty(w.ctx, k, slot)
			if err != nil {
				t.Fatal(err)
			}
			var sv slotValue
			if err := json.Unmarshal(raw, &sv); err != nil {
				t.Fatal(err)
			}
			sv.Env.CT[len(sv.Env.CT)/2] ^= 1
			put(k, slot, sv)
		}},
		{"foreign key", "not signed by a key this node trusts", func(k, _ string, _ json.RawMessage) {
			doc, _ := json.Marshal(sealedDoc{V: sealedFormat, Issue: "forged", E: map[string]stamped{
				entryField + "summary": {V: json.RawMessage(`"forged summary"`), S: 99, W: "X"}}})
			env, err := seal.Seal(stranger, []seal.Public{stranger.Public()}, seal.KindState, "forged", 99, doc)
			if err != nil {
				t.Fatal(err)
			}
			put(k, slotKey(stranger.Public().Fingerprint())+".0000", slotValue{Env: env})
		}},
		{"replayed", "older than version", func(k, slot string, old json.RawMessage) {
			put(k, slot, old)
		}},
		{"deleted", "deleted on the relay", func(k, slot string, _ json.RawMessage) {
			if err := admin.DeleteProperty(w.ctx, k, slot); err != nil {
				t.Fatal(err)
			}
		}},
		{"blanked", "it holds no sealed state", func(k, _ string, _ json.RawMessage) {
			// Every slot removed and the summary changed: read as empty, it would blank B's issue.
			is, err := admin.GetIssue(w.ctx, k, jira.GetIssueOptions{Fields: []string{"summary"}, Properties: []string{"*all"}})
			if err != nil {
				t.Fatal(err)
			}
			for p := range is.Properties {
				if strings.HasPrefix(p, sealedPropPrefix) {
					if err := admin.DeleteProperty(w.ctx, k, p); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := admin.UpdateIssue(w.ctx, k, jira.IssueInput{Fields: map[string]any{"summary": "plain now"}}, jira.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}},
		{"moved", "belongs to another twin", func(k, _ string, _ json.RawMessage) {
			// Another issue's slots and summary copied onto this one.
			from := nA.peer(donor.Key)
			is, err := admin.GetIssue(w.ctx, from, jira.GetIssueOptions{Fields: []string{"summary"}, Properties: []string{"*all"}})
			if err != nil {
				t.Fatal(err)
			}
			for p, raw := range is.Properties {
				if strings.HasPrefix(p, sealedPropPrefix) {
					put(k, p, raw)
				}
			}
			sum, _ := is.Summary()
			if err := admin.UpdateIssue(w.ctx, k, jira.IssueInput{Fields: map[string]any{"summary": sum}}, jira.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	type issue struct{ a, ab, b string }
	made := map[string]issue{}
	for _, c := range cases {
		src := w.createIssue("A", map[string]any{"summary": "tamper " + c.name, "description": "v1"})
		made[c.name] = issue{a: src.Key}
	}
	calm := w.createIssue("A", map[string]any{"summary": "calm", "description": "v1"})
	donor = w.createIssue("A", map[string]any{"summary": "donor", "description": "donor's content"})
	w.settle()
	olds := map[string]json.RawMessage{}
	for _, c := range cases {
		is := made[c.name]
		is.ab = nA.peer(is.a)
		is.b = nB.peer(is.ab)
		made[c.name] = is
		raw, err := admin.GetProperty(w.ctx, is.ab, slotA)
		if err != nil {
			t.Fatal(err)
		}
		olds[c.name] = raw
		w.edit("A", is.a, map[string]any{"description": "v2"})
	}
	w.settle()
	for _, c := range cases {
		if d, _ := w.get("B", made[c.name].b).Description(); d != "v2" {
			t.Fatalf("%s: B has %q before the tampering", c.name, d)
		}
	}
	bWrites := len(w.sim.Instance("B").Log().Entries())
	for _, c := range cases {
		is := made[c.name]
		c.tamper(is.ab, slotA, olds[c.name])
		// AB's admin also touches the issue, so that the nodes read it again.
		if err := admin.UpdateIssue(w.ctx, is.ab, jira.IssueInput{Fields: map[string]any{"description": "touched on AB"}}, jira.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	w.edit("A", calm.Key, map[string]any{"description": "calm v2"})
	for _, n := range w.nodes {
		n.expect = func(err error) bool { c := ClassOf(err); return c == models.ClassData || c == models.ClassConfig }
	}
	w.settle()
	if d, _ := w.get("B", nB.peer(nA.peer(calm.Key))).Description(); d != "calm v2" {
		t.Errorf("the calm twin stopped syncing: B has %q", d)
	}
	for _, c := range cases {
		is := made[c.name]
		tw := nB.twinOf(is.b)
		if tw.State != models.TwinQuarantined || !strings.Contains(tw.LastError, c.reason) || !strings.Contains(tw.LastError, is.ab) {
			t.Errorf("%s: B's twin is %s with error %q, want a data error naming %s and saying %q", c.name, tw.State, tw.LastError, is.ab, c.reason)
		}
		if d, _ := w.get("B", is.b).Description(); d != "v2" {
			t.Errorf("%s: B's issue was written: %q", c.name, d)
		}
	}
	tampered := map[string]bool{}
	for _, c := range cases {
		tampered[w.get("B", made[c.name].b).ID] = true
	}
	for _, e := range w.sim.Instance("B").Log().Entries()[bWrites:] {
		if e.User == "airlock" && e.Method != "GET" {
			for id := range tampered {
				if strings.Contains(e.Path, "/issue/"+id) {
					t.Errorf("B's tampered issue %s was written: %s %s %s", id, e.Method, e.Path, e.Body)
				}
			}
		}
	}
}

// TestSealedAndPlaintextNodesRefuseEachOther: node A seals, node B does not. Neither copies the
// other's issues, both say why, and neither private side is written.
func TestSealedAndPlaintextNodesRefuseEachOther(t *testing.T) {
	w := newSealedWorld(t, true)
	nA, nB := w.nodes[0], w.nodes[1]
	nB.db.Model(&models.Connection{}).Where("id = ?", nB.conns[0].ID).Update("sealed", false)
	for _, n := range w.nodes {
		n.expect = func(err error) bool { return ClassOf(err) == models.ClassConfig }
	}
	fromA := w.createIssue("A", map[string]any{"summary": "sealed on the way out"})
	fromB := w.createIssue("B", map[string]any{"summary": "plaintext on the way out"})
	w.settle()
	if n := len(w.issues("B")); n != 1 {
		t.Errorf("B has %d issues, want only its own", n)
	}
	if n := len(w.issues("A")); n != 1 {
		t.Errorf("A has %d issues, want only its own", n)
	}
	var twB models.Twin
	nB.db.Where("local_key <> ?", fromB.Key).First(&twB)
	if !strings.Contains(twB.LastError, "is sealed by Airlock but this connection is not sealed") {
		t.Errorf("node B's error = %q", twB.LastError)
	}
	var twA models.Twin
	nA.db.Where("local_key <> ?", fromA.Key).First(&twA)
	if !strings.Contains(twA.LastError, "plaintext issue where this sealed connection expects a sealed one") {
		t.Errorf("node A's error = %q", twA.LastError)
	}
}

// TestSealedRelayKeyRotation rotates node B's identity while changes flow both ways: node A
// learns B's new key from the announcement signed by the old one, B reseals its slots, and
// after the overlap (B's old identity retired, A's trust in the old key expired) nothing is lost
// or refused.
func TestSealedRelayKeyRotation(t *testing.T) {
	w := newSealedWorld(t, true)
	nA, nB := w.nodes[0], w.nodes[1]
	x := w.createIssue("A", map[string]any{"summary": "from A", "description": "x1"})
	y := w.createIssue("B", map[string]any{"summary": "from B", "description": "y1"})
	w.settle()
	xB, yA := nB.peer(nB.twinOf(nA.peer(x.Key)).RemoteKey), nA.peer(nA.twinOf(nB.peer(y.Key)).RemoteKey)
	_ = xB
	if _, err := w.human("B", "alice").AddComment(w.ctx, y.Key, jira.CommentInput{Body: "comment under the old key"}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	old, _ := nB.db.CurrentIdentity(w.ctx)
	next, err := RotateSealIdentity(w.ctx, nB.db, w.sealer)
	if err != nil {
		t.Fatal(err)
	}
	// Changes while the rotation is fresh: B writes under its new key first.
	w.edit("B", y.Key, map[string]any{"description": "y2 under the new key"})
	if _, err := w.human("B", "alice").AddComment(w.ctx, y.Key, jira.CommentInput{Body: "comment under the new key"}); err != nil {
		t.Fatal(err)
	}
	w.edit("A", x.Key, map[string]any{"description": "x2"})
	w.settle()
	if d, _ := w.get("A", yA).Description(); d != "y2 under the new key" {
		t.Fatalf("A has %q: B's write under its new key did not arrive", d)
	}
	if cs, _ := w.human("A", "admin").Comments(w.ctx, yA, jira.CommentOptions{}); len(cs) != 2 {
		t.Fatalf("A has %d comments, want B's two", len(cs))
	}
	var c models.Connection
	nA.db.First(&c, nA.conns[0].ID)
	ring, _ := SealKeyring(&c)
	states := map[string]string{}
	for _, k := range ring.Keys {
		states[k.Public.Fingerprint()] = k.State
	}
	if states[next.Fingerprint] != seal.StateActive || states[old.Fingerprint] != seal.StateOverlap {
		t.Fatalf("A's keyring after the announcement: %v (new %s, old %s)", states, next.Fingerprint, old.Fingerprint)
	}
	n, err := nB.e.Reseal(w.ctx)
	if err != nil || n == 0 {
		t.Fatalf("reseal: %d, %v", n, err)
	}
	// After the overlap.
	later := time.Now().Add(seal.DefaultOverlap + 24*time.Hour)
	for _, n := range w.nodes {
		n.e.Now = func() time.Time { return later }
	}
	if n, err := RetireSealIdentities(w.ctx, nB.db, later.Add(-seal.DefaultOverlap)); err != nil || n != 1 {
		t.Fatalf("retire: %d, %v", n, err)
	}
	w.edit("A", yA, map[string]any{"description": "y3 after the overlap"})
	w.edit("B", xB, map[string]any{"description": "x3 after the overlap"})
	if _, err := w.human("A", "alice").AddComment(w.ctx, x.Key, jira.CommentInput{Body: "comment after the overlap"}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	// B's comment under the old key is still read (it was accepted before), and a new one under
	// the old key would not be: A no longer trusts it.
	w.edit("B", y.Key, map[string]any{"description": "y4"})
	w.settle()
	if d, _ := w.get("A", yA).Description(); d != "y4" {
		t.Errorf("A has %q on %s", d, yA)
	}
	if d, _ := w.get("B", y.Key).Description(); d != "y4" {
		t.Errorf("B has %q", d)
	}
	if d, _ := w.get("A", x.Key).Description(); d != "x3 after the overlap" {
		t.Errorf("A has %q", d)
	}
	if cs, _ := w.human("B", "admin").Comments(w.ctx, xB, jira.CommentOptions{}); len(cs) != 1 {
		t.Errorf("B has %d comments on %s, want A's one", len(cs), xB)
	}
	for _, n := range w.nodes {
		var bad []models.Twin
		n.db.Where("last_error <> '' OR state = ?", models.TwinQuarantined).Find(&bad)
		for _, tw := range bad {
			t.Errorf("twin %d (%s/%s): %s", tw.ID, tw.LocalKey, tw.RemoteKey, tw.LastError)
		}
	}
}

// TestSealedRelayCostsNoMoreCallsPerChange compares the Jira calls of one field change, one
// comment and one status change through a sealed and a plaintext relay: sealing may add at most
// one call per change per hop (issue 15, Deliver 4).
func TestSealedRelayCostsNoMoreCallsPerChange(t *testing.T) {
	calls := func(sealed bool) map[string]int {
		w := newSealedWorld(t, true)
		if !sealed {
			for _, n := range w.nodes {
				n.db.Model(&models.Connection{}).Where("1 = 1").Update("sealed", false)
			}
		}
		src := w.createIssue("A", map[string]any{"summary": "cost", "description": "d1"})
		w.settle()
		out := map[string]int{}
		count := func(what string, change func()) {
			w.clearLogs()
			change()
			w.settle()
			for _, inst := range []string{"A", "AB", "B"} {
				for _, e := range w.sim.Instance(inst).Log().Entries() {
					if e.User == "airlock" && !strings.Contains(e.Path, "/search") && !strings.Contains(e.Path, "/myself") &&
						!strings.Contains(e.Path, "/serverInfo") {
						out[what]++
					}
				}
			}
		}
		count("field", func() { w.edit("A", src.Key, map[string]any{"description": "d2"}) })
		count("comment", func() {
			if _, err := w.human("A", "alice").AddComment(w.ctx, src.Key, jira.CommentInput{Body: "hello"}); err != nil {
				t.Fatal(err)
			}
		})
		count("status", func() {
			ts, _ := w.human("A", "alice").Transitions(w.ctx, src.Key, false)
			if err := w.human("A", "alice").DoTransition(w.ctx, src.Key, jira.TransitionInput{ID: ts[0].ID}); err != nil {
				t.Fatal(err)
			}
		})
		return out
	}
	plain, sealed := calls(false), calls(true)
	for _, what := range []string{"field", "comment", "status"} {
		t.Logf("%s: plaintext %d calls, sealed %d (two hops)", what, plain[what], sealed[what])
		if sealed[what] > plain[what]+2 {
			t.Errorf("%s: sealed %d calls, plaintext %d: more than one more per hop", what, sealed[what], plain[what])
		}
	}
}

// TestSealedRelayCarriesLinksAsEnvelopes: "A-1 blocks A-2" arrives on B in that direction, its
// removal travels, and a link made on B travels back, while AB holds no Jira link at all.
func TestSealedRelayCarriesLinksAsEnvelopes(t *testing.T) {
	topologies(t, func(t *testing.T, split bool) {
		w := newSealedWorld(t, split)
		for _, n := range w.nodes {
			for _, c := range n.conns {
				r := sealedRules()
				r.Links.Enabled = true
				doc, _ := json.Marshal(r)
				n.db.Model(&models.Connection{}).Where("id = ?", c.ID).Update("rules", string(doc))
			}
		}
		a1 := w.createIssue("A", map[string]any{"summary": "Blocker"}).Key
		a2 := w.createIssue("A", map[string]any{"summary": "Blocked"}).Key
		w.settle()
		bOf := func(a string) (string, string) {
			ab := w.nodeOf("A").peer(a)
			var tw models.Twin
			if w.nodeOf("B").db.Where("remote_key = ? AND local_key <> ?", ab, a).First(&tw).Error != nil {
				t.Fatalf("%s did not reach B", a)
			}
			return ab, tw.LocalKey
		}
		ab1, b1 := bOf(a1)
		ab2, b2 := bOf(a2)
		w.makeLink("A", a1, "Blocks", a2)
		w.settle()
		w.wantLinks("B", b1, "Blocks>"+b2)
		w.wantLinks("B", b2, "Blocks<"+b1)
		w.wantLinks("AB", ab1)
		w.wantLinks("AB", ab2)

		if err := w.human("B", "alice").DeleteIssueLink(w.ctx, w.linkIDOn("B", b1, "Blocks", b2)); err != nil {
			t.Fatal(err)
		}
		w.settle()
		w.wantLinks("A", a1)
		w.wantLinks("A", a2)

		w.makeLink("B", b2, "Relates", b1)
		w.settle()
		w.wantLinks("A", a2, "Relates>"+a1)
		w.wantLinks("A", a1, "Relates<"+a2)
		w.wantLinks("AB", ab1)
		for _, e := range w.sim.Instance("AB").Log().Entries() {
			if strings.Contains(e.Path, "/issueLink") && !strings.Contains(e.Path, "/issueLinkType") {
				t.Errorf("a Jira link call reached AB: %s %s", e.Method, e.Path)
			}
		}
		for _, n := range w.nodes {
			var bad []models.Twin
			n.db.Where("last_error <> ''").Find(&bad)
			for _, tw := range bad {
				t.Errorf("twin %d: %s", tw.ID, tw.LastError)
			}
		}
	})
}

// TestSealedRelayCarriesALargeStateInAFile: a 30 KB description (Jira keeps 32,767 characters) does not fit an issue property
// once sealed; the state goes into a .sealed file on AB, travels both ways and replaces its old
// file, and AB still holds no plaintext.
func TestSealedRelayCarriesALargeStateInAFile(t *testing.T) {
	w := newSealedWorld(t, true)
	big := strings.Repeat("MARKLARGE-0c9d line of a long log\n", 850) // under Jira's 32,767 characters
	src := w.createIssue("A", map[string]any{"summary": "large", "description": big})
	w.settle()
	nA, nB := w.nodes[0], w.nodes[1]
	ab := nA.peer(src.Key)
	var tw models.Twin
	if nB.db.Where("remote_key = ?", ab).First(&tw).Error != nil {
		t.Fatal("the large issue did not reach B")
	}
	if d, _ := w.get("B", tw.LocalKey).Description(); d != strings.TrimRight(big, "\n") && d != big {
		t.Fatalf("B's description has %d bytes, want %d", len(d), len(big))
	}
	w.edit("B", tw.LocalKey, map[string]any{"description": big + "one more line from B"})
	w.settle()
	if d, _ := w.get("A", src.Key).Description(); !strings.HasSuffix(d, "one more line from B") {
		t.Errorf("A's description ends %q", d[max(0, len(d)-40):])
	}
	files := 0
	for _, a := range issueFiles(w.get("AB", ab)) {
		if strings.HasSuffix(a.Filename, sealedStateFileSuffix) {
			files++
		}
	}
	if files == 0 || files > 2 {
		t.Errorf("AB holds %d state files, want one per writing node", files)
	}
	if text := w.abText(); strings.Contains(text, "MARKLARGE") || strings.Contains(text, "one more line") {
		t.Error("AB holds the plaintext of the large state")
	}
	for _, n := range w.nodes {
		var bad []models.Twin
		n.db.Where("last_error <> ''").Find(&bad)
		for _, tw := range bad {
			t.Errorf("twin %d: %s", tw.ID, tw.LastError)
		}
	}
}

// TestSealedRelayTellsARelayDeletionFromANodeDeletion: a comment written and deleted on B is
// deleted on A too; a comment deleted by AB's admin is a data error on the twin.
func TestSealedRelayTellsARelayDeletionFromANodeDeletion(t *testing.T) {
	w := newSealedWorld(t, true)
	nA, nB := w.nodes[0], w.nodes[1]
	alice := w.human("A", "alice")
	one := w.createIssue("A", map[string]any{"summary": "user deletes"})
	two := w.createIssue("A", map[string]any{"summary": "relay deletes"})
	if _, err := alice.AddComment(w.ctx, two.Key, jira.CommentInput{Body: "keep"}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	bOne := nB.peer(nA.peer(one.Key))
	if _, err := w.human("B", "alice").AddComment(w.ctx, bOne, jira.CommentInput{Body: "written on B, then deleted"}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	if cs, _ := alice.Comments(w.ctx, one.Key, jira.CommentOptions{}); len(cs) != 1 {
		t.Fatalf("B's comment did not reach A: %d", len(cs))
	}
	bc, _ := w.human("B", "admin").Comments(w.ctx, bOne, jira.CommentOptions{})
	if len(bc) != 1 {
		t.Fatalf("B has %d comments", len(bc))
	}
	if err := w.human("B", "admin").DeleteComment(w.ctx, bOne, bc[0].ID); err != nil {
		t.Fatal(err)
	}
	abTwo := nA.peer(two.Key)
	admin := w.human("AB", "admin")
	ac, _ := admin.Comments(w.ctx, abTwo, jira.CommentOptions{})
	if len(ac) != 1 {
		t.Fatalf("AB has %d comments on %s", len(ac), abTwo)
	}
	if err := admin.DeleteComment(w.ctx, abTwo, ac[0].ID); err != nil {
		t.Fatal(err)
	}
	for _, n := range w.nodes {
		n.expect = func(err error) bool { return ClassOf(err) == models.ClassData }
	}
	w.settle()
	if cs, _ := alice.Comments(w.ctx, one.Key, jira.CommentOptions{}); len(cs) != 0 {
		t.Errorf("the comment deleted on B is still on A: %d", len(cs))
	}
	tw := nA.twinOf(two.Key)
	if tw.State != models.TwinQuarantined || !strings.Contains(tw.LastError, "deleted on the relay, not by a node") {
		t.Errorf("node A's twin of %s: %s %q", two.Key, tw.State, tw.LastError)
	}
	if tw := nA.twinOf(one.Key); tw.LastError != "" {
		t.Errorf("node A's twin of %s: %q", one.Key, tw.LastError)
	}
}

// A failed write of a slot is not taken as accepted: the retry reads the slot Jira still holds
// without calling it a replay.
func TestSealedSlotWriteFailureIsNoReplay(t *testing.T) {
	w := newSealedWorld(t, true)
	src := w.createIssue("A", map[string]any{"summary": "flaky", "description": "d1"})
	w.settle()
	w.edit("A", src.Key, map[string]any{"description": "d2"})
	k := w.sim.Instance("AB").Knobs()
	k.Update(func(s *jirasim.KnobSettings) { s.FaultEndpoint = "PUT /rest/api/2/issue/{id}" })
	k.FailNext(8, 503) // beyond the client's retries: the reconcile fails transiently
	for _, n := range w.nodes {
		n.expect = func(err error) bool { return ClassOf(err) == models.ClassTransient }
	}
	w.nodes[0].pollAll()
	w.nodes[0].reconcileDirty()
	k.Update(func(s *jirasim.KnobSettings) { s.FaultEndpoint, s.FailNext = "", 0 })
	for _, n := range w.nodes {
		n.expect = nil
		n.db.Model(&models.Twin{}).Where("1 = 1").Update("next_attempt_at", nil)
	}
	w.settle()
	nA, nB := w.nodes[0], w.nodes[1]
	if d, _ := w.get("B", nB.peer(nA.peer(src.Key))).Description(); d != "d2" {
		t.Errorf("B has %q", d)
	}
	if tw := nA.twinOf(src.Key); tw.LastError != "" || tw.State != models.TwinActive {
		t.Errorf("node A's twin: %s %q", tw.State, tw.LastError)
	}
}

// In the single topology one node writes the same relay issue for both connections; runs of the
// two twins at the same moment must neither overwrite each other nor look replayed.
func TestSealedSingleNodeConcurrentRunsOnOneRelayIssue(t *testing.T) {
	w := newSealedWorld(t, false)
	n := w.nodes[0]
	src := w.createIssue("A", map[string]any{"summary": "both ways at once", "description": "d0", "environment": "e0"})
	w.settle()
	var twB models.Twin
	ab := n.peer(src.Key)
	n.db.Where("remote_key = ? AND local_key <> ?", ab, src.Key).First(&twB)
	for round := 1; round <= 5; round++ {
		w.edit("A", src.Key, map[string]any{"description": fmt.Sprintf("d%d from A", round)})
		w.edit("B", twB.LocalKey, map[string]any{"environment": fmt.Sprintf("e%d from B", round)})
		n.pollAll()
		var twins []models.Twin
		n.db.Where("dirty = ?", true).Find(&twins)
		var wg sync.WaitGroup
		for _, tw := range twins {
			wg.Add(1)
			go func(id uint) {
				defer wg.Done()
				if err := n.e.Reconcile(w.ctx, id); err != nil && !errors.Is(err, ErrTwinBusy) {
					t.Errorf("round %d, twin %d: %v", round, id, err)
				}
			}(tw.ID)
		}
		wg.Wait()
		w.settle()
		if d, _ := w.get("B", twB.LocalKey).Description(); d != fmt.Sprintf("d%d from A", round) {
			t.Errorf("round %d: B's description %q", round, d)
		}
		if e, _ := w.get("A", src.Key).Environment(); e != fmt.Sprintf("e%d from B", round) {
			t.Errorf("round %d: A's environment %q", round, e)
		}
	}
}

// After node A revokes node B's key, nothing B writes is applied on A, and A's twin says why.
func TestSealedRelayRefusesARevokedKey(t *testing.T) {
	w := newSealedWorld(t, true)
	nA, nB := w.nodes[0], w.nodes[1]
	src := w.createIssue("A", map[string]any{"summary": "revoked", "description": "d1"})
	w.settle()
	idB, _ := nB.db.CurrentIdentity(w.ctx)
	var c models.Connection
	nA.db.First(&c, nA.conns[0].ID)
	ring, _ := SealKeyring(&c)
	if err := ring.Revoke(idB.Fingerprint, time.Now(), "lost laptop"); err != nil {
		t.Fatal(err)
	}
	if err := SetSealKeyring(&c, ring); err != nil {
		t.Fatal(err)
	}
	nA.db.Model(&c).Update("seal_keyring", c.SealKeyring)
	w.edit("B", nB.peer(nA.peer(src.Key)), map[string]any{"description": "from a revoked key"})
	for _, n := range w.nodes {
		n.expect = func(err error) bool { return ClassOf(err) == models.ClassData || ClassOf(err) == models.ClassConfig }
	}
	w.settle()
	if d, _ := w.get("A", src.Key).Description(); d != "d1" {
		t.Errorf("A applied a write under a revoked key: %q", d)
	}
	// With its only partner key revoked, the connection polls nothing from the relay and says why.
	if _, err := nA.e.Poll(w.ctx, nA.conns[0].ID, models.SideRemote); err == nil || !strings.Contains(err.Error(), "was revoked: nothing signed by it is applied") {
		t.Errorf("poll of the relay: %v", err)
	}
	// With a second partner key trusted (the partner's next key, say), the revoked key's state is
	// still refused on the twin.
	other, _ := seal.Generate()
	if err := SealConnection(w.ctx, nA.db, nA.conns[0].ID, other.Public()); err != nil {
		t.Fatal(err)
	}
	nA.db.Model(&models.Twin{}).Where("1 = 1").Update("dirty", true)
	nA.reconcileDirty()
	if d, _ := w.get("A", src.Key).Description(); d != "d1" {
		t.Errorf("A applied a write under a revoked key: %q", d)
	}
	if tw := nA.twinOf(src.Key); !strings.Contains(tw.LastError, "a key revoked on this connection") {
		t.Errorf("node A's twin: %s %q", tw.State, tw.LastError)
	}
}

// The twin page's snapshot (InspectTwin) of a sealed twin shows the relay side as this node
// decrypted it, with every field agreed, not AB's neutral summary.
func TestSealedTwinSnapshotShowsThePlaintext(t *testing.T) {
	w := newSealedWorld(t, true)
	nA := w.nodes[0]
	src := w.createIssue("A", map[string]any{"summary": "seen through the seal", "description": "inside"})
	w.settle()
	snap, err := nA.e.InspectTwin(w.ctx, nA.twinOf(src.Key).ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Remote.Err != nil {
		t.Fatalf("relay side: %v", snap.Remote.Err)
	}
	if got := snap.Remote.Shared["summary"]; got != "seen through the seal" {
		t.Errorf("relay summary on the twin page = %q", got)
	}
	if got := snap.Remote.Shared["description"]; got != "inside" {
		t.Errorf("relay description on the twin page = %q", got)
	}
	for _, f := range snap.Fields {
		if f.Local != f.Remote {
			t.Errorf("field %s: local %q, relay %q", f.Name, f.Local, f.Remote)
		}
	}
}

// A comment's older envelope put back on AB (after the comment was edited) is refused on the
// twin, and B keeps the edited text.
func TestSealedRelayRefusesAReplayedComment(t *testing.T) {
	w := newSealedWorld(t, true)
	nA, nB := w.nodes[0], w.nodes[1]
	alice, admin := w.human("A", "alice"), w.human("AB", "admin")
	src := w.createIssue("A", map[string]any{"summary": "comment replay"})
	c, err := alice.AddComment(w.ctx, src.Key, jira.CommentInput{Body: "first text"})
	if err != nil {
		t.Fatal(err)
	}
	w.settle()
	ab := nA.peer(src.Key)
	old, _ := admin.Comments(w.ctx, ab, jira.CommentOptions{})
	if len(old) != 1 {
		t.Fatalf("AB has %d comments", len(old))
	}
	if _, err := alice.UpdateComment(w.ctx, src.Key, c.ID, jira.CommentInput{Body: "edited text"}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	bKey := nB.peer(ab)
	if cs, _ := w.human("B", "admin").Comments(w.ctx, bKey, jira.CommentOptions{}); len(cs) != 1 || !strings.Contains(cs[0].Body, "edited text") {
		t.Fatalf("B's comments before the replay: %+v", cs)
	}
	if _, err := admin.UpdateComment(w.ctx, ab, old[0].ID, jira.CommentInput{Body: old[0].Body}); err != nil {
		t.Fatal(err)
	}
	for _, n := range w.nodes {
		n.expect = func(err error) bool { return ClassOf(err) == models.ClassData }
	}
	w.settle()
	if cs, _ := w.human("B", "admin").Comments(w.ctx, bKey, jira.CommentOptions{}); len(cs) != 1 || !strings.Contains(cs[0].Body, "edited text") {
		t.Errorf("B's comments after the replay: %+v", cs)
	}
	if tw := nB.twinOf(bKey); !strings.Contains(tw.LastError, "envelope of comment") || !strings.Contains(tw.LastError, "older than version") {
		t.Errorf("node B's twin: %s %q", tw.State, tw.LastError)
	}
}
