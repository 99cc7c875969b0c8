package jql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a JQL error. Error() returns the message exactly as Jira words it; the emulator puts it
// into {"errorMessages":[msg],"errors":{}} with status 400.
type Error struct {
	// Message is the full text, including the "Error in the JQL Query: " prefix and the
	// "(line L, character C)" suffix when Jira gives one.
	Message string
	// Line and Column locate the offending character (both 1-based); zero when the error is at
	// the end of the query or has no position.
	Line, Column int
}

// Error returns the message as Jira words it.
func (e *Error) Error() string { return e.Message }

const errPrefix = "Error in the JQL Query: "

// validOperators is the list Jira appends to every "Expecting operator" message.
const validOperators = "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."

// validEscapes is the list Jira appends to every escape-sequence message.
const validEscapes = `The valid escape sequences are \', \", \t, \n, \r, \\, '\ ' and \uXXXX.`

// position converts a rune offset into Jira's 1-based line and character.
func position(src []rune, off int) (line, col int) {
	line, col = 1, 1
	for i := 0; i < off && i < len(src); i++ {
		if src[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// errAt builds a positioned syntax error.
func errAt(src []rune, off int, format string, args ...any) *Error {
	line, col := position(src, off)
	msg := fmt.Sprintf(format, args...)
	return &Error{
		Message: fmt.Sprintf("%s%s (line %d, character %d)", errPrefix, msg, line, col),
		Line:    line,
		Column:  col,
	}
}

// errEOF builds an error about the end of the query, which Jira reports without a position.
func errEOF(format string, args ...any) *Error {
	return &Error{Message: errPrefix + fmt.Sprintf(format, args...)}
}

// javaEscape renders r as Jira's suggested escape, e.g. '\u0025' (lowercase hex).
func javaEscape(r rune) string {
	if r > 0xffff {
		// Outside the BMP Java would show a surrogate pair; one escape of the code point is
		// close enough for the characters a query can contain.
		return fmt.Sprintf(`\u%x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}

// printable renders r for a message: itself when printable, else U+XXXX as Jira does.
func printable(r rune) string {
	if isControl(r) || r == utf8.RuneError {
		return fmt.Sprintf("U+%04X", r)
	}
	return string(r)
}

// normalizeForMessage replaces line breaks and tabs with spaces, as Jira does when it quotes an
// unfinished string back to the user.
func normalizeForMessage(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', '\t':
			return ' '
		}
		return r
	}, s)
}
