package jira

import (
	"context"
	"crypto/sha256"
	"encoding/pem"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestUploadAttachmentMultipart(t *testing.T) {
	payload := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB
	var gotPart, gotFile string
	var gotSum [32]byte
	var contentLength int64
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		contentLength = r.ContentLength
		_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil {
			t.Errorf("content type: %v", err)
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		p, err := mr.NextPart()
		if err != nil {
			t.Errorf("next part: %v", err)
			w.WriteHeader(400)
			return
		}
		gotPart, gotFile = p.FormName(), p.FileName()
		b, _ := io.ReadAll(p)
		gotSum = sha256.Sum256(b)
		reply(w, 200, []byte(`[`+string(testdata(t, "attachment.json"))+`]`))
	})
	c, _ := newTestClient(t, f)
	got, err := c.UploadAttachment(context.Background(), "ABC-7", "trace log ü.txt", strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "10200" {
		t.Errorf("answer = %+v", got)
	}
	req := f.last()
	if req.Method != "POST" || req.Path != "/jira/rest/api/2/issue/ABC-7/attachments" {
		t.Errorf("request = %s %s", req.Method, req.Path)
	}
	if req.Header.Get("X-Atlassian-Token") != "no-check" || !strings.HasPrefix(req.Header.Get("Content-Type"), "multipart/form-data; boundary=") {
		t.Errorf("headers = %v", req.Header)
	}
	if gotPart != "file" || gotFile != "trace log ü.txt" || gotSum != sha256.Sum256([]byte(payload)) {
		t.Errorf("part %q file %q sum ok %v", gotPart, gotFile, gotSum == sha256.Sum256([]byte(payload)))
	}
	if contentLength != -1 {
		t.Errorf("ContentLength = %d: the body should be streamed (chunked), not buffered", contentLength)
	}
}

func TestUploadNotRetried(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(429)
	})
	c, _ := newTestClient(t, f)
	_, err := c.UploadAttachment(context.Background(), "ABC-7", "a.txt", strings.NewReader("x"))
	if ClassOf(err) != ClassRateLimited || f.hits() != 1 {
		t.Errorf("class %v, hits %d", ClassOf(err), f.hits())
	}
}

// TestDownloadStreams: the caller reads the first bytes while the server is still
// holding back the rest, so nothing is buffered whole.
func TestDownloadStreams(t *testing.T) {
	release := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write([]byte("first-chunk|"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		_, _ = w.Write([]byte("rest"))
	})
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.MaxConcurrent = 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, err := c.DownloadAttachment(ctx, f.srv.URL+"/jira/secure/attachment/10200/trace.log")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len("first-chunk|"))
	if _, err := io.ReadFull(rc, buf); err != nil || string(buf) != "first-chunk|" {
		t.Fatalf("first read = %q, %v", buf, err)
	}
	close(release)
	rest, err := io.ReadAll(rc)
	if err != nil || string(rest) != "rest" {
		t.Fatalf("rest = %q, %v", rest, err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	req := f.last()
	if req.Header.Get("Authorization") == "" || req.Path != "/jira/secure/attachment/10200/trace.log" {
		t.Errorf("request = %s %v", req.Path, req.Header)
	}
	// The slot is free again after Close (MaxConcurrent is 1).
	if _, err := c.DownloadAttachmentByID(ctx, "10200", "trace.log"); err != nil {
		t.Errorf("second download: %v", err)
	}
}

func TestDownloadHostCheck(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { _, _ = w.Write([]byte("data")) })
	c, _ := newTestClient(t, f)
	tests := []struct {
		name     string
		url      string
		wantPath string // "" means refused
	}{
		{"same host", f.srv.URL + "/jira/secure/attachment/1/a.txt", "/jira/secure/attachment/1/a.txt"},
		{"Jira's public base URL is re-rooted", "https://jira.public.example.com/jira/secure/attachment/2/b%20c.txt", "/jira/secure/attachment/2/b%20c.txt"},
		{"foreign URL refused", "https://evil.example.com/steal", ""},
		{"other scheme, other path refused", "ftp://" + strings.TrimPrefix(f.srv.URL, "http://") + "/x", ""},
		{"relative refused", "/jira/secure/attachment/1/a.txt", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := f.hits()
			rc, err := c.DownloadAttachment(context.Background(), tc.url)
			if tc.wantPath == "" {
				if err == nil || ClassOf(err) != ClassConfig || f.hits() != before {
					t.Fatalf("err = %v, hits %d→%d: want refusal without a request", err, before, f.hits())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rc.Close()
			if got := f.last().Path; got != tc.wantPath {
				t.Errorf("path = %s, want %s", got, tc.wantPath)
			}
		})
	}
}

func TestDownloadAuthErrorLocks(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(401) })
	c, _ := newTestClient(t, f)
	if _, err := c.DownloadAttachmentByID(context.Background(), "1", "a"); ClassOf(err) != ClassAuth {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.Myself(context.Background()); ClassOf(err) != ClassAuth || f.hits() != 1 {
		t.Errorf("after 401: %v, hits %d", err, f.hits())
	}
}

// TestCABundle: a self-signed server is trusted through CABundle and refused
// (as a config error) without it.
func TestCABundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, []byte(`{"name":"sync"}`))
	}))
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	good, err := New(Config{BaseURL: srv.URL, Auth: TokenAuth{Token: "t"}, CABundle: caPEM})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := good.Myself(context.Background()); err != nil {
		t.Errorf("with CA bundle: %v", err)
	}
	bad, err := New(Config{BaseURL: srv.URL, Auth: TokenAuth{Token: "t"}, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Myself(context.Background())
	if ClassOf(err) != ClassConfig {
		t.Errorf("without CA bundle: class %v, %v", ClassOf(err), err)
	}
}
