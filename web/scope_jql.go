package web

import (
	"regexp"
	"strconv"
	"strings"
)

// errScopeOrderBy is the answer to a scope filter with its own ORDER BY: the poll appends one.
const errScopeOrderBy = "a scope filter cannot contain ORDER BY; Airlock orders by itself"

var (
	jqlQuoted   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	jqlOrderBy  = regexp.MustCompile(`(?i)\border\s+by\b`)
	jqlPosition = regexp.MustCompile(`\(line (\d+), character (\d+)\)`)
)

// hasOrderBy reports whether a JQL filter has an ORDER BY clause outside its quoted values.
func hasOrderBy(jql string) bool {
	return jqlOrderBy.MatchString(jqlQuoted.ReplaceAllString(jql, `""`))
}

// filterProblem rewrites the positions in Jira's complaint about a composed query (prefix, then
// the admin's filter) into positions of the filter itself, so "line 1, character 7" points at
// what the admin typed. A position inside the prefix (not the filter's fault) is left alone;
// one just past the filter's end says so.
func filterProblem(msg, prefix, filter string) string {
	skip := len([]rune(prefix))
	lines := strings.Split(filter, "\n")
	return jqlPosition.ReplaceAllStringFunc(msg, func(m string) string {
		sub := jqlPosition.FindStringSubmatch(m)
		line, _ := strconv.Atoi(sub[1])
		col, _ := strconv.Atoi(sub[2])
		if line == 1 {
			if col <= skip {
				return m
			}
			col -= skip
		}
		if line < 1 || line > len(lines) {
			return m
		}
		if col > len([]rune(lines[line-1])) {
			return "(at the end of your filter)"
		}
		return "(line " + strconv.Itoa(line) + ", character " + strconv.Itoa(col) + " of your filter)"
	})
}
