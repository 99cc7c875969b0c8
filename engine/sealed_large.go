package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/airlock-sync/airlock/jira"
)

// A sealed state over Jira's limit for an issue property (32,768 characters: about 20 KB of
// shared text once encrypted) is stored as an attachment "<opaque>.sealed" holding the slot's
// value, and the slot property only names that file. The envelope inside is signed and carries
// its version, so a swapped or older file is refused like an altered or replayed envelope. Such
// an issue costs one more call per read (the file) and two more per write (the upload, and the
// removal of the file it replaces).

const sealedStateFileSuffix = ".sealed"

// sealedMaxStateFile bounds what a node reads back as a state file.
const sealedMaxStateFile = 16 << 20

// tooLarge reports whether the view with changes would overflow a property.
func (d *sealedJira) tooLarge(v *sealedView, changes map[string]json.RawMessage) bool {
	n := 0
	for _, s := range v.e {
		n += len(s.V) + 64
	}
	for k, raw := range changes {
		n += len(k) + len(raw) + 64
	}
	// Sealing adds the recipients' stanzas (~1.6 KB each), base64 (4/3) and padding.
	return n*4/3+8192 > sealedMaxProperty
}

// writeLargeSlot uploads the slot's value b as a state file and returns the property pointing
// at it.
func (d *sealedJira) writeLargeSlot(ctx context.Context, issueID string, v *sealedView, slot string, b []byte) ([]byte, error) {
	if issueID == "" {
		return nil, dataError("the sealed state of %s is over Jira's limit for a property before the issue exists", v.key)
	}
	name := newOpaqueID() + sealedStateFileSuffix
	made, err := d.Jira.UploadAttachment(ctx, issueID, name, bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("store the large sealed state of %s: %w", v.key, err)
	}
	if v.files == nil {
		v.files = map[string]string{}
	}
	if len(made) > 0 {
		v.files[slot] = made[0].ID
	}
	return json.Marshal(slotValue{File: name})
}

// dropLargeSlot removes the state file a write replaced (a failure leaves an unreferenced
// ciphertext, never a wrong state).
func (d *sealedJira) dropLargeSlot(ctx context.Context, v *sealedView, oldID string) {
	if oldID == "" || oldID == v.files[d.mySlot()] {
		return
	}
	if err := d.Jira.DeleteAttachment(ctx, oldID); err != nil && !jira.IsNotFound(err) {
		d.e.log().Warn("sealed relay: an old state file stays on the relay", "issue", v.key, "err", err)
	}
}

// openLargeSlot reads the state file a slot names into sv.
func (d *sealedJira) openLargeSlot(ctx context.Context, is *jira.Issue, v *sealedView, slot string, sv *slotValue) error {
	if !strings.HasSuffix(sv.File, sealedStateFileSuffix) {
		return refused(is.Key, "sealed state", fmt.Errorf("%s names %q, not a state file", slot, sv.File))
	}
	var as []jira.Attachment
	if raw, ok := is.Fields["attachment"]; ok {
		_ = json.Unmarshal(raw, &as)
	} else {
		fresh, err := d.Jira.GetIssue(ctx, is.ID, jira.GetIssueOptions{Fields: []string{"attachment"}})
		if err != nil {
			return err
		}
		_, _ = fresh.Field("attachment", &as)
	}
	for _, a := range as {
		if a.Filename != sv.File {
			continue
		}
		r, err := d.Jira.DownloadAttachment(ctx, a.Content)
		if err != nil {
			return fmt.Errorf("read the sealed state file of %s: %w", is.Key, err)
		}
		b, err := io.ReadAll(io.LimitReader(r, sealedMaxStateFile))
		r.Close()
		if err != nil {
			return fmt.Errorf("read the sealed state file of %s: %w", is.Key, err)
		}
		var inner slotValue
		if err := json.Unmarshal(b, &inner); err != nil || inner.Env == nil {
			return refused(is.Key, "sealed state", fmt.Errorf("its state file is not an envelope"))
		}
		if v.files == nil {
			v.files = map[string]string{}
		}
		v.files[slot] = a.ID
		*sv = inner
		return nil
	}
	return dataError("the sealed state of %s is missing: its file %s was deleted on the relay", is.Key, sv.File)
}
