package jql

import (
	"strings"
)

// tokKind classifies a lexical token.
type tokKind int

const (
	tEOF tokKind = iota
	tString
	tLParen
	tRParen
	tComma
	tLBracket
	tRBracket
	tEq
	tNe
	tLike
	tNotLike
	tLt
	tGt
	tLe
	tGe
	tAnd
	tOr
	tNot
	tIn
	tIs
	tEmpty
	tOrder
	tAsc
	tDesc
	tWas
	tChanged
)

// token is one lexical token. text is the unescaped value; raw is the source text, which is what
// Jira quotes back in messages.
type token struct {
	kind   tokKind
	text   string
	raw    string
	pos    int // rune offset of the first character
	quoted bool
}

// keywords are the bare words that are tokens of the grammar rather than strings.
var keywords = map[string]tokKind{
	"and":     tAnd,
	"or":      tOr,
	"not":     tNot,
	"in":      tIn,
	"is":      tIs,
	"empty":   tEmpty,
	"null":    tEmpty,
	"order":   tOrder,
	"asc":     tAsc,
	"desc":    tDesc,
	"was":     tWas,
	"changed": tChanged,
}

// reservedWords are the words Jira Server refuses unquoted ("'x' is a reserved JQL word"): the list
// in JqlStringSupportImpl minus the words JQL itself uses (Jira's TestJqlParsing func test).
var reservedWords = func() map[string]bool {
	words := strings.Fields(`abort access add alias all alter any as audit avg begin between boolean break
	byte catch char character check checkpoint collate collation column commit connect continue count
	create current date decimal declare decrement default defaults define delete delimiter difference
	distinct divide do double drop else encoding end equals escape exclusive exec execute exists explain
	false fetch file field first float for function go goto grant greater group having identified if
	immediate increment index initial inner inout input insert int integer intersect intersection into
	isempty isnull join last left less like limit lock long max min minus mode modify modulo more
	multiply next noaudit notin nowait number object of option outer output power previous prior
	privileges public raise raw remainder rename resource return returns revoke right row rowid rownum
	rows select session set share size sqrt start strict string subtract sum synonym table then trans
	transaction trigger true uid union unique update user validate values view when whenever where while
	with`)
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}()

// isReservedChar reports the characters JQL reserves outside quoted strings.
func isReservedChar(r rune) bool {
	switch r {
	case '{', '}', '*', '/', '%', '+', '^', '$', '#', '@', '?', ';':
		return true
	}
	return false
}

// isControl reports the characters Jira refuses anywhere unless escaped.
func isControl(r rune) bool {
	switch {
	case r <= 0x1f && r != '\n' && r != '\r':
		return true
	case r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0xfdd0 && r <= 0xfdef:
		return true
	case r == 0xfffe || r == 0xffff:
		return true
	}
	return false
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f'
}

// stopsBareString reports the characters that end an unquoted string.
func stopsBareString(r rune) bool {
	if isSpace(r) {
		return true
	}
	switch r {
	case '=', '!', '<', '>', '~', '(', ')', ',', '"', '\'', '[', ']', '&', '|':
		return true
	}
	return false
}

// lex turns the whole query into tokens, as Jira's ANTLR lexer does before parsing: a lexical
// error anywhere wins over a syntax error earlier in the query.
func lex(src []rune) ([]token, *Error) {
	var toks []token
	i := 0
	for i < len(src) {
		r := src[i]
		if isSpace(r) {
			i++
			continue
		}
		if isControl(r) {
			return nil, illegalChar(src, i)
		}
		start := i
		two := func(k tokKind) {
			toks = append(toks, token{kind: k, raw: string(src[i : i+2]), text: string(src[i : i+2]), pos: start})
			i += 2
		}
		one := func(k tokKind) {
			toks = append(toks, token{kind: k, raw: string(r), text: string(r), pos: start})
			i++
		}
		next := rune(0)
		if i+1 < len(src) {
			next = src[i+1]
		}
		switch {
		case r == '(':
			one(tLParen)
		case r == ')':
			one(tRParen)
		case r == ',':
			one(tComma)
		case r == '[':
			one(tLBracket)
		case r == ']':
			one(tRBracket)
		case r == '=':
			one(tEq)
		case r == '~':
			one(tLike)
		case r == '!' && next == '=':
			two(tNe)
		case r == '!' && next == '~':
			two(tNotLike)
		case r == '!':
			one(tNot)
		case r == '<' && next == '=':
			two(tLe)
		case r == '>' && next == '=':
			two(tGe)
		case r == '<':
			one(tLt)
		case r == '>':
			one(tGt)
		case r == '&' && next == '&':
			two(tAnd)
		case r == '&':
			one(tAnd)
		case r == '|' && next == '|':
			two(tOr)
		case r == '|':
			one(tOr)
		case r == '"' || r == '\'':
			tok, end, err := lexQuoted(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, tok)
			i = end
		case isReservedChar(r):
			return nil, reservedChar(src, i)
		default:
			tok, end, err := lexBare(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, tok)
			i = end
		}
	}
	toks = append(toks, token{kind: tEOF, pos: len(src)})
	return toks, nil
}

