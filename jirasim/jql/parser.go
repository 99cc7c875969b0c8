package jql

import (
	"strconv"
	"strings"
)

// Parse parses a JQL query string. Syntax errors are *Error with Jira's wording. An empty or
// blank query is valid and matches every issue.
func Parse(q string) (*Query, error) {
	src := []rune(q)
	toks, lerr := lex(src)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{src: src, toks: toks}
	query, perr := p.parseQuery()
	if perr != nil {
		return nil, perr
	}
	return query, nil
}

// maxDepth bounds nesting so a hostile query cannot exhaust the stack.
const maxDepth = 200

type parser struct {
	src   []rune
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) parseQuery() (*Query, *Error) {
	q := &Query{}
	if t := p.peek(); t.kind != tEOF && t.kind != tOrder {
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		q.where = n
	}
	switch t := p.peek(); t.kind {
	case tEOF:
		return q, nil
	case tOrder:
		p.next()
		terms, err := p.parseOrderBy()
		if err != nil {
			return nil, err
		}
		q.orderBy = terms
		return q, nil
	default:
		return nil, p.expectAndOr(t)
	}
}

// expectAndOr is the error for a token that cannot follow a complete clause.
func (p *parser) expectAndOr(t token) *Error {
	if t.kind == tString && !t.quoted && reservedWords[strings.ToLower(t.text)] {
		return p.reservedWord(t)
	}
	return errAt(p.src, t.pos, "Expecting either 'OR' or 'AND' but got '%s'.", t.raw)
}

func (p *parser) reservedWord(t token) *Error {
	return errAt(p.src, t.pos, "'%s' is a reserved JQL word. You must surround it in quotation marks to use it in a query.", t.raw)
}

