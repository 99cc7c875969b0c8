package jira

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// AttachmentMeta returns whether attachments are enabled and the upload size limit.
func (c *Client) AttachmentMeta(ctx context.Context) (*AttachmentMeta, error) {
	var out AttachmentMeta
	if err := c.get(ctx, "/attachment/meta", "/attachment/meta", nil, &out); err != nil {
		return nil, fmt.Errorf("attachment meta: %w", err)
	}
	return &out, nil
}

// Attachment returns an attachment's metadata.
func (c *Client) Attachment(ctx context.Context, id string) (*Attachment, error) {
	var out Attachment
	if err := c.get(ctx, "/attachment/{id}", escape("/attachment/%s", id), nil, &out); err != nil {
		return nil, fmt.Errorf("attachment %s: %w", id, err)
	}
	return &out, nil
}

// DeleteAttachment deletes an attachment.
func (c *Client) DeleteAttachment(ctx context.Context, id string) error {
	r := request{method: http.MethodDelete, tmpl: "/attachment/{id}", path: escape("/attachment/%s", id), idempotent: true}
	if err := c.do(ctx, r, nil); err != nil {
		return fmt.Errorf("delete attachment %s: %w", id, err)
	}
	return nil
}

// contentTemplate is the metrics template of attachment downloads.
const contentTemplate = "/secure/attachment/{id}/{filename}"

// DownloadAttachment streams an attachment's bytes from its content URL, with the
// client's auth. The URL is followed only when it is on BaseURL's scheme and host;
// a content URL on another host whose path holds /secure/attachment/ (Jira's base
// URL setting often differs from the address Airlock uses) is re-rooted on BaseURL,
// anything else is refused as a config error, so credentials never leave for
// another host. The caller must Close the body: it holds one concurrency slot.
func (c *Client) DownloadAttachment(ctx context.Context, contentURL string) (io.ReadCloser, error) {
	target, err := c.contentTarget(contentURL)
	if err != nil {
		return nil, err
	}
	r := request{method: http.MethodGet, tmpl: contentTemplate, abs: target, idempotent: true, accept: "*/*"}
	resp, release, err := c.send(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("download attachment: %w", err)
	}
	return &releasingBody{ReadCloser: resp.Body, release: release}, nil
}

// DownloadAttachmentByID streams attachment id from {base}/secure/attachment/{id}/{filename}.
func (c *Client) DownloadAttachmentByID(ctx context.Context, id, filename string) (io.ReadCloser, error) {
	return c.DownloadAttachment(ctx, c.base+escape("/secure/attachment/%s/%s", id, filename))
}

// contentTarget validates a content URL against BaseURL (see DownloadAttachment).
func (c *Client) contentTarget(contentURL string) (string, error) {
	u, err := url.Parse(contentURL)
	if err != nil || !u.IsAbs() {
		return "", c.refuse(contentURL, "attachment content URL is not an absolute URL")
	}
	if c.sameHost(u) {
		return u.String(), nil
	}
	p := u.EscapedPath()
	if i := strings.Index(p, "/secure/attachment/"); i >= 0 {
		return c.base + p[i:], nil
	}
	return "", c.refuse(contentURL, "attachment content URL is not on the Jira base URL's host")
}

func (c *Client) refuse(target, why string) *Error {
	e := &Error{Instance: c.instance, Method: http.MethodGet, Template: contentTemplate, Class: ClassConfig,
		cause: fmt.Errorf("%s: %q", why, c.redact.Replace(target))}
	if u, err := url.Parse(target); err == nil {
		e.Endpoint = u.EscapedPath()
	}
	return e
}

// releasingBody frees the concurrency slot when the download is closed.
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

// UploadAttachment uploads r as one attachment named filename, streamed as
// multipart/form-data (part "file") through an io.Pipe, with X-Atlassian-Token:
// no-check. It returns Jira's array of created attachments. The body is a one-shot
// stream, so the upload is never retried; a 429 comes back with RetryAfter set.
func (c *Client) UploadAttachment(ctx context.Context, idOrKey, filename string, r io.Reader) ([]Attachment, error) {
	req := request{
		method: http.MethodPost,
		tmpl:   "/issue/{key}/attachments",
		path:   escape("/issue/%s/attachments", idOrKey),
		stream: func() (io.ReadCloser, string) {
			pr, pw := io.Pipe()
			mw := multipart.NewWriter(pw)
			go func() {
				part, err := mw.CreateFormFile("file", filename)
				if err == nil {
					_, err = io.Copy(part, r)
				}
				if err == nil {
					err = mw.Close()
				}
				pw.CloseWithError(err)
			}()
			return pr, mw.FormDataContentType()
		},
	}
	var out []Attachment
	if err := c.do(ctx, req, &out); err != nil {
		return nil, fmt.Errorf("upload attachment %q to %s: %w", filename, idOrKey, err)
	}
	return out, nil
}
