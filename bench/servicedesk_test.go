package bench

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// TestVerifyInternalComments builds one service desk chain HELP <-> HELPRELAY <-> SUPPORT by hand
// (the issues, comments and twins a sync would leave) and checks what Verify makes of internal
// comments: kept on A they are fine and excluded from the comparison; a copy that arrived
// internal on A is compared as any comment; an internal note found on AB or B is outside its
// zone; the twin's kept-home count must match; a leaked note in a request body is found.
func TestVerifyInternalComments(t *testing.T) {
	ctx := context.Background()
	var opts []jirasim.Options
	for _, n := range []string{"A", "AB", "B"} {
		opts = append(opts, jirasim.Options{Name: n, Knobs: jirasim.NoIndexLag(), Seed: worldSeed(n)})
	}
	sim, err := jirasim.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	client := func(inst, user string) *jira.Client {
		c, err := jira.New(jira.Config{BaseURL: sim.Instance(inst).URL(), Auth: jira.BasicAuth{User: user, Password: user}, Instance: inst + "-" + user})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	readers := map[string]*jira.Client{"A": client("A", "admin"), "AB": client("AB", "admin"), "B": client("B", "admin")}
	alice, bob := client("A", "alice"), client("B", "bob")
	sync := map[string]*jira.Client{"A": client("A", "airlock"), "AB": client("AB", "airlock"), "B": client("B", "airlock")}

	create := func(inst, project string) *jira.CreatedIssue {
		ci, err := sync[inst].CreateIssue(ctx, jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": project},
			"issuetype": map[string]string{"name": "Task"}, "summary": "printer on fire", "labels": []string{"new"}}})
		if err != nil {
			t.Fatal(err)
		}
		return ci
	}
	help, relay, support := create("A", ServiceProject), create("AB", ServiceRelayProject), create("B", ServiceVendorProject)
	comment := func(c *jira.Client, key, body string, props ...jira.EntityProperty) *jira.Comment {
		cm, err := c.AddComment(ctx, key, jira.CommentInput{Body: body, Properties: props})
		if err != nil {
			t.Fatal(err)
		}
		return cm
	}
	// A person's internal note and public reply on A; the reply copied to AB and B.
	note := comment(alice, help.Key, secretToken(7, "A")+"\nsecond line 1", jira.InternalComment(true))
	reply := comment(alice, help.Key, "public reply 8 on A\nsecond line 2", jira.InternalComment(false))
	comment(sync["AB"], relay.Key, reply.Body)
	comment(sync["B"], support.Key, reply.Body)
	// A person's comment on B, copied to AB and arrived internal on A.
	theirs := comment(bob, support.Key, "comment 9 on B\nsecond line 3")
	comment(sync["AB"], relay.Key, theirs.Body)
	arrived := comment(sync["A"], help.Key, theirs.Body, jira.InternalComment(true))
	// A file added with an internal note stays on A; one a public reply names travels.
	upload := func(c *jira.Client, key, name string) {
		if _, err := c.UploadAttachment(ctx, key, name, strings.NewReader("12345")); err != nil {
			t.Fatal(err)
		}
	}
	ops := NewOps(map[string]*jira.Client{"A": alice, "B": bob}, 1).WithServiceDesk()
	if err := ops.internalNoteFor(ctx, alice, "A", help.Key, 11, "secret.txt"); err != nil {
		t.Fatal(err)
	}
	upload(alice, help.Key, "secret.txt")
	withFile := comment(alice, help.Key, "public reply 12 on A\n[^shared.txt]")
	upload(alice, help.Key, "shared.txt")
	for _, inst := range []string{"AB", "B"} {
		key := relay.Key
		if inst == "B" {
			key = support.Key
		}
		comment(sync[inst], key, withFile.Body)
		upload(sync[inst], key, "shared.txt")
	}
	ops.attachments["secret.txt 5"], ops.attachments["shared.txt 5"] = struct{}{}, struct{}{}

	var ledgers []Ledger
	twins := map[string]*models.Twin{}
	for _, n := range []struct{ name, local, localID, localKey string }{
		{"A", ServiceProject, help.ID, help.Key}, {"B", ServiceVendorProject, support.ID, support.Key}} {
		db, err := models.Open(ctx, models.OpenOptions{SQLitePath: filepath.Join(t.TempDir(), "node.db")})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		rules := ConvergeRules(n.name)
		rj, _ := json.Marshal(rules)
		c := &models.Connection{Name: n.name + "-AB", LocalInstanceID: 1, RemoteInstanceID: 2, LocalProject: n.local, RemoteProject: ServiceRelayProject,
			Rules: string(rj), ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteIgnore, PollIntervalMS: 1000}
		if err := db.Create(c).Error; err != nil {
			t.Fatal(err)
		}
		tw := &models.Twin{ConnectionID: c.ID, SyncID: "s-" + n.name, State: models.TwinActive, LocalIssueID: &n.localID, LocalKey: n.localKey,
			RemoteIssueID: &relay.ID, RemoteKey: relay.Key}
		if n.name == "A" {
			tw.LocalCommentsKeptHome = 2
		}
		if err := db.Create(tw).Error; err != nil {
			t.Fatal(err)
		}
		twins[n.name] = tw
		ledgers = append(ledgers, Ledger{Name: n.name, DB: db, Rules: rules})
	}
	ops.counts["create"] = 1
	for _, x := range []struct {
		inst     string
		cm       *jira.Comment
		internal bool
	}{{"A", note, true}, {"A", reply, false}, {"B", theirs, false}, {"A", withFile, false}} {
		ops.comments[x.inst+"/"+x.cm.ID] = x.cm.Body
		ops.internal[x.inst+"/"+x.cm.ID] = x.internal
	}
	ops.secrets[secretToken(7, "A")] = "A/" + note.ID

	verify := func() *Verdict {
		t.Helper()
		v, err := Verify(ctx, readers, ledgers, ops)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := verify(); !v.OK() || v.Chains != 1 {
		t.Fatalf("the synced state: chains %d, lost %q, duplicates %q, divergent %q, outside %q", v.Chains, v.Lost, v.Duplicates, v.Divergent, v.Outside)
	}

	// The twin page would show a wrong count.
	if err := ledgers[0].DB.Model(&models.Twin{}).Where("id = ?", twins["A"].ID).Update("local_comments_kept_home", 0).Error; err != nil {
		t.Fatal(err)
	}
	if v := verify(); len(v.Divergent) != 1 || !strings.Contains(strings.Join(v.Lost, "\n"), "internal comments kept home") {
		t.Errorf("wrong kept-home count: divergent %q, lost %q", v.Divergent, v.Lost)
	}
	if err := ledgers[0].DB.Model(&models.Twin{}).Where("id = ?", twins["A"].ID).Update("local_comments_kept_home", 2).Error; err != nil {
		t.Fatal(err)
	}

	// The copy that arrived on A turned public: against the rules.
	if err := sync["A"].SetCommentProperty(ctx, arrived.ID, jira.ServiceDeskCommentProperty, map[string]bool{"internal": false}); err != nil {
		t.Fatal(err)
	}
	if v := verify(); !strings.Contains(strings.Join(v.Lost, "\n"), "arrived public") {
		t.Errorf("a copy public on the service project: lost %q", v.Lost)
	}
	if err := sync["A"].SetCommentProperty(ctx, arrived.ID, jira.ServiceDeskCommentProperty, map[string]bool{"internal": true}); err != nil {
		t.Fatal(err)
	}

	// The file of the internal note on AB: outside its zone.
	upload(sync["AB"], relay.Key, "secret.txt")
	if v := verify(); len(v.Outside) != 1 || !strings.HasPrefix(v.Outside[0], "file secret.txt 5 of A: on AB (HELP-1 <-> HELPRELAY-1 <-> SUPPORT-1)") {
		t.Errorf("file of an internal note on AB: outside %q", v.Outside)
	}
	ab, err := readers["AB"].GetIssue(ctx, relay.Key, jira.GetIssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	as, _ := ab.Attachments()
	for _, a := range as {
		if a.Filename == "secret.txt" {
			if err := sync["AB"].DeleteAttachment(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if v := verify(); !v.OK() {
		t.Fatalf("file removed from AB: lost %q, outside %q", v.Lost, v.Outside)
	}

	// The internal note leaks to B (a copy there): outside its zone, one line for the note with
	// every place it is found, the request that carried it included.
	scan := newLeakScanner(sim)
	leaked := comment(sync["B"], support.Key, note.Body)
	v := verify()
	if n := scan.leaks(v, ops); n != 1 {
		t.Errorf("%d request bodies carried the note, want the one POST to B", n)
	}
	want := "internal-note-7-A of A: in a request body: B POST /rest/api/2/issue/" + support.Key + "/comment; on B (HELP-1 <-> HELPRELAY-1 <-> SUPPORT-1)"
	if len(v.Outside) != 1 || v.Outside[0] != want {
		t.Errorf("internal note copied to B: outside %q, want %q", v.Outside, want)
	}
	if err := sync["B"].DeleteComment(ctx, support.Key, leaked.ID); err != nil {
		t.Fatal(err)
	}
	// Made public later, its text may travel: no longer counted in request bodies.
	delete(ops.secrets, secretToken(7, "A"))
	v = &Verdict{}
	if n := scan.leaks(v, ops); n != 0 || len(v.Outside) != 0 {
		t.Errorf("a note made public: %d requests, %q", n, v.Outside)
	}

	// The internal note gone from A while people left it: lost, not outside.
	if err := alice.DeleteComment(ctx, help.Key, note.ID); err != nil {
		t.Fatal(err)
	}
	if v := verify(); len(v.Outside) != 0 || !strings.Contains(strings.Join(v.Lost, "\n"), "internal comment A/"+note.ID) {
		t.Errorf("internal note deleted on A: outside %q, lost %q", v.Outside, v.Lost)
	}
}
