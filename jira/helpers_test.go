package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"
)

const (
	testUser = "sync"
	testPass = "Tr0ub4dor&3-s3cret"
)

// seen is one request as the fake Jira received it.
type seen struct {
	Method string
	Path   string
	Query  map[string][]string
	Header http.Header
	Body   []byte
}

// fakeJira records requests and answers through handle (n is the 1-based hit count).
type fakeJira struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []seen
	handle func(w http.ResponseWriter, r *http.Request, n int)
}

func newFake(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *fakeJira {
	t.Helper()
	f := &fakeJira{t: t, handle: handle}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
		n := len(f.reqs)
		f.mu.Unlock()
		f.handle(w, r, n)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeJira) hits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

func (f *fakeJira) last() seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		f.t.Fatal("no request received")
	}
	return f.reqs[len(f.reqs)-1]
}

func (f *fakeJira) all() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// sleeper records requested waits and returns at once (unless ctx is done); its
// clock advances by each wait, so the client's pacer sees the time as slept.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
	clock time.Time
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.clock = s.clock.Add(d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newTestClient builds a client on the fake with context path /jira and basic auth.
func newTestClient(t *testing.T, f *fakeJira, mods ...func(*Config)) (*Client, *sleeper) {
	t.Helper()
	sl := &sleeper{clock: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)}
	cfg := Config{
		BaseURL:    f.srv.URL + "/jira",
		Auth:       BasicAuth{User: testUser, Password: testPass},
		Instance:   "A",
		HTTPClient: f.srv.Client(),
		Sleep:      sl.sleep,
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if cfg.Sleep != nil {
		c.now = sl.now
	}
	return c, sl
}

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read testdata: %v", err)
	}
	return b
}

// reply writes a JSON answer.
func reply(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// jsonEqual compares two JSON texts semantically.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("request body is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body = %s\nwant  %s", got, want)
	}
}

// fixturesDir finds the captured Jira responses: AIRLOCK_FIXTURES, else ../shared/jira-fixtures
// beside the module root. Tests skip when it is absent, except under CI=true, where the folder
// is always laid beside the checkout and a missing one is a failure.
func fixturesDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("AIRLOCK_FIXTURES")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "jira-fixtures")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if os.Getenv("CI") == "true" {
			t.Fatalf("jira fixtures not found at %s under CI=true (set AIRLOCK_FIXTURES)", dir)
		}
		t.Skipf("jira fixtures not found at %s (set AIRLOCK_FIXTURES)", dir)
	}
	return dir
}

func ptr[T any](v T) *T { return &v }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }
