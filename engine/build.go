package engine

import (
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// WriteMeta is what BuildUpdate needs to know about the target that a pure function cannot look
// up: resolved users, allowed options, and whether this is a create.
type WriteMeta struct {
	// Create includes create-only fields (issue type).
	Create bool
	// Users maps a user name (after Users.Map) to the login to write on the target; "" leaves the
	// field empty. Names without an entry are written as they are.
	Users map[string]string
	// Options lists the allowed option values per target field id (select, multiselect); a field
	// without an entry is not checked (Jira answers for it).
	Options map[string][]string
	// Refs gives, per target field id, what Jira takes for each request type or organization
	// name (from the target's edit or create screen: engine/jsm_refs.go). A field without an
	// entry is written by name and Jira answers for it.
	Refs map[string]map[string]json.RawMessage
}

// BuildUpdate turns the values the plan sends to one side (field name -> remote-vocabulary
// value) into one issue write: local values are mapped back through Values and the user map,
// references are written by name, options by value. Status travels by transitions and is left
// out; issue type only on create. An option unknown on the target becomes the rule's Default, or
// a data error naming the value.
func BuildUpdate(values map[string]string, target string, rules *Rules, meta *WriteMeta) (jira.IssueInput, error) {
	in := jira.IssueInput{Fields: map[string]any{}}
	if meta == nil {
		meta = &WriteMeta{}
	}
	toLocal := target == models.SideLocal
	for i := range rules.Fields {
		f := &rules.Fields[i]
		v, ok := values[f.Name]
		if !ok || f.Kind == KindStatus || (f.Kind == KindIssueType && !meta.Create) {
			continue
		}
		id := f.fieldID(target)
		switch f.Kind {
		case KindText:
			if v == "" && id != "summary" {
				in.Fields[id] = nil
			} else {
				in.Fields[id] = v
			}
		case KindDate:
			in.Fields[id] = nullIfEmpty(v)
		case KindLabels:
			ls := decodeSet(v)
			if ls == nil {
				ls = []string{}
			}
			in.Fields[id] = ls
		case KindPriority, KindIssueType:
			if v == "" {
				if f.Kind == KindPriority {
					in.Fields[id] = nil
				}
				continue
			}
			if toLocal {
				v = mapIn(f, v)
			}
			in.Fields[id] = map[string]string{"name": v}
		case KindComponents, KindVersions:
			names := decodeSet(v)
			refs := make([]map[string]string, 0, len(names))
			for _, n := range names {
				refs = append(refs, map[string]string{"name": n})
			}
			in.Fields[id] = refs
		case KindDateTime:
			if v == "" {
				in.Fields[id] = nil
				continue
			}
			t, err := jira.ParseTime(v)
			if err != nil {
				return in, dataError("field %s: %q is not a datetime", f.Name, v)
			}
			in.Fields[id] = jira.FormatTime(t.UTC())
		case KindNumber:
			if v == "" {
				in.Fields[id] = nil
			} else {
				in.Fields[id] = json.Number(v)
			}
		case KindSelect:
			if v == "" {
				in.Fields[id] = nil
				continue
			}
			opt, err := pickOption(f, id, v, toLocal, meta)
			if err != nil {
				return in, err
			}
			if opt == "" {
				in.Fields[id] = nil
			} else {
				in.Fields[id] = map[string]string{"value": opt}
			}
		case KindMultiSelect:
			vals := decodeSet(v)
			refs := make([]map[string]string, 0, len(vals))
			seen := map[string]bool{}
			for _, x := range vals {
				opt, err := pickOption(f, id, x, toLocal, meta)
				if err != nil {
					return in, err
				}
				if opt != "" && !seen[opt] {
					seen[opt] = true
					refs = append(refs, map[string]string{"value": opt})
				}
			}
			in.Fields[id] = refs
		case KindUser:
			name := v
			if toLocal {
				name = reverseUser(rules.Users.Map, name)
			}
			if r, ok := meta.Users[name]; ok {
				name = r
			}
			if name == "" {
				if id == "reporter" {
					continue // Jira needs a reporter: keep the one it has
				}
				in.Fields[id] = nil
			} else {
				in.Fields[id] = map[string]string{"name": name}
			}
		case KindRequestType:
			if v == "" {
				continue // a request keeps its type: JSM has no "none"
			}
			ref, err := pickRef(f, id, v, toLocal, meta)
			if err != nil {
				return in, err
			}
			in.Fields[id] = ref
		case KindOrganizations:
			refs := jsmRefs{}
			seen := map[string]bool{}
			for _, n := range decodeSet(v) {
				ref, err := pickRef(f, id, n, toLocal, meta)
				if err != nil {
					return in, err
				}
				if !seen[ref.Name] {
					seen[ref.Name] = true
					refs = append(refs, ref)
				}
			}
			in.Fields[id] = refs
		case KindParticipants:
			refs := []map[string]string{}
			seen := map[string]bool{}
			for _, n := range decodeSet(v) {
				if toLocal {
					n = reverseUser(rules.Users.Map, n)
				}
				if r, ok := meta.Users[n]; ok {
					n = r
				}
				if n != "" && !seen[n] {
					seen[n] = true
					refs = append(refs, map[string]string{"name": n})
				}
			}
			in.Fields[id] = refs
		case KindDuration:
			if err := buildDuration(&in, f, id, v); err != nil {
				return in, err
			}
		case KindSecurity:
			buildSecurity(&in, f, id, v, toLocal)
		case KindSLA:
			if src := slaSource(f); src == "" || src == target {
				return in, slaWriteError(f, target)
			}
			in.Fields[id] = nullIfEmpty(v)
		}
	}
	return in, nil
}

// pickOption maps one option value to the target, checking it against the allowed values.
func pickOption(f *FieldRule, id, v string, toLocal bool, meta *WriteMeta) (string, error) {
	if toLocal {
		v = mapIn(f, v)
	}
	allowed, checked := meta.Options[id]
	if !checked || slices.Contains(allowed, v) {
		return v, nil
	}
	if f.Default != "" {
		return f.Default, nil
	}
	return "", dataError("field %s: option %q does not exist on the target field %s: add it to the value map or set a default", f.Name, v, id)
}

func nullIfEmpty(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// sortedKeys returns a map's keys in order (for deterministic events and tests).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
