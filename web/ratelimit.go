package web

import (
	"context"
	"sync"
	"time"
)

// Login throttling (SECURITY.md "Login"). Every attempt reserves a slot, atomically and before
// the password is checked, on two counters: the (user name, address) pair and the address.
// A success gives its slots back; a failure keeps them for loginWindow. The user name alone is
// never locked, since anybody could lock the administrator out that way: its recent failures
// only slow every attempt on it down, exponentially, up to loginMaxDelay.
const (
	loginMaxFailures   = 5  // per (user name, address) in loginWindow
	loginMaxPerAddress = 10 // per address, over all user names, in loginWindow
	loginWindow        = time.Minute
	// The user name's failures in loginUserWindow beyond loginFreeFailures delay each attempt
	// on it by loginBaseDelay, doubled per failure, at most loginMaxDelay.
	loginUserWindow   = 15 * time.Minute
	loginFreeFailures = 3
	loginBaseDelay    = 250 * time.Millisecond
	loginMaxDelay     = 8 * time.Second
	// limiterMaxKeys bounds memory under a spray of addresses or names: beyond it, stale keys
	// are swept on the next reservation.
	limiterMaxKeys = 10000
)

// limit is one counter a reservation needs room on.
type limit struct {
	key string
	max int
}

// attemptLimiter is a sliding-window counter of attempts per key, with an injectable clock.
type attemptLimiter struct {
	mu     sync.Mutex
	now    func() time.Time
	window time.Duration
	hits   map[string][]time.Time
}

func newAttemptLimiter(window time.Duration, now func() time.Time) *attemptLimiter {
	return &attemptLimiter{now: now, window: window, hits: map[string][]time.Time{}}
}

// reservation is one attempt counted on its keys; Release gives it back.
type reservation struct {
	l    *attemptLimiter
	at   time.Time
	keys []string
}

// Reserve counts one attempt on every limit when all of them have room, in one critical
// section, so parallel attempts can never pass a limit. Otherwise nothing is counted and it
// returns how long until the fullest counter frees a slot.
func (l *attemptLimiter) Reserve(limits ...limit) (*reservation, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.hits) >= limiterMaxKeys {
		for k := range l.hits {
			l.recent(k, now)
		}
	}
	var wait time.Duration
	for _, lim := range limits {
		recent := l.recent(lim.key, now)
		if len(recent) >= lim.max {
			if w := recent[len(recent)-lim.max].Add(l.window).Sub(now); w > wait {
				wait = max(w, time.Second)
			}
		}
	}
	if wait > 0 {
		return nil, wait
	}
	r := &reservation{l: l, at: now}
	for _, lim := range limits {
		l.hits[lim.key] = append(l.hits[lim.key], now)
		r.keys = append(r.keys, lim.key)
	}
	return r, 0
}

// Release removes the reservation's attempt from its keys (the attempt succeeded).
func (r *reservation) Release() {
	l := r.l
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range r.keys {
		ts := l.hits[k]
		for i := len(ts) - 1; i >= 0; i-- {
			if ts[i].Equal(r.at) {
				ts = append(ts[:i], ts[i+1:]...)
				break
			}
		}
		if len(ts) == 0 {
			delete(l.hits, k)
		} else {
			l.hits[k] = ts
		}
	}
}

// Add records one event on key (the user name's failures).
func (l *attemptLimiter) Add(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hits[key] = append(l.recent(key, l.now()), l.now())
}

// Count is the number of events on key in the window.
func (l *attemptLimiter) Count(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, l.now()))
}

// Reset forgets key.
func (l *attemptLimiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
}

// recent drops the key's entries older than the window and returns the rest. Callers hold mu.
func (l *attemptLimiter) recent(key string, now time.Time) []time.Time {
	ts := l.hits[key]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-l.window)) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.hits, key)
		return nil
	}
	l.hits[key] = ts
	return ts
}

// loginDelay is the slowdown of an attempt on a user name with n recent failures.
func loginDelay(n int) time.Duration {
	if n <= loginFreeFailures {
		return 0
	}
	d := loginBaseDelay
	for i := loginFreeFailures + 1; i < n && d < loginMaxDelay; i++ {
		d *= 2
	}
	return min(d, loginMaxDelay)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
