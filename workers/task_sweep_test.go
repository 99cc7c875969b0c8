package workers

import (
	"testing"
	"time"
)

// TestSweepWaitWakesForTheNextPoll: the sweeper sleeps until the next poll falls due, never
// longer than its interval and never a busy loop.
func TestSweepWaitWakesForTheNextPoll(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		next time.Time
		want time.Duration
	}{
		{time.Time{}, time.Second},
		{now.Add(230 * time.Millisecond), 230 * time.Millisecond},
		{now.Add(4 * time.Second), time.Second},
		{now.Add(-time.Second), 5 * time.Millisecond},
	} {
		if got := sweepWait(tc.next, now, time.Second); got != tc.want {
			t.Errorf("next %v: wait %v, want %v", tc.next.Sub(now), got, tc.want)
		}
	}
}
