package jira

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Class tells a caller what to do about a failure: retry, wait, stop calling the
// instance, or quarantine the work item until someone changes configuration or data.
type Class int

// The error classes, matching the table in DESIGN.md. ClassNone is the class of a nil
// error; ClassInternal is any error that did not come from Jira or the network (a bug).
const (
	ClassNone        Class = iota
	ClassTransient         // timeouts, network errors, 408, 5xx: retry with backoff
	ClassRateLimited       // 429: wait as told (RetryAfter), not a failure
	ClassAuth              // 401 or CAPTCHA: stop calling the instance
	ClassConfig            // permissions, field not on screen, bad JQL, TLS trust: no retry
	ClassData              // a value or entity Jira rejects or cannot find: no retry
	ClassInternal          // not a Jira answer: a bug or an unexpected condition
)

var classNames = [...]string{"none", "transient", "rate-limited", "auth", "config", "data", "internal"}

// String returns the lower-case class name used in logs, metrics and the console.
func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return fmt.Sprintf("class(%d)", int(c))
	}
	return classNames[c]
}

// maxBodyExcerpt bounds Error.Body so a huge HTML page never bloats logs or the DB.
const maxBodyExcerpt = 2048

// Error is the one error type the client returns for failed calls: an HTTP answer
// that was not a success, a network failure (Status 0), or an undecodable response.
type Error struct {
	Instance string // Config.Instance
	Status   int    // HTTP status; 0 when no response arrived
	Method   string // HTTP method
	Endpoint string // concrete path without query, e.g. /jira/rest/api/2/issue/ABC-1
	Template string // endpoint template, e.g. /rest/api/2/issue/{key}

	ErrorMessages   []string          // Jira's errorMessages
	Errors          map[string]string // Jira's errors map: field id -> message
	WarningMessages []string          // Jira's warningMessages

	Class      Class
	RetryAfter time.Duration // from Retry-After on 429/503, else 0

	LoginReason  string // X-Seraph-LoginReason
	DeniedReason string // X-Authentication-Denied-Reason
	RequestID    string // X-AREQUESTID, for matching Jira's access log

	Body string // response excerpt, at most 2 KiB, credentials redacted

	cause error
}

// Error renders a one-line message: instance, call, status and Jira's own messages.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("jira")
	if e.Instance != "" {
		b.WriteString(" ")
		b.WriteString(e.Instance)
	}
	b.WriteString(": ")
	b.WriteString(e.Method)
	b.WriteString(" ")
	b.WriteString(e.Endpoint)
	b.WriteString(": ")
	if e.Status == 0 {
		if e.cause != nil {
			b.WriteString(e.cause.Error())
		} else {
			b.WriteString("no response")
		}
		return b.String()
	}
	fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
	if msg := e.Message(); msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	if e.Captcha() {
		b.WriteString(" (CAPTCHA challenge: log in once through the Jira web UI)")
	} else if e.LoginReason != "" && e.LoginReason != "OK" {
		fmt.Fprintf(&b, " (login reason %s)", e.LoginReason)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(e.cause.Error())
	}
	return b.String()
}

// Message joins Jira's errorMessages and errors map (sorted by field) into one line;
// empty when Jira sent neither (for example an HTML error page).
func (e *Error) Message() string {
	parts := append([]string(nil), e.ErrorMessages...)
	keys := make([]string, 0, len(e.Errors))
	for k := range e.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+": "+e.Errors[k])
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the underlying network or decoding error, if any.
func (e *Error) Unwrap() error { return e.cause }

// Captcha reports whether Jira refused the login because a CAPTCHA challenge is
// pending; only a person logging in through the web UI clears it.
func (e *Error) Captcha() bool {
	return strings.Contains(strings.ToUpper(e.DeniedReason), "CAPTCHA") ||
		strings.EqualFold(strings.TrimSpace(e.LoginReason), "AUTHENTICATION_DENIED")
}

// ClassOf classifies any error: *Error carries its class; network errors and
// timeouts are Transient; TLS trust failures are Config; nil is ClassNone.
func ClassOf(err error) Class {
	if err == nil {
		return ClassNone
	}
	var je *Error
	if errors.As(err, &je) {
		return je.Class
	}
	return classifyCause(err)
}

// IsNotFound reports whether err is Jira's 404: the entity is missing or not visible.
func IsNotFound(err error) bool {
	var je *Error
	return errors.As(err, &je) && je.Status == http.StatusNotFound
}

// classifyCause classifies an error that carries no HTTP status.
func classifyCause(err error) Class {
	var (
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		certInv     x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
	)
	switch {
	case errors.Is(err, ErrBodyTimeout):
		return ClassTransient
	case errors.Is(err, ErrBodyTooLarge):
		return ClassConfig
	case errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &certInv), errors.As(err, &verifyErr),
		errors.Is(err, ErrRedirectRefused):
		return ClassConfig
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return ClassTransient
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return ClassTransient
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return ClassTransient
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return ClassTransient
	}
	return ClassInternal
}

