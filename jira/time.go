package jira

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TimeLayout is Jira's datetime format: milliseconds and an offset without a colon.
const TimeLayout = "2006-01-02T15:04:05.000-0700"

// DateLayout is Jira's date format (duedate, date custom fields).
const DateLayout = "2006-01-02"

// jqlLayout is the JQL date literal format, minute precision.
const jqlLayout = "2006/01/02 15:04"

// timeLayouts are tried in order. Go accepts a fractional second after the seconds
// even when the layout has none, so these cover ".000" as well as no millis; Z0700
// and Z07:00 accept "Z", "+0200" and "+02:00". The minute-only forms appear in
// changelog from/to values ("2012-04-11T14:26+0200").
var timeLayouts = []string{
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04Z07:00",
}

// Time is a Jira datetime. It parses Jira's format and common variants and marshals
// back in Jira's format, keeping the offset it was parsed with. The zero Time
// marshals as null.
type Time struct {
	time.Time
}

// ParseTime parses a Jira datetime such as 2019-08-13T06:14:23.580+0800; it also
// accepts no milliseconds, "Z", "+08:00" and minute precision.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var firstErr error
	for _, layout := range timeLayouts {
		t, err := time.Parse(layout, s)
		if err == nil {
			return t, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return time.Time{}, fmt.Errorf("parse jira time %q: %w", s, firstErr)
}

// FormatTime formats t in Jira's datetime format, in t's own location.
func FormatTime(t time.Time) string { return t.Format(TimeLayout) }

// String returns the Jira format, or "" for the zero Time.
func (t Time) String() string {
	if t.IsZero() {
		return ""
	}
	return FormatTime(t.Time)
}

// MarshalJSON writes Jira's format, or null for the zero Time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(FormatTime(t.Time))), nil
}

// UnmarshalJSON accepts a Jira datetime string, null or "".
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("jira time: %w", err)
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	p, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = p
	return nil
}

// Date is a Jira calendar date (2006-01-02) without time or zone; the zero Date
// marshals as null.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses 2006-01-02. Jira sometimes sends a datetime where a date is
// expected (changelog "2012-04-13 00:00:00.0"); the date part is used then.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if len(s) > len(DateLayout) && (s[len(DateLayout)] == ' ' || s[len(DateLayout)] == 'T') {
		s = s[:len(DateLayout)]
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("parse jira date %q: %w", s, err)
	}
	return DateOf(t), nil
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// In returns midnight of d in loc (UTC when loc is nil).
func (d Date) In(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// String returns 2006-01-02, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.In(time.UTC).Format(DateLayout)
}

// MarshalJSON writes "2006-01-02", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(d.String())), nil
}

// UnmarshalJSON accepts "2006-01-02", null or "".
func (d *Date) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("jira date: %w", err)
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	p, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// JQLTime formats t as a quoted JQL date literal, "yyyy/MM/dd HH:mm", in loc: the
// zone of the calling user's Jira profile (User.Location of Myself), which is how
// Jira interprets literals. A nil loc means UTC. The literal has minute precision:
// seconds are truncated, so callers polling with `updated >= ` must subtract their
// overlap (at least two minutes, see DESIGN.md) before calling JQLTime.
func JQLTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return `"` + t.In(loc).Format(jqlLayout) + `"`
}
