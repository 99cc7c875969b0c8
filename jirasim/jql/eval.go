package jql

import (
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Doc is one issue as the evaluator sees it. The emulator implements it.
type Doc interface {
	// Values returns every identifier a clause on field may match: for "project" the key, id and
	// name; "issuetype", "status", "priority", "resolution": name and id; "labels": each label;
	// "key": the issue key; "id": the id; "assignee"/"reporter": user name and key;
	// "component"/"fixversion": names. Empty for an empty field. Comparison is case-insensitive.
	Values(field string) []string
	// Time returns a datetime field ("created", "updated", "resolved", "duedate").
	Time(field string) (time.Time, bool)
	// Text returns the text a ~ clause searches ("summary", "description", "comment", "text").
	Text(field string) string
}

// Ranker may be implemented by a Doc to give the configured position (1 = first) of its
// "priority", "status", "issuetype" or "resolution", which ORDER BY uses as Jira does (priority
// DESC puts the most important first). Without it the numeric id stands in for the position.
type Ranker interface {
	Rank(field string) (int, bool)
}

// fieldKind groups fields by how clauses on them are evaluated.
type fieldKind int

const (
	kindUnknown  fieldKind = iota
	kindValue              // reference and multi-value fields: = != IN NOT IN IS
	kindKey                // key / id
	kindText               // ~ !~ IS
	kindFreeText           // "text": ~ only
	kindDate               // created, updated, resolved, duedate
	kindCustom             // customfield_NNNNN: every operator, typed by its values
)

func kindOf(name string) fieldKind {
	switch name {
	case "project", "issuetype", "status", "priority", "resolution", "labels", "assignee", "reporter",
		"creator", "component", "fixversion", "affectedversion", "parent", "level":
		return kindValue
	case "key", "id":
		return kindKey
	case "summary", "description", "comment", "environment":
		return kindText
	case "text":
		return kindFreeText
	case "created", "updated", "resolved", "duedate":
		return kindDate
	}
	if strings.HasPrefix(name, "customfield_") {
		return kindCustom
	}
	return kindUnknown
}

// supports reports whether Jira accepts op on a field of kind k.
func (k fieldKind) supports(op opKind) bool {
	switch k {
	case kindValue:
		return op == opEq || op == opNe || op == opIn || op == opNotIn || op == opIs || op == opIsNot
	case kindKey:
		return op != opLike && op != opNotLike && op != opIs && op != opIsNot
	case kindText:
		return op == opLike || op == opNotLike || op == opIs || op == opIsNot
	case kindFreeText:
		return op == opLike
	case kindDate:
		return op != opLike && op != opNotLike
	case kindCustom:
		return true
	}
	return false
}

// Match reports whether d satisfies the WHERE clause (an empty query matches everything).
// loc is the calling user's time zone: date literals are read in it. now is the emulator's clock,
// used for relative literals such as "-5m", "-1h", "-2d", "-1w", and for the functions now().
// A clause Validate would reject (unknown field or function, unsupported operator, bad date)
// matches nothing.
func (q *Query) Match(d Doc, loc *time.Location, now time.Time) bool {
	if q.where == nil {
		return true
	}
	if loc == nil {
		loc = time.UTC
	}
	e := &evaluator{d: d, loc: loc, now: now}
	return e.node(q.where)
}

type evaluator struct {
	d   Doc
	loc *time.Location
	now time.Time
}

func (e *evaluator) node(n node) bool {
	switch n := n.(type) {
	case *orNode:
		for _, k := range n.kids {
			if e.node(k) {
				return true
			}
		}
		return false
	case *andNode:
		for _, k := range n.kids {
			if !e.node(k) {
				return false
			}
		}
		return true
	case *notNode:
		return !e.node(n.kid)
	case *clause:
		return e.clause(n)
	}
	return false
}

// flatten returns the items of an operand, lists flattened.
func flatten(o operand) []operand {
	if o.kind != operList {
		return []operand{o}
	}
	var out []operand
	for _, it := range o.list {
		out = append(out, flatten(it)...)
	}
	return out
}

func hasEmpty(items []operand) bool {
	for _, it := range items {
		if it.kind == operEmpty {
			return true
		}
	}
	return false
}

func (e *evaluator) clause(c *clause) bool {
	k := kindOf(c.field.name)
	if !k.supports(c.op) {
		return false
	}
	items := flatten(c.operand)
	switch c.op {
	case opIs, opIsNot:
		if c.operand.kind != operEmpty {
			return false
		}
		empty := e.isEmpty(c.field.name, k)
		return empty == (c.op == opIs)
	}
	switch k {
	case kindValue:
		return e.values(c.field.name, c.op, items)
	case kindKey:
		return e.key(c.op, items)
	case kindText, kindFreeText:
		return e.text(c.field.name, c.op, c.operand)
	case kindDate:
		return e.date(c.field.name, c.op, items)
	case kindCustom:
		return e.custom(c.field.name, c.op, items, c.operand)
	}
	return false
}

func (e *evaluator) isEmpty(field string, k fieldKind) bool {
	switch k {
	case kindDate:
		_, ok := e.d.Time(field)
		return !ok
	case kindText, kindFreeText:
		return strings.TrimSpace(e.d.Text(field)) == ""
	case kindCustom:
		if _, ok := e.d.Time(field); ok {
			return false
		}
		return len(e.d.Values(field)) == 0 && strings.TrimSpace(e.d.Text(field)) == ""
	}
	return len(e.d.Values(field)) == 0
}

// anyEqual reports whether one of the value items equals one of vals (case-insensitive), or an
// EMPTY item meets an empty field.
func anyEqual(vals []string, items []operand) bool {
	for _, it := range items {
		switch it.kind {
		case operEmpty:
			if len(vals) == 0 {
				return true
			}
		case operValue:
			for _, v := range vals {
				if strings.EqualFold(strings.TrimSpace(v), strings.TrimSpace(it.value)) {
					return true
				}
			}
		}
	}
	return false
}

// valueItemsMatch is anyEqual over value items only.
func valueItemsMatch(vals []string, items []operand) bool {
	var only []operand
	for _, it := range items {
		if it.kind == operValue {
			only = append(only, it)
		}
	}
	return anyEqual(vals, only)
}

// values evaluates = != IN NOT IN. As in Jira, != and NOT IN never match an empty field.
func (e *evaluator) values(field string, op opKind, items []operand) bool {
	vals := e.d.Values(field)
	switch op {
	case opEq, opIn:
		return anyEqual(vals, items)
	case opNe, opNotIn:
		return len(vals) > 0 && !valueItemsMatch(vals, items)
	}
	return false
}

// parseKey splits "ABC-12" into project and number.
func parseKey(s string) (string, int64, bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 || i == len(s)-1 {
		return "", 0, false
	}
	n, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil || n < 0 {
		return "", 0, false
	}
	proj := s[:i]
	if !isKeyProject(proj) {
		return "", 0, false
	}
	return proj, n, true
}

func isKeyProject(p string) bool {
	for i, r := range p {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || (i > 0 && (r >= '0' && r <= '9' || r == '_'))) {
			return false
		}
	}
	return p != ""
}

