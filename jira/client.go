package jira

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// apiPrefix is the REST v2 root below the base URL (which includes the context path).
const apiPrefix = "/rest/api/2"

// Defaults for Config fields left zero.
const (
	DefaultMaxConcurrent = 8
	DefaultMaxRetries    = 3
	DefaultMaxRetryWait  = time.Minute
	DefaultBackoffBase   = 500 * time.Millisecond
	DefaultBackoffMax    = 30 * time.Second
	defaultUserAgent     = "airlock-jira-client"
	maxErrorBody         = 64 << 10
)

// Auth is how the client authenticates: BasicAuth or TokenAuth. Both are sent
// pre-emptively (Jira issues no challenge) and print without their secret.
type Auth interface {
	apply(h http.Header)
	secrets() []string
	String() string
}

// BasicAuth is user name and password, sent as "Authorization: Basic".
type BasicAuth struct {
	User     string
	Password string
}

func (a BasicAuth) apply(h http.Header) { h.Set("Authorization", "Basic "+a.encoded()) }
func (a BasicAuth) encoded() string {
	return base64.StdEncoding.EncodeToString([]byte(a.User + ":" + a.Password))
}
func (a BasicAuth) secrets() []string { return []string{a.Password, a.encoded()} }

// String names the user and hides the password.
func (a BasicAuth) String() string { return "basic(" + a.User + ", password redacted)" }

// Format prints String for every verb, so %v, %+v, %#v and %x cannot leak the password.
func (a BasicAuth) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, a.String()) }

// LogValue keeps the password out of slog output.
func (a BasicAuth) LogValue() slog.Value { return slog.StringValue(a.String()) }

// MarshalJSON keeps the password out of JSON dumps of a Config.
func (a BasicAuth) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"type": "basic", "user": a.User})
}

// TokenAuth is a Personal Access Token (Jira 8.14+), sent as "Authorization: Bearer".
type TokenAuth struct {
	Token string
}

func (a TokenAuth) apply(h http.Header) { h.Set("Authorization", "Bearer "+a.Token) }
func (a TokenAuth) secrets() []string   { return []string{a.Token} }

// String hides the token.
func (a TokenAuth) String() string { return "token(redacted)" }

// Format prints String for every verb, so no verb can leak the token.
func (a TokenAuth) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, a.String()) }

// LogValue keeps the token out of slog output.
func (a TokenAuth) LogValue() slog.Value { return slog.StringValue(a.String()) }

// MarshalJSON keeps the token out of JSON dumps of a Config.
func (a TokenAuth) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"type": "token"})
}

// Config configures a Client. BaseURL and Auth are required.
type Config struct {
	BaseURL       string        // with context path, e.g. https://jira.example.com/jira
	Auth          Auth          // BasicAuth or TokenAuth
	CABundle      []byte        // optional PEM, added to the system pool; there is no "insecure" option
	Instance      string        // name used in metrics and errors
	MaxConcurrent int           // concurrent calls per Client (default 8)
	HTTPClient    *http.Client  // optional (tests); CABundle must then be empty
	Observer      func(Call)    // optional; called once per HTTP call, synchronously: keep it fast
	UserAgent     string        // optional User-Agent
	MaxRetries    int           // retries after the first attempt (default 3; negative: none)
	MaxRetryWait  time.Duration // longest single wait done in-process (default 1m); longer Retry-After returns the error
	BackoffBase   time.Duration // first backoff step for transient errors (default 500ms)
	BackoffMax    time.Duration // backoff cap (default 30s)
	// Sleep waits d or until ctx ends; nil uses a timer. Tests inject a fast one.
	Sleep func(ctx context.Context, d time.Duration) error
	// AllowedHosts, when not empty, limits BaseURL to these hosts or, for entries starting with
	// ".", host suffixes (AIRLOCK_JIRA_ALLOWLIST); see HostAllowed.
	AllowedHosts []string
	// Limits bound the answers (size, idle time, total time); zero fields take the defaults.
	Limits
}

// Limits bound what a Jira answer may cost: a hostile or broken Jira or proxy must not exhaust
// memory or hold a worker or a console page.
type Limits struct {
	// MaxBody caps a JSON answer read into memory (default 32 MiB, AIRLOCK_JIRA_MAX_BODY); a
	// larger one fails with ErrBodyTooLarge. Attachment downloads stream under their own cap.
	MaxBody int64
	// BodyIdleTimeout ends a call whose answer sends no byte for this long (default 30s,
	// AIRLOCK_JIRA_BODY_IDLE_TIMEOUT; downloads too). It fails with ErrBodyTimeout.
	BodyIdleTimeout time.Duration
	// CallTimeout bounds one JSON call, retries included (default 2m, AIRLOCK_JIRA_CALL_TIMEOUT).
	// It fails with ErrBodyTimeout.
	CallTimeout time.Duration
}

// Call describes one HTTP call for Config.Observer.
type Call struct {
	Instance string
	Method   string
	Endpoint string // template, e.g. /rest/api/2/issue/{key}
	Status   int    // 0 when no response arrived
	Duration time.Duration
	Class    Class // ClassNone on success
	Attempt  int   // 1 for the first try of a logical call
}

// Route is "METHOD template", e.g. "GET /rest/api/2/issue/{key}".
func (c Call) Route() string { return c.Method + " " + c.Endpoint }

// StatKey identifies a counter in Stats.
type StatKey struct {
	Instance string
	Method   string
	Endpoint string
	Status   int
}

// Stat is a counter in Stats: calls and their summed duration.
type Stat struct {
	Count    int64
	Duration time.Duration
}

// Client calls one Jira instance. It is safe for concurrent use.
type Client struct {
	base     string // BaseURL without trailing slash
	baseURL  *url.URL
	instance string
	auth     Auth
	ua       string
	hc       *http.Client
	observer func(Call)
	sleep    func(ctx context.Context, d time.Duration) error
	now      func() time.Time // pacing clock; tests pair it with Sleep

	maxRetries   int
	maxRetryWait time.Duration
	backoffBase  time.Duration
	backoffMax   time.Duration
	maxBody      int64
	idleTimeout  time.Duration
	callTimeout  time.Duration

	sem    chan struct{}
	redact *strings.Replacer
	pace   pacer

	mu      sync.Mutex
	authErr *Error
	stats   map[StatKey]Stat
}

// New validates cfg and builds a Client. It does no I/O.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("jira: BaseURL is required")
	}
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("jira: BaseURL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("jira: BaseURL %q: scheme must be http or https", cfg.BaseURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("jira: BaseURL %q: no host", cfg.BaseURL)
	}
	if u.User != nil {
		return nil, errors.New("jira: BaseURL must not carry credentials; use Config.Auth")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("jira: BaseURL %q must not have a query or fragment", cfg.BaseURL)
	}
	if !HostAllowed(u.Hostname(), cfg.AllowedHosts) {
		return nil, fmt.Errorf("jira: BaseURL %q: %w (%s)", cfg.BaseURL, ErrHostNotAllowed, strings.Join(cfg.AllowedHosts, ", "))
	}
	if cfg.Auth == nil {
		return nil, errors.New("jira: Auth is required (BasicAuth or TokenAuth)")
	}
	c := &Client{
		base:         u.String(),
		baseURL:      u,
		instance:     cfg.Instance,
		auth:         cfg.Auth,
		ua:           cfg.UserAgent,
		hc:           cfg.HTTPClient,
		observer:     cfg.Observer,
		sleep:        cfg.Sleep,
		now:          time.Now,
		maxRetries:   cfg.MaxRetries,
		maxRetryWait: cfg.MaxRetryWait,
		backoffBase:  cfg.BackoffBase,
		backoffMax:   cfg.BackoffMax,
		maxBody:      cfg.MaxBody,
		idleTimeout:  cfg.BodyIdleTimeout,
		callTimeout:  cfg.CallTimeout,
		stats:        make(map[StatKey]Stat),
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	if c.idleTimeout <= 0 {
		c.idleTimeout = DefaultBodyIdleTimeout
	}
	if c.callTimeout <= 0 {
		c.callTimeout = DefaultCallTimeout
	}
	if c.ua == "" {
		c.ua = defaultUserAgent
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.maxRetryWait <= 0 {
		c.maxRetryWait = DefaultMaxRetryWait
	}
	if c.backoffBase <= 0 {
		c.backoffBase = DefaultBackoffBase
	}
	if c.backoffMax <= 0 {
		c.backoffMax = DefaultBackoffMax
	}
	n := cfg.MaxConcurrent
	if n <= 0 {
		n = DefaultMaxConcurrent
	}
	c.sem = make(chan struct{}, n)
	c.pace.low = n

	var pairs []string
	for _, s := range cfg.Auth.secrets() {
		if s != "" {
			pairs = append(pairs, s, "[REDACTED]")
		}
	}
	c.redact = strings.NewReplacer(pairs...)

	if c.hc == nil {
		hc, err := newHTTPClient(cfg.CABundle)
		if err != nil {
			return nil, err
		}
		c.hc = hc
	} else if len(cfg.CABundle) > 0 {
		return nil, errors.New("jira: CABundle cannot be combined with HTTPClient; configure the client's TLS instead")
	}
	// Credentials never follow a redirect to another host, whoever built the http.Client.
	c.hc = c.withRedirectPolicy(c.hc)
	return c, nil
}

// newHTTPClient builds a client with transport-level timeouts only (downloads may
// stream for long; callers bound calls with their context).
func newHTTPClient(caPEM []byte) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 2 * time.Minute
	tr.TLSHandshakeTimeout = 15 * time.Second
	if len(caPEM) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("jira: CABundle holds no PEM certificate")
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}, nil
}

