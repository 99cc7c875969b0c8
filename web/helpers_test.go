package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/models/modelstest"
)

const (
	testAdmin    = "admin"
	testPassword = "correct-horse-battery"
)

// fakeQueue is a Queue whose health and mode the test sets.
type fakeQueue struct {
	mu       sync.Mutex
	err      error
	embedded bool
}

func (q *fakeQueue) Ping(context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

func (q *fakeQueue) Embedded() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.embedded
}

func (q *fakeQueue) setErr(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.err = err
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// fakeClock is the login limiter's clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a console on a fresh SQLite database with an admin user.
type env struct {
	s     *Server
	db    *models.DB
	queue *fakeQueue
	logs  *syncBuffer
	clock *fakeClock
	admin *models.User
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.SessionTTL = time.Hour
	db := modelstest.SQLite(t)
	admin := addUser(t, db, testAdmin)
	q := &fakeQueue{}
	logs := &syncBuffer{}
	s, err := New(Deps{Config: cfg, DB: db, Queue: q, Logger: slog.New(slog.NewTextHandler(logs, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)}
	s.limiter.now = clock.Now
	s.userFails.now = clock.Now
	s.loginSleep = func(context.Context, time.Duration) error { return nil }
	return &env{s: s, db: db, queue: q, logs: logs, clock: clock, admin: admin}
}

// addUser creates a console user with testPassword, hashed at bcrypt's lowest cost so tests
// stay fast (Authenticate reads the cost from the hash).
func addUser(t *testing.T, db *models.DB, name string) *models.User {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	u := &models.User{Username: name, PasswordHash: string(h), IsAdmin: true}
	if err := db.Create(u).Error; err != nil {
		t.Fatal(err)
	}
	return u
}

// session creates a session for the admin directly (no bcrypt) and returns its cookie token.
func (e *env) session(t *testing.T) (token string, sess *models.Session) {
	t.Helper()
	token, sess, err := e.db.CreateSession(context.Background(), e.admin, "127.0.0.1", "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return token, sess
}

// req is one request to the console.
type req struct {
	method, path string
	form         url.Values
	cookies      []*http.Cookie
	header       map[string]string
	remote       string
	tls          bool
}

// do serves r in process and returns the recorded response.
func (e *env) do(t *testing.T, r req) *http.Response {
	t.Helper()
	var body io.Reader
	if r.form != nil {
		body = strings.NewReader(r.form.Encode())
	}
	if r.method == "" {
		r.method = http.MethodGet
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.form != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	for _, c := range r.cookies {
		hr.AddCookie(c)
	}
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	if r.tls {
		hr.TLS = &tls.ConnectionState{}
	}
	rec := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(rec, hr)
	return rec.Result()
}

// get requests path with the session cookie token.
func (e *env) get(t *testing.T, path, token string) *http.Response {
	t.Helper()
	return e.do(t, req{path: path, cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}})
}

// loginForm fetches the login page and returns its CSRF cookie and form token.
func (e *env) loginForm(t *testing.T) (*http.Cookie, string) {
	t.Helper()
	res := e.do(t, req{path: "/login"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /login: %d", res.StatusCode)
	}
	ck := cookieNamed(res, loginCSRFCookie)
	if ck == nil {
		t.Fatal("GET /login set no login CSRF cookie")
	}
	doc := parse(t, res)
	tok, _ := doc.Find(`form[data-testid="login-form"] input[name="_csrf"]`).Attr("value")
	if tok == "" || tok != ck.Value {
		t.Fatalf("login form token %q does not match cookie %q", tok, ck.Value)
	}
	return ck, tok
}

// login posts the login form from remote with a fresh form token.
func (e *env) login(t *testing.T, user, pw, remote string, extra ...*http.Cookie) *http.Response {
	t.Helper()
	ck, tok := e.loginForm(t)
	return e.do(t, req{method: http.MethodPost, path: "/login", remote: remote,
		form:    url.Values{"_csrf": {tok}, "username": {user}, "password": {pw}},
		cookies: append([]*http.Cookie{ck}, extra...)})
}

func cookieNamed(res *http.Response, name string) *http.Cookie {
	var found *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == name {
			found = c // the last one wins, as in a browser
		}
	}
	return found
}

func parse(t *testing.T, res *http.Response) *goquery.Document {
	t.Helper()
	defer res.Body.Close()
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func bodyString(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var errBoom = errors.New("boom")