// keyEqual reports whether the issue is the one v names: a key, or a numeric id.
func (e *evaluator) keyEqual(v string) bool {
	v = strings.TrimSpace(v)
	if isDigits(v) {
		for _, id := range e.d.Values("id") {
			if sameNumber(id, v) {
				return true
			}
		}
		return false
	}
	for _, k := range e.d.Values("key") {
		if strings.EqualFold(k, v) {
			return true
		}
	}
	return false
}

func sameNumber(a, b string) bool {
	x, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	y, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	return err1 == nil && err2 == nil && x == y
}

// key evaluates clauses on key/id (Jira treats both names alike: a number is an id, anything
// else a key). Relational operators on a key compare numbers within the key's own project only.
func (e *evaluator) key(op opKind, items []operand) bool {
	switch op {
	case opEq, opIn, opNe, opNotIn:
		hit := false
		for _, it := range items {
			if (it.kind == operValue && e.keyEqual(it.value)) || (it.kind == operFunc && isLinkFunction(it.value) && e.linked(it)) {
				hit = true
				break
			}
		}
		if op == opEq || op == opIn {
			return hit
		}
		return !hit
	}
	if len(items) != 1 || items[0].kind != operValue {
		return false
	}
	v := strings.TrimSpace(items[0].value)
	var c int
	if isDigits(v) {
		want, _ := strconv.ParseInt(v, 10, 64)
		ids := e.d.Values("id")
		if len(ids) == 0 {
			return false
		}
		got, err := strconv.ParseInt(strings.TrimSpace(ids[0]), 10, 64)
		if err != nil {
			return false
		}
		c = cmpInt(got, want)
	} else {
		proj, want, ok := parseKey(v)
		if !ok {
			return false
		}
		found := false
		for _, k := range e.d.Values("key") {
			if p, n, ok := parseKey(k); ok && strings.EqualFold(p, proj) {
				c, found = cmpInt(n, want), true
				break
			}
		}
		if !found {
			return false
		}
	}
	return relational(op, c)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// relational applies op to the result of comparing the stored value with the literal.
func relational(op opKind, c int) bool {
	switch op {
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	case opGe:
		return c >= 0
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	}
	return false
}

// dateOperand turns one operand item into an instant, or reports it unusable.
func (e *evaluator) dateOperand(it operand) (time.Time, bool) {
	switch it.kind {
	case operValue:
		return parseDateLiteral(it.value, e.loc, e.now)
	case operFunc:
		return evalDateFunction(it.value, it.args, e.loc, e.now)
	}
	return time.Time{}, false
}

// compareDates compares a stored time with a literal instant. Datetime fields compare at full
// precision; duedate is a calendar date, compared by day (the literal's day in the user's zone).
func (e *evaluator) compareDates(field string, stored, lit time.Time) int {
	if field == "duedate" {
		a := stored.Year()*10000 + int(stored.Month())*100 + stored.Day()
		l := lit.In(e.loc)
		b := l.Year()*10000 + int(l.Month())*100 + l.Day()
		return cmpInt(int64(a), int64(b))
	}
	return stored.Compare(lit)
}

func (e *evaluator) date(field string, op opKind, items []operand) bool {
	t, ok := e.d.Time(field)
	switch op {
	case opEq, opIn, opNe, opNotIn:
		hit := false
		for _, it := range items {
			if it.kind == operEmpty {
				if !ok {
					hit = true
				}
				continue
			}
			lit, good := e.dateOperand(it)
			if !good {
				return false
			}
			if ok && e.compareDates(field, t, lit) == 0 {
				hit = true
			}
		}
		if op == opEq || op == opIn {
			return hit
		}
		return ok && !hit
	}
	if !ok || len(items) != 1 {
		return false
	}
	lit, good := e.dateOperand(items[0])
	if !good {
		return false
	}
	return relational(op, e.compareDates(field, t, lit))
}

// text evaluates ~ and !~. !~ matches an empty field too (it is the negation of ~).
func (e *evaluator) text(field string, op opKind, o operand) bool {
	if o.kind != operValue {
		return false
	}
	hit := textMatch(e.d.Text(field), o.value)
	if op == opNotLike {
		return !hit
	}
	return hit
}

// custom evaluates a clause on a custom field, typed by what the Doc holds for it: a time makes it
// a date field, otherwise values (compared as numbers when both sides are numbers) and text.
func (e *evaluator) custom(field string, op opKind, items []operand, o operand) bool {
	if op == opLike || op == opNotLike {
		return e.text(field, op, o)
	}
	if _, ok := e.d.Time(field); ok {
		return e.date(field, op, items)
	}
	switch op {
	case opEq, opIn, opNe, opNotIn:
		vals := e.d.Values(field)
		if op == opEq || op == opIn {
			return anyEqual(vals, items) || numberIn(vals, items)
		}
		return len(vals) > 0 && !valueItemsMatch(vals, items) && !numberIn(vals, items)
	}
	vals := e.d.Values(field)
	if len(items) != 1 || items[0].kind != operValue || len(vals) == 0 {
		return false
	}
	want, err := strconv.ParseFloat(strings.TrimSpace(items[0].value), 64)
	if err != nil {
		return false
	}
	for _, v := range vals {
		got, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err == nil && relational(op, cmpFloat(got, want)) {
			return true
		}
	}
	return false
}

func numberIn(vals []string, items []operand) bool {
	for _, it := range items {
		if it.kind != operValue {
			continue
		}
		want, err := strconv.ParseFloat(strings.TrimSpace(it.value), 64)
		if err != nil {
			continue
		}
		for _, v := range vals {
			if got, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && got == want {
				return true
			}
		}
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// stopWords is Lucene's English stop-word set, which Jira's text analyzer drops from queries.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "but": true,
	"by": true, "for": true, "if": true, "in": true, "into": true, "is": true, "it": true, "no": true,
	"not": true, "of": true, "on": true, "or": true, "such": true, "that": true, "the": true,
	"their": true, "then": true, "there": true, "these": true, "they": true, "this": true, "to": true,
	"was": true, "will": true, "with": true,
}

// words splits text into lowercase words: runs of letters and digits. With wild set, the
// wildcards * and ? stay inside words.
func words(s string, wild bool) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		if wild && (r == '*' || r == '?') {
			return false
		}
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// textMatch is the emulator's ~: every word of the query must appear in the text as a whole word
// (case-insensitive; * and ? are wildcards inside a word); a part in double quotes must appear
// as a phrase (consecutive words). Stop words are ignored; there is no stemming. A query with no
// searchable word matches nothing.
func textMatch(text, query string) bool {
	docWords := words(text, false)
	var terms []string
	var phrases [][]string
	rest := query
	for {
		i := strings.IndexByte(rest, '"')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i+1:], '"')
		if j < 0 {
			break
		}
		if ph := dropStop(words(rest[i+1:i+1+j], false)); len(ph) > 0 {
			phrases = append(phrases, ph)
		}
		terms = append(terms, words(rest[:i], true)...)
		rest = rest[i+1+j+1:]
	}
	terms = dropStop(append(terms, words(rest, true)...))
	if len(terms) == 0 && len(phrases) == 0 {
		return false
	}
	for _, t := range terms {
		if !containsWord(docWords, t) {
			return false
		}
	}
	for _, ph := range phrases {
		if !containsPhrase(docWords, ph) {
			return false
		}
	}
	return true
}

func dropStop(ws []string) []string {
	out := ws[:0]
	for _, w := range ws {
		if !stopWords[w] {
			out = append(out, w)
		}
	}
	return out
}

func containsWord(doc []string, term string) bool {
	wild := strings.ContainsAny(term, "*?")
	for _, w := range doc {
		if wild {
			if ok, _ := path.Match(term, w); ok {
				return true
			}
		} else if w == term {
			return true
		}
	}
	return false
}

func containsPhrase(doc, ph []string) bool {
	for i := 0; i+len(ph) <= len(doc); i++ {
		all := true
		for j, w := range ph {
			if doc[i+j] != w {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
