package jirasim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Jira Service Management (JSM) as a DC instance with JSM installed shows it over REST:
//   - a project of type service_desk has a service desk (its own id), a portal key (the
//     project key in lower case), request types and organizations;
//   - JSM's locked custom fields: Customer Request Type (vp-origin), Request participants,
//     Organizations and two SLA fields, rendered on the issues of service projects only;
//   - the SLA fields are read-only: in /field, never on a screen, so never in createmeta or
//     editmeta, and a PUT that names one answers 400 "cannot be set", as for any field off the
//     screen;
//   - an agent's internal comment is an ordinary comment with the property
//     sd.public.comment = {"internal": true}; /rest/servicedeskapi/request/{key}/comment
//     creates one from {"body", "public"}.
//
// Shapes: the servicedeskapi DTOs (CommentDTO, DateDTO, SlaInformation, RequestType,
// Organization) follow Atlassian's JSM DC REST reference and jira.js's serviceDeskServer models;
// the field schemas follow a DC createmeta capture (vp-origin "sd-customerrequesttype",
// participants array of user, organizations array of "sd-customerorganization" with an
// autoCompleteUrl). The SLA goals, the 24/7 calendar and the error texts are synthetic.

type serviceDesk struct {
	id           string
	portalKey    string
	requestTypes []*requestType
	orgs         []string // organization ids associated with the desk
}

type requestType struct{ id, key, name, description string }

type organization struct{ id, name string }

// slaDef is one SLA metric every service project has (synthetic goals, a 24/7 calendar).
type slaDef struct {
	id, field, name string
	goal            time.Duration
}

var slaDefs = []slaDef{
	{"1", cfSLAResponse, "Time to first response", 4 * time.Hour},
	{"2", cfSLAResolve, "Time to resolution", 8 * time.Hour},
}

func (p *project) service() bool { return p.typeKey == "service_desk" }

func (st *state) addServiceDesk(p *project, sp SeedProject) {
	d := &serviceDesk{id: strconv.FormatInt(st.next("servicedesk"), 10), portalKey: strings.ToLower(p.key)}
	rts := sp.RequestTypes
	if rts == nil {
		rts = DefaultRequestTypes()
	}
	for _, rt := range rts {
		id := rt.ID
		if id == "" {
			id = strconv.FormatInt(st.next("requesttype"), 10)
		}
		key := rt.Key
		if key == "" {
			key = strings.ToLower(strings.ReplaceAll(rt.Name, " ", ""))
		}
		d.requestTypes = append(d.requestTypes, &requestType{id: id, key: key, name: rt.Name, description: rt.Description})
	}
	for _, name := range sp.Organizations {
		o := st.orgByName(name)
		if o == nil {
			o = &organization{id: strconv.FormatInt(st.next("organization"), 10), name: name}
			st.orgs = append(st.orgs, o)
		}
		d.orgs = append(d.orgs, o.id)
	}
	p.desk = d
}

func (st *state) orgByName(name string) *organization {
	for _, o := range st.orgs {
		if strings.EqualFold(o.name, name) {
			return o
		}
	}
	return nil
}

func (st *state) org(id string) *organization {
	for _, o := range st.orgs {
		if o.id == id {
			return o
		}
	}
	return nil
}

// hasJSM reports whether the instance has a service project (JSM "installed": its fields exist).
func (st *state) hasJSM() bool {
	for _, p := range st.projects {
		if p.service() {
			return true
		}
	}
	return false
}

func (d *serviceDesk) requestType(ref string) *requestType {
	for _, rt := range d.requestTypes {
		if rt.id == ref || strings.EqualFold(d.portalKey+"/"+rt.key, ref) {
			return rt
		}
	}
	return nil
}

// internal reports whether a comment is a JSM internal note (sd.public.comment says so).
func (cm *comment) internal() bool {
	var v struct {
		Internal any `json:"internal"`
	}
	if raw, ok := cm.props["sd.public.comment"]; ok && json.Unmarshal(raw, &v) == nil {
		switch x := v.Internal.(type) {
		case bool:
			return x
		case string:
			return strings.EqualFold(x, "true")
		}
	}
	return false
}

// ---- rendering ----

