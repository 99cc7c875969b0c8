package engine

import (
	"testing"
	"time"
)

// TestNextPollKeepsTheGrid (issue 16): polls keep to a grid of the interval, private sides on
// whole multiples and relay sides half an interval later, so a 5 s side polls 12 times a minute
// however long each poll takes and however late it started, and the far node's poll of the relay
// falls half an interval after the near node's write instead of just before it.
func TestNextPollKeepsTheGrid(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) // a multiple of 5 s
	T := 5 * time.Second
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	for _, tc := range []struct {
		name       string
		relay      bool
		start, end time.Duration
		want       time.Duration
	}{
		{"on time, a slow poll", false, ms(40), ms(900), T},
		{"seen late by the sweeper", false, ms(950), ms(1200), T},
		{"started between two slots", false, ms(3100), ms(3300), T},
		{"a poll longer than the interval", false, ms(10), T + ms(500), 2 * T},
		{"relay side: half an interval later", true, ms(2510), ms(2900), T + T/2},
		{"relay side started before its slot", true, ms(100), ms(400), T / 2},
	} {
		got := nextPoll(t0.Add(tc.start), t0.Add(tc.end), T, tc.relay)
		if !got.Equal(t0.Add(tc.want)) {
			t.Errorf("%s: next poll at %v, want %v", tc.name, got.Sub(t0), tc.want)
		}
	}
	// Over a minute of polls that each take 700 ms and start up to 100 ms late: 12 polls.
	n := 0
	for start := t0; start.Before(t0.Add(time.Minute)); n++ {
		next := nextPoll(start, start.Add(ms(700)), T, false)
		start = next.Add(ms(100))
	}
	if n != 12 {
		t.Errorf("%d polls in a minute at 5 s, want 12", n)
	}
}
