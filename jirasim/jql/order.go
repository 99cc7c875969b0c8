package jql

import (
	"strconv"
	"strings"
	"time"
)

// defaultDirection is each sortable field's own direction, used when ORDER BY gives none
// (Jira's NavigableField.getDefaultSortOrder: dates, priority and status descend).
func defaultDirection(field string) int {
	switch field {
	case "created", "updated", "resolved", "duedate", "priority", "status":
		return -1
	}
	return 1
}

// sortable reports whether ORDER BY accepts the field.
func sortable(field string) bool {
	switch kindOf(field) {
	case kindUnknown, kindFreeText:
		return false
	case kindText:
		return field == "summary"
	}
	return true
}

// defaultOrder is Jira's sort when the query has no ORDER BY: issue key, descending
// (SearchSortUtilImpl.DEFAULT_KEY_SORT).
var defaultOrder = []sortTerm{{field: fieldRef{raw: "key", name: "key"}, dir: -1}}

// Less orders two documents by the ORDER BY clause; without one, Jira's default order applies
// (key DESC). Empty values sort after every value in ascending order (first when descending).
// Documents equal on every key are equal (Less is false both ways): sort stably to keep the
// emulator's own order for them, as Lucene keeps index order.
func (q *Query) Less(a, b Doc) bool {
	terms := q.orderBy
	if len(terms) == 0 {
		terms = defaultOrder
	}
	for _, t := range terms {
		dir := t.dir
		if dir == 0 {
			dir = defaultDirection(t.field.name)
		}
		if c := compareField(a, b, t.field.name); c != 0 {
			return c*dir < 0
		}
	}
	return false
}

// sortValue is one document's value for a sort field. Missing values compare greater.
type sortValue struct {
	missing bool
	num     float64
	isNum   bool
	str     string
	t       time.Time
	isTime  bool
	proj    string // key: project part
}

func compareSort(a, b sortValue) int {
	switch {
	case a.missing && b.missing:
		return 0
	case a.missing:
		return 1
	case b.missing:
		return -1
	}
	if a.proj != "" || b.proj != "" {
		if c := strings.Compare(a.proj, b.proj); c != 0 {
			return c
		}
	}
	switch {
	case a.isTime && b.isTime:
		return a.t.Compare(b.t)
	case a.isNum && b.isNum:
		return cmpFloat(a.num, b.num)
	case a.isNum != b.isNum:
		// Numbers before words, so mixed values still order consistently.
		if a.isNum {
			return -1
		}
		return 1
	}
	return strings.Compare(a.str, b.str)
}

func compareField(a, b Doc, field string) int {
	return compareSort(sortValueOf(a, field), sortValueOf(b, field))
}

// firstNumber returns the first all-digit value, e.g. the id among a status's name and id.
func firstNumber(vals []string) (float64, bool) {
	for _, v := range vals {
		if v = strings.TrimSpace(v); isDigits(v) {
			n, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return n, true
			}
		}
	}
	return 0, false
}

// firstName returns the first value that is not a number (a name, a key, a login).
func firstName(vals []string) (string, bool) {
	for _, v := range vals {
		if !isDigits(strings.TrimSpace(v)) {
			return strings.ToLower(v), true
		}
	}
	if len(vals) > 0 {
		return strings.ToLower(vals[0]), true
	}
	return "", false
}

func sortValueOf(d Doc, field string) sortValue {
	switch field {
	case "key":
		keys := d.Values("key")
		if len(keys) == 0 {
			return sortValue{missing: true}
		}
		if p, n, ok := parseKey(keys[0]); ok {
			return sortValue{proj: strings.ToUpper(p), num: float64(n), isNum: true}
		}
		return sortValue{str: strings.ToLower(keys[0])}
	case "id":
		if n, ok := firstNumber(d.Values("id")); ok {
			return sortValue{num: n, isNum: true}
		}
		return sortValue{missing: true}
	case "created", "updated", "resolved", "duedate":
		if t, ok := d.Time(field); ok {
			return sortValue{t: t, isTime: true}
		}
		return sortValue{missing: true}
	case "summary":
		s := strings.TrimSpace(d.Text("summary"))
		if s == "" {
			return sortValue{missing: true}
		}
		return sortValue{str: strings.ToLower(s)}
	case "priority", "status", "issuetype", "resolution":
		vals := d.Values(field)
		if len(vals) == 0 {
			return sortValue{missing: true}
		}
		rank, ok := 0.0, false
		if r, isRanker := d.(Ranker); isRanker {
			if n, has := r.Rank(field); has {
				rank, ok = float64(n), true
			}
		}
		if !ok {
			rank, ok = firstNumber(vals)
		}
		if ok {
			if field == "priority" {
				// Ascending priority runs from the least to the most important (position 1).
				rank = -rank
			}
			return sortValue{num: rank, isNum: true}
		}
		name, _ := firstName(vals)
		return sortValue{str: name}
	}
	if t, ok := d.Time(field); ok {
		return sortValue{t: t, isTime: true}
	}
	vals := d.Values(field)
	if len(vals) == 0 {
		if s := strings.TrimSpace(d.Text(field)); s != "" {
			return sortValue{str: strings.ToLower(s)}
		}
		return sortValue{missing: true}
	}
	if strings.HasPrefix(field, "customfield_") {
		if n, err := strconv.ParseFloat(strings.TrimSpace(vals[0]), 64); err == nil {
			return sortValue{num: n, isNum: true}
		}
	}
	name, _ := firstName(vals)
	return sortValue{str: name}
}
