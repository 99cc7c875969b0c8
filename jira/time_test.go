package jira

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in      string
		wantUTC string // RFC3339Nano in UTC
		wantOut string // Jira format after marshalling
	}{
		{"2019-08-13T06:14:23.580+0800", "2019-08-12T22:14:23.58Z", "2019-08-13T06:14:23.580+0800"},
		{"2019-08-13T06:14:23+0800", "2019-08-12T22:14:23Z", "2019-08-13T06:14:23.000+0800"},
		{"2019-08-13T06:14:23.580Z", "2019-08-13T06:14:23.58Z", "2019-08-13T06:14:23.580+0000"},
		{"2019-08-13T06:14:23.580+07:00", "2019-08-12T23:14:23.58Z", "2019-08-13T06:14:23.580+0700"},
		{"2012-04-11T14:26+0200", "2012-04-11T12:26:00Z", "2012-04-11T14:26:00.000+0200"},
		{"2024-03-01T10:15:30.123-0530", "2024-03-01T15:45:30.123Z", "2024-03-01T10:15:30.123-0530"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var tm Time
			if err := json.Unmarshal([]byte(`"`+tc.in+`"`), &tm); err != nil {
				t.Fatal(err)
			}
			if got := tm.UTC().Format(time.RFC3339Nano); got != tc.wantUTC {
				t.Errorf("UTC = %s, want %s", got, tc.wantUTC)
			}
			out, err := json.Marshal(tm)
			if err != nil || string(out) != `"`+tc.wantOut+`"` {
				t.Errorf("marshal = %s, %v, want %q", out, err, tc.wantOut)
			}
			var back Time
			if err := json.Unmarshal(out, &back); err != nil || !back.Equal(tm.Time) {
				t.Errorf("round trip = %v, %v", back, err)
			}
		})
	}
	for _, bad := range []string{"", "2019-08-13", "13/Aug/19 6:14 AM", "2019-08-13T06:14:23.580"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
	var z Time
	if err := json.Unmarshal([]byte("null"), &z); err != nil || !z.IsZero() {
		t.Errorf("null: %v %v", z, err)
	}
	if b, _ := json.Marshal(z); string(b) != "null" {
		t.Errorf("zero marshals as %s", b)
	}
}

func TestDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2012-04-13", "2012-04-13"},
		{"2012-04-13 00:00:00.0", "2012-04-13"}, // changelog toString form
	}
	for _, tc := range tests {
		d, err := ParseDate(tc.in)
		if err != nil || d.String() != tc.want {
			t.Errorf("ParseDate(%q) = %v, %v", tc.in, d, err)
		}
		b, _ := json.Marshal(d)
		var back Date
		if err := json.Unmarshal(b, &back); err != nil || back != d {
			t.Errorf("round trip %s: %v %v", b, back, err)
		}
	}
	if _, err := ParseDate("2012-13-45"); err == nil {
		t.Error("bad date accepted")
	}
	var d Date
	if err := json.Unmarshal([]byte("null"), &d); err != nil || !d.IsZero() {
		t.Error("null date")
	}
}

func TestJQLTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	tests := []struct {
		name string
		t    time.Time
		loc  *time.Location
		want string
	}{
		{"UTC truncates seconds", time.Date(2024, 3, 1, 9, 15, 59, 999e6, time.UTC), time.UTC, `"2024/03/01 09:15"`},
		{"Berlin winter +1", time.Date(2024, 3, 1, 9, 15, 59, 0, time.UTC), berlin, `"2024/03/01 10:15"`},
		{"Berlin summer +2", time.Date(2024, 7, 1, 9, 15, 0, 0, time.UTC), berlin, `"2024/07/01 11:15"`},
		{"Berlin crosses midnight", time.Date(2024, 12, 31, 23, 30, 0, 0, time.UTC), berlin, `"2025/01/01 00:30"`},
		{"input in another zone", time.Date(2024, 3, 1, 18, 15, 0, 0, time.FixedZone("JST", 9*3600)), berlin, `"2024/03/01 10:15"`},
		{"nil location is UTC", time.Date(2024, 3, 1, 9, 15, 0, 0, berlin), nil, `"2024/03/01 08:15"`},
	}
	for _, tc := range tests {
		if got := JQLTime(tc.t, tc.loc); got != tc.want {
			t.Errorf("%s: JQLTime = %s, want %s", tc.name, got, tc.want)
		}
	}
}
