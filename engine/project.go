package engine

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// Shared is one side's shared values, keyed by FieldRule.Name, each in its canonical string form
// in the remote vocabulary (the local side's values are mapped through the rules' Values and the
// user map). Sets are JSON arrays of sorted strings; an empty value is "".
type Shared map[string]string

// Baseline is the two-sided base of the three-way merge: for each shared field, the value each
// side held at the last agreement, both in the remote vocabulary. A side changed a field iff its
// current projection differs from its own entry; values Jira normalises therefore never
// ping-pong.
type Baseline struct {
	Local  Shared `json:"local"`
	Remote Shared `json:"remote"`
	// Rev is the revision of each field's rule the entries were agreed under (Rules.Revision);
	// a field whose rule changed since is on its first sync (engine/firstsync.go).
	Rev map[string]string `json:"rev,omitempty"`
}

// ParseBaseline decodes Twin.Baseline; an empty document is an empty baseline.
func ParseBaseline(s string) (Baseline, error) {
	var b Baseline
	if strings.TrimSpace(s) != "" {
		if err := json.Unmarshal([]byte(s), &b); err != nil {
			return Baseline{}, err
		}
	}
	if b.Local == nil {
		b.Local = Shared{}
	}
	if b.Remote == nil {
		b.Remote = Shared{}
	}
	return b, nil
}

// String encodes the baseline for Twin.Baseline.
func (b Baseline) String() string {
	out, _ := json.Marshal(b)
	return string(out)
}

// Of returns the entries of one side.
func (b Baseline) Of(side string) Shared {
	if side == models.SideLocal {
		return b.Local
	}
	return b.Remote
}

// Project reads an issue's shared values through the rules: each field rule's field on that side
// (FieldRule.Local or .Remote), canonicalised per kind; local values are mapped into the remote
// vocabulary (Values, Users.Map). Absent and null fields project to "".
func Project(is *jira.Issue, rules *Rules, side string) Shared {
	out := make(Shared, len(rules.Fields))
	for i := range rules.Fields {
		f := &rules.Fields[i]
		out[f.Name] = projectField(is, f, rules, side)
	}
	return out
}

// fieldID is the Jira field id of a rule on a side.
func (f *FieldRule) fieldID(side string) string {
	if side == models.SideLocal {
		return f.Local
	}
	return f.Remote
}

// named decodes the common {"name": ...} / {"value": ...} reference shapes.
type named struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func projectField(is *jira.Issue, f *FieldRule, rules *Rules, side string) string {
	if is == nil {
		return ""
	}
	raw, ok := is.Fields[f.fieldID(side)]
	if !ok || len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	local := side == models.SideLocal
	switch f.Kind {
	case KindText, KindDate, KindEpicLink:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		if f.Kind == KindDate && len(s) > 10 {
			s = s[:10]
		}
		return s
	case KindLabels:
		var ls []string
		if json.Unmarshal(raw, &ls) != nil {
			return ""
		}
		return encodeSet(ls)
	case KindPriority, KindIssueType, KindStatus:
		var n named
		if json.Unmarshal(raw, &n) != nil {
			return ""
		}
		return mapOut(f, n.Name, local)
	case KindComponents, KindVersions:
		var ns []named
		if json.Unmarshal(raw, &ns) != nil {
			return ""
		}
		names := make([]string, 0, len(ns))
		for _, n := range ns {
			names = append(names, n.Name)
		}
		return encodeSet(names)
	case KindDateTime:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		t, err := jira.ParseTime(s)
		if err != nil {
			return s
		}
		return canonicalTime(t)
	case KindNumber:
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return ""
		}
		return canonicalNumber(string(n))
	case KindSelect:
		var n named
		if json.Unmarshal(raw, &n) != nil {
			return ""
		}
		return mapOut(f, n.Value, local)
	case KindMultiSelect:
		var ns []named
		if json.Unmarshal(raw, &ns) != nil {
			return ""
		}
		vals := make([]string, 0, len(ns))
		for _, n := range ns {
			vals = append(vals, mapOut(f, n.Value, local))
		}
		return encodeSet(vals)
	case KindUser:
		var n named
		if json.Unmarshal(raw, &n) != nil {
			return ""
		}
		if local {
			if m, ok := rules.Users.Map[n.Name]; ok {
				return m
			}
		}
		return n.Name
	case KindRequestType:
		return mapOut(f, requestTypeName(raw), local)
	case KindOrganizations:
		names := organizationNames(raw)
		for i := range names {
			names[i] = mapOut(f, names[i], local)
		}
		return encodeSet(names)
	case KindParticipants:
		return encodeSet(participantNames(raw, rules.Users.Map, local))
	case KindSLA:
		return slaText(raw)
	case KindDuration:
		return projectDuration(raw)
	case KindWatchers:
		return projectWatchers(raw, rules, local)
	case KindSecurity:
		return projectSecurity(raw, f, local)
	}
	return ""
}

// canonicalTime is the comparable form of a datetime: UTC, Jira's layout.
func canonicalTime(t time.Time) string { return t.UTC().Format(jira.TimeLayout) }

// canonicalNumber makes 2, 2.0 and 2e0 compare equal.
func canonicalNumber(s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// encodeSet is the canonical form of a set: a JSON array, sorted, without duplicates; "" when empty.
func encodeSet(items []string) string {
	if len(items) == 0 {
		return ""
	}
	s := slices.Clone(items)
	slices.Sort(s)
	s = slices.Compact(s)
	// Without HTML escaping: the value is shown to people (twin page, preview, activity), and
	// templ escapes it for HTML where it is rendered.
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// decodeSet is the inverse of encodeSet.
func decodeSet(v string) []string {
	if v == "" {
		return nil
	}
	var s []string
	if json.Unmarshal([]byte(v), &s) != nil {
		return []string{v}
	}
	return s
}

// mapOut maps a local value into the remote vocabulary (Values); remote values pass unchanged.
func mapOut(f *FieldRule, v string, local bool) string {
	if !local || v == "" {
		return v
	}
	if m, ok := f.Values[v]; ok {
		return m
	}
	return v
}

// mapIn maps a remote-vocabulary value back to the local vocabulary: ReverseValues first, then
// the smallest local value that Values maps to it, else unchanged.
func mapIn(f *FieldRule, v string) string {
	if v == "" {
		return v
	}
	if m, ok := f.ReverseValues[v]; ok {
		return m
	}
	best, found := "", false
	for l, r := range f.Values {
		if r == v && (!found || l < best) {
			best, found = l, true
		}
	}
	if found {
		return best
	}
	return v
}

// reverseUser maps a remote user name back to the local name through Users.Map.
func reverseUser(m map[string]string, remote string) string {
	best, found := "", false
	for l, r := range m {
		if r == remote && (!found || l < best) {
			best, found = l, true
		}
	}
	if found {
		return best
	}
	return remote
}
