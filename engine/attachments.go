package engine

// Attachments travel through attachment twins (models.AttachmentTwin: local id <-> remote id, with
// the file name, size and SHA-256 of what was copied). Both ids of every copy are recorded, so a
// copy is never mistaken for a new attachment and nothing echoes back.
//
// A new attachment is streamed from one Jira to the other (download body -> hash and count ->
// multipart upload through the client's io.Pipe), never held in memory. The byte count must equal
// the size Jira announced; otherwise the upload is aborted and the twin gets a data error.
// Attachments larger than Rules.Attachments.MaxBytes are skipped: a twin row with only the
// source id records the skip (one Event, no error), and the copy is made if the cap is raised.
//
// Crash safety: when the upload succeeded but the twin row was not written, the next run finds,
// on the target, an untwinned attachment with the same name and size, uploaded by the sync user
// no earlier than the source (minus the clock skew allowance), and with the same SHA-256; it is
// adopted instead of uploaded again. Adoption runs for every untwinned attachment before any copy,
// so the leftover copy itself is never copied back.
//
// Attachments that belong to comments staying home stay home too. A Jira attachment has no
// visibility of its own; Jira Service Management puts a file added with a comment into that
// comment's body (!name.png|thumbnail!, [^name.pdf]). An attachment that comments reference, none
// of which may leave (internal notes not allowed to travel, or visibilities not allowed), is not
// copied (engine/internal.go heldAttachments); one referenced by a comment that travels, or by no
// comment, is copied as before. It is copied when a travelling comment references it later.
// Into a service project a file is uploaded as an issue attachment (JSM gives it no visibility
// of its own); the copied comment that references it is what shows it, so it follows the same
// choice as comments arriving on that side: internal by default, public where the connection
// says so (Rules.Comments.PublicOnLocal / PublicOnRemote, engine/servicedesk.go). A file that was
// copied stays copied when its comment turns internal later.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// defaultAttachmentMax is the size cap when Rules.Attachments.MaxBytes is 0.
const defaultAttachmentMax = 10 << 20

// attachmentSkew is the clock difference between two Jiras tolerated when adopting a copy.
const attachmentSkew = 2 * time.Minute

// attachmentItem is one attachment of a side during a run.
type attachmentItem struct {
	side    *Side
	a       jira.Attachment
	twinned bool
}

// attachmentRun is the state of one syncAttachments call.
type attachmentRun struct {
	e     *Engine
	p     *Pair
	max   int64
	users map[*Side]string // sync user name per side, read once
	wrote [2]bool
}

