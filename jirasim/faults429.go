package jirasim

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Random429 answers a random fraction of authenticated REST calls with 429, as Jira DC's rate
// limiter does when a bucket runs dry under load elsewhere: the five X-RateLimit headers and
// Retry-After. Unlike RateLimit (a real token bucket), it needs no load to fire, so chaos runs
// can inject a steady rate.
type Random429 struct {
	// Rate is the probability (0..1) that an authenticated call answers 429.
	Rate float64 `json:"rate"`
	// RetryAfter is the Retry-After value in seconds (default 1).
	RetryAfter int `json:"retryAfter"`
	// Users limits the 429s to these user names (case-insensitive); empty means every user.
	Users []string `json:"users,omitempty"`
}

// SetRandom429 configures the random 429 rate (Rate 0 turns it off).
func (k *Knobs) SetRandom429(r Random429) { k.Update(func(s *KnobSettings) { s.Random429 = r }) }

// random429 decides, after authentication, whether this call is throttled; false = a 429 was
// sent.
func (i *Instance) random429(w http.ResponseWriter, u *user) bool {
	if u == nil {
		return true
	}
	k := i.knobs
	k.mu.Lock()
	r := k.s.Random429
	hit := r.Rate > 0 && (len(r.Users) == 0 || slices.ContainsFunc(r.Users, func(n string) bool { return strings.EqualFold(n, u.name) })) &&
		k.rnd.Float64() < r.Rate
	k.mu.Unlock()
	if !hit {
		return true
	}
	retry := r.RetryAfter
	if retry <= 0 {
		retry = 1
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", "100")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Interval-Seconds", "1")
	h.Set("X-RateLimit-FillRate", "50")
	h.Set("Retry-After", strconv.Itoa(retry))
	writeJSON(w, http.StatusTooManyRequests, errBody("Rate limit exceeded."))
	return false
}
