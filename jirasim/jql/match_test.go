package jql

import (
	"strings"
	"testing"
	"time"
)

// doc is a test Doc.
type doc struct {
	vals  map[string][]string
	times map[string]time.Time
	text  map[string]string
	rank  map[string]int
}

func (d doc) Values(f string) []string { return d.vals[f] }
func (d doc) Time(f string) (time.Time, bool) {
	t, ok := d.times[f]
	return t, ok
}
func (d doc) Text(f string) string { return d.text[f] }

// rankedDoc also implements Ranker.
type rankedDoc struct{ doc }

func (d rankedDoc) Rank(f string) (int, bool) {
	r, ok := d.rank[f]
	return r, ok
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s unavailable: %v", name, err)
	}
	return loc
}

func mustParse(t *testing.T, q string) *Query {
	t.Helper()
	parsed, err := Parse(q)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	return parsed
}

var now = time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC)

func issue() doc {
	return doc{
		vals: map[string][]string{
			"project":   {"ABC", "10000", "Alpha Project"},
			"key":       {"ABC-12"},
			"id":        {"10042"},
			"issuetype": {"Bug", "1"},
			"status":    {"In Progress", "3"},
			"priority":  {"High", "2"},
			"labels":    {"backend", "urgent"},
			"assignee":  {"jdoe", "JIRAUSER10100"},
			"component": {"API"},
			// resolution, reporter, fixversion: empty
			"customfield_10001": {"42"},
		},
		times: map[string]time.Time{
			"created": time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC),
			"updated": time.Date(2024, 1, 2, 10, 5, 30, 0, time.UTC), // 11:05:30 in Berlin
			"duedate": time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC),
		},
		text: map[string]string{
			"summary":     "Login page crashes on Safari",
			"description": "The full screen mode breaks the login-form.",
			"text":        "Login page crashes on Safari The full screen mode breaks the login-form.",
		},
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		{"", true},
		{"project = ABC", true},
		{"project = abc", true},
		{"project = 10000", true},
		{`project = "Alpha Project"`, true},
		{"project = XYZ", false},
		{"project != XYZ", true},
		{"project != ABC", false},
		{"project in (XYZ, ABC)", true},
		{"project not in (XYZ, ABC)", false},
		{"project not in (XYZ)", true},
		{"resolution != Fixed", false}, // != never matches an empty field
		{"resolution not in (Fixed)", false},
		{"NOT resolution = Fixed", true}, // but NOT does
		{"resolution is EMPTY", true},
		{"resolution = EMPTY", true},
		{"resolution is null", true},
		{"resolution is not empty", false},
		{"resolution in (Fixed, EMPTY)", true},
		{"assignee is not EMPTY", true},
		{"assignee = JIRAUSER10100", true},
		{"labels = urgent", true},
		{"labels != urgent", false},
		{"labels != other", true},
		{"labels in (x, BACKEND)", true},
		{"key = ABC-12", true},
		{"issuekey = abc-12", true},
		{"key = 10042", true},
		{"id = 10042", true},
		{"id = ABC-12", true},
		{"key != ABC-12", false},
		{"key in (ABC-1, ABC-12)", true},
		{"key > ABC-10", true},
		{"key > ABC-12", false},
		{"key >= ABC-12", true},
		{"key < ABC-100", true},
		{"key > XYZ-1", false}, // relational key search stays inside the key's project
		{"id > 10041", true},
		{"id < 10042", false},
		{"status = 'In Progress' AND priority = High", true},
		{"status = Done OR priority = High", true},
		{"status = Done OR priority = Low", false},
		{"NOT (status = Done OR priority = Low)", true},
		{"not status = Done and not priority = Low", true},
		{"type = Bug", true},
		{"issuetype = 1", true},
		{"component = api", true},
		{"fixVersion is EMPTY", true},
		{"summary ~ login", true},
		{"summary ~ LOGIN", true},
		{"summary ~ 'login safari'", true},
		{"summary ~ 'login chrome'", false},
		{"summary ~ log", false},
		{"summary ~ 'log*'", true},
		{"summary ~ 'cr?shes'", true},
		{`summary ~ "\"page crashes\""`, true},
		{`summary ~ "\"crashes page\""`, false},
		{`description ~ "\"full screen\""`, true},
		{"description ~ 'the form'", true}, // "the" is a stop word; login-form splits into words
		{"summary !~ chrome", true},
		{"summary !~ login", false},
		{"text ~ 'safari screen'", true},
		{"environment is EMPTY", true},
		{"summary is not EMPTY", true},
		{"cf[10001] = 42", true},
		{"customfield_10001 > 41.5", true},
		{"cf[10001] < 10", false},
		{"unknownfield = x", false},
		{"project ~ ABC", false},            // unsupported operator matches nothing
		{"assignee = currentUser()", false}, // unsupported function matches nothing
	}
	d := issue()
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			if got := mustParse(t, tt.q).Match(d, time.UTC, now); got != tt.want {
				t.Errorf("Match(%q) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestMatchDates(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	// updated is 2024-01-02 10:05:30 UTC = 11:05:30 Berlin.
	tests := []struct {
		q       string
		loc     *time.Location
		want    bool
		because string
	}{
		{`updated >= "2024/01/02 10:05"`, time.UTC, true, "full precision: 10:05:30 is after 10:05:00"},
		{`updated > "2024/01/02 10:05"`, time.UTC, true, "> a minute literal still includes later seconds of that minute"},
		{`updated > "2024/01/02 10:06"`, time.UTC, false, ""},
		{`updated < "2024/01/02 10:06"`, time.UTC, true, ""},
		{`updated >= "2024/01/02 10:05"`, berlin, true, "10:05 Berlin is 09:05 UTC, before the update"},
		{`updated >= "2024/01/02 11:05"`, berlin, true, "11:05 Berlin = 10:05 UTC"},
		{`updated >= "2024/01/02 11:06"`, berlin, false, "11:06 Berlin = 10:06 UTC, after the update"},
		{`updated >= "2024/01/02 11:06"`, time.UTC, false, ""},
		{`updated < "2024-01-02 11:06"`, berlin, true, ""},
		{`updated < "2024-01-02 11:06"`, time.UTC, true, ""},
		{`updated < "2024-01-02 10:06"`, berlin, false, "10:06 Berlin = 09:06 UTC, before the update"},
		{`updated >= "2024-01-02"`, time.UTC, true, "date only is midnight"},
		{`updated < 2024-01-03`, time.UTC, true, "bare date literal"},
		{`updated = "2024/01/02 10:05"`, time.UTC, false, "= is the exact instant"},
		{`created = "2024/01/02 09:00"`, time.UTC, true, ""},
		{`created = "2024/01/02 10:00"`, berlin, true, "10:00 Berlin = 09:00 UTC"},
		{`created != "2024/01/02 09:00"`, time.UTC, false, ""},
		{`created in ("2024/01/01", "2024/01/02 09:00")`, time.UTC, true, ""},
		{`resolved is EMPTY`, time.UTC, true, ""},
		{`resolved < now()`, time.UTC, false, "empty date never compares"},
		{`resolved != "2024/01/02"`, time.UTC, false, "!= never matches an empty field"},
		{`createdDate <= now()`, time.UTC, true, ""},
		{`duedate = "2024-01-15"`, berlin, true, "duedate compares calendar days"},
		{`duedate > "2024-01-14"`, berlin, true, ""},
		{`duedate < "2024-01-15"`, time.UTC, false, ""},
		{`duedate <= endOfDay("+5")`, time.UTC, true, "end of 2024-01-15"},
		{`updated > 1704189900000`, time.UTC, true, "epoch milliseconds 2024-01-02 10:05:00 UTC"},
		{`updated > "2024-13-01"`, time.UTC, false, "invalid dates match nothing"},
	}
	d := issue()
	for _, tt := range tests {
		t.Run(tt.q+"@"+tt.loc.String(), func(t *testing.T) {
			if got := mustParse(t, tt.q).Match(d, tt.loc, now); got != tt.want {
				t.Errorf("Match(%q in %s) = %v, want %v %s", tt.q, tt.loc, got, tt.want, tt.because)
			}
		})
	}
}

func TestSameLiteralDifferentZones(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	q := mustParse(t, `updated >= "2024/01/02 10:30"`)
	d := issue() // updated 10:05:30 UTC
	if !q.Match(d, berlin, now) {
		t.Error("in Berlin 10:30 is 09:30 UTC: the 10:05 UTC update should match")
	}
	if q.Match(d, time.UTC, now) {
		t.Error("in UTC 10:30 is after the 10:05 update: it should not match")
	}
}

func TestRelativeLiterals(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	// now = 2024-01-10 12:00 UTC; updated = 2024-01-02 10:05:30 UTC.
	tests := []struct {
		q    string
		loc  *time.Location
		want bool
	}{
		{`updated >= -5m`, time.UTC, false},
		{`updated >= -1h`, time.UTC, false},
		{`updated >= -7d`, time.UTC, false},
		{`updated >= -8d`, time.UTC, false}, // 2024-01-02 12:00, after the 10:05 update
		{`updated >= -9d`, time.UTC, true},
		{`updated >= -1w`, time.UTC, false},
		{`updated >= -2w`, time.UTC, true},
		{`updated >= "-1w 1d 2h"`, time.UTC, true},  // 2024-01-02 10:00
		{`updated >= "-1w 1d 1h"`, time.UTC, false}, // 2024-01-02 11:00
		{`updated <= "+1d"`, time.UTC, true},
		{`updated <= "4w 2d"`, time.UTC, true},
		{`updated >= startOfDay()`, time.UTC, false},
		{`updated >= startOfDay(-8)`, time.UTC, true},    // 2024-01-02 00:00 UTC
		{`updated >= startOfDay("-8d")`, time.UTC, true}, // same
		{`updated >= startOfDay(-8)`, ny, true},          // 2024-01-02 00:00 New York = 05:00 UTC
		{`updated >= startOfDay(-7)`, ny, false},
		{`updated < endOfDay(-8)`, time.UTC, true},
		{`updated >= startOfWeek()`, time.UTC, false},  // Monday 2024-01-08
		{`updated >= startOfWeek(-1)`, time.UTC, true}, // Monday 2024-01-01
		{`updated >= startOfWeek("-1")`, time.UTC, true},
		{`updated >= startOfMonth()`, time.UTC, true},
		{`updated >= startOfYear()`, time.UTC, true},
		{`updated < endOfMonth(-1)`, time.UTC, false},
	}
	d := issue()
	for _, tt := range tests {
		t.Run(tt.q+"@"+tt.loc.String(), func(t *testing.T) {
			if got := mustParse(t, tt.q).Match(d, tt.loc, now); got != tt.want {
				t.Errorf("Match(%q in %s) = %v, want %v", tt.q, tt.loc, got, tt.want)
			}
		})
	}
}

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"-5m", -5 * time.Minute, true},
		{"-1h", -time.Hour, true},
		{"-2d", -48 * time.Hour, true},
		{"-1w", -7 * 24 * time.Hour, true},
		{"4w 2d", 30 * 24 * time.Hour, true},
		{"+1d", 24 * time.Hour, true},
		{"-1h 30m", -90 * time.Minute, true},
		{"5", 0, false},
		{"-5x", 0, false},
		{"-", 0, false},
		{"d", 0, false},
		{"-5M", 0, false},
	}
	for _, tt := range tests {
		got, ok := parsePeriod(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parsePeriod(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseAbsolute(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"2024/01/02 10:05", true},
		{"2024-01-02 10:05", true},
		{"2024/01/02", true},
		{"2024-1-2", true},
		{"2024-02-29", true},
		{"2023-02-29", false},
		{"2020-13-01", false},
		{"2020-12-32", false},
		{"2020/12/01 24:00", false},
		{"2020/12/01 10:60", false},
		{"2020/12-01", false},
		{"20/12/01", false},
		{"2020/12/01 10", false},
	}
	for _, tt := range tests {
		if _, ok := parseAbsolute(tt.in, time.UTC); ok != tt.ok {
			t.Errorf("parseAbsolute(%q) ok = %v, want %v", tt.in, ok, tt.ok)
		}
	}
}

func TestTextMatch(t *testing.T) {
	tests := []struct {
		text, query string
		want        bool
	}{
		{"Hello World", "hello", true},
		{"Hello World", "world hello", true},
		{"Hello World", "hello planet", false},
		{"Hello World", "hel*", true},
		{"Hello World", "h?llo", true},
		{"Hello World", `"hello world"`, true},
		{"Hello big World", `"hello world"`, false},
		{"Hello World", "the", false}, // only stop words: nothing to search
		{"", "x", false},
		{"ünïcode Straße", "straße", true},
	}
	for _, tt := range tests {
		if got := textMatch(tt.text, tt.query); got != tt.want {
			t.Errorf("textMatch(%q, %q) = %v, want %v", tt.text, tt.query, got, tt.want)
		}
	}
}

func TestMatchNilLocation(t *testing.T) {
	if !mustParse(t, `updated >= "2024/01/02 10:05"`).Match(issue(), nil, now) {
		t.Error("a nil location should read literals in UTC")
	}
	if !strings.Contains(mustParse(t, "a = b").String(), "a = b") {
		t.Error("String lost the clause")
	}
}
