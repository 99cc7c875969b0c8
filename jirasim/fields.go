package jirasim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// issueInput is the body of POST/PUT issue and POST transitions.
type issueInput struct {
	Fields     map[string]json.RawMessage              `json:"fields"`
	Update     map[string][]map[string]json.RawMessage `json:"update"`
	Properties []propIn                                `json:"properties"`
	Transition *struct {
		ID json.RawMessage `json:"id"`
	} `json:"transition"`
	HistoryMetadata json.RawMessage `json:"historyMetadata"`
}

type commentOp struct {
	op                string // add, edit, remove
	id                string
	body              string
	visType, visValue string
	props             []propIn // add: the comment's entity properties
}

func cannotBeSet(id string) string {
	return fmt.Sprintf("Field '%s' cannot be set. It is not on the appropriate screen, or unknown.", id)
}

func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// refOf decodes {"id":..}/{"key":..}/{"name":..}/{"value":..} into strings.
func refOf(raw json.RawMessage) (map[string]string, bool) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	out := map[string]string{}
	for k, v := range m {
		switch x := v.(type) {
		case string:
			out[k] = x
		case json.Number:
			out[k] = x.String()
		}
	}
	return out, true
}

func rawString(raw json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

func rawArray(raw json.RawMessage) ([]json.RawMessage, bool) {
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, false
	}
	return a, true
}

