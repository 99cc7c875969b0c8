package jira

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRetryRules covers which answers are retried, after how long, and what is
// returned when retries run out.
func TestRetryRules(t *testing.T) {
	type answer struct {
		status int
		header map[string]string
	}
	tooMany := answer{429, map[string]string{"Retry-After": "1", "X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-FillRate": "5", "X-RateLimit-Interval-Seconds": "1"}}
	unavailable := answer{503, map[string]string{"Retry-After": "2"}}
	ok := answer{200, nil}
	created := answer{201, nil}
	get := func(ctx context.Context, c *Client) error { _, err := c.Myself(ctx); return err }
	create := func(ctx context.Context, c *Client) error {
		_, err := c.CreateIssue(ctx, IssueInput{Fields: map[string]any{"summary": "x"}})
		return err
	}
	comment := func(ctx context.Context, c *Client) error {
		_, err := c.AddComment(ctx, "ABC-1", CommentInput{Body: "x"})
		return err
	}
	put := func(ctx context.Context, c *Client) error {
		return c.UpdateIssue(ctx, "ABC-1", IssueInput{Fields: map[string]any{"summary": "x"}}, UpdateOptions{})
	}
	searchPost := func(ctx context.Context, c *Client) error {
		_, err := c.SearchPost(ctx, SearchQuery{JQL: "x"})
		return err
	}
	tests := []struct {
		name      string
		answers   []answer // the last one repeats
		call      func(ctx context.Context, c *Client) error
		wantHits  int
		wantClass Class // ClassNone: success
		wantAfter time.Duration
		wantWaits []time.Duration // exact waits; nil: check count only via wantHits
	}{
		{"429 waits Retry-After then succeeds", []answer{tooMany, ok}, get, 2, ClassNone, 0, []time.Duration{time.Second}},
		{"429 on POST create is retried (refused before processing)", []answer{tooMany, created}, create, 2, ClassNone, 0, []time.Duration{time.Second}},
		{"429 retries bounded", []answer{tooMany}, get, 4, ClassRateLimited, time.Second, []time.Duration{time.Second, time.Second, time.Second}},
		{"503 on GET honours Retry-After", []answer{unavailable, ok}, get, 2, ClassNone, 0, []time.Duration{2 * time.Second}},
		{"503 on PUT retried", []answer{unavailable, {204, nil}}, put, 2, ClassNone, 0, []time.Duration{2 * time.Second}},
		{"503 on POST search retried (read-only)", []answer{unavailable, ok}, searchPost, 2, ClassNone, 0, nil},
		{"503 on POST create not retried", []answer{unavailable, created}, create, 1, ClassTransient, 2 * time.Second, []time.Duration{}},
		{"500 on POST comment not retried", []answer{{500, nil}, created}, comment, 1, ClassTransient, 0, []time.Duration{}},
		{"502 on GET retried with backoff", []answer{{502, nil}, {502, nil}, ok}, get, 3, ClassNone, 0, nil},
		{"408 on GET retried", []answer{{408, nil}, ok}, get, 2, ClassNone, 0, nil},
		{"404 not retried", []answer{{404, nil}}, get, 1, ClassData, 0, []time.Duration{}},
		{"400 not retried", []answer{{400, nil}}, put, 1, ClassData, 0, []time.Duration{}},
		{"403 not retried", []answer{{403, nil}}, get, 1, ClassConfig, 0, []time.Duration{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				a := tc.answers[min(n, len(tc.answers))-1]
				for k, v := range a.header {
					w.Header().Set(k, v)
				}
				switch a.status {
				case 200:
					reply(w, 200, []byte(`{"name":"sync","issues":[],"total":0}`))
				case 201:
					reply(w, 201, []byte(`{"id":"1","key":"ABC-1","self":"x"}`))
				case 204:
					w.WriteHeader(204)
				default:
					reply(w, a.status, []byte(`{"errorMessages":["nope"],"errors":{}}`))
				}
			})
			c, sl := newTestClient(t, f, func(cfg *Config) { cfg.BackoffBase = 10 * time.Millisecond })
			err := tc.call(context.Background(), c)
			if got := ClassOf(err); got != tc.wantClass {
				t.Fatalf("class = %v, want %v (err %v)", got, tc.wantClass, err)
			}
			if f.hits() != tc.wantHits {
				t.Errorf("hits = %d, want %d", f.hits(), tc.wantHits)
			}
			var je *Error
			if tc.wantClass != ClassNone {
				if !errors.As(err, &je) {
					t.Fatalf("not an *Error: %T", err)
				}
				if je.RetryAfter != tc.wantAfter {
					t.Errorf("RetryAfter = %v, want %v", je.RetryAfter, tc.wantAfter)
				}
			}
			waits := sl.got()
			if tc.wantWaits != nil && fmt.Sprint(waits) != fmt.Sprint(tc.wantWaits) {
				t.Errorf("waits = %v, want %v", waits, tc.wantWaits)
			}
			if tc.wantWaits == nil && len(waits) != tc.wantHits-1 {
				t.Errorf("waits = %v, want %d of them", waits, tc.wantHits-1)
			}
			for _, w := range waits {
				if w <= 0 || w > 30*time.Second {
					t.Errorf("wait %v out of range", w)
				}
			}
		})
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	c, err := New(Config{BaseURL: "https://jira.example.com", Auth: TokenAuth{Token: "t"}, BackoffBase: 100 * time.Millisecond, BackoffMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 10: time.Second} {
		for range 20 {
			d := c.backoff(attempt)
			if d < want/2 || d >= want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v)", attempt, d, want/2, want)
			}
		}
	}
}