// Instance returns Config.Instance.
func (c *Client) Instance() string { return c.instance }

// BaseURL returns the base URL (with context path, no trailing slash).
func (c *Client) BaseURL() string { return c.base }

// Reset clears the authentication lock set by a 401 or CAPTCHA answer, once someone
// has fixed the credentials or cleared the CAPTCHA in the web UI.
func (c *Client) Reset() {
	c.mu.Lock()
	c.authErr = nil
	c.mu.Unlock()
}

// AuthError returns the error that locked the client, or nil when calls are allowed.
func (c *Client) AuthError() *Error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.authErr
}

// Stats returns a snapshot of the call counters.
func (c *Client) Stats() map[StatKey]Stat {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[StatKey]Stat, len(c.stats))
	for k, v := range c.stats {
		out[k] = v
	}
	return out
}

func (c *Client) record(call Call) {
	c.mu.Lock()
	k := StatKey{Instance: call.Instance, Method: call.Method, Endpoint: call.Endpoint, Status: call.Status}
	s := c.stats[k]
	s.Count++
	s.Duration += call.Duration
	c.stats[k] = s
	c.mu.Unlock()
	if c.observer != nil {
		c.observer(call)
	}
}

// request is one logical API call; send may make several HTTP attempts for it.
type request struct {
	method     string
	tmpl       string     // template below apiPrefix ("/issue/{key}"), or absolute when abs
	path       string     // escaped path below apiPrefix
	abs        string     // absolute URL (attachment content); tmpl is then a full template
	query      url.Values // optional
	body       []byte     // JSON body, replayable
	hasBody    bool
	stream     func() (io.ReadCloser, string) // one-shot body and its content type
	idempotent bool
	search     bool // a JQL search: any 400 is a JQL (config) error
	accept     string
	// header, when set, receives the headers of the successful answer (the search reads
	// Jira's clock from its Date header).
	header func(http.Header)
}

func (r *request) endpoint() string {
	if r.abs != "" {
		return r.tmpl
	}
	return apiPrefix + r.tmpl
}

// jsonRequest builds a request with a JSON body (nil in means no body).
func jsonRequest(method, tmpl, path string, in any) (request, error) {
	r := request{method: method, tmpl: tmpl, path: path, idempotent: method != http.MethodPost}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return r, fmt.Errorf("jira: encode %s %s body: %w", method, apiPrefix+tmpl, err)
		}
		r.body, r.hasBody = b, true
	}
	return r, nil
}

// get is the common case: GET, no body, decode into out.
func (c *Client) get(ctx context.Context, tmpl, path string, q url.Values, out any) error {
	return c.do(ctx, request{method: http.MethodGet, tmpl: tmpl, path: path, query: q, idempotent: true}, out)
}

// write sends a JSON body with method and decodes the answer into out (may be nil).
func (c *Client) write(ctx context.Context, method, tmpl, path string, q url.Values, in, out any) error {
	r, err := jsonRequest(method, tmpl, path, in)
	if err != nil {
		return err
	}
	r.query = q
	return c.do(ctx, r, out)
}

