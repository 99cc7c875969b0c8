package jql

import (
	"fmt"
	"strings"
	"time"
)

// Problem is one validation finding.
type Problem struct {
	// Message is worded as Jira words it.
	Message string
	// UnknownValue marks "The value 'X' does not exist for the field 'Y'." findings, which Jira
	// reports as warnings instead of errors when the search sets validateQuery=false.
	UnknownValue bool
}

// referenceFields are the fields whose values Validate checks through known.
var referenceFields = map[string]bool{
	"project": true, "issuetype": true, "status": true, "priority": true, "resolution": true,
}

// Validate checks field names and, through known, the values of reference fields. It returns
// Jira's error messages (empty when valid). known(field, value) reports whether a value exists for
// project / issuetype / status / priority / resolution (compare case-insensitively inside known).
// Unknown fields: "Field 'foo' does not exist or you do not have permission to view it."
// Unknown values: "The value 'XYZ' does not exist for the field 'project'."
func (q *Query) Validate(known func(field, value string) bool) []string {
	var out []string
	for _, p := range q.Problems(known) {
		out = append(out, p.Message)
	}
	return out
}

// Problems is Validate with each finding classified, for callers that honour validateQuery.
// A nil known accepts every value.
func (q *Query) Problems(known func(field, value string) bool) []Problem {
	var out []Problem
	seen := map[string]bool{}
	add := func(p Problem) {
		if !seen[p.Message] {
			seen[p.Message] = true
			out = append(out, p)
		}
	}
	walk(q.where, func(c *clause) {
		for _, p := range validateClause(c, known) {
			add(p)
		}
	})
	for _, s := range q.orderBy {
		switch {
		case kindOf(s.field.name) == kindUnknown:
			add(Problem{Message: unknownFieldMsg(s.field.raw)})
		case !sortable(s.field.name):
			add(Problem{Message: fmt.Sprintf("Field '%s' does not support sorting.", s.field.raw)})
		}
	}
	return out
}

func unknownFieldMsg(raw string) string {
	return fmt.Sprintf("Field '%s' does not exist or you do not have permission to view it.", raw)
}

func validateClause(c *clause, known func(field, value string) bool) []Problem {
	k := kindOf(c.field.name)
	raw := c.field.raw
	if k == kindUnknown {
		return []Problem{{Message: unknownFieldMsg(raw)}}
	}
	if !k.supports(c.op) {
		return []Problem{{Message: fmt.Sprintf("The operator '%s' is not supported by the '%s' field.", c.op.display(), raw)}}
	}
	var out []Problem
	if (c.op == opIs || c.op == opIsNot) && c.operand.kind != operEmpty {
		out = append(out, Problem{Message: fmt.Sprintf("The operator '%s' only supports the values EMPTY and NULL.", c.op.display())})
	}
	items := flatten(c.operand)
	for _, it := range items {
		switch it.kind {
		case operFunc:
			if msg := validateFunction(it, k, raw); msg != "" {
				out = append(out, Problem{Message: msg})
			}
		case operValue:
			out = append(out, validateValue(c, k, it.value, known)...)
		}
	}
	if (k == kindText || k == kindFreeText || k == kindCustom) && (c.op == opLike || c.op == opNotLike) {
		if c.operand.kind == operValue && strings.TrimSpace(c.operand.value) == "" {
			out = append(out, Problem{Message: fmt.Sprintf("The field '%s' does not support searching for an empty string.", raw)})
		}
	}
	return out
}

func validateFunction(it operand, k fieldKind, raw string) string {
	name := it.value
	if isLinkFunction(name) {
		return linkFunctionError(it, k, raw)
	}
	if _, ok := dateFunctions[strings.ToLower(name)]; !ok {
		return fmt.Sprintf("Unable to find JQL function '%s()'.", name)
	}
	if k != kindDate && k != kindCustom {
		return fmt.Sprintf("A value provided by the function '%s' is invalid for the field '%s'.", name, raw)
	}
	return funcArgError(name, it.args)
}

func validateValue(c *clause, k fieldKind, v string, known func(field, value string) bool) []Problem {
	switch k {
	case kindDate:
		if _, ok := parseDateLiteral(v, time.UTC, time.Time{}); !ok {
			return []Problem{{Message: invalidDateMsg(v, c.field.raw)}}
		}
	case kindKey:
		t := strings.TrimSpace(v)
		if !isDigits(t) {
			if _, _, ok := parseKey(t); !ok {
				return []Problem{{Message: fmt.Sprintf("The issue key '%s' for field '%s' is invalid.", v, c.field.raw)}}
			}
		}
	case kindValue:
		if referenceFields[c.field.name] && known != nil && !known(c.field.name, v) {
			return []Problem{{
				Message:      fmt.Sprintf("The value '%s' does not exist for the field '%s'.", v, c.field.raw),
				UnknownValue: true,
			}}
		}
	}
	return nil
}
