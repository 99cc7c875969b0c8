package jira

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// headerRecorder is a server that records the headers of every request it receives.
type headerRecorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []http.Header
}

func newHeaderRecorder(t *testing.T) *headerRecorder {
	t.Helper()
	h := &headerRecorder{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.seen = append(h.seen, r.Header.Clone())
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"version":"9.12.0","baseUrl":"http://evil"}`))
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *headerRecorder) requests() []http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]http.Header(nil), h.seen...)
}

// otherHost rewrites an httptest URL (127.0.0.1) to the same listener under the name
// "localhost": another host name, as a redirect to a foreign server would be.
func otherHost(raw string) string { return strings.Replace(raw, "127.0.0.1", "localhost", 1) }

func TestRedirectToAnotherHostStops(t *testing.T) {
	tests := []struct {
		name   string
		status int
		call   func(ctx context.Context, c *Client) error
	}{
		{"302 on GET", http.StatusFound, func(ctx context.Context, c *Client) error { _, err := c.ServerInfo(ctx); return err }},
		{"307 on POST (the body would be re-sent)", http.StatusTemporaryRedirect, func(ctx context.Context, c *Client) error {
			_, err := c.AddComment(ctx, "P-1", CommentInput{Body: "hello"})
			return err
		}},
		{"308 on PUT", http.StatusPermanentRedirect, func(ctx context.Context, c *Client) error {
			return c.UpdateIssue(ctx, "P-1", IssueInput{Fields: map[string]any{"summary": "x"}}, UpdateOptions{})
		}},
	}
	for _, tt := range tests {
		for _, pat := range []bool{false, true} {
			t.Run(tt.name+map[bool]string{false: " basic", true: " token"}[pat], func(t *testing.T) {
				foreign := newHeaderRecorder(t)
				for _, target := range []string{foreign.srv.URL, otherHost(foreign.srv.URL)} {
					jiraSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						http.Redirect(w, r, target+r.URL.Path, tt.status)
					}))
					defer jiraSrv.Close()
					var auth Auth = BasicAuth{User: testUser, Password: testPass}
					if pat {
						auth = TokenAuth{Token: "pat-" + testPass}
					}
					c, err := New(Config{BaseURL: jiraSrv.URL + "/jira", Auth: auth, MaxRetries: -1})
					if err != nil {
						t.Fatal(err)
					}
					err = tt.call(context.Background(), c)
					var je *Error
					if !errors.As(err, &je) || je.Class != ClassConfig || !errors.Is(err, ErrRedirectRefused) {
						t.Fatalf("to %s: err %v, want a config error wrapping ErrRedirectRefused", target, err)
					}
					if strings.Contains(err.Error(), testPass) {
						t.Fatalf("error shows the secret: %v", err)
					}
				}
				if got := foreign.requests(); len(got) != 0 {
					t.Fatalf("the other host received %d requests (Authorization %q)", len(got), got[0].Get("Authorization"))
				}
			})
		}
	}
}

func TestRedirectSameHostFollowed(t *testing.T) {
	var mu sync.Mutex
	var auths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/old/") {
			http.Redirect(w, r, "/jira/"+strings.TrimPrefix(r.URL.Path, "/old/"), http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"version":"9.12.0"}`))
	}))
	defer srv.Close()
	// The caller's client is shared: its own redirect policy must stay as it was.
	shared := &http.Client{}
	c, err := New(Config{BaseURL: srv.URL + "/old", Auth: BasicAuth{User: testUser, Password: testPass}, HTTPClient: shared})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.ServerInfo(context.Background())
	if err != nil || info.Version != "9.12.0" {
		t.Fatalf("same-host redirect: %v %+v", err, info)
	}
	if shared.CheckRedirect != nil {
		t.Fatal("New modified the caller's http.Client")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auths) != 2 || auths[0] == "" || auths[1] != auths[0] {
		t.Fatalf("Authorization per hop: %q", auths)
	}
}

func TestRedirectLoopStops(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Auth: TokenAuth{Token: "t"}, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ServerInfo(context.Background()); !errors.Is(err, ErrRedirectRefused) {
		t.Fatalf("redirect loop: %v", err)
	}
}

func TestRedirectTargetOK(t *testing.T) {
	tests := []struct {
		base, target string
		want         bool
	}{
		{"https://jira.example.com/jira", "https://jira.example.com/jira/login.jsp", true},
		{"https://jira.example.com/jira", "https://JIRA.example.com:443/x", true},
		{"http://jira.example.com", "https://jira.example.com/x", true},  // upgrade
		{"https://jira.example.com", "http://jira.example.com/x", false}, // downgrade
		{"https://jira.example.com", "https://sso.example.com/x", false},
		{"https://jira.example.com", "https://evil.jira.example.com/x", false}, // Go itself would forward to a subdomain
		{"https://jira.example.com", "https://jira.example.com:8443/x", false},
		{"https://jira.example.com", "https://jira.example.com.evil.test/x", false},
	}
	for _, tt := range tests {
		c, err := New(Config{BaseURL: tt.base, Auth: TokenAuth{Token: "t"}})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(tt.target)
		if got := c.redirectTargetOK(u); got != tt.want {
			t.Errorf("%s -> %s: %v, want %v", tt.base, tt.target, got, tt.want)
		}
	}
}

func TestHostAllowed(t *testing.T) {
	tests := []struct {
		host  string
		allow []string
		want  bool
	}{
		{"anything.test", nil, true},
		{"jira.example.com", []string{"jira.example.com"}, true},
		{"JIRA.Example.com.", []string{"jira.example.com"}, true},
		{"jira.example.com", []string{".example.com"}, true},
		{"example.com", []string{".example.com"}, true},
		{"a.b.example.com", []string{".example.com"}, true},
		{"badexample.com", []string{".example.com"}, false},
		{"example.com.evil.test", []string{".example.com"}, false},
		{"jira.example.com", []string{"example.com"}, false},
		{"relay.partner.net", []string{" jira.example.com ", ".partner.net"}, true},
		{"", []string{".example.com"}, false},
		{"x.test", []string{"", "."}, false},
		{"127.0.0.1", []string{"127.0.0.1"}, true},
	}
	for _, tt := range tests {
		if got := HostAllowed(tt.host, tt.allow); got != tt.want {
			t.Errorf("HostAllowed(%q, %q) = %v, want %v", tt.host, tt.allow, got, tt.want)
		}
	}
}

func TestNewEnforcesAllowlist(t *testing.T) {
	tests := []struct {
		base    string
		allow   []string
		wantErr bool
	}{
		{"https://jira.example.com/jira", []string{".example.com"}, false},
		{"https://jira.example.com:8443", []string{"jira.example.com"}, false},
		{"https://jira.other.org", []string{".example.com"}, true},
		{"https://jira.other.org", nil, false},
		{"ftp://jira.example.com", nil, true},
		{"file:///etc/passwd", nil, true},
		{"gopher://jira.example.com", []string{".example.com"}, true},
	}
	for _, tt := range tests {
		_, err := New(Config{BaseURL: tt.base, Auth: TokenAuth{Token: "t"}, AllowedHosts: tt.allow})
		if (err != nil) != tt.wantErr {
			t.Errorf("New(%s, %q): err %v, want error %v", tt.base, tt.allow, err, tt.wantErr)
		}
		if err != nil && tt.allow != nil && strings.HasPrefix(tt.base, "https") && !errors.Is(err, ErrHostNotAllowed) {
			t.Errorf("New(%s): %v does not wrap ErrHostNotAllowed", tt.base, err)
		}
	}
}
