package jira

import (
	"strconv"
	"strings"
	"time"
)

// ErrorClass returns the error class as the plain strings the workers and the SyncError table
// use ("transient", "rate-limited", "auth", "config", "data", "internal"), so the error is
// classified once, here, and nobody parses messages.
func (e *Error) ErrorClass() string {
	if e.Class == ClassNone {
		return "internal"
	}
	return e.Class.String()
}

// RetryAfterDuration is how long Jira asked us to wait (429/503 Retry-After), 0 when it did not say.
func (e *Error) RetryAfterDuration() time.Duration { return e.RetryAfter }

// RequestExcerpt describes the call that failed (method and concrete endpoint) for the
// SyncError record; the client never keeps request bodies or credentials.
func (e *Error) RequestExcerpt() string {
	var b strings.Builder
	b.WriteString(e.Method)
	b.WriteString(" ")
	b.WriteString(e.Endpoint)
	if e.RequestID != "" {
		b.WriteString(" (X-AREQUESTID ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// ResponseExcerpt is the status line and Jira's answer (at most 2 KiB, already redacted).
func (e *Error) ResponseExcerpt() string {
	var b strings.Builder
	if e.Status > 0 {
		b.WriteString(strconv.Itoa(e.Status))
		b.WriteString(" ")
	}
	if e.Body != "" {
		b.WriteString(e.Body)
	} else if m := e.Message(); m != "" {
		b.WriteString(m)
	} else if e.cause != nil {
		b.WriteString(e.cause.Error())
	}
	return strings.TrimSpace(b.String())
}