// errorBody is Jira's error envelope. Values of "errors" are usually strings but are
// decoded loosely so an odd shape never hides the status.
type errorBody struct {
	ErrorMessages   []string                   `json:"errorMessages"`
	Errors          map[string]json.RawMessage `json:"errors"`
	WarningMessages []string                   `json:"warningMessages"`
}

// decodeErrorBody fills e's message fields from a JSON error body. Non-JSON bodies
// (HTML 401 pages, proxy errors) leave them empty; only Body holds the excerpt.
func (e *Error) decodeErrorBody(body []byte) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return
	}
	var eb errorBody
	if err := json.Unmarshal(trimmed, &eb); err != nil {
		return
	}
	e.ErrorMessages = eb.ErrorMessages
	e.WarningMessages = eb.WarningMessages
	if len(eb.Errors) > 0 {
		e.Errors = make(map[string]string, len(eb.Errors))
		for k, v := range eb.Errors {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				s = string(v)
			}
			e.Errors[k] = s
		}
	}
}

// classify sets e.Class from the status, headers and Jira's messages.
// search tells whether the call was a JQL search, where any 400 is a JQL error.
func (e *Error) classify(search bool) {
	switch {
	case e.Captcha() || e.Status == http.StatusUnauthorized:
		e.Class = ClassAuth
	case e.Status == 0:
		e.Class = classifyCause(e.cause)
	case e.Status == http.StatusTooManyRequests:
		e.Class = ClassRateLimited
	case e.Status == http.StatusRequestTimeout || e.Status >= 500:
		e.Class = ClassTransient
	case e.Status == http.StatusForbidden:
		e.Class = ClassConfig
	case e.Status == http.StatusBadRequest:
		e.Class = ClassData
		if search || e.mentions(configPhrases...) {
			e.Class = ClassConfig
		}
	case e.Status >= 200 && e.Status < 300:
		// A 2xx we could not decode: almost always a proxy or SSO page in the way.
		e.Class = ClassConfig
	default:
		e.Class = ClassData
	}
}

// configPhrases mark 400 answers that no retry with the same data can fix: the
// field is not on the screen, or the JQL is wrong.
var configPhrases = []string{
	"not on the appropriate screen",
	"error in the jql query",
	"jql query",
	"does not exist for the field",
	"does not exist or you do not have permission to view it",
	"is not a valid jql",
	"xsrf check failed",
}

func (e *Error) mentions(phrases ...string) bool {
	texts := append(append([]string(nil), e.ErrorMessages...), e.WarningMessages...)
	for _, v := range e.Errors {
		texts = append(texts, v)
	}
	if len(texts) == 0 {
		texts = []string{e.Body}
	}
	for _, t := range texts {
		lt := strings.ToLower(t)
		for _, p := range phrases {
			if strings.Contains(lt, p) {
				return true
			}
		}
	}
	return false
}

// excerpt cuts b to at most maxBodyExcerpt bytes on a UTF-8 boundary.
// Invalid bytes are replaced before the cut, since each replacement (3 bytes) is
// longer than the byte it replaces.
func excerpt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(s) <= maxBodyExcerpt {
		return s
	}
	cut := maxBodyExcerpt
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// DecodeError builds the *Error for a non-success answer from its status, headers and
// body, as the client does. It is exported for the emulator's contract tests and
// for fuzzing; it never panics on any input.
func DecodeError(status int, header http.Header, body []byte) *Error {
	e := &Error{Status: status}
	e.fill(header, body, nil, false)
	return e
}

// fill sets everything derived from the answer; redact scrubs secrets from text.
func (e *Error) fill(header http.Header, body []byte, redact func(string) string, search bool) {
	if header != nil {
		e.LoginReason = header.Get("X-Seraph-LoginReason")
		e.DeniedReason = header.Get("X-Authentication-Denied-Reason")
		e.RequestID = header.Get("X-AREQUESTID")
		if e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable {
			e.RetryAfter = parseRetryAfter(header.Get("Retry-After"), time.Now())
		}
	}
	e.decodeErrorBody(body)
	e.Body = excerpt(body)
	if redact != nil {
		e.Body = redact(e.Body)
		for i, m := range e.ErrorMessages {
			e.ErrorMessages[i] = redact(m)
		}
		for i, m := range e.WarningMessages {
			e.WarningMessages[i] = redact(m)
		}
		for k, v := range e.Errors {
			e.Errors[k] = redact(v)
		}
	}
	e.classify(search)
}
