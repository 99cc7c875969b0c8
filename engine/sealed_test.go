package engine

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jira"
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
			mSummary = "MARKSUMMARY-7f3a"
			mDesc    = "MARKDESC-91c2"
			mCustom  = "MARKCUSTOM-5d10"
			mEnv     = "MARKENV-aa01"
			mComment = "MARKCOMMENT-0b7e"
			mFile    = "MARKFILE-3c44.txt"
			mBytes   = "MARKBYTES-e19d"
			mBack    = "MARKBACK-2f6b"
			mReply   = "MARKREPLY-77aa"
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
		w.settle()
		back := w.get("A", src.Key)
		if d, _ := back.Description(); d != mBack+" fixed by reseating" {
			t.Errorf("A's description = %q", d)
		}
		if st := statusOf(back); st != target.To.Name {
			t.Errorf("A's status = %q, want %q", st, target.To.Name)
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
		for _, m := range []string{mSummary, mDesc, mCustom, mEnv, mComment, mFile, mBytes, mBack, mReply, "markerlabel", "printer", src.Key} {
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
