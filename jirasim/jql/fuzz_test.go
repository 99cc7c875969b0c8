package jql

import (
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	for _, q := range []string{
		"",
		"project = ABC",
		`project in (ABC, "Alpha Project") AND issuetype in (Bug, Story)`,
		`project = ABC AND updated >= "2024/01/02 10:05" ORDER BY updated ASC, key ASC`,
		`project = ABC AND updated >= "2024-01-02 10:05" AND updated <= "2024-01-02 11:00" ORDER BY updated ASC, key ASC`,
		"updated >= -5m", "updated > -1h", "created >= -2d", "resolved >= -1w", `duedate <= "4w 2d"`,
		`updated > "+1d"`, "updated >= startOfDay(-1) AND updated < endOfDay()", "created > now()",
		"key > ABC-10", "issuekey in (ABC-1, ABC-2) OR id = 10001", "key = 10042",
		`summary ~ "login*" AND description !~ "\"full screen\""`, "text ~ crash",
		"assignee is EMPTY AND reporter is not null", "resolution = EMPTY", "labels not in (a, b)",
		"NOT (status = Done OR priority = Low) AND component = API",
		"fixVersion = 1.0 && type = Bug || status != Open",
		"cf[10001] = 42 AND customfield_10002 ~ x", `labels = "order"`,
		"ORDER BY priority DESC, status, summary ASC, created",
		"project foo", "project = AND", `project = "abc`, "status = %", "a = func(bad,", "(a = b",
		"summary ~ 'it\\'s \\u0041'", "a =b order by ajsks blah",
	} {
		f.Add(q)
	}
	loc := time.FixedZone("X", 3600)
	now := time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC)
	d := issue()
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse(%q) error %T is not *Error", s, err)
			}
			if err.Error() == "" {
				t.Fatalf("Parse(%q): empty error message", s)
			}
			return
		}
		rendered := q.String()
		again, err := Parse(rendered)
		if err != nil {
			t.Fatalf("Parse(%q) rendered as %q, which does not parse: %v", s, rendered, err)
		}
		if again.String() != rendered {
			t.Fatalf("render not stable: %q -> %q -> %q", s, rendered, again.String())
		}
		_ = q.Fields()
		_ = q.Validate(func(string, string) bool { return false })
		m := q.Match(d, loc, now)
		if again.Match(d, loc, now) != m {
			t.Fatalf("%q and its rendering %q match differently", s, rendered)
		}
		_ = q.Less(d, d)
	})
}
