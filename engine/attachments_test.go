package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

func (h *commentHop) syncAttachments() [2]bool {
	h.f.t.Helper()
	w, err := h.f.eng.syncAttachments(h.f.ctx, h.pair())
	if err != nil {
		h.f.t.Fatalf("syncAttachments %s-%s: %v", h.local, h.remote, err)
	}
	return w
}

// upload attaches data as a human.
func (h *commentHop) upload(inst, user, name string, data []byte) jira.Attachment {
	h.f.t.Helper()
	as, err := h.f.client(inst, user).UploadAttachment(h.f.ctx, h.issue[inst].ID, name, bytes.NewReader(data))
	if err != nil || len(as) != 1 {
		h.f.t.Fatalf("upload %s: %v %+v", name, err, as)
	}
	return as[0]
}

// attachments lists the attachments of the hop's issue on inst.
func (h *commentHop) attachments(inst string) []jira.Attachment {
	h.f.t.Helper()
	is, err := h.f.client(inst, "airlock").GetIssue(h.f.ctx, h.issue[inst].ID, jira.GetIssueOptions{Fields: []string{"attachment"}})
	if err != nil {
		h.f.t.Fatal(err)
	}
	as, _ := is.Attachments()
	return as
}

func (h *commentHop) download(inst string, a jira.Attachment) []byte {
	h.f.t.Helper()
	body, err := h.f.client(inst, "airlock").DownloadAttachment(h.f.ctx, a.Content)
	if err != nil {
		h.f.t.Fatal(err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		h.f.t.Fatal(err)
	}
	return b
}

func (h *commentHop) attachmentRows() []models.AttachmentTwin {
	h.f.t.Helper()
	var rows []models.AttachmentTwin
	if err := h.f.db.Where("twin_id = ?", h.twin.ID).Order("id").Find(&rows).Error; err != nil {
		h.f.t.Fatal(err)
	}
	return rows
}

func findAttachment(as []jira.Attachment, name string) *jira.Attachment {
	for i := range as {
		if as[i].Filename == name {
			return &as[i]
		}
	}
	return nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// payload is deterministic test content of n bytes.
func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	return b
}

func TestSyncAttachmentsCopiedBothWaysWithChecksum(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	fromA, fromAB := payload(70_000, 1), payload(1234, 2)
	h.upload("A", "alice", "report.pdf", fromA)
	h.upload("AB", "bob", "trace log.txt", fromAB)

	f.clearLogs()
	if w := h.syncAttachments(); w != [2]bool{true, true} {
		t.Fatalf("wrote = %v, want both", w)
	}
	for _, c := range []struct {
		inst, name string
		data       []byte
	}{{"AB", "report.pdf", fromA}, {"A", "trace log.txt", fromAB}} {
		a := findAttachment(h.attachments(c.inst), c.name)
		if a == nil {
			t.Fatalf("%s has no %q", c.inst, c.name)
		}
		if got := h.download(c.inst, *a); !bytes.Equal(got, c.data) {
			t.Errorf("%s %q: %d bytes differ from the source's %d", c.inst, c.name, len(got), len(c.data))
		}
		if a.Author == nil || a.Author.Name != "airlock" {
			t.Errorf("copy author = %+v", a.Author)
		}
	}
	rows := h.attachmentRows()
	if len(rows) != 2 {
		t.Fatalf("rows = %+v", rows)
	}
	for _, r := range rows {
		want := map[string][]byte{"report.pdf": fromA, "trace log.txt": fromAB}[r.Filename]
		if r.SHA256 != sha(want) || r.Size != int64(len(want)) || r.LocalID == nil || r.RemoteID == nil {
			t.Errorf("row %+v: want sha %s size %d and both ids", r, sha(want), len(want))
		}
	}
	if n := f.sim.Instance("AB").Log().Count("POST /rest/api/2/issue/{id}/attachments"); n != 1 {
		t.Errorf("AB got %d uploads, want 1", n)
	}
	evs := f.events("attachment")
	if len(evs) != 2 || !strings.HasPrefix(evs[0].NewValue, "copied 70000 bytes, sha256 "+sha(fromA)) {
		t.Errorf("events = %+v", evs)
	}
	f.assertQuiet((*commentHop).syncAttachments)
}

func TestSyncAttachmentsSizeCap(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	h.rules.Attachments.MaxBytes = 1000
	big, small := payload(1001, 3), payload(1000, 4)
	h.upload("A", "alice", "big.bin", big)
	h.upload("A", "alice", "small.bin", small)

	f.clearLogs()
	if w := h.syncAttachments(); w != [2]bool{false, true} {
		t.Errorf("wrote = %v", w)
	}
	ab := h.attachments("AB")
	if len(ab) != 1 || ab[0].Filename != "small.bin" {
		t.Fatalf("AB attachments = %+v, want only small.bin", ab)
	}
	if n := len(f.sim.Instance("A").Log().Find("GET", "/secure/attachment/")); n != 1 {
		t.Errorf("%d downloads, want 1 (the big one is never read)", n)
	}
	evs := f.events("attachment")
	skipped := 0
	for _, e := range evs {
		if e.Field == "big.bin" && e.NewValue == "skipped: larger than 1000 bytes (1001 bytes)" {
			skipped++
		}
	}
	if skipped != 1 {
		t.Errorf("events = %+v, want one skip event", evs)
	}
	f.assertQuiet((*commentHop).syncAttachments)
	if n := len(f.events("attachment")); n != len(evs) {
		t.Errorf("the skip was reported again: %d events", n)
	}
	// Raising the cap copies it.
	h.rules.Attachments.MaxBytes = 0 // default 10 MiB
	if w := h.syncAttachments(); w != [2]bool{false, true} {
		t.Errorf("after raising the cap wrote = %v", w)
	}
	if a := findAttachment(h.attachments("AB"), "big.bin"); a == nil || !bytes.Equal(h.download("AB", *a), big) {
		t.Errorf("big.bin not copied after raising the cap")
	}
	f.assertQuiet((*commentHop).syncAttachments)
}

func TestSyncAttachmentsDeletions(t *testing.T) {
	cases := []struct {
		name      string
		deleteOn  string // instance where a human deletes
		file      string
		wantWrote [2]bool
	}{
		{"original deleted on A", "A", "a.txt", [2]bool{false, true}},
		{"copy deleted on A", "A", "ab.txt", [2]bool{false, true}},
		{"original deleted on AB", "AB", "ab.txt", [2]bool{true, false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newCommentFixture(t, "A", "AB")
			h := f.hops[0]
			h.upload("A", "alice", "a.txt", []byte("from A"))
			h.upload("AB", "bob", "ab.txt", []byte("from AB"))
			h.syncAttachments()
			a := findAttachment(h.attachments(tc.deleteOn), tc.file)
			if err := f.client(tc.deleteOn, "admin").DeleteAttachment(f.ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if w := h.syncAttachments(); w != tc.wantWrote {
				t.Errorf("wrote = %v, want %v", w, tc.wantWrote)
			}
			for _, inst := range []string{"A", "AB"} {
				if findAttachment(h.attachments(inst), tc.file) != nil {
					t.Errorf("%s still has %s", inst, tc.file)
				}
			}
			deleted := 0
			for _, r := range h.attachmentRows() {
				if r.Deleted {
					deleted++
				}
			}
			if deleted != 1 {
				t.Errorf("%d twins marked deleted, want 1", deleted)
			}
			f.assertQuiet((*commentHop).syncAttachments)
			if len(h.attachments("A")) != 1 || len(h.attachments("AB")) != 1 {
				t.Errorf("the other attachment was touched")
			}
		})
	}
}

func TestSyncAttachmentsCrashBetweenUploadAndRecord(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	h.upload("A", "alice", "once.bin", payload(5000, 5))
	h.upload("AB", "bob", "once-too.bin", payload(300, 6))
	h.syncAttachments()
	if err := f.db.Where("twin_id = ?", h.twin.ID).Delete(&models.AttachmentTwin{}).Error; err != nil {
		t.Fatal(err)
	}
	f.clearLogs()
	if w := h.syncAttachments(); w != [2]bool{} {
		t.Errorf("wrote = %v, want the copies adopted", w)
	}
	for _, inst := range []string{"A", "AB"} {
		if n := f.sim.Instance(inst).Log().Count("POST /rest/api/2/issue/{id}/attachments"); n != 0 {
			t.Errorf("%s got %d uploads", inst, n)
		}
		if n := len(h.attachments(inst)); n != 2 {
			t.Errorf("%s has %d attachments, want 2", inst, n)
		}
	}
	rows := h.attachmentRows()
	if len(rows) != 2 || rows[0].SHA256 == "" || rows[0].LocalID == nil || rows[0].RemoteID == nil {
		t.Errorf("rows = %+v", rows)
	}
	f.assertQuiet((*commentHop).syncAttachments)
}

func TestSyncAttachmentsNoAdoptionOfDifferentBytes(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	// The sync user uploaded a file of the same name and size with other bytes: not a copy of
	// A's file, so it must not be adopted as one.
	h.upload("AB", "airlock", "same.txt", []byte("bbbb"))
	h.upload("A", "alice", "same.txt", []byte("aaaa"))
	h.syncAttachments()
	for _, inst := range []string{"A", "AB"} {
		var got []string
		for _, a := range h.attachments(inst) {
			got = append(got, string(h.download(inst, a)))
		}
		if len(got) != 2 || got[0] == got[1] {
			t.Errorf("%s holds %q, want both files", inst, got)
		}
	}
}

func TestSyncAttachmentsSizeMismatchIsADataError(t *testing.T) {
	cases := []struct {
		name  string
		delta int64
	}{
		{"announced larger than the bytes", +5},
		{"announced smaller than the bytes", -5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newCommentFixture(t, "A", "AB")
			h := f.hops[0]
			h.upload("A", "alice", "liar.bin", payload(100_000, 7))
			p := h.pair()
			as, _ := p.Local.Issue.Attachments()
			as[0].Size += tc.delta
			raw, err := json.Marshal(as)
			if err != nil {
				t.Fatal(err)
			}
			p.Local.Issue.Fields["attachment"] = raw
			_, err = f.eng.syncAttachments(f.ctx, p)
			var classed interface{ ErrorClass() string }
			if err == nil || !errors.As(err, &classed) || classed.ErrorClass() != models.ClassData {
				t.Fatalf("err = %v, want a data error", err)
			}
			if !strings.Contains(err.Error(), "attachment ") {
				t.Errorf("error lacks context: %v", err)
			}
			if n := len(h.attachments("AB")); n != 0 {
				t.Errorf("AB kept %d attachments of a bad transfer", n)
			}
			if n := len(h.attachmentRows()); n != 0 {
				t.Errorf("%d rows recorded for a bad transfer", n)
			}
		})
	}
}

func TestSyncAttachmentsJiraErrorsKeepTheirClass(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	h.upload("A", "alice", "x.txt", []byte("x"))
	p := h.pair()
	f.sim.Instance("AB").Knobs().FailNext(1, 503) // the upload
	_, err := f.eng.syncAttachments(f.ctx, p)
	if jira.ClassOf(err) != jira.ClassTransient {
		t.Fatalf("err = %v (class %v), want the transient jira error in the chain", err, jira.ClassOf(err))
	}
	var je *jira.Error
	if !errors.As(err, &je) || !strings.HasPrefix(err.Error(), "attachment ") {
		t.Errorf("err = %v", err)
	}
	// The next run copies it.
	if w := h.syncAttachments(); w != [2]bool{false, true} {
		t.Errorf("retry wrote %v", w)
	}
}

func TestSyncAttachmentsFieldAbsentIsReadNotDeleted(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	h.upload("A", "alice", "keep.txt", []byte("keep"))
	h.syncAttachments()
	p := h.pair()
	delete(p.Local.Issue.Fields, "attachment") // e.g. fetched with a field list
	w, err := f.eng.syncAttachments(f.ctx, p)
	if err != nil || w != [2]bool{} {
		t.Fatalf("wrote %v err %v", w, err)
	}
	if len(h.attachments("AB")) != 1 {
		t.Error("copy deleted when the field was merely absent")
	}
	if rows := h.attachmentRows(); len(rows) != 1 || rows[0].Deleted {
		t.Errorf("rows = %+v", rows)
	}
}

func TestSyncAttachmentsThroughRelay(t *testing.T) {
	f := newCommentFixture(t, "A", "AB", "B")
	ab, abB := f.hops[0], f.hops[1]
	data := payload(4096, 9)
	ab.upload("A", "alice", "relay.bin", data)
	abB.upload("B", "bob", "back.bin", []byte("from B"))
	for i := 0; i < 2; i++ {
		ab.syncAttachments()
		abB.syncAttachments()
	}
	if a := findAttachment(abB.attachments("B"), "relay.bin"); a == nil || !bytes.Equal(abB.download("B", *a), data) {
		t.Errorf("relay.bin did not reach B intact")
	}
	if findAttachment(ab.attachments("A"), "back.bin") == nil {
		t.Errorf("back.bin did not reach A")
	}
	for inst, want := range map[string]int{"A": 2, "AB": 2, "B": 2} {
		h := ab
		if inst == "B" {
			h = abB
		}
		if got := len(h.attachments(inst)); got != want {
			t.Errorf("%s has %d attachments, want %d", inst, got, want)
		}
	}
	f.assertQuiet((*commentHop).syncAttachments)
}

// storedShort stands for a target Jira that answers an upload with another size than was sent
// (a proxy that truncated the file): the upload still goes to the emulator over HTTP.
type storedShort struct{ Jira }

func (s storedShort) UploadAttachment(ctx context.Context, issueID, filename string, r io.Reader) ([]jira.Attachment, error) {
	made, err := s.Jira.UploadAttachment(ctx, issueID, filename, r)
	for i := range made {
		made[i].Size--
	}
	return made, err
}

func TestSyncAttachmentsTargetStoredOtherSizeIsADataError(t *testing.T) {
	f := newCommentFixture(t, "A", "AB")
	h := f.hops[0]
	h.upload("A", "alice", "short.bin", payload(50_000, 3))
	p := h.pair()
	p.Remote.Jira = storedShort{p.Remote.Jira}
	_, err := f.eng.syncAttachments(f.ctx, p)
	var classed interface{ ErrorClass() string }
	if err == nil || !errors.As(err, &classed) || classed.ErrorClass() != models.ClassData || !strings.Contains(err.Error(), "expected 50000") {
		t.Fatalf("err = %v, want a data error naming the expected size", err)
	}
	if n := len(h.attachments("AB")); n != 0 {
		t.Errorf("AB kept %d attachments of a copy stored with the wrong size", n)
	}
	if n := len(h.attachmentRows()); n != 0 {
		t.Errorf("%d rows recorded for a bad copy", n)
	}
}
