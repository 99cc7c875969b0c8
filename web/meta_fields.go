package web

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
)

// optionValue reads the value of an allowed value: a select option ({"id":..,"value":..}), or a
// request type or organization ({"id":..,"name":..}).
func optionValue(raw json.RawMessage) string {
	var o struct {
		Value string `json:"value"`
		Name  string `json:"name"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return ""
	}
	if o.Value == "" {
		return o.Name
	}
	return o.Value
}

// Jira Service Management's custom field types (schema.custom).
const (
	jsmRequestType   = "com.atlassian.servicedesk:vp-origin"
	jsmParticipants  = "com.atlassian.servicedesk:sd-request-participants"
	jsmOrganizations = "com.atlassian.servicedesk:sd-customer-organizations"
	jsmSLA           = "com.atlassian.servicedesk:sd-sla-field"
)

// jsmKinds are the engine kinds of JSM's fields, by schema.custom.
var jsmKinds = map[string]string{jsmRequestType: engine.KindRequestType, jsmParticipants: engine.KindParticipants,
	jsmOrganizations: engine.KindOrganizations, jsmSLA: engine.KindSLA}

// isSLA reports whether a field is a JSM SLA: computed by JSM, readable, never writable.
func isSLA(f jira.Field) bool { return f.Schema != nil && f.Schema.Custom == jsmSLA }

// fieldType is the short type shown beside a field name: the schema type, with the item type
// for arrays ("array of option").
func fieldType(f jira.Field) string {
	if f.Schema == nil || f.Schema.Type == "" {
		return "no type"
	}
	if f.Schema.Type == "array" && f.Schema.Items != "" {
		return "array of " + f.Schema.Items
	}
	return f.Schema.Type
}

// fieldLabel is how a field appears in the pickers: "Summary (summary, string)".
func fieldLabel(f jira.Field) string {
	return fmt.Sprintf("%s (%s, %s)", f.Name, f.ID, fieldType(f))
}

// systemKinds are the kinds of the system fields the engine knows by id.
var systemKinds = map[string]string{
	"summary": engine.KindText, "description": engine.KindText, "environment": engine.KindText,
	"labels": engine.KindLabels, "priority": engine.KindPriority, "issuetype": engine.KindIssueType,
	"status": engine.KindStatus, "components": engine.KindComponents, "fixVersions": engine.KindVersions,
	"versions": engine.KindVersions, "duedate": engine.KindDate, "assignee": engine.KindUser, "reporter": engine.KindUser,
	engine.FieldOriginalEstimate: engine.KindDuration, engine.FieldRemainingEstimate: engine.KindDuration, "watches": engine.KindWatchers,
}

// suggestKind guesses the engine kind of a field from its schema; "" when the field cannot be
// synced by any kind (attachments, comments, links...).
func suggestKind(f jira.Field) string {
	if k, ok := systemKinds[f.ID]; ok {
		return k
	}
	if f.Schema == nil {
		return ""
	}
	if k, ok := jsmKinds[f.Schema.Custom]; ok {
		return k
	}
	if k, ok := structureKinds[f.Schema.Custom]; ok {
		return k
	}
	switch f.Schema.Type {
	case "string":
		return engine.KindText
	case "number":
		return engine.KindNumber
	case "date":
		return engine.KindDate
	case "datetime":
		return engine.KindDateTime
	case "option", "option-with-child":
		return engine.KindSelect
	case "user":
		return engine.KindUser
	case "priority":
		return engine.KindPriority
	case "array":
		switch f.Schema.Items {
		case "option":
			return engine.KindMultiSelect
		case "string":
			return engine.KindLabels
		case "version":
			return engine.KindVersions
		case "component":
			return engine.KindComponents
		}
	}
	return ""
}

// kindLabels explains each kind in the kind picker.
var kindLabels = []struct{ Kind, Label string }{
	{engine.KindText, "text"},
	{engine.KindLabels, "labels (set of words)"},
	{engine.KindPriority, "priority (value map)"},
	{engine.KindIssueType, "issue type (value map, at create)"},
	{engine.KindStatus, "status (value map, by transitions)"},
	{engine.KindComponents, "components"},
	{engine.KindVersions, "versions"},
	{engine.KindDate, "date"},
	{engine.KindDateTime, "date and time"},
	{engine.KindNumber, "number"},
	{engine.KindSelect, "select (value map)"},
	{engine.KindMultiSelect, "multi select (value map)"},
	{engine.KindUser, "user (user map)"},
	{engine.KindRequestType, "request type (service desk, value map)"},
	{engine.KindParticipants, "request participants (service desk, user map; names customers)"},
	{engine.KindOrganizations, "organizations (service desk, value map; names customers)"},
	{engine.KindSLA, "SLA (service desk, read-only: one way into a text field)"},
	{engine.KindEpicLink, "epic link (points at the epic's copy)"},
	{engine.KindDuration, "estimate (original or remaining, in seconds)"},
	{engine.KindWatchers, "watchers (user map)"},
}

// mappableKind reports whether a kind's values go through a value map (FieldRule.Values).
func mappableKind(kind string) bool {
	switch kind {
	case engine.KindStatus, engine.KindPriority, engine.KindIssueType, engine.KindSelect, engine.KindMultiSelect,
		engine.KindRequestType, engine.KindOrganizations:
		return true
	}
	return false
}

// valuesOf lists the values a field can hold on one side, for its value map.
func valuesOf(m *sideMeta, kind, fieldID string) []string {
	switch kind {
	case engine.KindStatus:
		return m.Statuses
	case engine.KindPriority:
		return m.Priorities
	case engine.KindIssueType:
		var out []string
		for _, it := range m.IssueTypes {
			out = appendUnique(out, it.Name)
		}
		return out
	case engine.KindSelect, engine.KindMultiSelect, engine.KindRequestType, engine.KindOrganizations:
		return m.Options[fieldID]
	}
	return nil
}

// matchName finds v among candidates: the exact name first, then ignoring case.
func matchName(candidates []string, v string) (string, bool) {
	for _, c := range candidates {
		if c == v {
			return c, true
		}
	}
	for _, c := range candidates {
		if strings.EqualFold(c, v) {
			return c, true
		}
	}
	return "", false
}

// kindNote is the sentence under a row of a service-desk kind ("" for other kinds).
func kindNote(kind string) string {
	switch kind {
	case engine.KindRequestType:
		return "Request type: travels by name; the value map below says which request type each becomes (pre-filled by the same name on the other side)."
	case engine.KindParticipants:
		return "Request participants name the service desk's customers: they leave only because this row shares them. They travel through the user map; a customer without a match is left out (or replaced by the default user)."
	case engine.KindOrganizations:
		return "Organizations name the service desk's customers: they leave only because this row shares them. They travel by name through the value map below."
	case engine.KindEpicLink:
		return epicLinkNote
	case engine.KindDuration, engine.KindWatchers:
		return trackingKindNote(kind)
	case engine.KindSLA:
		return "SLA: computed by Jira Service Management and read-only. Carried one way, from the SLA's side, as a sentence such as \"Time to resolution: due 2024-05-01 14:00 UTC (goal 4h)\" into a text field on the other side."
	}
	return ""
}
