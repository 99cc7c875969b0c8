package jql

import (
	"strings"
)

// Query is a parsed JQL query: an optional WHERE clause and an optional ORDER BY.
type Query struct {
	where   node       // nil when the query has no clause
	orderBy []sortTerm // nil when the query has no ORDER BY
}

// node is a boolean expression of the WHERE clause.
type node interface{ isNode() }

type orNode struct{ kids []node }
type andNode struct{ kids []node }
type notNode struct{ kid node }

// clause is one terminal clause: field operator operand.
type clause struct {
	field   fieldRef
	op      opKind
	opPos   int
	operand operand
}

func (*orNode) isNode()  {}
func (*andNode) isNode() {}
func (*notNode) isNode() {}
func (*clause) isNode()  {}

// fieldRef is a field name as written and as resolved.
type fieldRef struct {
	raw    string // as typed (unescaped); "cf[10001]" for custom-field syntax
	name   string // canonical lowercase name, aliases resolved ("issuekey" -> "key")
	pos    int
	quoted bool
}

// opKind is a clause operator.
type opKind int

const (
	opEq opKind = iota
	opNe
	opLike
	opNotLike
	opLt
	opGt
	opLe
	opGe
	opIn
	opNotIn
	opIs
	opIsNot
)

// String renders the operator as JQL.
func (o opKind) String() string {
	return [...]string{"=", "!=", "~", "!~", "<", ">", "<=", ">=", "IN", "NOT IN", "IS", "IS NOT"}[o]
}

// display is the operator as Jira names it in validation messages.
func (o opKind) display() string {
	return [...]string{"=", "!=", "~", "!~", "<", ">", "<=", ">=", "in", "not in", "is", "is not"}[o]
}

// operandKind classifies an operand.
type operandKind int

const (
	operEmpty operandKind = iota
	operValue
	operList
	operFunc
)

// operand is the right-hand side of a clause.
type operand struct {
	kind   operandKind
	value  string    // operValue: the unescaped value; operFunc: the function name
	quoted bool      // operValue: written in quotes
	list   []operand // operList items (nested lists are kept as written)
	args   []string  // operFunc arguments
	pos    int
}

// sortTerm is one ORDER BY key.
type sortTerm struct {
	field fieldRef
	dir   int // 0: the field's default, +1 ASC, -1 DESC
}

// fieldAliases maps every accepted (lowercased) field name to its canonical name.
var fieldAliases = map[string]string{
	"project":         "project",
	"key":             "key",
	"issuekey":        "key",
	"issue":           "key",
	"id":              "id",
	"issuetype":       "issuetype",
	"type":            "issuetype",
	"status":          "status",
	"priority":        "priority",
	"resolution":      "resolution",
	"labels":          "labels",
	"summary":         "summary",
	"description":     "description",
	"comment":         "comment",
	"text":            "text",
	"environment":     "environment",
	"assignee":        "assignee",
	"reporter":        "reporter",
	"creator":         "creator",
	"component":       "component",
	"fixversion":      "fixversion",
	"affectedversion": "affectedversion",
	"parent":          "parent",
	"level":           "level",
	"created":         "created",
	"createddate":     "created",
	"updated":         "updated",
	"updateddate":     "updated",
	"resolved":        "resolved",
	"resolutiondate":  "resolved",
	"due":             "duedate",
	"duedate":         "duedate",
}

