package jql

import (
	"fmt"
	"strings"
)

// Linker may be implemented by a Doc to answer the issue-link function linkedIssues:
// LinkedTo reports whether this issue is linked to the issue named by key. With a
// linkType (a link description as seen from that issue, e.g. "blocks", or a link type
// name) only links of that kind count.
//
// `issue in linkedIssues(KEY)` and `issue in linkedIssues(KEY, "blocks")` (also with
// key, issuekey and NOT IN) match the issues linked to KEY; without a Linker nothing
// matches.
type Linker interface {
	LinkedTo(key, linkType string) bool
}

func isLinkFunction(name string) bool { return strings.EqualFold(name, "linkedIssues") }

// linkFunctionError validates a linkedIssues call on a field of kind k.
func linkFunctionError(it operand, k fieldKind, raw string) string {
	if k != kindKey {
		return fmt.Sprintf("A value provided by the function '%s' is invalid for the field '%s'.", it.value, raw)
	}
	if len(it.args) < 1 || len(it.args) > 2 {
		return fmt.Sprintf("Function '%s' expected between '1' and '2' arguments but received '%d'.", it.value, len(it.args))
	}
	if _, _, ok := parseKey(strings.TrimSpace(it.args[0])); !ok && !isDigits(strings.TrimSpace(it.args[0])) {
		return fmt.Sprintf("The issue key '%s' for field '%s' is invalid.", it.args[0], raw)
	}
	return ""
}

// linked evaluates a linkedIssues operand item for the document.
func (e *evaluator) linked(it operand) bool {
	l, ok := e.d.(Linker)
	if !ok || len(it.args) == 0 {
		return false
	}
	typ := ""
	if len(it.args) > 1 {
		typ = it.args[1]
	}
	return l.LinkedTo(strings.TrimSpace(it.args[0]), typ)
}
