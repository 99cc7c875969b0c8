package views

import "testing"

func TestTrackingValue(t *testing.T) {
	for _, c := range []struct{ kind, in, want string }{
		{"duration", "5400", "1h 30m (5400 s)"}, {"duration", "3600", "1h (3600 s)"}, {"duration", "120", "2m (120 s)"},
		{"duration", "", ""}, {"text", "5400", "5400"},
	} {
		if got := trackingValue(c.kind, c.in); got != c.want {
			t.Errorf("trackingValue(%q, %q) = %q, want %q", c.kind, c.in, got, c.want)
		}
	}
}