// parseValue turns a `fields` value into the internal value (nil = null).
func (c *rc) parseValue(st *state, p *project, f *fieldDef, raw json.RawMessage) (any, string) {
	if isNull(raw) {
		switch f.Kind {
		case kIssueType, kProject:
			return nil, "valid " + map[fieldKind]string{kIssueType: "issue type", kProject: "project"}[f.Kind] + " is required"
		case kPriority:
			return nil, "The priority selected is invalid."
		case kString:
			if f.ID == "summary" {
				return nil, "You must specify a summary of the issue."
			}
		}
		return nil, ""
	}
	switch f.Kind {
	case kString, kText:
		s, ok := rawString(raw)
		if !ok {
			return nil, "Operation value must be a string"
		}
		if f.ID == "summary" {
			if strings.TrimSpace(s) == "" {
				return nil, "You must specify a summary of the issue."
			}
			if len([]rune(s)) > 255 {
				return nil, "Summary must be less than 255 characters."
			}
		} else if f.Custom && f.Kind == kString && len([]rune(s)) > 255 {
			return nil, "The entered text is too long. It exceeds the allowed limit of 255 characters."
		}
		if s == "" && f.ID != "summary" {
			return nil, ""
		}
		return s, ""
	case kNumber:
		var n json.Number
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&n); err != nil {
			return nil, fmt.Sprintf("'%s' is an invalid number", strings.Trim(string(raw), `"`))
		}
		v, err := n.Float64()
		if err != nil {
			return nil, fmt.Sprintf("'%s' is an invalid number", n)
		}
		return v, ""
	case kDate:
		s, ok := rawString(raw)
		if !ok {
			return nil, "Operation value must be a string"
		}
		if s == "" {
			return nil, ""
		}
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return nil, "Error parsing date string: " + s
		}
		return s, ""
	case kDateTime:
		s, ok := rawString(raw)
		if !ok {
			return nil, "Operation value must be a string"
		}
		for _, layout := range []string{jiraTime, "2006-01-02T15:04:05.000Z07:00", time.RFC3339, "2006-01-02T15:04:05-0700"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.Truncate(time.Millisecond), ""
			}
		}
		return nil, "Invalid date format. Please enter the date in the format \"yyyy-MM-dd'T'HH:mm:ss.SSSZ\"."
	case kUser:
		r, ok := refOf(raw)
		if !ok {
			return nil, "expected Object"
		}
		ref := r["name"]
		if ref == "" {
			ref = r["key"]
		}
		if ref == "" || ref == "-1" {
			return nil, ""
		}
		var u *user
		if r["name"] != "" {
			u = st.userByName[strings.ToLower(r["name"])]
		} else {
			u = st.userByKey[r["key"]]
		}
		if u == nil {
			if f.ID == "reporter" {
				return nil, "The reporter specified is not a user."
			}
			return nil, fmt.Sprintf("User '%s' does not exist.", ref)
		}
		if f.ID == "assignee" && !u.active {
			return nil, fmt.Sprintf("User '%s' cannot be assigned issues.", u.name)
		}
		return u.key, ""
	case kLabels:
		a, ok := rawArray(raw)
		if !ok {
			return nil, "data was not an array"
		}
		var out []string
		for _, e := range a {
			s, msg := labelOf(e)
			if msg != "" {
				return nil, msg
			}
			out = append(out, s)
		}
		if len(out) == 0 {
			return nil, ""
		}
		return out, ""
	case kTimeTracking:
		return parseTimeTracking(raw)
	case kRequestType:
		return parseRequestType(p, raw)
	case kComponents, kVersions, kOptions, kUsers, kOrgs:
		a, ok := rawArray(raw)
		if !ok {
			return nil, "data was not an array"
		}
		var out []string
		for _, e := range a {
			id, msg := c.elemOf(p, f, e)
			if msg != "" {
				return nil, msg
			}
			if !contains(out, id) {
				out = append(out, id)
			}
		}
		if len(out) == 0 {
			return nil, ""
		}
		return out, ""
	case kOption:
		return c.elemOf(p, f, raw)
	case kIssueType:
		r, ok := refOf(raw)
		if !ok {
			return nil, "valid issue type is required"
		}
		for _, t := range issueTypes {
			if (r["id"] != "" && t.ID == r["id"]) || (r["id"] == "" && r["name"] != "" && strings.EqualFold(t.Name, r["name"])) {
				return t.ID, ""
			}
		}
		return nil, "valid issue type is required"
	case kPriority:
		r, ok := refOf(raw)
		if ok {
			for _, pr := range priorities {
				if (r["id"] != "" && pr.ID == r["id"]) || (r["id"] == "" && strings.EqualFold(pr.Name, r["name"])) {
					return pr.ID, ""
				}
			}
		}
		return nil, "The priority selected is invalid."
	case kResolution:
		r, ok := refOf(raw)
		if ok {
			for _, rs := range resolutions {
				if (r["id"] != "" && rs.ID == r["id"]) || (r["id"] == "" && strings.EqualFold(rs.Name, r["name"])) {
					return rs.ID, ""
				}
			}
		}
		return nil, "Could not find resolution with the supplied id or name."
	case kProject:
		r, ok := refOf(raw)
		if ok {
			ref := r["id"]
			if ref == "" {
				ref = r["key"]
			}
			if pr := st.project(ref); pr != nil && ref != "" {
				return pr.id, ""
			}
		}
		return nil, "valid project is required"
	case kParent:
		r, ok := refOf(raw)
		if ok {
			ref := r["key"]
			if ref == "" {
				ref = r["id"]
			}
			if pi := st.issue(ref); pi != nil && ref != "" {
				return pi.id, ""
			}
		}
		return nil, "Could not find issue by id or key."
	case kEpicLink:
		return parseEpicLink(st, raw)
	case kSecurity:
		return parseSecurity(p, raw)
	}
	return nil, cannotBeSet(f.ID)
}

func labelOf(raw json.RawMessage) (string, string) {
	s, ok := rawString(raw)
	if !ok {
		return "", "Operation value must be a string"
	}
	if strings.ContainsAny(s, " \t\n") {
		return "", fmt.Sprintf("The label '%s' contains spaces which is invalid.", s)
	}
	if s == "" {
		return "", "The label '' is invalid."
	}
	return s, ""
}

