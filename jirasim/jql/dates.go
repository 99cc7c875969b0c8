package jql

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// invalidDateMsg is Jira's message for a date literal it cannot read.
func invalidDateMsg(value, field string) string {
	return fmt.Sprintf("Date value '%s' for field '%s' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.", value, field)
}

// parseDateLiteral reads a JQL date value: an absolute date in loc (minute precision), a period
// relative to now ("-5d", "4w 2d", "+1h"), or a number of milliseconds since the epoch.
func parseDateLiteral(s string, loc *time.Location, now time.Time) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if t, ok := parseAbsolute(s, loc); ok {
		return t, true
	}
	if d, ok := parsePeriod(s); ok {
		return now.Add(d), true
	}
	if isDigits(s) || s[0] == '-' && isDigits(s[1:]) {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			return time.UnixMilli(ms), true
		}
	}
	return time.Time{}, false
}

// parseAbsolute reads "yyyy/MM/dd HH:mm", "yyyy-MM-dd HH:mm", "yyyy/MM/dd" or "yyyy-MM-dd" in loc.
// Month, day and hour may have one digit, as Java's SimpleDateFormat accepts.
func parseAbsolute(s string, loc *time.Location) (time.Time, bool) {
	datePart, timePart, hasTime := strings.Cut(s, " ")
	if hasTime {
		timePart = strings.TrimSpace(timePart)
	}
	sep := "/"
	if !strings.Contains(datePart, "/") {
		sep = "-"
	}
	parts := strings.Split(datePart, sep)
	if len(parts) != 3 || len(parts[0]) != 4 {
		return time.Time{}, false
	}
	y, ok1 := smallInt(parts[0], 4)
	mo, ok2 := smallInt(parts[1], 2)
	d, ok3 := smallInt(parts[2], 2)
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, time.Month(mo)) {
		return time.Time{}, false
	}
	h, mi := 0, 0
	if hasTime {
		hs, ms, ok := strings.Cut(timePart, ":")
		if !ok {
			return time.Time{}, false
		}
		var okh, okm bool
		h, okh = smallInt(hs, 2)
		mi, okm = smallInt(ms, 2)
		if !okh || !okm || len(ms) != 2 || h > 23 || mi > 59 {
			return time.Time{}, false
		}
	}
	return time.Date(y, time.Month(mo), d, h, mi, 0, 0, loc), true
}

func smallInt(s string, maxLen int) (int, bool) {
	if len(s) == 0 || len(s) > maxLen || !isDigits(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parsePeriod reads a period such as "-5d", "4w 2d", "+1h 30m". Units: w (7 days), d (24 hours),
// h, m (minutes), case-insensitive. The sign applies to the whole period; none means future.
func parsePeriod(s string) (time.Duration, bool) {
	sign := time.Duration(1)
	switch s[0] {
	case '-':
		sign = -1
		s = s[1:]
	case '+':
		s = s[1:]
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	var total time.Duration
	for s != "" {
		j := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == 0 || j > 9 || j == len(s) {
			return 0, false
		}
		n, _ := strconv.Atoi(s[:j])
		var unit time.Duration
		switch s[j] {
		case 'w', 'W':
			unit = 7 * 24 * time.Hour
		case 'd', 'D':
			unit = 24 * time.Hour
		case 'h', 'H':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		default:
			return 0, false
		}
		total += time.Duration(n) * unit
		s = strings.TrimLeft(s[j+1:], " ")
	}
	return sign * total, true
}

// dateFunctions are the functions that return a date, with their unit for increments.
var dateFunctions = map[string]string{
	"now":          "",
	"startofday":   "d",
	"endofday":     "d",
	"startofweek":  "w",
	"endofweek":    "w",
	"startofmonth": "M",
	"endofmonth":   "M",
	"startofyear":  "y",
	"endofyear":    "y",
}

// funcArgError checks a date function's arguments and returns Jira's message, or "".
func funcArgError(name string, args []string) string {
	l := strings.ToLower(name)
	if l == "now" {
		if len(args) != 0 {
			return fmt.Sprintf("Function 'now' expected '0' arguments but received '%d'.", len(args))
		}
		return ""
	}
	if len(args) > 1 {
		return fmt.Sprintf("Function '%s' expected between '0' and '1' arguments but received '%d'.", name, len(args))
	}
	if len(args) == 1 {
		if _, _, ok := parseIncrement(args[0], dateFunctions[l]); !ok {
			return fmt.Sprintf("Duration for function '%s' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier.", name)
		}
	}
	return ""
}

// parseIncrement reads a function increment "(+/-)n(yMwdhm)"; the unit defaults to def.
func parseIncrement(s, def string) (int, string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "", false
	}
	unit := def
	last := s[len(s)-1]
	if strings.ContainsRune("yMwdhm", rune(last)) {
		unit = string(last)
		s = s[:len(s)-1]
	}
	sign := 1
	switch {
	case strings.HasPrefix(s, "-"):
		sign = -1
		s = s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if !isDigits(s) || len(s) > 6 || unit == "" {
		return 0, "", false
	}
	n, _ := strconv.Atoi(s)
	return sign * n, unit, true
}

// addUnit moves t by n units of y, M, w, d, h or m (calendar arithmetic in t's location).
func addUnit(t time.Time, n int, unit string) time.Time {
	switch unit {
	case "y":
		return t.AddDate(n, 0, 0)
	case "M":
		return t.AddDate(0, n, 0)
	case "w":
		return t.AddDate(0, 0, 7*n)
	case "d":
		return t.AddDate(0, 0, n)
	case "h":
		return t.Add(time.Duration(n) * time.Hour)
	case "m":
		return t.Add(time.Duration(n) * time.Minute)
	}
	return t
}

// evalDateFunction returns the instant a date function denotes for the user in loc.
// Weeks start on Monday (Jira takes the first day of the week from the user's locale).
func evalDateFunction(name string, args []string, loc *time.Location, now time.Time) (time.Time, bool) {
	l := strings.ToLower(name)
	unit, ok := dateFunctions[l]
	if !ok || funcArgError(name, args) != "" {
		return time.Time{}, false
	}
	if l == "now" {
		return now, true
	}
	n := now.In(loc)
	var start time.Time
	switch unit {
	case "d":
		start = time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	case "w":
		back := (int(n.Weekday()) + 6) % 7 // days since Monday
		start = time.Date(n.Year(), n.Month(), n.Day()-back, 0, 0, 0, 0, loc)
	case "M":
		start = time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, loc)
	case "y":
		start = time.Date(n.Year(), 1, 1, 0, 0, 0, 0, loc)
	}
	k, u := 0, unit
	if len(args) == 1 {
		k, u, _ = parseIncrement(args[0], unit)
	}
	if u == unit {
		// Move whole periods first, so endOfMonth("+1") is the end of next month.
		start, k = addUnit(start, k, u), 0
	}
	t := start
	if strings.HasPrefix(l, "end") {
		// The last millisecond of the period.
		t = addUnit(start, 1, unit).Add(-time.Millisecond)
	}
	return addUnit(t, k, u), true
}