// dateDTO is JSM's DateDTO.
func (c *rc) dateDTO(t time.Time) obj {
	t = t.In(c.i.loc)
	return obj{"iso8601": t.Format("2006-01-02T15:04:05-0700"), "jira": t.Format(jiraTime),
		"friendly": t.Format("02/Jan/06 3:04 PM"), "epochMillis": t.UnixMilli()}
}

func durationDTO(d time.Duration) obj {
	return obj{"millis": d.Milliseconds(), "friendly": friendlyDuration(d)}
}

func friendlyDuration(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%s%dh %dm", sign, h, m)
	case h > 0:
		return fmt.Sprintf("%s%dh", sign, h)
	}
	return fmt.Sprintf("%s%dm", sign, m)
}

func (c *rc) requestTypeBean(d *serviceDesk, rt *requestType) obj {
	return obj{"id": rt.id, "_links": obj{"self": c.base + "/rest/servicedeskapi/servicedesk/" + d.id + "/requesttype/" + rt.id},
		"name": rt.name, "description": rt.description, "helpText": "", "serviceDeskId": d.id, "groupIds": []string{"1"},
		"icon": obj{"id": "10500", "_links": obj{"iconUrls": obj{
			"48x48": c.base + "/secure/viewavatar?avatarType=SD_REQTYPE&size=large&avatarId=10500",
			"24x24": c.base + "/secure/viewavatar?avatarType=SD_REQTYPE&size=small&avatarId=10500",
			"16x16": c.base + "/secure/viewavatar?avatarType=SD_REQTYPE&size=xsmall&avatarId=10500",
			"32x32": c.base + "/secure/viewavatar?avatarType=SD_REQTYPE&size=medium&avatarId=10500"}}}}
}

// requestTypeValue is the Customer Request Type field's value: the request, its type and status.
func (c *rc) requestTypeValue(is *issue, id string) any {
	d := is.proj.desk
	rt := d.requestType(id)
	if rt == nil {
		return nil
	}
	iid := strconv.FormatInt(is.id, 10)
	s := findStatus(is.str("status"))
	since := is.created
	for _, h := range is.histories {
		for _, it := range h.items {
			if it.Field == "status" {
				since = h.created
			}
		}
	}
	return obj{
		"_links": obj{"jiraRest": c.base + "/rest/api/2/issue/" + iid, "web": c.base + "/servicedesk/customer/portal/" + d.id + "/" + is.key,
			"self": c.base + "/rest/servicedeskapi/request/" + iid},
		"requestType":   c.requestTypeBean(d, rt),
		"currentStatus": obj{"status": s.Name, "statusCategory": strings.ToUpper(s.Cat.Key), "statusDate": c.dateDTO(since)},
	}
}

func (c *rc) orgBean(o *organization) obj {
	return obj{"id": o.id, "name": o.name, "_links": obj{"self": c.base + "/rest/servicedeskapi/organization/" + o.id}}
}

// slaValue computes an SLA field: one cycle from creation to the first public comment (first
// response) or to the resolution; ongoing until then, on the emulator clock.
func (c *rc) slaValue(is *issue, f *fieldDef) obj {
	var def slaDef
	for _, s := range slaDefs {
		if s.field == f.ID {
			def = s
		}
	}
	var stop time.Time
	if def.field == cfSLAResponse {
		for _, cm := range is.comments {
			if cm.visType == "" && !cm.internal() && cm.author != is.str("reporter") {
				stop = cm.created
				break
			}
		}
	} else {
		stop = is.resolutionDate
	}
	start := is.created
	out := obj{"id": def.id, "name": def.name,
		"_links":          obj{"self": c.base + "/rest/servicedeskapi/request/" + strconv.FormatInt(is.id, 10) + "/sla/" + def.id},
		"completedCycles": []any{}}
	if !stop.IsZero() {
		el := stop.Sub(start)
		out["completedCycles"] = []any{obj{"startTime": c.dateDTO(start), "stopTime": c.dateDTO(stop), "breached": el > def.goal,
			"goalDuration": durationDTO(def.goal), "elapsedTime": durationDTO(el), "remainingTime": durationDTO(def.goal - el)}}
		return out
	}
	el := c.i.now().Sub(start)
	out["ongoingCycle"] = obj{"startTime": c.dateDTO(start), "breachTime": c.dateDTO(start.Add(def.goal)), "breached": el > def.goal,
		"paused": false, "withinCalendarHours": true, "goalDuration": durationDTO(def.goal), "elapsedTime": durationDTO(el),
		"remainingTime": durationDTO(def.goal - el)}
	return out
}