// elemOf resolves one component, version or option reference to its id.
func (c *rc) elemOf(p *project, f *fieldDef, raw json.RawMessage) (string, string) {
	if f.Kind == kUsers || f.Kind == kOrgs {
		return c.jsmElem(f, raw)
	}
	r, ok := refOf(raw)
	if !ok {
		if s, isStr := rawString(raw); isStr && f.Kind != kComponents && f.Kind != kVersions {
			r = map[string]string{"value": s}
		} else {
			return "", "expected Object"
		}
	}
	id, name := r["id"], r["name"]
	switch f.Kind {
	case kComponents:
		for _, cm := range p.components {
			if (id != "" && cm.id == id) || (id == "" && name != "" && strings.EqualFold(cm.name, name)) {
				return cm.id, ""
			}
		}
		if id != "" {
			return "", fmt.Sprintf("Component with id '%s' does not exist.", id)
		}
		return "", fmt.Sprintf("Component name '%s' is not valid", name)
	case kVersions:
		for _, v := range p.versions {
			if (id != "" && v.id == id) || (id == "" && name != "" && v.name == name) {
				return v.id, ""
			}
		}
		if id != "" {
			return "", fmt.Sprintf("Version id '%s' is not valid", id)
		}
		return "", fmt.Sprintf("Version name '%s' is not valid", name)
	default:
		value := r["value"]
		for _, o := range f.Options {
			if (id != "" && o.ID == id) || (id == "" && o.Value == value) {
				return o.ID, ""
			}
		}
		if id != "" {
			return "", fmt.Sprintf("Option id '%s' is not valid", id)
		}
		return "", fmt.Sprintf("Option value '%s' is not valid", value)
	}
}

// computeEdit applies `fields` and `update` to a copy of cur. skip names
// fields the caller has handled (project and issue type on create).
func (c *rc) computeEdit(st *state, p *project, cur map[string]any, in *issueInput, screen map[string]bool, skip map[string]bool) (map[string]any, []commentOp, map[string]string) {
	next := make(map[string]any, len(cur)+4)
	for k, v := range cur {
		if s, ok := v.([]string); ok {
			v = append([]string(nil), s...)
		}
		next[k] = v
	}
	errs := map[string]string{}
	var cops []commentOp
	set := func(id string, v any) {
		if v == nil {
			delete(next, id)
		} else {
			next[id] = v
		}
	}
	for _, id := range sortedKeys(in.Fields) {
		if skip[id] {
			continue
		}
		if _, both := in.Update[id]; both {
			errs[id] = fmt.Sprintf("Field '%s' cannot appear in both 'fields' and 'update'", id)
			continue
		}
		f := fieldByID[id]
		if f == nil || !f.settable() || !screen[id] || f.Kind == kComment {
			errs[id] = cannotBeSet(id)
			continue
		}
		v, msg := c.parseValue(st, p, f, in.Fields[id])
		if msg != "" {
			errs[id] = msg
			continue
		}
		set(id, v)
	}
	for _, id := range sortedKeys(in.Update) {
		if skip[id] {
			continue
		}
		if _, both := in.Fields[id]; both {
			continue
		}
		f := fieldByID[id]
		if f == nil || !f.settable() || !screen[id] {
			errs[id] = cannotBeSet(id)
			continue
		}
		for _, opm := range in.Update[id] {
			for op, raw := range opm {
				if !contains(f.operations(), op) {
					errs[id] = fmt.Sprintf("Field does not support update '%s'", op)
					continue
				}
				if f.Kind == kComment {
					co, msg := parseCommentOp(op, raw)
					if msg != "" {
						errs[id] = msg
						continue
					}
					cops = append(cops, co)
					continue
				}
				if op == "set" || (op == "edit" && f.Kind == kTimeTracking) {
					v, msg := c.parseValue(st, p, f, raw)
					if msg != "" {
						errs[id] = msg
						continue
					}
					set(id, v)
					continue
				}
				var elem, msg string
				if f.Kind == kLabels {
					elem, msg = labelOf(raw)
				} else {
					elem, msg = c.elemOf(p, f, raw)
				}
				if msg != "" {
					errs[id] = msg
					continue
				}
				list, _ := next[id].([]string)
				if op == "add" && !contains(list, elem) {
					list = append(list, elem)
				}
				if op == "remove" {
					var kept []string
					for _, x := range list {
						if x != elem {
							kept = append(kept, x)
						}
					}
					list = kept
				}
				if len(list) == 0 {
					set(id, nil)
				} else {
					set(id, list)
				}
			}
		}
	}
	applyTimeTracking(cur, next)
	return next, cops, errs
}