// canonicalField resolves a field name as typed to its canonical name. Unknown names are returned
// lowercased; known reports whether the name is one this package understands.
func canonicalField(raw string) (name string, known bool) {
	l := strings.ToLower(raw)
	if c, ok := fieldAliases[l]; ok {
		return c, true
	}
	if id, ok := strings.CutPrefix(l, "customfield_"); ok && isDigits(id) {
		return l, true
	}
	return l, false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Fields lists the field names the query uses, WHERE clause first then ORDER BY, each once
// (lowercased, aliases resolved, e.g. "issuekey"->"key", "cf[10001]"->"customfield_10001").
func (q *Query) Fields() []string {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	walk(q.where, func(c *clause) { add(c.field.name) })
	for _, s := range q.orderBy {
		add(s.field.name)
	}
	return out
}

// ResolveNames gives fields this package does not know a canonical name from resolve (custom
// fields by name, as Jira accepts "Epic Link" for cf[10006]); resolve answers "" to leave a
// name alone. Call it after Parse, before Validate, Problems and Match.
func (q *Query) ResolveNames(resolve func(raw string) string) {
	fix := func(f *fieldRef) {
		if _, known := canonicalField(f.raw); known || strings.HasPrefix(f.raw, "cf[") {
			return
		}
		if n := resolve(f.raw); n != "" {
			f.name = strings.ToLower(n)
		}
	}
	walk(q.where, func(c *clause) { fix(&c.field) })
	for n := range q.orderBy {
		fix(&q.orderBy[n].field)
	}
}

// walk calls fn for every terminal clause under n.
func walk(n node, fn func(*clause)) {
	switch n := n.(type) {
	case *orNode:
		for _, k := range n.kids {
			walk(k, fn)
		}
	case *andNode:
		for _, k := range n.kids {
			walk(k, fn)
		}
	case *notNode:
		walk(n.kid, fn)
	case *clause:
		fn(n)
	}
}

// HasOrderBy reports whether the query has its own ORDER BY (else Less applies Jira's default).
func (q *Query) HasOrderBy() bool { return len(q.orderBy) > 0 }

// String renders the query as canonical JQL that Parse reads back to the same query: keywords
// upper-cased, values quoted when they need it.
func (q *Query) String() string {
	var b strings.Builder
	if q.where != nil {
		renderNode(&b, q.where, 0)
	}
	if len(q.orderBy) > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("ORDER BY ")
		for i, s := range q.orderBy {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(renderField(s.field))
			switch s.dir {
			case 1:
				b.WriteString(" ASC")
			case -1:
				b.WriteString(" DESC")
			}
		}
	}
	return b.String()
}

// precedence levels for rendering: OR 1, AND 2, NOT/terminal 3.
func renderNode(b *strings.Builder, n node, parent int) {
	switch n := n.(type) {
	case *orNode:
		renderList(b, n.kids, " OR ", 1, parent)
	case *andNode:
		renderList(b, n.kids, " AND ", 2, parent)
	case *notNode:
		b.WriteString("NOT ")
		renderNode(b, n.kid, 3)
	case *clause:
		b.WriteString(renderField(n.field))
		b.WriteByte(' ')
		b.WriteString(n.op.String())
		b.WriteByte(' ')
		renderOperand(b, n.operand)
	}
}

func renderList(b *strings.Builder, kids []node, sep string, level, parent int) {
	paren := parent >= level
	if paren {
		b.WriteByte('(')
	}
	for i, k := range kids {
		if i > 0 {
			b.WriteString(sep)
		}
		renderNode(b, k, level)
	}
	if paren {
		b.WriteByte(')')
	}
}

func renderOperand(b *strings.Builder, o operand) {
	switch o.kind {
	case operEmpty:
		b.WriteString("EMPTY")
	case operValue:
		b.WriteString(quoteIfNeeded(o.value))
	case operList:
		b.WriteByte('(')
		for i, it := range o.list {
			if i > 0 {
				b.WriteString(", ")
			}
			renderOperand(b, it)
		}
		b.WriteByte(')')
	case operFunc:
		b.WriteString(quoteIfNeeded(o.value))
		b.WriteByte('(')
		for i, a := range o.args {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIfNeeded(a))
		}
		b.WriteByte(')')
	}
}

func renderField(f fieldRef) string {
	if strings.HasPrefix(f.raw, "cf[") && !f.quoted {
		return f.raw
	}
	return quoteIfNeeded(f.raw)
}

// quoteIfNeeded returns s bare when JQL reads it back unchanged, else double-quoted and escaped.
func quoteIfNeeded(s string) string {
	bare := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' || r == ':') {
			bare = false
			break
		}
	}
	l := strings.ToLower(s)
	if _, kw := keywords[l]; kw || reservedWords[l] || l == "cf" {
		bare = false
	}
	if bare {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case isControl(r):
			b.WriteString(javaEscape(r))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