func illegalChar(src []rune, i int) *Error {
	line, col := position(src, i)
	return errAt(src, i, "The character '%s' on line %d at position %d must be escaped. Use the escape '%s' instead.",
		printable(src[i]), line, col, javaEscape(src[i]))
}

func reservedChar(src []rune, i int) *Error {
	return errAt(src, i, "The character '%c' is a reserved JQL character. You must enclose it in a string or use the escape '%s' instead.",
		src[i], javaEscape(src[i]))
}

// lexEscape decodes the escape sequence whose backslash is at src[i]. It returns the decoded
// rune and the offset after the sequence.
func lexEscape(src []rune, i int) (rune, int, *Error) {
	if i+1 >= len(src) {
		return 0, 0, errAt(src, i, "The escape sequence has not been completed. %s", validEscapes)
	}
	switch src[i+1] {
	case '\'', '"', '\\', ' ':
		return src[i+1], i + 2, nil
	case 't':
		return '\t', i + 2, nil
	case 'n':
		return '\n', i + 2, nil
	case 'r':
		return '\r', i + 2, nil
	case 'u':
		var v rune
		j := i + 2
		for ; j < i+6; j++ {
			if j >= len(src) {
				return 0, 0, errAt(src, i, "'%s' is an illegal JQL escape sequence. %s", string(src[i:j]), validEscapes)
			}
			d := hexVal(src[j])
			if d < 0 {
				return 0, 0, errAt(src, i, "'%s' is an illegal JQL escape sequence. %s", string(src[i:j+1]), validEscapes)
			}
			v = v*16 + rune(d)
		}
		return v, j, nil
	}
	return 0, 0, errAt(src, i, "'%s' is an illegal JQL escape sequence. %s", string(src[i:i+2]), validEscapes)
}

func hexVal(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= 'a' && r <= 'f':
		return int(r-'a') + 10
	case r >= 'A' && r <= 'F':
		return int(r-'A') + 10
	}
	return -1
}

// lexQuoted reads a "double" or 'single' quoted string starting at src[start].
func lexQuoted(src []rune, start int) (token, int, *Error) {
	q := src[start]
	var b strings.Builder
	i := start + 1
	for i < len(src) {
		r := src[i]
		switch {
		case r == q:
			return token{kind: tString, text: b.String(), raw: string(src[start : i+1]), pos: start, quoted: true}, i + 1, nil
		case r == '\\':
			v, end, err := lexEscape(src, i)
			if err != nil {
				return token{}, 0, err
			}
			b.WriteRune(v)
			i = end
		case isControl(r):
			return token{}, 0, illegalChar(src, i)
		default:
			b.WriteRune(r)
			i++
		}
	}
	rest := normalizeForMessage(string(src[start+1:]))
	if strings.TrimSpace(rest) == "" {
		return token{}, 0, errAt(src, start, "The quoted string has not been completed.")
	}
	return token{}, 0, errAt(src, start, "The quoted string '%s' has not been completed.", rest)
}

// lexBare reads an unquoted string (or keyword) starting at src[start].
func lexBare(src []rune, start int) (token, int, *Error) {
	var b strings.Builder
	i := start
	for i < len(src) {
		r := src[i]
		if stopsBareString(r) {
			break
		}
		if isControl(r) {
			return token{}, 0, illegalChar(src, i)
		}
		if isReservedChar(r) {
			return token{}, 0, reservedChar(src, i)
		}
		if r == '\\' {
			v, end, err := lexEscape(src, i)
			if err != nil {
				return token{}, 0, err
			}
			b.WriteRune(v)
			i = end
			continue
		}
		b.WriteRune(r)
		i++
	}
	raw := string(src[start:i])
	tok := token{kind: tString, text: b.String(), raw: raw, pos: start}
	if !strings.Contains(raw, `\`) {
		if k, ok := keywords[strings.ToLower(raw)]; ok {
			tok.kind = k
		}
	}
	return tok, i, nil
}
