package engine

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/jira"
)

func attachmentsOn(t *testing.T, w *simWorld, inst, key string) []jira.Attachment {
	t.Helper()
	is, err := w.human(inst, "admin").GetIssue(w.ctx, key, jira.GetIssueOptions{Fields: []string{"attachment"}})
	if err != nil {
		t.Fatal(err)
	}
	as, _ := is.Attachments()
	return as
}

func worklogsOn(t *testing.T, w *simWorld, inst, key string) []jira.Worklog {
	t.Helper()
	ws, err := w.human(inst, "admin").Worklogs(w.ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// commentTail is a comment or worklog text without a copy's header line.
func commentTail(s string) string {
	if first, rest, ok := strings.Cut(s, "\n"); ok && strings.Contains(first, "{anchor:airlock-") {
		return strings.TrimSpace(rest)
	}
	return strings.TrimSpace(s)
}

func commentWith(t *testing.T, w *simWorld, inst, key, text string) *jira.Comment {
	t.Helper()
	for _, c := range comments(t, w, inst, key) {
		if strings.Contains(c.Body, text) {
			return &c
		}
	}
	return nil
}

// TestRecoverCarriesCommentAndAttachmentChangesMadeDuringOutage: while node A's ledger is lost, a
// comment's copy is edited on AB, another comment on both sides, an original comment is deleted on A, the copy of AB's comment
// is deleted on A, an attachment is deleted on A and the copy of another on AB. After recover and
// settle each change is carried as it would have been live: the edit reaches A, the deleted
// original's copy goes from AB, the deleted copy is not made again, the attachment deletions
// follow, and nothing comes back from the dead.
func TestRecoverCarriesCommentAndAttachmentChangesMadeDuringOutage(t *testing.T) {
	w := newSimWorld(t)
	rules := DefaultRules()
	rules.Worklogs.Enabled = true
	n := w.newNode(rules, nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "with comments"})
	started := jira.Time{Time: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	for _, c := range []string{"work edited on AB", "work deleted on A"} {
		if _, err := w.human("A", "alice").AddWorklog(w.ctx, a.Key, jira.WorklogInput{Comment: c, Started: &started, TimeSpentSeconds: 3600}, jira.Estimate{}); err != nil {
			t.Fatal(err)
		}
	}
	alice, bob := w.human("A", "alice"), w.human("AB", "bob")
	for _, body := range []string{"kept and edited on AB", "deleted on A", "edited on both"} {
		if _, err := alice.AddComment(w.ctx, a.Key, jira.CommentInput{Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"gone-on-a.txt", "gone-on-ab.txt", "kept.txt"} {
		if _, err := alice.UploadAttachment(w.ctx, a.Key, name, bytes.NewReader([]byte("bytes of "+name))); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, n)
	abKey := n.peer(a.Key)
	if _, err := bob.AddComment(w.ctx, abKey, jira.CommentInput{Body: "AB's comment, whose copy A removed"}); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	if len(comments(t, w, "AB", abKey)) != 4 || len(comments(t, w, "A", a.Key)) != 4 || len(attachmentsOn(t, w, "AB", abKey)) != 3 {
		t.Fatal("the setup did not sync")
	}

	// The ledger is gone; people keep working.
	copyOnAB := commentWith(t, w, "AB", abKey, "kept and edited on AB")
	if _, err := bob.UpdateComment(w.ctx, abKey, copyOnAB.ID, jira.CommentInput{Body: strings.Replace(copyOnAB.Body,
		"kept and edited on AB", "kept, and edited on AB during the outage", 1)}); err != nil {
		t.Fatal(err)
	}
	both := commentWith(t, w, "A", a.Key, "edited on both")
	if _, err := alice.UpdateComment(w.ctx, a.Key, both.ID, jira.CommentInput{Body: "edited on both: A's edit"}); err != nil {
		t.Fatal(err)
	}
	w.sim.Instance("AB").Knobs().AdvanceClock(2 * 60e9) // AB's edit is the later one
	bothCopy := commentWith(t, w, "AB", abKey, "edited on both")
	if _, err := bob.UpdateComment(w.ctx, abKey, bothCopy.ID, jira.CommentInput{Body: strings.Replace(bothCopy.Body,
		"edited on both", "edited on both: AB's later edit", 1)}); err != nil {
		t.Fatal(err)
	}
	if err := alice.DeleteComment(w.ctx, a.Key, commentWith(t, w, "A", a.Key, "deleted on A").ID); err != nil {
		t.Fatal(err)
	}
	if err := w.human("A", "admin").DeleteComment(w.ctx, a.Key, commentWith(t, w, "A", a.Key, "whose copy A removed").ID); err != nil {
		t.Fatal(err)
	}
	for inst, key := range map[string]string{"A": a.Key, "AB": abKey} {
		name := map[string]string{"A": "gone-on-a.txt", "AB": "gone-on-ab.txt"}[inst]
		at := findAttachment(attachmentsOn(t, w, inst, key), name)
		if err := w.human(inst, "admin").DeleteAttachment(w.ctx, at.ID); err != nil {
			t.Fatal(err)
		}
	}

	admin := map[string]*jira.Client{"A": w.human("A", "admin"), "AB": w.human("AB", "admin")}
	for _, wl := range worklogsOn(t, w, "AB", abKey) {
		if strings.Contains(wl.Comment, "work edited on AB") {
			if _, err := admin["AB"].UpdateWorklog(w.ctx, abKey, wl.ID, jira.WorklogInput{Comment: wl.Comment, Started: &wl.Started, TimeSpentSeconds: 5401}, jira.Estimate{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, wl := range worklogsOn(t, w, "A", a.Key) {
		if strings.Contains(wl.Comment, "work deleted on A") {
			if err := admin["A"].DeleteWorklog(w.ctx, a.Key, wl.ID, jira.Estimate{}); err != nil {
				t.Fatal(err)
			}
		}
	}

	n2 := w.newNode(rules, nil, [2]string{"A", "AB"})
	dry, err := n2.e.RecoverWith(w.ctx, n2.conns[0].ID, RecoverOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dry.Twins) != 1 || dry.Twins[0].Items.Comments != 4 || dry.Twins[0].Items.Attachments != 3 || dry.Twins[0].Items.Worklogs != 2 ||
		dry.Twins[0].Items.Edited != 2 || dry.Twins[0].Items.EditedBoth != 1 || dry.Twins[0].Items.Deleted != 5 {
		t.Fatalf("dry run: %+v", dry.Twins)
	}
	if _, err := n2.e.Recover(w.ctx, n2.conns[0].ID); err != nil {
		t.Fatal(err)
	}
	settle(t, n2)

	if c := commentWith(t, w, "A", a.Key, "kept, and edited on AB during the outage"); c == nil {
		t.Error("the copy's edit made during the outage did not reach A (overwritten by the original?)")
	}
	if c := commentWith(t, w, "AB", abKey, "kept, and edited on AB during the outage"); c == nil {
		t.Error("the edit on AB was undone")
	}
	for inst, key := range map[string]string{"A": a.Key, "AB": abKey} {
		if c := commentWith(t, w, inst, key, "edited on both"); c == nil || !strings.Contains(c.Body, "AB's later edit") {
			t.Errorf("%s: the comment edited on both sides is %+v, want AB's later edit", inst, c)
		}
		if c := commentWith(t, w, inst, key, "deleted on A"); c != nil {
			t.Errorf("%s still holds the comment deleted on A: %q", inst, c.Body)
		}
	}
	if c := commentWith(t, w, "A", a.Key, "whose copy A removed"); c != nil {
		t.Errorf("A's deleted copy of AB's comment came back: %q", c.Body)
	}
	if c := commentWith(t, w, "AB", abKey, "whose copy A removed"); c == nil {
		t.Error("AB's original comment was deleted (only its copy was)")
	}
	for inst, key := range map[string]string{"A": a.Key, "AB": abKey} {
		var got []string
		for _, wl := range worklogsOn(t, w, inst, key) {
			got = append(got, fmt.Sprintf("%s %d", commentTail(wl.Comment), wl.TimeSpentSeconds))
		}
		if strings.Join(got, ",") != "work edited on AB 5401" {
			t.Errorf("%s worklogs %v, want only the one edited on AB, with its 5401 s", inst, got)
		}
	}
	for inst, key := range map[string]string{"A": a.Key, "AB": abKey} {
		var names []string
		for _, at := range attachmentsOn(t, w, inst, key) {
			names = append(names, at.Filename)
		}
		if strings.Join(names, ",") != "kept.txt" {
			t.Errorf("%s attachments %v, want only kept.txt (both deletions carried, none resurrected)", inst, names)
		}
	}
}