// renderJSM renders a JSM field of a service project's issue (v is the stored value, if any).
func (c *rc) renderJSM(st *state, is *issue, f *fieldDef, v any, has bool) any {
	if f.Kind == kSLA {
		return c.slaValue(is, f)
	}
	if !has {
		return nil
	}
	switch f.Kind {
	case kRequestType:
		return c.requestTypeValue(is, v.(string))
	case kUsers:
		out := []any{}
		for _, k := range v.([]string) {
			if u := st.userByKey[k]; u != nil {
				out = append(out, c.userBean(u))
			}
		}
		return out
	case kOrgs:
		out := []any{}
		for _, id := range v.([]string) {
			if o := st.org(id); o != nil {
				out = append(out, c.orgBean(o))
			}
		}
		return out
	}
	return nil
}

// ---- parsing ----

// parseRequestType reads the Customer Request Type written as "<portal key>/<request type key>"
// (the DC form) or as the request type id (the Cloud form).
func parseRequestType(p *project, raw json.RawMessage) (any, string) {
	s, ok := rawString(raw)
	if !ok {
		if r, isObj := refOf(raw); isObj {
			s = r["id"]
		}
	}
	if p == nil || p.desk == nil {
		return nil, cannotBeSet(cfRequestType)
	}
	rt := p.desk.requestType(s)
	if rt == nil {
		return nil, fmt.Sprintf("The request type '%s' does not exist in this service project.", s)
	}
	return rt.id, ""
}

// jsmElem resolves one Request participants user or one Organizations entry to its key or id.
func (c *rc) jsmElem(f *fieldDef, raw json.RawMessage) (string, string) {
	st := c.i.st
	if f.Kind == kUsers {
		r, ok := refOf(raw)
		if !ok {
			if s, isStr := rawString(raw); isStr {
				r = map[string]string{"name": s}
			}
		}
		var u *user
		ref := r["name"]
		if ref != "" {
			u = st.userByName[strings.ToLower(ref)]
		} else if ref = r["key"]; ref != "" {
			u = st.userByKey[ref]
		}
		if u == nil {
			return "", fmt.Sprintf("User '%s' does not exist.", ref)
		}
		return u.key, ""
	}
	var id string
	if r, ok := refOf(raw); ok {
		id = r["id"]
	} else if s, ok := rawString(raw); ok {
		id = s
	} else {
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			id = n.String()
		}
	}
	if st.org(id) == nil {
		return "", fmt.Sprintf("The organization with id '%s' does not exist.", id)
	}
	return id, ""
}

// ---- /rest/servicedeskapi ----

func (c *rc) sdFail(status int, msg string) {
	c.json(status, obj{"errorMessage": msg, "i18nErrorMessage": obj{"i18nKey": "sd.rest.error", "parameters": []string{}}})
}

// sdPage is JSM's paged DTO.
func (c *rc) sdPage(path string, all []any) obj {
	start, limit := max(0, c.intParam("start", 0)), c.intParam("limit", 50)
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	vals := page(all, start, limit)
	return obj{"_expands": []string{}, "size": len(vals), "start": start, "limit": limit, "isLastPage": start+len(vals) >= len(all),
		"_links": obj{"base": c.base, "context": c.i.cp, "self": c.base + path}, "values": vals}
}

func (c *rc) serviceDesks() {
	if c.u == nil {
		c.sdFail(http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
		return
	}
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	all := []any{}
	for _, p := range c.i.st.projects {
		if p.desk != nil {
			all = append(all, obj{"id": p.desk.id, "projectId": p.id, "projectName": p.name, "projectKey": p.key,
				"_links": obj{"self": c.base + "/rest/servicedeskapi/servicedesk/" + p.desk.id}})
		}
	}
	c.json(http.StatusOK, c.sdPage("/rest/servicedeskapi/servicedesk", all))
}

func (c *rc) deskByID(st *state) *serviceDesk {
	ref := c.r.PathValue("id")
	if c.u != nil {
		for _, p := range st.projects {
			if p.desk != nil && (p.desk.id == ref || strings.EqualFold(p.key, ref)) {
				return p.desk
			}
		}
	}
	c.sdFail(http.StatusNotFound, "The service project you are trying to view does not exist.")
	return nil
}

func (c *rc) requestTypes() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	d := c.deskByID(c.i.st)
	if d == nil {
		return
	}
	all := []any{}
	for _, rt := range d.requestTypes {
		all = append(all, c.requestTypeBean(d, rt))
	}
	c.json(http.StatusOK, c.sdPage("/rest/servicedeskapi/servicedesk/"+d.id+"/requesttype", all))
}

