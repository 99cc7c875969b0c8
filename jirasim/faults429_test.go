package jirasim

import (
	"net/http"
	"testing"
)

func TestRandom429(t *testing.T) {
	tests := []struct {
		name       string
		knob       Random429
		user       string
		min, max   int // 429s out of 200 calls
		retryAfter string
	}{
		{"off", Random429{}, "airlock", 0, 0, ""},
		{"every call", Random429{Rate: 1, RetryAfter: 3}, "airlock", 200, 200, "3"},
		{"about a fifth", Random429{Rate: 0.2}, "airlock", 20, 70, "1"},
		{"other users spared", Random429{Rate: 1, Users: []string{"AIRLOCK"}}, "alice", 0, 0, ""},
		{"listed user hit", Random429{Rate: 1, Users: []string{"AIRLOCK"}}, "airlock", 200, 200, "1"},
		{"anonymous spared", Random429{Rate: 1}, "", 0, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, a := tsim(t)
			a.Knobs().SetRandom429(tc.knob)
			n := 0
			for range 200 {
				r := call(t, a, "GET", "/rest/api/2/serverInfo", tc.user, nil)
				if r.status != http.StatusTooManyRequests {
					continue
				}
				n++
				if got := r.header.Get("Retry-After"); got != tc.retryAfter {
					t.Fatalf("Retry-After %q, want %q", got, tc.retryAfter)
				}
				for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Interval-Seconds", "X-RateLimit-FillRate"} {
					if r.header.Get(h) == "" {
						t.Fatalf("429 without %s", h)
					}
				}
			}
			if n < tc.min || n > tc.max {
				t.Errorf("%d calls answered 429, want %d..%d", n, tc.min, tc.max)
			}
		})
	}
}
