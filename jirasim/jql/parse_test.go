package jql

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestParseErrors checks messages and positions against the strings Jira Server itself asserts in
// its TestJqlParsing func test, plus the examples in the project brief.
func TestParseErrors(t *testing.T) {
	ops := " " + validOperators
	tests := []struct {
		q, want string
	}{
		{"project foo", "Expecting operator but got 'foo'." + ops + " (line 1, character 9)"},
		{"a", "Expecting operator before the end of the query." + ops},
		{"a blah >", "Expecting operator but got 'blah'." + ops + " (line 1, character 3)"},
		{"status ! in (A)", "Expecting operator but got '!'." + ops + " (line 1, character 8)"},
		{"project = AND", "Expecting either a value, list or function but got 'AND'. You must surround 'AND' in quotation marks to use it as a value. (line 1, character 11)"},
		{`project = "abc`, "The quoted string 'abc' has not been completed. (line 1, character 11)"},
		{"comment ~ 'test\n", "The quoted string 'test ' has not been completed. (line 1, character 11)"},
		{"comment ~ '", "The quoted string has not been completed. (line 1, character 11)"},
		{"project = ABC AND (status = Open", "Expecting ')' before the end of the query."},
		{"status = %", `The character '%' is a reserved JQL character. You must enclose it in a string or use the escape '\u0025' instead. (line 1, character 10)`},
		{"mine{www = qwwr", `The character '{' is a reserved JQL character. You must enclose it in a string or use the escape '\u007b' instead. (line 1, character 5)`},
		{"minewww =\u007fqwwr", `The character 'U+007F' on line 1 at position 10 must be escaped. Use the escape '\u007f' instead. (line 1, character 10)`},
		{"comme\\unt ~ 'test", `'\un' is an illegal JQL escape sequence. The valid escape sequences are \', \", \t, \n, \r, \\, '\ ' and \uXXXX. (line 1, character 6)`},
		{`a = b\`, `The escape sequence has not been completed. The valid escape sequences are \', \", \t, \n, \r, \\, '\ ' and \uXXXX. (line 1, character 6)`},
		{"a =a and j not is empty", "Expecting 'IN' but got 'is'. (line 1, character 16)"},
		{"a =a and j is ! empty", "Expecting 'NOT' but got '!'. (line 1, character 15)"},
		{"cf", "Expecting '[' before the end of the query."},
		{"a = b and not (cf = 6)", "Expecting '[' but got '='. (line 1, character 19)"},
		{"cf[ = 9", "Expecting a custom field id (a positive number) but got '='. (line 1, character 5)"},
		{"cf[29829 = world", "Expecting ']' but got '='. (line 1, character 10)"},
		{"a = func(", "Expecting ')' before the end of the query."},
		{"bas=func(bad,)", "Function argument must be specified. (line 1, character 14)"},
		{"k = func(abc, jk!)", "Expecting ')' or ',' but got '!'. (line 1, character 17)"},
		{"abc IN ((foo) abc = a", "Expecting ')' but got 'abc'. (line 1, character 15)"},
		{"a=", "Expecting either a value, list or function before the end of the query."},
		{"a=b c=d", "Expecting either 'OR' or 'AND' but got 'c'. (line 1, character 5)"},
		{"a = b and", "Expecting a field name at the end of the query."},
		{"not", "Expecting a field name at the end of the query."},
		{", a = b", "Expecting a field name but got ','. You must surround ',' in quotation marks to use it as a field name. (line 1, character 1)"},
		{"[brenden] = a", "Expecting a field name but got '['. Did you mean 'cf['? (line 1, character 1)"},
		{"a =b order", "Expecting 'by' before the end of the query."},
		{"a =b order summary", "Expecting 'by' but got 'summary'. (line 1, character 12)"},
		{"a =b order by", "Expecting a field name at the end of the query."},
		{"a =b order by ajsks blah", "Expecting either 'ASC' or 'DESC' but got 'blah'. (line 1, character 21)"},
		{"order by a desc d", "Expecting ',' but got 'd'. (line 1, character 17)"},
		{"'' = c", "A field name cannot be empty. (line 1, character 1)"},
		{"a = ''()", "A function name cannot be empty. (line 1, character 5)"},
		{"summary ~ abort", "'abort' is a reserved JQL word. You must surround it in quotation marks to use it in a query. (line 1, character 11)"},
		{"status = Open and\n  select = x", "'select' is a reserved JQL word. You must surround it in quotation marks to use it in a query. (line 2, character 3)"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			q, err := Parse(tt.q)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tt.q, q)
			}
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("error %T is not *Error", err)
			}
			if want := "Error in the JQL Query: " + tt.want; err.Error() != want {
				t.Errorf("Parse(%q) error\n got: %s\nwant: %s", tt.q, err, want)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		q      string
		fields []string
		render string
	}{
		{"", nil, ""},
		{"   ", nil, ""},
		{"project = ABC", []string{"project"}, "project = ABC"},
		{"issuekey = abc-1 OR Key in (ABC-2, 'ABC-3')", []string{"key"}, "issuekey = abc-1 OR Key IN (ABC-2, ABC-3)"},
		{"type = Bug and createdDate > -1d", []string{"issuetype", "created"}, `type = Bug AND createdDate > -1d`},
		{"cf[10001] ~ 'x y' && customfield_10002 is not null", []string{"customfield_10001", "customfield_10002"}, `cf[10001] ~ "x y" AND customfield_10002 IS NOT EMPTY`},
		{"not (a = b or c = d) and e != f", []string{"a", "c", "e"}, "NOT (a = b OR c = d) AND e != f"},
		{"a = b OR c = d AND e = f", []string{"a", "c", "e"}, "a = b OR c = d AND e = f"},
		{"(a = b OR c = d) AND e = f", []string{"a", "c", "e"}, "(a = b OR c = d) AND e = f"},
		{"! a = b", []string{"a"}, "NOT a = b"},
		{"a = b || c = d", []string{"a", "c"}, "a = b OR c = d"},
		{`summary ~ "\"full screen\""`, []string{"summary"}, `summary ~ "\"full screen\""`},
		{`labels = "order"`, []string{"labels"}, `labels = "order"`},
		{"updated >= startOfDay(-1) ORDER BY updated ASC, key", []string{"updated", "key"}, "updated >= startOfDay(-1) ORDER BY updated ASC, key"},
		{"ORDER BY priority DESC", []string{"priority"}, "ORDER BY priority DESC"},
		{"assignee is EMPTY", []string{"assignee"}, "assignee IS EMPTY"},
		{`status in ("In Progress", Done, EMPTY)`, []string{"status"}, `status IN ("In Progress", Done, EMPTY)`},
		{`summary ~ 'it\'s'`, []string{"summary"}, `summary ~ "it's"`},
		{`summary ~ "a\u0025b"`, []string{"summary"}, `summary ~ "a%b"`},
		{"fixVersion = 1.0", []string{"fixversion"}, "fixVersion = 1.0"},
		{"project=ABC&status!=Done", []string{"project", "status"}, "project = ABC AND status != Done"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			q, err := Parse(tt.q)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.q, err)
			}
			if got := q.Fields(); !reflect.DeepEqual(got, tt.fields) {
				t.Errorf("Fields() = %v, want %v", got, tt.fields)
			}
			if got := q.String(); got != tt.render {
				t.Errorf("String() = %q, want %q", got, tt.render)
			}
			again, err := Parse(q.String())
			if err != nil {
				t.Fatalf("re-Parse(%q): %v", q.String(), err)
			}
			if again.String() != q.String() {
				t.Errorf("round trip changed %q to %q", q.String(), again.String())
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	// NOT binds tighter than AND, AND tighter than OR.
	q, err := Parse("not a = 1 and b = 2 or c = 3")
	if err != nil {
		t.Fatal(err)
	}
	or, ok := q.where.(*orNode)
	if !ok || len(or.kids) != 2 {
		t.Fatalf("top node = %#v, want OR of two", q.where)
	}
	and, ok := or.kids[0].(*andNode)
	if !ok || len(and.kids) != 2 {
		t.Fatalf("left = %#v, want AND of two", or.kids[0])
	}
	if _, ok := and.kids[0].(*notNode); !ok {
		t.Fatalf("first AND operand = %#v, want NOT", and.kids[0])
	}
}

func TestDeepNestingIsAnErrorNotACrash(t *testing.T) {
	q := strings.Repeat("(", 10000) + "a = b" + strings.Repeat(")", 10000)
	if _, err := Parse(q); err == nil {
		t.Fatal("want an error for 10000 nested parentheses")
	}
	q = "a in " + strings.Repeat("(", 10000) + "b" + strings.Repeat(")", 10000)
	if _, err := Parse(q); err == nil {
		t.Fatal("want an error for 10000 nested lists")
	}
}
