package engine

import (
	"testing"
	"time"
)

// TestNextPollKeepsThePeriod (issue 16): the next poll is due one interval after this one was
// due, not after it ended, so a 5 s side polls 12 times a minute however long each poll takes
// and however late the sweeper noticed it.
func TestNextPollKeepsThePeriod(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	T := 5 * time.Second
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
	for _, tc := range []struct {
		name       string
		due        *time.Time
		start, end time.Duration
		want       time.Duration
	}{
		{"on time, a slow poll", at(0), ms(40), ms(900), T},
		{"seen late by the sweeper", at(0), ms(950), ms(1200), T},
		{"never scheduled", nil, ms(300), ms(500), ms(300) + T},
		{"far behind: restart the rhythm", at(-3 * T), 0, ms(100), T},
		{"a poll longer than the interval", at(0), ms(10), T + ms(500), T + ms(500)},
	} {
		got := nextPoll(tc.due, t0.Add(tc.start), t0.Add(tc.end), T)
		if !got.Equal(t0.Add(tc.want)) {
			t.Errorf("%s: next poll at %v, want %v", tc.name, got.Sub(t0), tc.want)
		}
	}
	// Over a minute of polls that each take 700 ms and start up to 100 ms late: 12 polls.
	due, n := t0, 0
	for start := t0; start.Before(t0.Add(time.Minute)); n++ {
		next := nextPoll(&due, start, start.Add(ms(700)), T)
		due, start = next, next.Add(ms(100))
	}
	if n != 12 {
		t.Errorf("%d polls in a minute at 5 s, want 12", n)
	}
}