func TestRetryAfterTooLongOrPastDeadline(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		deadline   time.Duration
	}{
		{"longer than MaxRetryWait", "120", 0},
		{"past the context deadline", "5", time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Retry-After", tc.retryAfter)
				w.WriteHeader(429)
			})
			c, _ := newTestClient(t, f, func(cfg *Config) { cfg.MaxRetryWait = 10 * time.Second })
			ctx := context.Background()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				defer cancel()
			}
			_, err := c.Myself(ctx)
			var je *Error
			if !errors.As(err, &je) || je.Class != ClassRateLimited || je.RetryAfter <= 0 {
				t.Fatalf("err = %v", err)
			}
			if f.hits() != 1 {
				t.Errorf("hits = %d, want 1", f.hits())
			}
		})
	}
}

// TestRealSleepRetryAfter uses the default timer once, with Retry-After: 1.
func TestRealSleepRetryAfter(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps 1s")
	}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		reply(w, 200, []byte(`{"name":"sync"}`))
	})
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.Sleep = nil })
	start := time.Now()
	u, err := c.Myself(context.Background())
	if err != nil || u.Name != "sync" {
		t.Fatalf("myself = %v, %v", u, err)
	}
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Errorf("returned after %v, want >= 1s", el)
	}
}

// TestAuthStop: a 401 returns at once, is not retried, and locks the client so the
// next call is not sent; Reset unlocks.
func TestAuthStop(t *testing.T) {
	html := testdata(t, "unauthorized.html")
	tests := []struct {
		name     string
		status   int
		header   map[string]string
		body     []byte
		captcha  bool
		loginWhy string
	}{
		{"HTML 401", 401, map[string]string{"X-Seraph-LoginReason": "AUTHENTICATED_FAILED", "Content-Type": "text/html;charset=UTF-8"}, html, false, "AUTHENTICATED_FAILED"},
		{"CAPTCHA 403", 403, map[string]string{"X-Seraph-LoginReason": "AUTHENTICATION_DENIED", "X-Authentication-Denied-Reason": "CAPTCHA_CHALLENGE; login-url=https://jira.example.com/jira/login.jsp"}, html, true, "AUTHENTICATION_DENIED"},
		{"CAPTCHA 401", 401, map[string]string{"X-Authentication-Denied-Reason": "CAPTCHA_CHALLENGE; login-url=https://jira.example.com/jira/login.jsp"}, nil, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fail atomic.Bool
			fail.Store(true)
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if !fail.Load() {
					reply(w, 200, []byte(`{"name":"sync"}`))
					return
				}
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write(tc.body)
			})
			c, sl := newTestClient(t, f)
			ctx := context.Background()
			_, err := c.Myself(ctx)
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("err = %T %v", err, err)
			}
			if je.Class != ClassAuth || je.Captcha() != tc.captcha || je.LoginReason != tc.loginWhy || je.Status != tc.status {
				t.Errorf("error = %+v", je)
			}
			if f.hits() != 1 || len(sl.got()) != 0 {
				t.Fatalf("hits = %d, waits %v: a 401 must not be retried", f.hits(), sl.got())
			}
			// Any next call, on any endpoint, is refused without sending.
			_, err2 := c.Fields(ctx)
			var je2 *Error
			if !errors.As(err2, &je2) || je2 != je {
				t.Errorf("second call err = %v, want the same auth error", err2)
			}
			if err := c.UpdateIssue(ctx, "ABC-1", IssueInput{}, UpdateOptions{}); ClassOf(err) != ClassAuth {
				t.Errorf("write after lock: %v", err)
			}
			if f.hits() != 1 {
				t.Fatalf("hits = %d after lock, want 1", f.hits())
			}
			if c.AuthError() != je {
				t.Error("AuthError() does not report the lock")
			}
			fail.Store(false)
			c.Reset()
			if _, err := c.Myself(ctx); err != nil {
				t.Fatalf("after Reset: %v", err)
			}
			if f.hits() != 2 {
				t.Errorf("hits = %d after Reset, want 2", f.hits())
			}
		})
	}
}

