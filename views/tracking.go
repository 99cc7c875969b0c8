package views

import (
	"fmt"
	"strconv"
)

// trackingValue shows a shared value of an estimate (kind "duration", seconds) as a person
// reads it, "1h 30m (5400 s)"; other values pass unchanged.
func trackingValue(kind, v string) string {
	if kind != "duration" {
		return v
	}
	s, err := strconv.ParseInt(v, 10, 64)
	if err != nil || s < 0 {
		return v
	}
	h, m := s/3600, (s%3600)/60
	var out string
	switch {
	case h > 0 && m > 0:
		out = fmt.Sprintf("%dh %dm", h, m)
	case h > 0:
		out = fmt.Sprintf("%dh", h)
	default:
		out = fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%s (%d s)", out, s)
}