func (c *rc) organizations() {
	if c.u == nil {
		c.sdFail(http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
		return
	}
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	all := []any{}
	for _, o := range c.i.st.orgs {
		all = append(all, c.orgBean(o))
	}
	c.json(http.StatusOK, c.sdPage("/rest/servicedeskapi/organization", all))
}

// withRequest runs f on a service project issue the caller may see.
func (c *rc) withRequest(write bool, f func(st *state, is *issue)) {
	if write {
		c.i.mu.Lock()
		defer c.i.mu.Unlock()
	} else {
		c.i.mu.RLock()
		defer c.i.mu.RUnlock()
	}
	is := c.visibleIssue(c.i.st, c.r.PathValue("id"))
	if is == nil || !is.proj.service() {
		c.sdFail(http.StatusNotFound, "The request could not be found or you do not have permission to view it.")
		return
	}
	f(c.i.st, is)
}

func (c *rc) sdUser(u *user) obj {
	if u == nil {
		return nil
	}
	return obj{"name": u.name, "key": u.key, "emailAddress": u.email, "displayName": u.display, "active": u.active, "timeZone": c.userTZ(u),
		"_links": obj{"jiraRest": c.base + "/rest/api/2/user?username=" + u.name, "avatarUrls": avatarURLs(c.base, "user", 10122),
			"self": c.base + "/rest/api/2/user?username=" + u.name}}
}

func (c *rc) sdComment(st *state, is *issue, cm *comment) obj {
	return obj{"id": strconv.FormatInt(cm.id, 10), "body": cm.body, "public": !cm.internal(), "author": c.sdUser(st.userByKey[cm.author]),
		"created": c.dateDTO(cm.created),
		"_links":  obj{"self": c.base + "/rest/servicedeskapi/request/" + strconv.FormatInt(is.id, 10) + "/comment/" + strconv.FormatInt(cm.id, 10)}}
}

// addRequestComment is POST /rest/servicedeskapi/request/{issueIdOrKey}/comment {"body", "public"}:
// the comment carries sd.public.comment {"internal": !public}; public defaults to false.
func (c *rc) addRequestComment() {
	var in struct {
		Body   string `json:"body"`
		Public bool   `json:"public"`
	}
	if !c.decode(&in) {
		return
	}
	if strings.TrimSpace(in.Body) == "" {
		c.sdFail(http.StatusBadRequest, "The comment body can not be empty.")
		return
	}
	c.withRequest(true, func(st *state, is *issue) {
		now := c.i.now()
		cm := &comment{id: st.next("comment"), author: c.u.key, updateAuthor: c.u.key, body: in.Body, created: now, updated: now}
		v, _ := json.Marshal(map[string]bool{"internal": !in.Public})
		cm.setProp("sd.public.comment", v)
		is.comments = append(is.comments, cm)
		c.touch(st, is, nil)
		c.json(http.StatusCreated, c.sdComment(st, is, cm))
	})
}

// requestComments lists a request's comments; public=false or internal=false filter them.
func (c *rc) requestComments() {
	c.withRequest(false, func(st *state, is *issue) {
		all := []any{}
		for _, cm := range c.visibleComments(is) {
			if (cm.internal() && !c.boolParam("internal", true)) || (!cm.internal() && !c.boolParam("public", true)) {
				continue
			}
			all = append(all, c.sdComment(st, is, cm))
		}
		c.json(http.StatusOK, c.sdPage("/rest/servicedeskapi/request/"+strconv.FormatInt(is.id, 10)+"/comment", all))
	})
}

func (c *rc) requestComment() {
	c.withRequest(false, func(st *state, is *issue) {
		for _, cm := range c.visibleComments(is) {
			if strconv.FormatInt(cm.id, 10) == c.r.PathValue("id2") {
				c.json(http.StatusOK, c.sdComment(st, is, cm))
				return
			}
		}
		c.sdFail(http.StatusNotFound, "The comment could not be found.")
	})
}
