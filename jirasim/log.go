package jirasim

import (
	"maps"
	"regexp"
	"strings"
	"sync"
	"time"
)

// LogEntry is one request seen by an instance.
type LogEntry struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"requestId"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`     // without the context path
	Query     string    `json:"query"`    // raw query string
	Endpoint  string    `json:"endpoint"` // "GET /rest/api/2/issue/{id}"
	Status    int       `json:"status"`
	User      string    `json:"user"` // login name, "" for anonymous or failed auth
	Body      string    `json:"body"` // request body (JSON up to 64 KiB, else the first 4 KiB)
}

// RequestLog records every request to an instance (except the /__sim admin path).
type RequestLog struct {
	mu      sync.Mutex
	max     int
	entries []LogEntry
	counts  map[string]int
}

func newRequestLog(max int) *RequestLog {
	return &RequestLog{max: max, counts: map[string]int{}}
}

func (l *RequestLog) add(e LogEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= l.max {
		n := copy(l.entries, l.entries[len(l.entries)/4:])
		l.entries = l.entries[:n]
	}
	l.entries = append(l.entries, e)
	l.counts[e.Endpoint]++
}

// Entries returns a copy of the recorded requests, oldest first.
func (l *RequestLog) Entries() []LogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]LogEntry(nil), l.entries...)
}

// Find returns the entries with this method ("" = any) whose path starts with prefix.
func (l *RequestLog) Find(method, pathPrefix string) []LogEntry {
	var out []LogEntry
	for _, e := range l.Entries() {
		if (method == "" || e.Method == method) && strings.HasPrefix(e.Path, pathPrefix) {
			out = append(out, e)
		}
	}
	return out
}

// Counts returns the number of requests per endpoint key ("GET /rest/api/2/search").
func (l *RequestLog) Counts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.counts)
}

// Count returns the number of requests to one endpoint key.
func (l *RequestLog) Count(endpoint string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[endpoint]
}

// Clear forgets every entry and count.
func (l *RequestLog) Clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
	l.counts = map[string]int{}
}

var wildcardRe = regexp.MustCompile(`\{[A-Za-z0-9]+\.*\}`)

// endpointKey turns a mux pattern into the log's endpoint key.
func endpointKey(pattern, cp, method, path string) string {
	if pattern == "" {
		return method + " " + path
	}
	m, p, ok := strings.Cut(pattern, " ")
	if !ok {
		m, p = method, pattern
	}
	p = strings.TrimSuffix(strings.TrimPrefix(p, cp), "{$}")
	ps, as := strings.Split(p, "/"), strings.Split(path, "/")
	for n, seg := range ps {
		if seg == "{kind}" && n < len(as) {
			ps[n] = as[n]
		}
	}
	return m + " " + wildcardRe.ReplaceAllString(strings.Join(ps, "/"), "{id}")
}