// syncAttachments copies new attachments (streamed, size-capped, checksummed) and carries deletions.
func (e *Engine) syncAttachments(ctx context.Context, p *Pair) (wrote [2]bool, err error) {
	if !p.Rules.Attachments.Enabled || p.Local == nil || p.Remote == nil || p.Local.Issue == nil || p.Remote.Issue == nil {
		return wrote, nil
	}
	r := &attachmentRun{e: e, p: p, max: p.Rules.Attachments.MaxBytes, users: map[*Side]string{}}
	if r.max <= 0 {
		r.max = defaultAttachmentMax
	}
	items := map[*Side]map[string]*attachmentItem{}
	var order []*attachmentItem
	for _, s := range []*Side{p.Local, p.Remote} {
		as, err := attachmentsOf(ctx, s)
		if err != nil {
			return wrote, err
		}
		items[s] = map[string]*attachmentItem{}
		for _, a := range as {
			it := &attachmentItem{side: s, a: a}
			items[s][a.ID] = it
			order = append(order, it)
		}
	}
	var rows []models.AttachmentTwin
	if err := e.DB.WithContext(ctx).Where("twin_id = ?", p.Twin.ID).Order("id").Find(&rows).Error; err != nil {
		return wrote, fmt.Errorf("attachment twins of twin %d: %w", p.Twin.ID, err)
	}
	lookup := func(s *Side, id *string) *attachmentItem {
		if id == nil {
			return nil
		}
		return items[s][*id]
	}
	for i := range rows {
		row := &rows[i]
		l, rm := lookup(p.Local, row.LocalID), lookup(p.Remote, row.RemoteID)
		if row.Deleted {
			for _, it := range []*attachmentItem{l, rm} {
				if it != nil {
					it.twinned = true
				}
			}
			continue
		}
		if row.LocalID == nil || row.RemoteID == nil {
			// A skipped attachment: still too big, gone, or now within the cap.
			src := l
			if src == nil {
				src = rm
			}
			switch {
			case src == nil:
				err = r.markDeleted(ctx, row)
			case src.a.Size > r.max:
				src.twinned = true
			default:
				err = e.DB.WithContext(ctx).Delete(row).Error // copied below as a new one
			}
			if err != nil {
				return r.wrote, fmt.Errorf("attachment twin %d: %w", row.ID, err)
			}
			continue
		}
		for _, it := range []*attachmentItem{l, rm} {
			if it != nil {
				it.twinned = true
			}
		}
		if err := r.carryDeletion(ctx, row, l, rm); err != nil {
			return r.wrote, err
		}
	}
	// Adopt leftovers of an interrupted copy first, then copy what is still new.
	for _, it := range order {
		if it.twinned || it.a.Size > r.max {
			continue
		}
		if err := r.adopt(ctx, it, order); err != nil {
			return r.wrote, err
		}
	}
	held := map[*Side]map[string]bool{}
	for _, s := range []*Side{p.Local, p.Remote} {
		cs, err := e.commentsOf(ctx, p, s)
		if err != nil {
			return r.wrote, err
		}
		held[s] = heldAttachments(&p.Rules.Comments, s.Name, cs)
	}
	for _, it := range order {
		if it.twinned || held[it.side][it.a.Filename] {
			continue
		}
		if it.a.Size > r.max {
			if err := r.skip(ctx, it); err != nil {
				return r.wrote, err
			}
			continue
		}
		if err := r.copy(ctx, it); err != nil {
			return r.wrote, err
		}
	}
	return r.wrote, nil
}

// attachmentsOf returns the attachments of the side's issue (fields.attachment), reading the
// field from Jira when the issue at hand was fetched without it: an absent field must never read
// as "every attachment was deleted".
func attachmentsOf(ctx context.Context, s *Side) ([]jira.Attachment, error) {
	var as []jira.Attachment
	if _, present := s.Issue.Fields["attachment"]; present {
		if _, err := s.Issue.Field("attachment", &as); err != nil {
			return nil, fmt.Errorf("attachments of %s %s: %w", s.Name, s.Issue.Key, err)
		}
		return as, nil
	}
	is, err := s.Jira.GetIssue(ctx, s.Issue.ID, jira.GetIssueOptions{Fields: []string{"attachment"}})
	if err != nil {
		return nil, fmt.Errorf("attachments of %s %s: %w", s.Name, s.Issue.Key, err)
	}
	if _, err := is.Field("attachment", &as); err != nil {
		return nil, fmt.Errorf("attachments of %s %s: %w", s.Name, s.Issue.Key, err)
	}
	return as, nil
}

func (r *attachmentRun) sideIndex(s *Side) int {
	if s == r.p.Local {
		return 0
	}
	return 1
}