func parseCommentOp(op string, raw json.RawMessage) (commentOp, string) {
	var b struct {
		ID         json.RawMessage `json:"id"`
		Body       string          `json:"body"`
		Visibility *struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"visibility"`
		Properties []propIn `json:"properties"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return commentOp{}, "expected Object"
	}
	co := commentOp{op: op, id: strings.Trim(string(b.ID), `"`), body: b.Body, props: b.Properties}
	for _, p := range b.Properties {
		if msg := validProperty(p.Key, p.Value); msg != "" {
			return co, msg
		}
	}
	if b.Visibility != nil {
		co.visType, co.visValue = b.Visibility.Type, b.Visibility.Value
	}
	if op == "add" && strings.TrimSpace(b.Body) == "" {
		return co, "Comment body can not be empty!"
	}
	return co, ""
}

// normalize applies the value-normalisation knob.
func normalize(fields map[string]any) {
	for id, v := range fields {
		f := fieldByID[id]
		if f == nil {
			continue
		}
		switch f.Kind {
		case kString, kText:
			if s, ok := v.(string); ok {
				fields[id] = strings.TrimSpace(s)
			}
		case kLabels:
			if l, ok := v.([]string); ok {
				l = append([]string(nil), l...)
				sort.Strings(l)
				out := l[:0]
				for i, x := range l {
					if i == 0 || x != l[i-1] {
						out = append(out, x)
					}
				}
				fields[id] = out
			}
		}
	}
}

