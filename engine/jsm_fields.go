package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/airlock-sync/airlock/models"
)

// Jira Service Management's fields, as JSM Data Center returns them on an issue:
//
//	Customer Request Type (com.atlassian.servicedesk:vp-origin):
//	  {"_links":{..},"requestType":{"id":"11","name":"Get IT help",..},"currentStatus":{..}}
//	Request participants (com.atlassian.servicedesk:sd-request-participants):
//	  [{"name":"jdoe","key":..,"displayName":..,..}]            (user beans)
//	Organizations (com.atlassian.servicedesk:sd-customer-organizations):
//	  [{"id":1,"name":"Acme","_links":{..}}]
//	SLA (com.atlassian.servicedesk:sd-sla-field), read-only:
//	  {"id":"1","name":"Time to resolution","ongoingCycle":{..},"completedCycles":[{..}]}
//
// Request types and organizations are shared by name (value maps translate them); participants
// by login (the user map); an SLA is projected to a sentence and only ever read.

// jsmRequestType is the Customer Request Type value.
type jsmRequestType struct {
	RequestType *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"requestType"`
}

// requestTypeName reads the request type's name; a bare string (a text field on a side that is
// not a service project) is taken as the name.
func requestTypeName(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var v jsmRequestType
	if json.Unmarshal(raw, &v) != nil || v.RequestType == nil {
		return ""
	}
	return v.RequestType.Name
}

// organizationNames reads the names of an Organizations value.
func organizationNames(raw json.RawMessage) []string {
	var orgs []struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &orgs) != nil {
		return nil
	}
	out := make([]string, 0, len(orgs))
	for _, o := range orgs {
		if o.Name != "" {
			out = append(out, o.Name)
		}
	}
	return out
}

// participantNames reads the logins of a Request participants value (mapped into the remote
// vocabulary through the user map when read on the local side).
func participantNames(raw json.RawMessage, m map[string]string, local bool) []string {
	var us []named
	if json.Unmarshal(raw, &us) != nil {
		return nil
	}
	out := make([]string, 0, len(us))
	for _, u := range us {
		if u.Name == "" {
			continue
		}
		if r, ok := m[u.Name]; ok && local {
			out = append(out, r)
			continue
		}
		out = append(out, u.Name)
	}
	return out
}

// jsmDuration is JSM's duration bean.
type jsmDuration struct {
	Millis   *int64 `json:"millis"`
	Friendly string `json:"friendly"`
}

// jsmDate is JSM's date bean.
type jsmDate struct {
	ISO8601     string `json:"iso8601"`
	EpochMillis *int64 `json:"epochMillis"`
}

// jsmCycle is one SLA cycle (ongoingCycle, or an entry of completedCycles).
type jsmCycle struct {
	BreachTime    *jsmDate     `json:"breachTime"`
	Breached      bool         `json:"breached"`
	Paused        bool         `json:"paused"`
	GoalDuration  *jsmDuration `json:"goalDuration"`
	RemainingTime *jsmDuration `json:"remainingTime"`
}

// jsmSLA is an SLA field's value.
type jsmSLA struct {
	Name            string     `json:"name"`
	OngoingCycle    *jsmCycle  `json:"ongoingCycle"`
	CompletedCycles []jsmCycle `json:"completedCycles"`
}

// slaText projects an SLA to a sentence a person on the other side can read in a text field:
//
//	Time to resolution: due 2024-05-01 14:20 UTC (goal 4h)
//	Time to resolution: paused, 3h 20m remaining
//	Time to resolution: breached (due 2024-05-01 14:20 UTC)
//	Time to resolution: met            (the last cycle completed within its goal)
//
// A running cycle is told by its due time rather than by the time remaining: the remaining time
// changes with every read (JSM ticks it without touching the updated), so a copy of it
// would be stale as soon as it is written and would make every sync write again. A paused
// cycle's remaining time does not tick, so it is shown. A bare string (the text field an SLA was
// copied into) reads as itself; no cycle at all is "".
func slaText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var v jsmSLA
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	name := v.Name
	if name == "" {
		name = "SLA"
	}
	if c := v.OngoingCycle; c != nil {
		due := c.BreachTime.utc()
		switch {
		case c.Breached || (c.RemainingTime != nil && c.RemainingTime.Millis != nil && *c.RemainingTime.Millis < 0):
			if due != "" {
				return fmt.Sprintf("%s: breached (due %s)", name, due)
			}
			return name + ": breached"
		case c.Paused:
			if r := c.RemainingTime.text(); r != "" {
				return fmt.Sprintf("%s: paused, %s remaining", name, r)
			}
			return name + ": paused"
		case due != "":
			if g := c.GoalDuration.text(); g != "" {
				return fmt.Sprintf("%s: due %s (goal %s)", name, due, g)
			}
			return fmt.Sprintf("%s: due %s", name, due)
		}
		if r := c.RemainingTime.text(); r != "" {
			return fmt.Sprintf("%s: %s remaining", name, r)
		}
		return name + ": running"
	}
	if n := len(v.CompletedCycles); n > 0 {
		if v.CompletedCycles[n-1].Breached {
			return name + ": breached"
		}
		return name + ": met"
	}
	return ""
}

// utc is a JSM date as "2006-01-02 15:04 UTC" ("" when absent).
func (d *jsmDate) utc() string {
	if d == nil {
		return ""
	}
	if d.EpochMillis != nil {
		return time.UnixMilli(*d.EpochMillis).UTC().Format("2006-01-02 15:04 UTC")
	}
	for _, layout := range []string{"2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.000-0700", time.RFC3339} {
		if t, err := time.Parse(layout, d.ISO8601); err == nil {
			return t.UTC().Format("2006-01-02 15:04 UTC")
		}
	}
	return ""
}

// text is a duration as JSM words it ("3h 20m"), computed from the milliseconds when JSM sent
// no friendly form.
func (d *jsmDuration) text() string {
	switch {
	case d == nil:
		return ""
	case d.Friendly != "":
		return strings.TrimPrefix(d.Friendly, "-")
	case d.Millis == nil:
		return ""
	}
	m := *d.Millis
	if m < 0 {
		m = -m
	}
	mins := m / 60000
	h, mm := mins/60, mins%60
	switch {
	case h > 0 && mm > 0:
		return fmt.Sprintf("%dh %dm", h, mm)
	case h > 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dm", mm)
}

// slaSource is the side an SLA rule reads its SLA from: the one its direction carries values
// away from ("" when the rule is two-way, which Validate refuses).
func slaSource(f *FieldRule) string {
	switch f.Direction {
	case DirOut:
		return models.SideLocal
	case DirIn:
		return models.SideRemote
	}
	return ""
}

// validateJSMKind checks what a service-desk kind asks of a rule: an SLA is computed by JSM and
// read-only, so its rule must be one way, away from the SLA.
func validateJSMKind(f *FieldRule, path string) *RuleError {
	if f.Kind == KindSLA && slaSource(f) == "" {
		return &RuleError{path + ".direction", "an SLA is read-only in Jira: share it one way, from the side that has it (out or in)"}
	}
	return nil
}

// slaWriteError refuses a write into the SLA side of a rule.
func slaWriteError(f *FieldRule, target string) error {
	return configError("field %s: %s is an SLA on the %s side, which Jira computes and never accepts as input: Airlock only reads it (make the rule one way from that side, into a text field)",
		f.Name, f.fieldID(target), target)
}

// jsmRef is a request type or an organization in a write: Jira is sent Ref (what the target
// field takes for that name), and the write reads back (sentShared) as the name, which is what
// a read of the target shows once Jira stored it.
type jsmRef struct {
	Name string
	Ref  json.RawMessage
	Kind string
}

// MarshalJSON sends Jira the reference.
func (r jsmRef) MarshalJSON() ([]byte, error) { return r.Ref, nil }

// readBack is the value as a read of the target returns it.
func (r jsmRef) readBack() any {
	if r.Kind == KindRequestType {
		return map[string]any{"requestType": map[string]string{"name": r.Name}}
	}
	return map[string]string{"name": r.Name}
}

// jsmRefs is an Organizations write.
type jsmRefs []jsmRef

func (rs jsmRefs) readBack() any {
	out := make([]any, len(rs))
	for i, r := range rs {
		out[i] = r.readBack()
	}
	return out
}

// readBacker is a write value that reads back differently from what Jira is sent.
type readBacker interface{ readBack() any }

// pickRef maps a request type or organization name to what the target field takes: the
// target's reference for that name (Refs), else the rule's Default, else a data error naming
// the value. Without Refs for the field the name is sent as it is (a request type as its
// string, an organization as {"name": ...}) and Jira answers for it.
func pickRef(f *FieldRule, id, v string, toLocal bool, meta *WriteMeta) (jsmRef, error) {
	if toLocal {
		v = mapIn(f, v)
	}
	refs, checked := meta.Refs[id]
	if !checked {
		var raw []byte
		if f.Kind == KindOrganizations {
			raw, _ = json.Marshal(map[string]string{"name": v})
		} else {
			raw, _ = json.Marshal(v)
		}
		return jsmRef{Name: v, Ref: raw, Kind: f.Kind}, nil
	}
	if r, ok := refs[v]; ok {
		return jsmRef{Name: v, Ref: r, Kind: f.Kind}, nil
	}
	if r, ok := refs[f.Default]; ok && f.Default != "" {
		return jsmRef{Name: f.Default, Ref: r, Kind: f.Kind}, nil
	}
	what := "request type"
	if f.Kind == KindOrganizations {
		what = "organization"
	}
	return jsmRef{}, dataError("field %s: %s %q does not exist on the target field %s: add it to the value map or set a default", f.Name, what, v, id)
}