// carryDeletion deletes the other copy of an attachment deleted on one side.
func (r *attachmentRun) carryDeletion(ctx context.Context, row *models.AttachmentTwin, l, rm *attachmentItem) error {
	if l != nil && rm != nil {
		return nil
	}
	var from, gone *Side
	var target *attachmentItem
	switch {
	case l == nil && rm != nil:
		from, gone, target = r.p.Local, r.p.Remote, rm
	case rm == nil && l != nil:
		from, gone, target = r.p.Remote, r.p.Local, l
	}
	if target != nil {
		err := gone.Jira.DeleteAttachment(ctx, target.a.ID)
		if err != nil && !jira.IsNotFound(err) {
			return fmt.Errorf("attachment %s: delete on %s %s: %w", target.a.ID, gone.Name, gone.Issue.Key, err)
		}
		if err == nil {
			r.wrote[r.sideIndex(gone)] = true
		}
		r.e.event(ctx, r.p, from.Name, "attachment", row.Filename, row.Filename, "(deleted)")
	}
	return r.markDeleted(ctx, row)
}

func (r *attachmentRun) markDeleted(ctx context.Context, row *models.AttachmentTwin) error {
	if err := r.e.DB.WithContext(ctx).Model(row).Update("deleted", true).Error; err != nil {
		return fmt.Errorf("attachment twin %d: mark deleted: %w", row.ID, err)
	}
	return nil
}

// skip records an attachment over the cap once: a twin row with only its id, and an Event.
func (r *attachmentRun) skip(ctx context.Context, it *attachmentItem) error {
	row := models.AttachmentTwin{TwinID: r.p.Twin.ID, Filename: it.a.Filename, Size: it.a.Size}
	id := it.a.ID
	if it.side == r.p.Local {
		row.LocalID = &id
	} else {
		row.RemoteID = &id
	}
	if err := r.e.DB.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("attachment %s: record skip: %w", it.a.ID, err)
	}
	it.twinned = true
	r.e.event(ctx, r.p, it.side.Name, "attachment", it.a.Filename, "", fmt.Sprintf("skipped: larger than %d bytes (%d bytes)", r.max, it.a.Size))
	return nil
}

// syncUser returns the login of the sync user on side s (read once per run).
func (r *attachmentRun) syncUser(ctx context.Context, s *Side) (string, error) {
	if u, ok := r.users[s]; ok {
		return u, nil
	}
	me, err := s.Jira.Myself(ctx)
	if err != nil {
		return "", fmt.Errorf("sync user on %s: %w", s.Name, err)
	}
	r.users[s] = me.Name
	return me.Name, nil
}