func sp(s string) *string { return &s }

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// diffItems builds the changelog items between two field maps (JRJC shape).
func (c *rc) diffItems(st *state, p *project, old, next map[string]any) []histItem {
	var items []histItem
	for _, f := range fieldDefs {
		ov, nv := old[f.ID], next[f.ID]
		if valueEqual(ov, nv) {
			continue
		}
		name, ftype := f.ID, "jira"
		if f.Custom {
			name, ftype = f.Name, "custom"
		}
		it := histItem{Field: name, FieldType: ftype}
		switch f.Kind {
		case kString, kText:
			it.FromString, it.ToString = nilIfEmpty(asStr(ov)), nilIfEmpty(asStr(nv))
		case kNumber:
			it.FromString, it.ToString = numStr(ov), numStr(nv)
		case kDate:
			if s := asStr(ov); s != "" {
				it.From, it.FromString = sp(s), sp(s+" 00:00:00.0")
			}
			if s := asStr(nv); s != "" {
				it.To, it.ToString = sp(s), sp(s+" 00:00:00.0")
			}
		case kDateTime:
			if t, ok := ov.(time.Time); ok {
				it.From, it.FromString = sp(t.In(c.i.loc).Format("2006-01-02T15:04-0700")), sp(t.In(c.i.loc).Format("02/Jan/06 3:04 PM"))
			}
			if t, ok := nv.(time.Time); ok {
				it.To, it.ToString = sp(t.In(c.i.loc).Format("2006-01-02T15:04-0700")), sp(t.In(c.i.loc).Format("02/Jan/06 3:04 PM"))
			}
		case kUser:
			if u := st.userByKey[asStr(ov)]; u != nil {
				it.From, it.FromString = sp(u.key), sp(u.display)
			}
			if u := st.userByKey[asStr(nv)]; u != nil {
				it.To, it.ToString = sp(u.key), sp(u.display)
			}
		case kLabels:
			it.FromString, it.ToString = nilIfEmpty(strings.Join(asStrs(ov), " ")), nilIfEmpty(strings.Join(asStrs(nv), " "))
			if it.FromString == nil {
				it.FromString = sp("")
			}
		case kComponents, kVersions:
			label := map[string]string{"components": "Component", "fixVersions": "Fix Version", "versions": "Version"}[f.ID]
			for _, id := range asStrs(ov) {
				if !contains(asStrs(nv), id) {
					items = append(items, histItem{Field: label, FieldType: "jira", From: sp(id), FromString: sp(elemName(p, f, id))})
				}
			}
			for _, id := range asStrs(nv) {
				if !contains(asStrs(ov), id) {
					items = append(items, histItem{Field: label, FieldType: "jira", To: sp(id), ToString: sp(elemName(p, f, id))})
				}
			}
			continue
		case kOption:
			if s := asStr(ov); s != "" {
				it.From, it.FromString = sp(s), sp(elemName(p, f, s))
			}
			if s := asStr(nv); s != "" {
				it.To, it.ToString = sp(s), sp(elemName(p, f, s))
			}
		case kOptions:
			var fs, ts []string
			for _, id := range asStrs(ov) {
				fs = append(fs, elemName(p, f, id))
			}
			for _, id := range asStrs(nv) {
				ts = append(ts, elemName(p, f, id))
			}
			it.From, it.To = nilIfEmpty(strings.Join(asStrs(ov), ",")), nilIfEmpty(strings.Join(asStrs(nv), ","))
			it.FromString, it.ToString = nilIfEmpty(strings.Join(fs, ",")), nilIfEmpty(strings.Join(ts, ","))
		case kUsers, kOrgs:
			name := func(id string) string {
				if u := st.userByKey[id]; f.Kind == kUsers && u != nil {
					return u.display
				}
				if o := st.org(id); f.Kind == kOrgs && o != nil {
					return o.name
				}
				return id
			}
			var fs, ts []string
			for _, id := range asStrs(ov) {
				fs = append(fs, name(id))
			}
			for _, id := range asStrs(nv) {
				ts = append(ts, name(id))
			}
			it.From, it.To = nilIfEmpty(strings.Join(asStrs(ov), ",")), nilIfEmpty(strings.Join(asStrs(nv), ","))
			it.FromString, it.ToString = nilIfEmpty(strings.Join(fs, ",")), nilIfEmpty(strings.Join(ts, ","))
		case kRequestType:
			name := func(id string) string {
				if p.desk != nil {
					if rt := p.desk.requestType(id); rt != nil {
						return rt.name
					}
				}
				return id
			}
			if s := asStr(ov); s != "" {
				it.From, it.FromString = sp(s), sp(name(s))
			}
			if s := asStr(nv); s != "" {
				it.To, it.ToString = sp(s), sp(name(s))
			}
		case kIssueType, kPriority, kResolution:
			name := func(id string) string {
				switch f.Kind {
				case kIssueType:
					if t := findIssueType(id); t != nil {
						return t.Name
					}
				case kPriority:
					if pr := findPriority(id); pr != nil {
						return pr.Name
					}
				default:
					if r := findResolution(id); r != nil {
						return r.Name
					}
				}
				return id
			}
			if s := asStr(ov); s != "" {
				it.From, it.FromString = sp(s), sp(name(s))
			}
			if s := asStr(nv); s != "" {
				it.To, it.ToString = sp(s), sp(name(s))
			}
		case kSecurity:
			it.From, it.FromString = levelStrings(p, ov)
			it.To, it.ToString = levelStrings(p, nv)
		case kEpicLink:
			it.From, it.FromString = epicRefStrings(st, ov)
			it.To, it.ToString = epicRefStrings(st, nv)
		case kParent:
			if id, ok := ov.(int64); ok {
				it.From = sp(strconv.FormatInt(id, 10))
			}
			if id, ok := nv.(int64); ok {
				it.To = sp(strconv.FormatInt(id, 10))
			}
		default:
			continue
		}
		items = append(items, it)
	}
	items = append(items, estimateItems(old, next)...)
	return items
}

func elemName(p *project, f *fieldDef, id string) string {
	switch f.Kind {
	case kComponents:
		for _, cm := range p.components {
			if cm.id == id {
				return cm.name
			}
		}
	case kVersions:
		for _, v := range p.versions {
			if v.id == id {
				return v.name
			}
		}
	default:
		for _, o := range f.Options {
			if o.ID == id {
				return o.Value
			}
		}
	}
	return id
}

func asStr(v any) string {
	s, _ := v.(string)
	return s
}

func asStrs(v any) []string {
	s, _ := v.([]string)
	return s
}

func numStr(v any) *string {
	f, ok := v.(float64)
	if !ok {
		return nil
	}
	return sp(strconv.FormatFloat(f, 'f', -1, 64))
}

func valueEqual(a, b any) bool {
	switch x := a.(type) {
	case []string:
		y, ok := b.([]string)
		if !ok || len(x) != len(y) {
			return len(x) == 0 && b == nil
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case nil:
		if y, ok := b.([]string); ok {
			return len(y) == 0
		}
		return b == nil
	}
	return a == b
}
