package jql

import (
	"reflect"
	"strings"
	"testing"
)

func knownValues(field, value string) bool {
	ok := map[string][]string{
		"project":    {"ABC", "10000"},
		"status":     {"Open", "Done", "In Progress"},
		"priority":   {"High"},
		"issuetype":  {"Bug"},
		"resolution": {"Fixed"},
	}
	for _, v := range ok[field] {
		if strings.EqualFold(v, value) {
			return true
		}
	}
	return false
}

func TestValidate(t *testing.T) {
	tests := []struct {
		q    string
		want []string
	}{
		{"", nil},
		{"project = ABC AND status in (open, DONE) ORDER BY updated ASC, key ASC", nil},
		{"project = 10000 AND resolution is EMPTY AND priority != high", nil},
		{"foo = bar", []string{"Field 'foo' does not exist or you do not have permission to view it."}},
		{"project = XYZ", []string{"The value 'XYZ' does not exist for the field 'project'."}},
		{"Type in (Bug, Story)", []string{"The value 'Story' does not exist for the field 'Type'."}},
		{"status = Open ORDER BY bogus", []string{"Field 'bogus' does not exist or you do not have permission to view it."}},
		{"ORDER BY comment", []string{"Field 'comment' does not support sorting."}},
		{"updated > '2020-13-01'", []string{"Date value '2020-13-01' for field 'updated' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."}},
		{"created >= -5d and updated < now() and duedate <= endOfDay(1)", nil},
		{"project ~ ABC", []string{"The operator '~' is not supported by the 'project' field."}},
		{"summary = x", []string{"The operator '=' is not supported by the 'summary' field."}},
		{"text !~ x", []string{"The operator '!~' is not supported by the 'text' field."}},
		{"status > Open", []string{"The operator '>' is not supported by the 'status' field."}},
		{"key = foo", []string{"The issue key 'foo' for field 'key' is invalid."}},
		{"key in (ABC-1, 10001)", nil},
		{"assignee = bogus()", []string{"Unable to find JQL function 'bogus()'."}},
		{"project = now()", []string{"A value provided by the function 'now' is invalid for the field 'project'."}},
		{"updated > now(1)", []string{"Function 'now' expected '0' arguments but received '1'."}},
		{`updated > startOfDay("invalid")`, []string{"Duration for function 'startOfDay' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier."}},
		{"summary ~ ''", []string{"The field 'summary' does not support searching for an empty string."}},
		{"cf[10001] > 5 and customfield_10002 ~ x", nil},
		{"foo = a or foo = b", []string{"Field 'foo' does not exist or you do not have permission to view it."}}, // reported once
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			if got := mustParse(t, tt.q).Validate(knownValues); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate(%q)\n got: %q\nwant: %q", tt.q, got, tt.want)
			}
		})
	}
}

func TestProblemsClassifiesUnknownValues(t *testing.T) {
	ps := mustParse(t, "project = XYZ AND foo = 1").Problems(knownValues)
	if len(ps) != 2 || !ps[0].UnknownValue || ps[1].UnknownValue {
		t.Fatalf("Problems = %+v, want an unknown-value warning then a field error", ps)
	}
	if got := mustParse(t, "project = XYZ").Validate(nil); got != nil {
		t.Errorf("a nil known accepts every value, got %q", got)
	}
}
