package web

import (
	"sync"
	"time"
)

// Login throttling: at most loginMaxFailures failed attempts per client address and per user
// name within loginWindow; further attempts are refused without checking the password.
const (
	loginMaxFailures = 5
	loginWindow      = time.Minute
	// limiterMaxKeys bounds memory under a spray of addresses or names: beyond it, stale keys
	// are swept on the next failure.
	limiterMaxKeys = 10000
)

// attemptLimiter is a sliding-window counter of failures per key, with an injectable clock.
type attemptLimiter struct {
	mu     sync.Mutex
	now    func() time.Time
	max    int
	window time.Duration
	fails  map[string][]time.Time
}

func newAttemptLimiter(max int, window time.Duration, now func() time.Time) *attemptLimiter {
	return &attemptLimiter{now: now, max: max, window: window, fails: map[string][]time.Time{}}
}

// Blocked reports whether any key has used up its failures in the window, and when the
// earliest of them frees a slot again.
func (l *attemptLimiter) Blocked(keys ...string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, k := range keys {
		recent := l.recent(k, now)
		if len(recent) >= l.max {
			if w := recent[len(recent)-l.max].Add(l.window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait > 0, wait
}

// Fail records one failed attempt for every key.
func (l *attemptLimiter) Fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.fails) >= limiterMaxKeys {
		for k := range l.fails {
			l.recent(k, now)
		}
	}
	for _, k := range keys {
		l.fails[k] = append(l.recent(k, now), now)
	}
}

// recent drops the key's failures older than the window and returns the rest. Callers hold mu.
func (l *attemptLimiter) recent(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-l.window)) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = ts
	return ts
}