// do sends r and decodes a successful JSON answer into out.
func (c *Client) do(ctx context.Context, r request, out any) error {
	resp, release, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer release()
	defer resp.Body.Close()
	if r.header != nil {
		r.header(resp.Header)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	body, e := c.readBody(r, resp)
	if e != nil {
		return e
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		cause := fmt.Errorf("decode %s answer: %w", ct, err)
		if ct == "text/html" {
			cause = fmt.Errorf("got an HTML page instead of JSON (check the base URL and any SSO or proxy in front of Jira): %w", err)
		}
		return c.newError(r, resp.StatusCode, resp.Header, body, cause)
	}
	return nil
}

// send runs the attempt loop: auth lock, concurrency cap, pacing, retry rules, under the
// call's deadline. On success it returns the 2xx response with the concurrency slot still
// held; the caller must close the body and then call release.
func (c *Client) send(ctx context.Context, r request) (*http.Response, func(), error) {
	ctx, stop := c.callContext(ctx, r)
	resp, release, err := c.attempts(ctx, r)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return resp, func() { release(); stop() }, nil
}

func (c *Client) attempts(ctx context.Context, r request) (*http.Response, func(), error) {
	for attempt := 1; ; attempt++ {
		if e := c.AuthError(); e != nil {
			return nil, nil, e
		}
		if err := c.acquire(ctx); err != nil {
			return nil, nil, c.newError(r, 0, nil, nil, explain(ctx, err))
		}
		actx, cancel := context.WithCancelCause(ctx)
		release := sync.OnceFunc(func() { cancel(nil); <-c.sem })
		if d := c.pace.reserve(c.now()); d > 0 {
			if err := c.sleep(ctx, d); err != nil {
				release()
				return nil, nil, c.newError(r, 0, nil, nil, explain(ctx, err))
			}
		}
		req, err := c.newHTTPRequest(actx, r)
		if err != nil {
			release()
			return nil, nil, err
		}
		start := time.Now()
		resp, err := c.hc.Do(req)
		dur := time.Since(start)
		if err != nil {
			release()
			e := c.newError(r, 0, nil, nil, explain(actx, err))
			c.record(Call{Instance: c.instance, Method: r.method, Endpoint: r.endpoint(), Duration: dur, Class: e.Class, Attempt: attempt})
			if ctx.Err() != nil || r.stream != nil || !r.idempotent || attempt > c.maxRetries || e.Class != ClassTransient {
				return nil, nil, e
			}
			if c.sleep(ctx, c.backoff(attempt)) != nil {
				return nil, nil, e
			}
			continue
		}
		c.pace.observe(resp.Header, c.now())
		c.watchBody(actx, cancel, resp)
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			c.record(Call{Instance: c.instance, Method: r.method, Endpoint: r.endpoint(), Status: resp.StatusCode, Duration: dur, Attempt: attempt})
			return resp, release, nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		release()
		e := c.newError(r, resp.StatusCode, resp.Header, body, nil)
		c.record(Call{Instance: c.instance, Method: r.method, Endpoint: r.endpoint(), Status: resp.StatusCode, Duration: dur, Class: e.Class, Attempt: attempt})
		if e.Class == ClassAuth {
			c.lock(e)
			return nil, nil, e
		}
		if e.Class == ClassRateLimited && e.RetryAfter > 0 {
			c.pace.pause(c.now().Add(e.RetryAfter))
		}
		wait, ok := c.retryWait(ctx, r, e, attempt)
		if !ok {
			return nil, nil, e
		}
		if c.sleep(ctx, wait) != nil {
			return nil, nil, e
		}
	}
}

// retryWait decides whether a failed attempt is retried and after how long.
// 429 is retried for every method (the limiter refused the request before Jira
// processed it); 503 and other transient answers only for idempotent requests.
// One-shot streamed bodies are never retried.
func (c *Client) retryWait(ctx context.Context, r request, e *Error, attempt int) (time.Duration, bool) {
	if attempt > c.maxRetries || r.stream != nil {
		return 0, false
	}
	var wait time.Duration
	switch {
	case e.Class == ClassRateLimited:
		wait = e.RetryAfter
	case e.Class == ClassTransient && r.idempotent:
		wait = e.RetryAfter
	default:
		return 0, false
	}
	if wait <= 0 {
		wait = c.backoff(attempt)
	}
	if wait > c.maxRetryWait {
		return 0, false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return 0, false
	}
	return wait, true
}

// backoff is exponential with jitter in [d/2, d).
func (c *Client) backoff(attempt int) time.Duration {
	d := c.backoffBase
	for i := 1; i < attempt && d < c.backoffMax; i++ {
		d *= 2
	}
	if d > c.backoffMax {
		d = c.backoffMax
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half)
}

func (c *Client) lock(e *Error) {
	c.mu.Lock()
	if c.authErr == nil {
		c.authErr = e
	}
	c.mu.Unlock()
}

func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newHTTPRequest builds the HTTP request for one attempt.
func (c *Client) newHTTPRequest(ctx context.Context, r request) (*http.Request, error) {
	target := r.abs
	if target == "" {
		target = c.base + apiPrefix + r.path
	}
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	var body io.Reader
	contentType := ""
	switch {
	case r.stream != nil:
		rc, ct := r.stream()
		body, contentType = rc, ct
	case r.hasBody:
		body, contentType = bytes.NewReader(r.body), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		if rc, ok := body.(io.Closer); ok && r.stream != nil {
			rc.Close()
		}
		return nil, c.newError(r, 0, nil, nil, fmt.Errorf("build request: %w", err))
	}
	c.auth.apply(req.Header)
	req.Header.Set("User-Agent", c.ua)
	accept := r.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if r.method != http.MethodGet && r.method != http.MethodHead {
		req.Header.Set("X-Atlassian-Token", "no-check")
	}
	return req, nil
}

// newError builds a redacted *Error for request r.
func (c *Client) newError(r request, status int, h http.Header, body []byte, cause error) *Error {
	e := &Error{Instance: c.instance, Status: status, Method: r.method, Template: r.endpoint()}
	if r.abs != "" {
		if u, err := url.Parse(r.abs); err == nil {
			e.Endpoint = u.EscapedPath()
		}
	} else {
		e.Endpoint = c.baseURL.EscapedPath() + apiPrefix + r.path
	}
	if cause != nil {
		e.cause = &redactedError{msg: c.redact.Replace(cause.Error()), err: cause}
	}
	e.fill(h, body, c.redact.Replace, r.search)
	if status == 0 && cause != nil {
		e.Class = classifyCause(cause)
	}
	return e
}

// redactedError shows a scrubbed message but keeps the chain for errors.Is/As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 when absent.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 24*3600 {
			n = 24 * 3600
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// pacer spaces calls when Jira DC's token bucket runs low, and holds every call
// after a 429 until its Retry-After has passed.
type pacer struct {
	mu   sync.Mutex
	next time.Time     // earliest start of the next call
	gap  time.Duration // spacing while the bucket is low; 0 when not pacing
	low  int           // Remaining below this turns pacing on
}

// reserve claims a start slot and returns how long to wait for it.
func (p *pacer) reserve(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := now
	if p.next.After(start) {
		start = p.next
	}
	if p.gap > 0 {
		p.next = start.Add(p.gap)
	}
	return start.Sub(now)
}

// observe reads X-RateLimit-Remaining, -FillRate and -Interval-Seconds. While
// Remaining is below the concurrency cap, calls are spaced at the fill rate; at zero
// the next call also waits for one token. Answers without the headers end pacing.
func (p *pacer) observe(h http.Header, now time.Time) {
	rem, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining")))
	if err != nil {
		// No rate-limit headers: limiting is off for this user (or this answer).
		p.mu.Lock()
		p.gap = 0
		p.mu.Unlock()
		return
	}
	fill, _ := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-FillRate")))
	interval, _ := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Interval-Seconds")))
	p.mu.Lock()
	defer p.mu.Unlock()
	if fill <= 0 || interval <= 0 || rem >= p.low {
		p.gap = 0
		return
	}
	p.gap = time.Duration(interval) * time.Second / time.Duration(fill)
	if rem <= 0 && p.next.Before(now.Add(p.gap)) {
		p.next = now.Add(p.gap)
	}
}

// pause holds every call until t.
func (p *pacer) pause(t time.Time) {
	p.mu.Lock()
	if t.After(p.next) {
		p.next = t
	}
	p.mu.Unlock()
}

// escape joins path segments, escaping each one.
func escape(format string, segs ...string) string {
	args := make([]any, len(segs))
	for i, s := range segs {
		args[i] = url.PathEscape(s)
	}
	return fmt.Sprintf(format, args...)
}

// sameHost reports whether u is on the scheme and host of the base URL.
func (c *Client) sameHost(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, c.baseURL.Scheme) && strings.EqualFold(hostPort(u), hostPort(c.baseURL))
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
