package jirasim

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Epics as Jira Software Server/DC has them: the Epic issue type and two custom fields.
//
//   - Epic Link (customfield_10106, com.pyxis.greenhopper.jira:gh-epic-link, schema type
//     "any"): set with the epic's key (or id) as a string, null removes it; rendered as the
//     epic's key; not available on epics and sub-tasks (a sub-task follows its parent's epic).
//   - Epic Name (customfield_10107, gh-epic-label): on epics only, required there.
//
// JQL: "Epic Link" = KEY, cf[10106] = KEY (key or id). A change of Epic Link writes an
// "Epic Link" item (custom; from/to the epic ids, fromString/toString the keys) on the issue
// and an "Epic Child" item on each epic concerned, whose updated is bumped too. The error
// texts for a bad Epic Link are ours (no capture).

const (
	cfEpicLink    = "customfield_10106"
	cfEpicName    = "customfield_10107"
	issueTypeEpic = "10000"
)

// parseEpicLink reads an Epic Link value: the key or id of an epic, as a string.
func parseEpicLink(st *state, raw json.RawMessage) (any, string) {
	ref, ok := rawString(raw)
	if !ok {
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return nil, "Epic Link must be the key of an epic."
		}
		ref = n.String()
	}
	e := st.issue(strings.TrimSpace(ref))
	if e == nil {
		return nil, "Issue '" + ref + "' does not exist."
	}
	if e.str("issuetype") != issueTypeEpic {
		return nil, "Issue '" + e.key + "' is not an epic."
	}
	return e.id, ""
}

// epicFieldApplies reports whether an epic field is on the screens of issue type it.
func epicFieldApplies(id string, it *issueTypeDef) bool {
	switch id {
	case cfEpicName:
		return it != nil && it.ID == issueTypeEpic
	case cfEpicLink:
		return it == nil || (it.ID != issueTypeEpic && !it.Subtask)
	}
	return true
}

// epicRules checks the epic fields of an issue of type it about to be written.
func epicRules(it *issueTypeDef, next map[string]any, errs map[string]string) {
	for _, id := range []string{cfEpicLink, cfEpicName} {
		if _, has := next[id]; has && !epicFieldApplies(id, it) && errs[id] == "" {
			errs[id] = cannotBeSet(id)
		}
	}
	if it.ID == issueTypeEpic && strings.TrimSpace(asStr(next[cfEpicName])) == "" && errs[cfEpicName] == "" {
		errs[cfEpicName] = "Epic Name is required."
	}
}

// epicKey renders an Epic Link value: the epic's key, or nil when the epic is gone.
func epicKey(st *state, v any) any {
	if id, ok := v.(int64); ok {
		if e := st.issue(strconv.FormatInt(id, 10)); e != nil {
			return e.key
		}
	}
	return nil
}

func epicRefStrings(st *state, v any) (*string, *string) {
	id, ok := v.(int64)
	if !ok {
		return nil, nil
	}
	if e := st.issues[id]; e != nil {
		return sp(strconv.FormatInt(id, 10)), sp(e.key)
	}
	return sp(strconv.FormatInt(id, 10)), nil
}

// epicChildren writes the "Epic Child" items on the epics an issue left and joined.
func (c *rc) epicChildren(st *state, is *issue, oldEpic, newEpic any) {
	if valueEqual(oldEpic, newEpic) {
		return
	}
	child := sp(strconv.FormatInt(is.id, 10))
	if e, ok := epicKey(st, oldEpic).(string); ok {
		c.touch(st, st.issue(e), []histItem{{Field: "Epic Child", FieldType: "custom", From: child, FromString: sp(is.key)}})
	}
	if e, ok := epicKey(st, newEpic).(string); ok {
		c.touch(st, st.issue(e), []histItem{{Field: "Epic Child", FieldType: "custom", To: child, ToString: sp(is.key)}})
	}
}

// customFieldByName resolves a JQL field written as a custom field's name ("Epic Link",
// case-insensitive) to its id, as Jira does.
func customFieldByName(raw string) string {
	for _, f := range fieldDefs {
		if f.Custom && strings.EqualFold(f.Name, raw) {
			return f.ID
		}
	}
	return ""
}