// TestCredentialsNeverInErrors: even when Jira echoes the credentials back, they do
// not reach error strings, bodies, or formatted configs.
func TestCredentialsNeverInErrors(t *testing.T) {
	token := "NjQ5ODg5NzQxMjM0OkZha2VQQVR0b2tlbg"
	basic := base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPass))
	if got := (BasicAuth{User: testUser, Password: testPass}).secrets(); !slices.Contains(got, basic) || !slices.Contains(got, testPass) {
		t.Fatalf("basic auth secrets = %v", got)
	}
	for _, auth := range []Auth{BasicAuth{User: testUser, Password: testPass}, TokenAuth{Token: token}} {
		t.Run(auth.String(), func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				echo := r.Header.Get("Authorization") + " " + testPass + " " + token
				reply(w, 400, []byte(`{"errorMessages":["bad `+echo+`"],"errors":{"summary":"`+echo+`"}}`))
			})
			c, _ := newTestClient(t, f, func(cfg *Config) { cfg.Auth = auth })
			err := c.UpdateIssue(context.Background(), "ABC-1", IssueInput{}, UpdateOptions{})
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("err = %v", err)
			}
			cfg := Config{BaseURL: "https://x", Auth: auth}
			texts := []string{err.Error(), fmt.Sprintf("%+v", je), fmt.Sprintf("%#v", je), je.Body,
				fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%x", auth), fmt.Sprintf("%d", auth), fmt.Sprintf("%s", auth)}
			for _, s := range texts {
				for _, secret := range auth.secrets() {
					if strings.Contains(s, secret) {
						t.Errorf("secret leaked in %q", s)
					}
				}
			}
			if !strings.Contains(err.Error(), "[REDACTED]") {
				t.Errorf("error lost its message: %v", err)
			}
		})
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
	})
	c, sl := newTestClient(t, f)
	_, err := c.Myself(context.Background())
	if ClassOf(err) != ClassTransient {
		t.Fatalf("class = %v (%v)", ClassOf(err), err)
	}
	if f.hits() != 4 || len(sl.got()) != 3 {
		t.Errorf("hits = %d, waits = %v: GET should be retried 3 times", f.hits(), sl.got())
	}
	// A POST is not retried on a network error: Jira may have processed it.
	_, err = c.AddComment(context.Background(), "ABC-1", CommentInput{Body: "x"})
	if ClassOf(err) != ClassTransient || f.hits() != 5 {
		t.Errorf("post: class %v, hits %d", ClassOf(err), f.hits())
	}
}

