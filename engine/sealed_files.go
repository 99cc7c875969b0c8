package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"path"
	"strings"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/seal"
)

// Attachments through a sealed relay (issue 15): each file on AB is <opaque>.age, encrypted with
// age; its name, size, type and hash are an entry of the signed state, so a file is applied only
// when its bytes hash to what the state says.

// openAttachments names AB's sealed files by their entries; files without one (uploaded on AB
// by hand, or an upload whose state write failed) are left out.
func (d *sealedJira) openAttachments(v *sealedView, as []jira.Attachment) []jira.Attachment {
	out := make([]jira.Attachment, 0, len(as))
	for _, a := range as {
		opaque, ok := strings.CutSuffix(a.Filename, ".age")
		if !ok {
			continue
		}
		raw, ok := v.value(entryFile + opaque)
		if !ok {
			continue
		}
		var m fileMeta
		if json.Unmarshal(raw, &m) != nil || m.Name == "" {
			continue
		}
		d.mu.Lock()
		d.files[a.Content] = m
		d.mu.Unlock()
		a.Filename, a.Size, a.MimeType = m.Name, m.Size, m.Mime
		out = append(out, a)
	}
	return out
}

// DownloadAttachment fetches a sealed file, decrypts it and checks its hash against the signed
// state.
func (d *sealedJira) DownloadAttachment(ctx context.Context, contentURL string) (io.ReadCloser, error) {
	d.mu.Lock()
	m, ok := d.files[contentURL]
	d.mu.Unlock()
	if !ok {
		return nil, dataError("a sealed attachment was asked for before its issue was read")
	}
	body, err := d.Jira.DownloadAttachment(ctx, contentURL)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	ct, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	var plain bytes.Buffer
	var last error
	for _, id := range d.self {
		plain.Reset()
		if last = seal.OpenFile(&plain, bytes.NewReader(ct), m.Sum, id); last == nil {
			break
		}
	}
	if last != nil {
		return nil, refused("the relay", "sealed file of "+m.Name, last)
	}
	return io.NopCloser(&plain), nil
}

// UploadAttachment seals the file as <opaque>.age and records its entry in the state.
func (d *sealedJira) UploadAttachment(ctx context.Context, id, filename string, r io.Reader) ([]jira.Attachment, error) {
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, err
	}
	var ct bytes.Buffer
	cr := &countReader{r: r}
	sum, _, err := seal.SealFile(&ct, cr, d.recipients())
	if err != nil {
		return nil, err
	}
	n := cr.n
	opaque := newOpaqueID()
	made, err := d.Jira.UploadAttachment(ctx, id, opaque+".age", &ct)
	if err != nil {
		return nil, err
	}
	m := fileMeta{Name: filename, Size: n, Mime: mime.TypeByExtension(path.Ext(filename)), Sum: sum}
	raw, _ := json.Marshal(m)
	if err := d.store(ctx, id, v, map[string]json.RawMessage{entryFile + opaque: raw}, nil); err != nil {
		for _, a := range made {
			_ = d.Jira.DeleteAttachment(ctx, a.ID)
		}
		return nil, err
	}
	for i := range made {
		d.mu.Lock()
		d.files[made[i].Content] = m
		d.mu.Unlock()
		made[i].Filename, made[i].Size, made[i].MimeType = m.Name, m.Size, m.Mime
	}
	return made, nil
}

// countReader counts the plaintext bytes a file had.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