// adopt links it with an untwinned copy on the other side left by an interrupted run: same file
// name and size, uploaded by the sync user no earlier than it, and the same bytes.
func (r *attachmentRun) adopt(ctx context.Context, it *attachmentItem, all []*attachmentItem) error {
	to := r.p.Other(it.side)
	var cands []*attachmentItem
	for _, c := range all {
		if c.side == to && !c.twinned && c.a.Filename == it.a.Filename && c.a.Size == it.a.Size && c.a.Author != nil &&
			!c.a.Created.Before(it.a.Created.Add(-attachmentSkew)) {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	me, err := r.syncUser(ctx, to)
	if err != nil {
		return err
	}
	var want string
	for _, c := range cands {
		if !strings.EqualFold(c.a.Author.Name, me) {
			continue
		}
		if want == "" {
			if want, err = r.digest(ctx, it); err != nil {
				return err
			}
		}
		got, err := r.digest(ctx, c)
		if err != nil {
			return err
		}
		if got != want {
			continue
		}
		if err := r.record(ctx, it, c.a, want); err != nil {
			return err
		}
		c.twinned = true
		return nil
	}
	return nil
}

// digest streams an attachment and returns its SHA-256, checking the size on the way.
func (r *attachmentRun) digest(ctx context.Context, it *attachmentItem) (string, error) {
	body, err := it.side.Jira.DownloadAttachment(ctx, it.a.Content)
	if err != nil {
		return "", fmt.Errorf("attachment %s: download from %s: %w", it.a.ID, it.side.Name, err)
	}
	defer body.Close()
	v := newVerifier(body, it.a)
	if _, err := io.Copy(io.Discard, v); err != nil {
		return "", fmt.Errorf("attachment %s: read from %s: %w", it.a.ID, it.side.Name, err)
	}
	return v.sum(), nil
}

// copy streams it to the other side and records the twin at once.
func (r *attachmentRun) copy(ctx context.Context, it *attachmentItem) error {
	to := r.p.Other(it.side)
	body, err := it.side.Jira.DownloadAttachment(ctx, it.a.Content)
	if err != nil {
		return fmt.Errorf("attachment %s: download from %s: %w", it.a.ID, it.side.Name, err)
	}
	defer body.Close()
	v := newVerifier(body, it.a)
	made, err := to.Jira.UploadAttachment(ctx, to.Issue.ID, it.a.Filename, v)
	if verr := v.failure(); verr != nil {
		// The stream was cut short, so Jira should have refused the upload; remove anything it kept.
		for _, m := range made {
			_ = to.Jira.DeleteAttachment(ctx, m.ID)
		}
		return fmt.Errorf("attachment %s: %w", it.a.ID, verr)
	}
	if err != nil {
		return fmt.Errorf("attachment %s: upload to %s %s: %w", it.a.ID, to.Name, to.Issue.Key, err)
	}
	if len(made) == 0 {
		return fmt.Errorf("attachment %s: upload to %s %s: Jira returned no attachment", it.a.ID, to.Name, to.Issue.Key)
	}
	r.wrote[r.sideIndex(to)] = true
	if made[0].Size != 0 && made[0].Size != it.a.Size {
		_ = to.Jira.DeleteAttachment(ctx, made[0].ID)
		return fmt.Errorf("attachment %s: %w", it.a.ID, dataError("%s stored %d bytes of %q, expected %d", to.Name, made[0].Size, it.a.Filename, it.a.Size))
	}
	sum := v.sum()
	if err := r.record(ctx, it, made[0], sum); err != nil {
		// The copy exists; the next run adopts it (same name, size, uploader and bytes).
		return err
	}
	r.e.event(ctx, r.p, it.side.Name, "attachment", it.a.Filename, "", fmt.Sprintf("copied %d bytes, sha256 %s", it.a.Size, sum))
	return nil
}

// record writes the twin row of it and its copy c.
func (r *attachmentRun) record(ctx context.Context, it *attachmentItem, c jira.Attachment, sum string) error {
	row := models.AttachmentTwin{TwinID: r.p.Twin.ID, Filename: it.a.Filename, Size: it.a.Size, SHA256: sum}
	src, dst := it.a.ID, c.ID
	if it.side == r.p.Local {
		row.LocalID, row.RemoteID = &src, &dst
	} else {
		row.LocalID, row.RemoteID = &dst, &src
	}
	if err := r.e.DB.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("attachment %s: record twin of copy %s: %w", it.a.ID, c.ID, err)
	}
	it.twinned = true
	return nil
}

// verifier hashes and counts a stream and fails it when it runs longer or shorter than the size
// Jira announced, so a truncated or swollen file never lands as a good copy. The upload reads it
// on another goroutine, hence the lock.
type verifier struct {
	r    io.Reader
	h    hash.Hash
	want int64
	name string

	mu  sync.Mutex
	n   int64
	err error
}

func newVerifier(body io.Reader, a jira.Attachment) *verifier {
	h := sha256.New()
	return &verifier{r: io.TeeReader(body, h), h: h, want: a.Size, name: a.Filename}
}

func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.n += int64(n)
	switch {
	case v.n > v.want:
		v.err = dataError("%q is longer than the %d bytes announced", v.name, v.want)
	case errors.Is(err, io.EOF) && v.n != v.want:
		v.err = dataError("%q has %d bytes, %d announced", v.name, v.n, v.want)
	}
	if v.err != nil {
		return n, v.err
	}
	return n, err
}

// failure is the size mismatch seen so far, if any.
func (v *verifier) failure() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err
}

// sum is the hex SHA-256 of what was read.
func (v *verifier) sum() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return hex.EncodeToString(v.h.Sum(nil))
}