// TestPacing: when X-RateLimit-Remaining runs low, calls are spaced at the fill rate.
func TestPacing(t *testing.T) {
	var remaining atomic.Int32
	remaining.Store(100)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Remaining", fmt.Sprint(remaining.Load()))
		w.Header().Set("X-RateLimit-FillRate", "4")
		w.Header().Set("X-RateLimit-Interval-Seconds", "2")
		w.Header().Set("Retry-After", "0")
		reply(w, 200, []byte(`{"name":"sync"}`))
	})
	c, sl := newTestClient(t, f, func(cfg *Config) { cfg.MaxConcurrent = 2 })
	ctx := context.Background()
	for range 3 {
		if _, err := c.Myself(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if w := sl.got(); len(w) != 0 {
		t.Fatalf("waited %v with a full bucket", w)
	}
	remaining.Store(0)
	for range 3 {
		if _, err := c.Myself(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The first call after "Remaining: 0" waits a token time (2s/4 = 500ms); the test
	// sleeper returns at once, so later reservations queue behind it.
	w := sl.got()
	if len(w) < 2 || w[0] != 500*time.Millisecond {
		t.Fatalf("waits = %v, want the first to be 500ms", w)
	}
	remaining.Store(50)
	before := len(sl.got())
	c.pace.mu.Lock()
	c.pace.next = time.Time{}
	c.pace.mu.Unlock()
	for range 2 {
		if _, err := c.Myself(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(sl.got()) > before+1 {
		t.Errorf("still pacing after the bucket refilled: %v", sl.got()[before:])
	}
}

func TestConcurrencyCap(t *testing.T) {
	var inFlight, peak atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		cur := inFlight.Add(1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		reply(w, 200, []byte(`{"name":"sync"}`))
	})
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.MaxConcurrent = 2 })
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Myself(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Errorf("peak concurrency = %d, want <= 2", p)
	}
}

func TestStatsAndObserver(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if strings.HasSuffix(r.URL.Path, "/ABC-404") {
			reply(w, 404, testdata(t, "error-notfound.json"))
			return
		}
		reply(w, 200, testdata(t, "issue.json"))
	})
	var mu sync.Mutex
	var calls []Call
	c, _ := newTestClient(t, f, func(cfg *Config) {
		cfg.Observer = func(c Call) { mu.Lock(); calls = append(calls, c); mu.Unlock() }
	})
	ctx := context.Background()
	for _, k := range []string{"ABC-1", "ABC-2", "ABC-404"} {
		_, _ = c.GetIssue(ctx, k, GetIssueOptions{})
	}
	st := c.Stats()
	okKey := StatKey{Instance: "A", Method: "GET", Endpoint: "/rest/api/2/issue/{key}", Status: 200}
	nfKey := StatKey{Instance: "A", Method: "GET", Endpoint: "/rest/api/2/issue/{key}", Status: 404}
	if st[okKey].Count != 2 || st[nfKey].Count != 1 || len(st) != 2 {
		t.Errorf("stats = %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 3 || calls[2].Route() != "GET /rest/api/2/issue/{key}" || calls[2].Class != ClassData || calls[0].Class != ClassNone || calls[0].Attempt != 1 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no base", Config{Auth: TokenAuth{Token: "t"}}},
		{"bad scheme", Config{BaseURL: "ftp://jira", Auth: TokenAuth{Token: "t"}}},
		{"credentials in URL", Config{BaseURL: "https://u:p@jira.example.com", Auth: TokenAuth{Token: "t"}}},
		{"no auth", Config{BaseURL: "https://jira.example.com"}},
		{"CA bundle without PEM", Config{BaseURL: "https://jira.example.com", Auth: TokenAuth{Token: "t"}, CABundle: []byte("nope")}},
		{"CA bundle with HTTPClient", Config{BaseURL: "https://jira.example.com", Auth: TokenAuth{Token: "t"}, CABundle: []byte("x"), HTTPClient: http.DefaultClient}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
	c, err := New(Config{BaseURL: "https://jira.example.com/jira/", Auth: TokenAuth{Token: "t"}})
	if err != nil || c.BaseURL() != "https://jira.example.com/jira" {
		t.Errorf("base = %q, %v", c.BaseURL(), err)
	}
}

func TestTokenAuthHeader(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, []byte(`{}`)) })
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.Auth = TokenAuth{Token: "pat-123"}; cfg.UserAgent = "airlock/test" })
	if _, err := c.ServerInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := f.last().Header
	if h.Get("Authorization") != "Bearer pat-123" || h.Get("User-Agent") != "airlock/test" {
		t.Errorf("headers = %v", h)
	}
}