func (p *parser) parseOr() (node, *Error) {
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	kids := []node{first}
	for p.peek().kind == tOr {
		p.next()
		n, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return &orNode{kids: kids}, nil
}

func (p *parser) parseAnd() (node, *Error) {
	first, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	kids := []node{first}
	for p.peek().kind == tAnd {
		p.next()
		n, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return &andNode{kids: kids}, nil
}

func (p *parser) parseNot() (node, *Error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, errAt(p.src, p.peek().pos, "The query is nested too deeply.")
	}
	t := p.peek()
	switch t.kind {
	case tNot:
		p.next()
		kid, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &notNode{kid: kid}, nil
	case tLParen:
		p.next()
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		switch c := p.peek(); c.kind {
		case tRParen:
			p.next()
			return n, nil
		case tEOF:
			return nil, errEOF("Expecting ')' before the end of the query.")
		default:
			return nil, p.expectAndOr(c)
		}
	}
	return p.parseTerminal()
}

// parseField reads a field name: a string, or cf[NNNNN].
func (p *parser) parseField() (fieldRef, *Error) {
	t := p.peek()
	switch t.kind {
	case tEOF:
		return fieldRef{}, errEOF("Expecting a field name at the end of the query.")
	case tLBracket:
		return fieldRef{}, errAt(p.src, t.pos, "Expecting a field name but got '['. Did you mean 'cf['?")
	case tString:
	default:
		return fieldRef{}, errAt(p.src, t.pos, "Expecting a field name but got '%s'. You must surround '%s' in quotation marks to use it as a field name.", t.raw, t.raw)
	}
	p.next()
	if t.quoted && t.text == "" || !t.quoted && strings.TrimSpace(t.text) == "" {
		return fieldRef{}, errAt(p.src, t.pos, "A field name cannot be empty.")
	}
	if !t.quoted && strings.EqualFold(t.text, "cf") {
		return p.parseCustomField(t)
	}
	if !t.quoted && reservedWords[strings.ToLower(t.text)] {
		return fieldRef{}, p.reservedWord(t)
	}
	name, _ := canonicalField(t.text)
	return fieldRef{raw: t.text, name: name, pos: t.pos, quoted: t.quoted}, nil
}

func (p *parser) parseCustomField(cf token) (fieldRef, *Error) {
	const want = "Expecting a custom field id (a positive number)"
	t := p.next()
	switch t.kind {
	case tLBracket:
	case tEOF:
		return fieldRef{}, errEOF("Expecting '[' before the end of the query.")
	default:
		return fieldRef{}, errAt(p.src, t.pos, "Expecting '[' but got '%s'.", t.raw)
	}
	t = p.next()
	switch {
	case t.kind == tEOF:
		return fieldRef{}, errEOF("%s before the end of the query.", want)
	case t.kind != tString || t.quoted || !isDigits(t.text):
		return fieldRef{}, errAt(p.src, t.pos, "%s but got '%s'.", want, t.raw)
	}
	if _, err := strconv.ParseInt(t.text, 10, 64); err != nil {
		return fieldRef{}, errAt(p.src, t.pos, "'%s' is not a valid number. Numbers must be between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807.", t.text)
	}
	id := strings.TrimLeft(t.text, "0")
	if id == "" {
		id = "0"
	}
	c := p.next()
	switch c.kind {
	case tRBracket:
	case tEOF:
		return fieldRef{}, errEOF("Expecting ']' before the end of the query.")
	default:
		return fieldRef{}, errAt(p.src, c.pos, "Expecting ']' but got '%s'.", c.raw)
	}
	return fieldRef{raw: "cf[" + id + "]", name: "customfield_" + id, pos: cf.pos}, nil
}

func (p *parser) parseTerminal() (node, *Error) {
	f, err := p.parseField()
	if err != nil {
		return nil, err
	}
	op, opPos, err := p.parseOperator()
	if err != nil {
		return nil, err
	}
	o, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	return &clause{field: f, op: op, opPos: opPos, operand: o}, nil
}

func (p *parser) parseOperator() (opKind, int, *Error) {
	t := p.next()
	switch t.kind {
	case tEq:
		return opEq, t.pos, nil
	case tNe:
		return opNe, t.pos, nil
	case tLike:
		return opLike, t.pos, nil
	case tNotLike:
		return opNotLike, t.pos, nil
	case tLt:
		return opLt, t.pos, nil
	case tGt:
		return opGt, t.pos, nil
	case tLe:
		return opLe, t.pos, nil
	case tGe:
		return opGe, t.pos, nil
	case tIn:
		return opIn, t.pos, nil
	case tNot:
		if t.raw == "!" {
			return 0, 0, errAt(p.src, t.pos, "Expecting operator but got '%s'. %s", t.raw, validOperators)
		}
		n := p.next()
		switch n.kind {
		case tIn:
			return opNotIn, t.pos, nil
		case tEOF:
			return 0, 0, errEOF("Expecting 'IN' before the end of the query.")
		}
		return 0, 0, errAt(p.src, n.pos, "Expecting 'IN' but got '%s'.", n.raw)
	case tIs:
		if n := p.peek(); n.kind == tNot && n.raw != "!" {
			p.next()
			return opIsNot, t.pos, nil
		} else if n.kind == tNot {
			return 0, 0, errAt(p.src, n.pos, "Expecting 'NOT' but got '%s'.", n.raw)
		}
		return opIs, t.pos, nil
	case tWas, tChanged:
		return 0, 0, errAt(p.src, t.pos, "The operator '%s' (issue history search) is not supported by this Jira emulator.", strings.ToLower(t.raw))
	case tEOF:
		return 0, 0, errEOF("Expecting operator before the end of the query. %s", validOperators)
	}
	if t.kind == tString && !t.quoted && reservedWords[strings.ToLower(t.text)] {
		return 0, 0, p.reservedWord(t)
	}
	return 0, 0, errAt(p.src, t.pos, "Expecting operator but got '%s'. %s", t.raw, validOperators)
}

// parseOperand reads a value, EMPTY, a function call or a parenthesised list.
func (p *parser) parseOperand() (operand, *Error) {
	p.depth++
	defer func() { p.depth-- }()
	t := p.peek()
	if p.depth > maxDepth {
		return operand{}, errAt(p.src, t.pos, "The query is nested too deeply.")
	}
	switch t.kind {
	case tEmpty:
		p.next()
		return operand{kind: operEmpty, pos: t.pos}, nil
	case tLParen:
		return p.parseList()
	case tString:
		p.next()
		if p.peek().kind == tLParen {
			return p.parseFunction(t)
		}
		if !t.quoted && reservedWords[strings.ToLower(t.text)] {
			return operand{}, p.reservedWord(t)
		}
		return operand{kind: operValue, value: t.text, quoted: t.quoted, pos: t.pos}, nil
	case tEOF:
		return operand{}, errEOF("Expecting either a value, list or function before the end of the query.")
	}
	return operand{}, errAt(p.src, t.pos, "Expecting either a value, list or function but got '%s'. You must surround '%s' in quotation marks to use it as a value.", t.raw, t.raw)
}

func (p *parser) parseList() (operand, *Error) {
	open := p.next()
	lst := operand{kind: operList, pos: open.pos}
	for {
		item, err := p.parseOperand()
		if err != nil {
			return operand{}, err
		}
		lst.list = append(lst.list, item)
		t := p.next()
		switch t.kind {
		case tComma:
			continue
		case tRParen:
			return lst, nil
		case tEOF:
			return operand{}, errEOF("Expecting ')' before the end of the query.")
		default:
			return operand{}, errAt(p.src, t.pos, "Expecting ')' but got '%s'.", t.raw)
		}
	}
}

func (p *parser) parseFunction(name token) (operand, *Error) {
	if name.text == "" {
		return operand{}, errAt(p.src, name.pos, "A function name cannot be empty.")
	}
	p.next() // (
	fn := operand{kind: operFunc, value: name.text, pos: name.pos}
	t := p.peek()
	switch t.kind {
	case tRParen:
		p.next()
		return fn, nil
	case tEOF:
		return operand{}, errEOF("Expecting ')' before the end of the query.")
	case tString:
	default:
		if len(fn.args) == 0 && t.kind == tComma {
			return operand{}, errAt(p.src, t.pos, "Expecting ')' but got ','.")
		}
		return operand{}, errAt(p.src, t.pos, "Expecting a function argument but got '%s'. You must surround '%s' in quotation marks to use it as an argument.", t.raw, t.raw)
	}
	for {
		t := p.next()
		if t.kind != tString {
			switch t.kind {
			case tEOF:
				return operand{}, errEOF("Expecting a function argument at the end of the query.")
			case tRParen:
				return operand{}, errAt(p.src, t.pos, "Function argument must be specified.")
			}
			return operand{}, errAt(p.src, t.pos, "Expecting a function argument but got '%s'. You must surround '%s' in quotation marks to use it as an argument.", t.raw, t.raw)
		}
		fn.args = append(fn.args, t.text)
		c := p.next()
		switch c.kind {
		case tComma:
			continue
		case tRParen:
			return fn, nil
		case tEOF:
			return operand{}, errEOF("Expecting ')' before the end of the query.")
		default:
			return operand{}, errAt(p.src, c.pos, "Expecting ')' or ',' but got '%s'.", c.raw)
		}
	}
}

func (p *parser) parseOrderBy() ([]sortTerm, *Error) {
	t := p.next()
	switch {
	case t.kind == tEOF:
		return nil, errEOF("Expecting 'by' before the end of the query.")
	case t.kind != tString || t.quoted || !strings.EqualFold(t.text, "by"):
		return nil, errAt(p.src, t.pos, "Expecting 'by' but got '%s'.", t.raw)
	}
	var terms []sortTerm
	for {
		f, err := p.parseField()
		if err != nil {
			return nil, err
		}
		term := sortTerm{field: f}
		switch d := p.peek(); d.kind {
		case tAsc:
			p.next()
			term.dir = 1
		case tDesc:
			p.next()
			term.dir = -1
		case tString:
			return nil, errAt(p.src, d.pos, "Expecting either 'ASC' or 'DESC' but got '%s'.", d.raw)
		}
		terms = append(terms, term)
		switch c := p.next(); c.kind {
		case tComma:
			continue
		case tEOF:
			return terms, nil
		default:
			return nil, errAt(p.src, c.pos, "Expecting ',' but got '%s'.", c.raw)
		}
	}
}
