package jirasim

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const jiraTime = "2006-01-02T15:04:05.000-0700"

type ctxKey struct{}

// rc is one request being served.
type rc struct {
	i    *Instance
	w    http.ResponseWriter
	r    *http.Request
	u    *user // nil = anonymous
	base string
	agg  map[*issue]timeValues // aggregate time tracking per issue, for this request (timetracking.go)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// serve is the instance's front door: admin path, faults, auth, rate limit, log.
func (i *Instance) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, i.cp+"/__sim/") || r.URL.Path == i.cp+"/__sim" {
		i.serveAdmin(w, r)
		return
	}
	start := time.Now()
	reqID := fmt.Sprintf("%dx%dx1", start.Hour()*60+start.Minute(), i.reqSeq.Add(1))
	w.Header().Set("X-AREQUESTID", reqID)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// Jira's clock, as Tomcat writes it: clients read the server's time from it (the
	// emulator's clock may be moved by the knobs, so Go's own Date would disagree).
	w.Header().Set("Date", i.now().UTC().Format(http.TimeFormat))

	var body []byte
	if r.Body != nil {
		limit := i.opts.UploadLimit*4 + 1<<20
		b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		if int64(len(b)) > limit {
			writeJSON(w, http.StatusRequestEntityTooLarge, errBody("The request body is too large."))
			return
		}
		body = b
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	_, pattern := i.mux.Handler(r)
	path := strings.TrimPrefix(r.URL.Path, i.cp)
	ep := endpointKey(pattern, i.cp, r.Method, path)
	sw := &statusWriter{ResponseWriter: w}
	var u *user
	defer func() {
		name := ""
		if u != nil {
			name = u.name
		}
		i.log.add(LogEntry{Time: start, RequestID: reqID, Method: r.Method, Path: path, Query: r.URL.RawQuery,
			Endpoint: ep, Status: sw.status, User: name, Body: excerpt(body, r.Header.Get("Content-Type"))})
		i.logger.Debug("jirasim", "instance", i.opts.Name, "method", r.Method, "path", path, "status", sw.status, "user", name)
	}()

	if !i.knobs.admit(r.Context()) {
		return
	}
	defer i.knobs.release()
	if !i.applyFaults(sw, r, ep) {
		return
	}
	var ok bool
	u, ok = i.authenticate(sw, r)
	if !ok {
		return
	}
	if u != nil {
		sw.Header().Set("X-AUSERNAME", u.name)
		sw.Header().Set("X-Seraph-LoginReason", "OK")
		if !i.rateLimit(sw, u) || !i.random429(sw, u) {
			return
		}
	} else {
		sw.Header().Set("X-AUSERNAME", "anonymous")
	}
	c := &rc{i: i, w: sw, r: r, u: u, base: i.baseFor(r)}
	i.mux.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), ctxKey{}, c)))
}

func excerpt(body []byte, ctype string) string {
	limit := 4 << 10
	if strings.Contains(ctype, "json") {
		limit = 64 << 10
	}
	if len(body) > limit {
		body = body[:limit]
	}
	return string(body)
}

// applyFaults runs the latency, timeout and error knobs; false = answered.
func (i *Instance) applyFaults(w http.ResponseWriter, r *http.Request, ep string) bool {
	f := i.knobs.fault(ep)
	if f.latency > 0 {
		if !sleepCtx(r.Context(), f.latency) {
			return false
		}
	}
	if f.hang > 0 {
		if sleepCtx(r.Context(), f.hang) {
			w.Header().Set("Content-Type", "text/html;charset=UTF-8")
			w.WriteHeader(http.StatusGatewayTimeout)
			_, _ = io.WriteString(w, "<html><body><h1>504 Gateway Time-out</h1></body></html>")
		}
		return false
	}
	switch f.status {
	case 0:
		return true
	case http.StatusServiceUnavailable:
		w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, "<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>Jira is unavailable at the moment.</p></body></html>")
	default:
		writeJSON(w, f.status, errBody("Internal server error"))
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// authenticate resolves Basic or Bearer credentials; false = a 401 was sent.
func (i *Instance) authenticate(w http.ResponseWriter, r *http.Request) (*user, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, true
	}
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "bearer":
		i.mu.RLock()
		u := i.st.tokens[cred]
		i.mu.RUnlock()
		if u == nil || !u.active {
			i.unauthorized(w, r, "AUTHENTICATED_FAILED", "")
			return nil, false
		}
		return u, true
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			i.unauthorized(w, r, "AUTHENTICATED_FAILED", "")
			return nil, false
		}
		name, pass, _ := strings.Cut(string(raw), ":")
		lname := strings.ToLower(name)
		threshold := i.knobs.Get().CaptchaThreshold
		if threshold <= 0 {
			threshold = i.opts.CaptchaThreshold
		}
		i.mu.Lock()
		defer i.mu.Unlock()
		if i.st.captcha[lname] {
			i.unauthorized(w, r, "AUTHENTICATION_DENIED", "CAPTCHA_CHALLENGE; login-url="+i.baseFor(r)+"/login.jsp")
			return nil, false
		}
		u := i.st.userByName[lname]
		if u == nil || !u.active || u.password != pass || pass == "" {
			i.st.failures[lname]++
			if i.st.failures[lname] >= threshold {
				i.st.captcha[lname] = true
			}
			i.unauthorized(w, r, "AUTHENTICATED_FAILED", "")
			return nil, false
		}
		delete(i.st.failures, lname)
		return u, true
	}
	i.unauthorized(w, r, "AUTHENTICATED_FAILED", "")
	return nil, false
}

func (i *Instance) unauthorized(w http.ResponseWriter, r *http.Request, reason, denied string) {
	w.Header().Set("X-Seraph-LoginReason", reason)
	w.Header().Set("X-AUSERNAME", "anonymous")
	if denied != "" {
		w.Header().Set("X-Authentication-Denied-Reason", denied)
	}
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Unauthorized (401)</title></head>
<body id="jira" class="aui-layout aui-style-default page-type-message">
<div class="aui-page-panel"><h1>Unauthorized (401)</h1>
<p>Encountered a &quot;401 - Unauthorized&quot; error while loading this page.</p>
<p><a href="%s/secure/MyJiraHome.jspa">Go to Jira home</a></p></div></body></html>
`, i.baseFor(r))
}

type bucket struct {
	tokens float64
	last   time.Time
}

// rateLimit applies the per-user token bucket; false = a 429 was sent.
func (i *Instance) rateLimit(w http.ResponseWriter, u *user) bool {
	rl := i.knobs.Get().RateLimit
	if !rl.Enabled {
		return true
	}
	if rl.Capacity <= 0 {
		rl.Capacity = 10
	}
	if rl.IntervalSeconds <= 0 {
		rl.IntervalSeconds = 1
	}
	if rl.FillRate <= 0 {
		rl.FillRate = 1
	}
	now := i.now()
	i.mu.Lock()
	b := i.st.buckets[u.key]
	if b == nil {
		b = &bucket{tokens: float64(rl.Capacity), last: now}
		i.st.buckets[u.key] = b
	}
	perSec := float64(rl.FillRate) / float64(rl.IntervalSeconds)
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(float64(rl.Capacity), b.tokens+el*perSec)
	}
	b.last = now
	ok := b.tokens >= 1
	retry := 0
	if ok {
		b.tokens--
	} else {
		retry = int(math.Ceil((1 - b.tokens) / perSec))
	}
	remaining := int(math.Floor(b.tokens))
	i.mu.Unlock()
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(rl.Capacity))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Interval-Seconds", strconv.Itoa(rl.IntervalSeconds))
	h.Set("X-RateLimit-FillRate", strconv.Itoa(rl.FillRate))
	h.Set("Retry-After", strconv.Itoa(retry))
	if !ok {
		writeJSON(w, http.StatusTooManyRequests, errBody("Rate limit exceeded."))
	}
	return ok
}

// errorBody is Jira's error collection.
type errorBody struct {
	ErrorMessages   []string          `json:"errorMessages"`
	Errors          map[string]string `json:"errors"`
	WarningMessages []string          `json:"warningMessages,omitempty"`
}

func errBody(msgs ...string) errorBody {
	if msgs == nil {
		msgs = []string{}
	}
	return errorBody{ErrorMessages: msgs, Errors: map[string]string{}}
}

func fieldErrs(errs map[string]string) errorBody {
	return errorBody{ErrorMessages: []string{}, Errors: errs}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimRight(buf.Bytes(), "\n"))
}

func (c *rc) json(status int, v any)         { writeJSON(c.w, status, v) }
func (c *rc) fail(status int, msg ...string) { writeJSON(c.w, status, errBody(msg...)) }
func (c *rc) noContent()                     { c.w.WriteHeader(http.StatusNoContent) }
func (c *rc) notFoundIssue()                 { c.fail(http.StatusNotFound, "Issue Does Not Exist") }
func (c *rc) notAuthenticated() {
	c.fail(http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
}

// decode reads a JSON body; false = a 400 was sent.
func (c *rc) decode(v any) bool {
	dec := json.NewDecoder(c.r.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		msg := "Unexpected end-of-input: expected close marker for OBJECT"
		if err != io.EOF {
			msg = "Can not deserialize instance: " + err.Error()
		} else {
			msg = "No content to map to Object due to end of input"
		}
		c.fail(http.StatusBadRequest, msg)
		return false
	}
	return true
}

func (c *rc) q(name string) string { return c.r.URL.Query().Get(name) }

// boolParam reads a boolean query parameter as Jira's Java code does (Boolean.valueOf):
// "true" in any case is true, any other value false; an absent parameter is def.
func (c *rc) boolParam(name string, def bool) bool {
	v, ok := c.r.URL.Query()[name]
	if !ok || len(v) == 0 {
		return def
	}
	return strings.EqualFold(v[0], "true")
}

// intParam parses an integer query parameter with a default.
func (c *rc) intParam(name string, def int) int {
	v := c.q(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def
	}
	return n
}

func (c *rc) fmtTime(t time.Time) string { return t.In(c.i.loc).Format(jiraTime) }

func (i *Instance) handle(mux *http.ServeMux, pattern string, h func(*rc)) {
	m, p, ok := strings.Cut(pattern, " ")
	if !ok {
		m, p = "", m
	}
	full := i.cp + p
	if m != "" {
		full = m + " " + full
	}
	mux.HandleFunc(full, func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Context().Value(ctxKey{}).(*rc)
		if c == nil {
			c = &rc{i: i, w: w, r: r, base: i.baseFor(r)}
		}
		c.r = r
		h(c)
	})
}
