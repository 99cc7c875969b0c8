package jirasim

import (
	"encoding/json"
	"html"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Bean renderers. Callers hold at least the read lock.

type obj = map[string]any

func avatarURLs(base, kind string, id int) obj {
	a := strconv.Itoa(id)
	switch kind {
	case "user":
		p := base + "/secure/useravatar?"
		return obj{"48x48": p + "avatarId=" + a, "24x24": p + "size=small&avatarId=" + a, "16x16": p + "size=xsmall&avatarId=" + a, "32x32": p + "size=medium&avatarId=" + a}
	default:
		p := base + "/secure/projectavatar?"
		return obj{"48x48": p + "avatarId=" + a, "24x24": p + "size=small&avatarId=" + a, "16x16": p + "size=xsmall&avatarId=" + a, "32x32": p + "size=medium&avatarId=" + a}
	}
}

func (c *rc) userTZ(u *user) string {
	if u.tz != "" {
		return u.tz
	}
	return c.i.loc.String()
}

func (c *rc) userBean(u *user) obj {
	if u == nil {
		return nil
	}
	return obj{
		"self": c.base + "/rest/api/2/user?username=" + url.QueryEscape(u.name), "key": u.key, "name": u.name,
		"emailAddress": u.email, "avatarUrls": avatarURLs(c.base, "user", 10122), "displayName": u.display,
		"active": u.active, "timeZone": c.userTZ(u),
	}
}

func (c *rc) userByKey(st *state, key string) any {
	if u := st.userByKey[key]; u != nil {
		return c.userBean(u)
	}
	return nil
}

func (c *rc) statusBean(id string) obj {
	s := findStatus(id)
	if s == nil {
		return nil
	}
	return obj{"self": c.base + "/rest/api/2/status/" + s.ID, "description": s.Description,
		"iconUrl": c.base + "/images/icons/statuses/generic.png", "name": s.Name, "id": s.ID,
		"statusCategory": obj{"self": c.base + "/rest/api/2/statuscategory/" + strconv.Itoa(s.Cat.ID), "id": s.Cat.ID,
			"key": s.Cat.Key, "colorName": s.Cat.Color, "name": s.Cat.Name}}
}

func (c *rc) issueTypeBean(t *issueTypeDef) obj {
	if t == nil {
		return nil
	}
	return obj{"self": c.base + "/rest/api/2/issuetype/" + t.ID, "id": t.ID, "description": t.Description,
		"iconUrl": c.base + t.Icon, "name": t.Name, "subtask": t.Subtask, "avatarId": t.AvatarID}
}

func (c *rc) priorityBean(id string) any {
	p := findPriority(id)
	if p == nil {
		return nil
	}
	return obj{"self": c.base + "/rest/api/2/priority/" + p.ID, "statusColor": p.Color, "description": p.Description,
		"iconUrl": c.base + p.Icon, "name": p.Name, "id": p.ID}
}

func (c *rc) resolutionBean(id string) any {
	r := findResolution(id)
	if r == nil {
		return nil
	}
	return obj{"self": c.base + "/rest/api/2/resolution/" + r.ID, "id": r.ID, "description": r.Description, "name": r.Name}
}

func (c *rc) projectShort(p *project) obj {
	return obj{"self": c.base + "/rest/api/2/project/" + p.id, "id": p.id, "key": p.key, "name": p.name,
		"projectTypeKey": p.typeKey, "avatarUrls": avatarURLs(c.base, "project", 10324)}
}

func (c *rc) componentBean(p *project, cm *component) obj {
	return obj{"self": c.base + "/rest/api/2/component/" + cm.id, "id": cm.id, "name": cm.name,
		"isAssigneeTypeValid": false, "project": p.key, "projectId": p.id}
}

func (c *rc) versionBean(p *project, v *version) obj {
	return obj{"self": c.base + "/rest/api/2/version/" + v.id, "id": v.id, "name": v.name,
		"archived": v.archived, "released": v.release, "projectId": p.id}
}

func (c *rc) optionBean(id string, f *fieldDef) any {
	for _, o := range f.Options {
		if o.ID == id {
			return obj{"self": c.base + "/rest/api/2/customFieldOption/" + o.ID, "value": o.Value, "id": o.ID}
		}
	}
	return nil
}

func schemaOf(f *fieldDef) obj {
	s := obj{"type": f.Type}
	if f.Items != "" {
		s["items"] = f.Items
	}
	if f.Custom {
		s["custom"] = f.CustomType
		s["customId"] = f.CustomID
	} else {
		s["system"] = f.ID
	}
	return s
}

func (c *rc) commentBean(is *issue, cm *comment, st *state) obj {
	o := obj{"self": c.base + "/rest/api/2/issue/" + strconv.FormatInt(is.id, 10) + "/comment/" + strconv.FormatInt(cm.id, 10),
		"id": strconv.FormatInt(cm.id, 10), "author": c.userByKey(st, cm.author), "body": cm.body,
		"updateAuthor": c.userByKey(st, cm.updateAuthor), "created": c.fmtTime(cm.created), "updated": c.fmtTime(cm.updated)}
	if cm.visType != "" {
		o["visibility"] = obj{"type": cm.visType, "value": cm.visValue}
	}
	return o
}

// canSee applies comment/worklog visibility for the caller.
func (c *rc) canSee(p *project, visType, visValue string) bool {
	if visType == "" {
		return true
	}
	if c.u == nil {
		return false
	}
	switch visType {
	case "group":
		for _, g := range c.u.groups() {
			if strings.EqualFold(g, visValue) {
				return true
			}
		}
		return false
	case "role":
		if strings.EqualFold(visValue, "Administrators") {
			return c.u.admin || p.admins[c.u.key]
		}
		return true
	}
	return true
}

func (c *rc) visibleComments(is *issue) []*comment {
	out := make([]*comment, 0, len(is.comments))
	for _, cm := range is.comments {
		if c.canSee(is.proj, cm.visType, cm.visValue) {
			out = append(out, cm)
		}
	}
	return out
}

func (c *rc) attachmentBean(is *issue, a *attachment, st *state) obj {
	id := strconv.FormatInt(a.id, 10)
	o := obj{"self": c.base + "/rest/api/2/attachment/" + id, "id": id, "filename": a.filename,
		"author": c.userByKey(st, a.author), "created": c.fmtTime(a.created), "size": len(a.data), "mimeType": a.mime,
		"content": c.base + "/secure/attachment/" + id + "/" + url.PathEscape(a.filename)}
	if strings.HasPrefix(a.mime, "image/") {
		o["thumbnail"] = c.base + "/secure/thumbnail/" + id + "/_thumb_" + id + ".png"
	}
	return o
}

func (c *rc) worklogBean(is *issue, w *worklog, st *state) obj {
	o := obj{"self": c.base + "/rest/api/2/issue/" + strconv.FormatInt(is.id, 10) + "/worklog/" + strconv.FormatInt(w.id, 10),
		"author": c.userByKey(st, w.author), "updateAuthor": c.userByKey(st, w.updateAuthor), "comment": w.comment,
		"created": c.fmtTime(w.created), "updated": c.fmtTime(w.updated), "started": c.fmtTime(w.started),
		"timeSpent": formatSpent(w.seconds), "timeSpentSeconds": w.seconds, "id": strconv.FormatInt(w.id, 10),
		"issueId": strconv.FormatInt(is.id, 10)}
	if w.visType != "" {
		o["visibility"] = obj{"type": w.visType, "value": w.visValue}
	}
	return o
}

func (c *rc) issueRef(st *state, is *issue) obj {
	t := findIssueType(is.str("issuetype"))
	return obj{"id": strconv.FormatInt(is.id, 10), "key": is.key, "self": c.base + "/rest/api/2/issue/" + strconv.FormatInt(is.id, 10),
		"fields": obj{"summary": is.str("summary"), "status": c.statusBean(is.str("status")),
			"priority": c.priorityBean(is.str("priority")), "issuetype": c.issueTypeBean(t)}}
}

func (is *issue) timeSpent() int64 {
	var s int64
	for _, w := range is.worklogs {
		s += w.seconds
	}
	return s
}

// renderField renders one field of an issue; ok=false means the field is absent.
func (c *rc) renderField(st *state, is *issue, f *fieldDef) (any, bool) {
	v, has := is.fields[f.ID]
	if !epicFieldApplies(f.ID, findIssueType(is.str("issuetype"))) {
		return nil, false
	}
	if f.JSM {
		if !is.proj.service() {
			return nil, false
		}
		return c.renderJSM(st, is, f, v, has), true
	}
	if v, ok := c.renderTime(st, is, f.ID); ok {
		return v, true
	}
	switch f.ID {
	case "project":
		return c.projectShort(is.proj), true
	case "issuetype":
		return c.issueTypeBean(findIssueType(is.str("issuetype"))), true
	case "status":
		return c.statusBean(is.str("status")), true
	case "priority":
		return c.priorityBean(is.str("priority")), true
	case "resolution":
		return c.resolutionBean(is.str("resolution")), true
	case "resolutiondate":
		if is.resolutionDate.IsZero() {
			return nil, true
		}
		return c.fmtTime(is.resolutionDate), true
	case "created":
		return c.fmtTime(is.created), true
	case "updated":
		return c.fmtTime(is.updated), true
	case "creator":
		return c.userByKey(st, is.str("creator")), true
	case "lastViewed":
		return nil, true
	case "watches":
		return c.watchesBean(is), true
	case "votes":
		return obj{"self": c.base + "/rest/api/2/issue/" + is.key + "/votes", "votes": 0, "hasVoted": false}, true
	case "issuelinks":
		return c.issueLinksOf(st, is), true
	case "security":
		return c.renderSecurity(st, is)
	case "subtasks":
		out := []any{}
		for _, s := range st.subtasks(is) {
			out = append(out, c.issueRef(st, s))
		}
		return out, true
	case "parent":
		pid, ok := v.(int64)
		if !ok || st.issues[pid] == nil {
			return nil, false
		}
		return c.issueRef(st, st.issues[pid]), true
	case "comment":
		cms := c.visibleComments(is)
		out := make([]any, 0, len(cms))
		for _, cm := range cms {
			out = append(out, c.commentBean(is, cm, st))
		}
		return obj{"comments": out, "maxResults": len(out), "total": len(out), "startAt": 0}, true
	case "attachment":
		out := make([]any, 0, len(is.attachments))
		for _, a := range is.attachments {
			out = append(out, c.attachmentBean(is, a, st))
		}
		return out, true
	case "worklog":
		vis := c.visibleWorklogs(is)
		out := []any{}
		for _, w := range vis {
			if len(out) == 20 {
				break
			}
			out = append(out, c.worklogBean(is, w, st))
		}
		return obj{"startAt": 0, "maxResults": 20, "total": len(vis), "worklogs": out}, true
	}
	if !has {
		if f.Kind == kLabels || (!f.Custom && (f.Kind == kComponents || f.Kind == kVersions)) {
			return []any{}, true
		}
		return nil, true
	}
	switch f.Kind {
	case kString, kText:
		return v, true
	case kNumber:
		return v, true
	case kDate:
		return v, true
	case kDateTime:
		return c.fmtTime(v.(time.Time)), true
	case kUser:
		return c.userByKey(st, v.(string)), true
	case kLabels:
		return append([]string{}, v.([]string)...), true
	case kComponents:
		out := []any{}
		for _, id := range v.([]string) {
			for _, cm := range is.proj.components {
				if cm.id == id {
					out = append(out, obj{"self": c.base + "/rest/api/2/component/" + cm.id, "id": cm.id, "name": cm.name})
				}
			}
		}
		return out, true
	case kVersions:
		out := []any{}
		for _, id := range v.([]string) {
			for _, vv := range is.proj.versions {
				if vv.id == id {
					out = append(out, obj{"self": c.base + "/rest/api/2/version/" + vv.id, "id": vv.id, "name": vv.name,
						"archived": vv.archived, "released": vv.release})
				}
			}
		}
		return out, true
	case kOption:
		return c.optionBean(v.(string), f), true
	case kEpicLink:
		return epicKey(st, v), true
	case kOptions:
		out := []any{}
		for _, id := range v.([]string) {
			out = append(out, c.optionBean(id, f))
		}
		return out, true
	}
	return nil, true
}

// fieldSel is a parsed `fields` parameter.
type fieldSel struct {
	all, navigable bool
	include        map[string]bool
	exclude        map[string]bool
}

func parseFieldSel(raw []string, def string) fieldSel {
	var toks []string
	for _, r := range raw {
		for _, t := range strings.Split(r, ",") {
			if t = strings.TrimSpace(t); t != "" {
				toks = append(toks, t)
			}
		}
	}
	if len(toks) == 0 {
		toks = []string{def}
	}
	s := fieldSel{include: map[string]bool{}, exclude: map[string]bool{}}
	onlyExcl := true
	for _, t := range toks {
		switch {
		case t == "*all":
			s.all, onlyExcl = true, false
		case t == "*navigable":
			s.navigable, onlyExcl = true, false
		case strings.HasPrefix(t, "-"):
			s.exclude[t[1:]] = true
		default:
			s.include[t] = true
			onlyExcl = false
		}
	}
	if onlyExcl {
		if def == "*all" {
			s.all = true
		} else {
			s.navigable = true
		}
	}
	return s
}

func (s fieldSel) wants(f *fieldDef) bool {
	if s.exclude[f.ID] {
		return false
	}
	return s.all || (s.navigable && f.Navigable) || s.include[f.ID]
}

func hasExpand(expand, name string) bool {
	for _, e := range strings.Split(expand, ",") {
		if strings.TrimSpace(e) == name {
			return true
		}
	}
	return false
}

// renderIssue renders the issue bean with the chosen fields and expansions.
func (c *rc) renderIssue(st *state, is *issue, sel fieldSel, expand string, props []string) obj {
	id := strconv.FormatInt(is.id, 10)
	fields := obj{}
	var names, schema obj
	wantNames, wantSchema := hasExpand(expand, "names"), hasExpand(expand, "schema")
	if wantNames {
		names = obj{}
	}
	if wantSchema {
		schema = obj{}
	}
	for _, f := range fieldDefs {
		if !sel.wants(f) {
			continue
		}
		v, ok := c.renderField(st, is, f)
		if !ok {
			continue
		}
		fields[f.ID] = v
		if wantNames {
			names[f.ID] = f.Name
		}
		if wantSchema {
			schema[f.ID] = schemaOf(f)
		}
	}
	out := obj{"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
		"id": id, "self": c.base + "/rest/api/2/issue/" + id, "key": is.key, "fields": fields}
	if wantNames {
		out["names"] = names
	}
	if wantSchema {
		out["schema"] = schema
	}
	if hasExpand(expand, "renderedFields") {
		out["renderedFields"] = c.renderedFields(is, fields)
	}
	if hasExpand(expand, "changelog") {
		out["changelog"] = c.changelog(st, is)
	}
	if hasExpand(expand, "transitions") {
		out["transitions"] = c.transitionList(is, false)
	}
	if hasExpand(expand, "editmeta") {
		out["editmeta"] = obj{"fields": c.fieldMeta(st, is.proj, is.proj.editScreen, findIssueType(is.str("issuetype")), false)}
	}
	if hasExpand(expand, "operations") {
		out["operations"] = obj{"linkGroups": []any{}}
	}
	if len(props) > 0 {
		p := obj{}
		for _, k := range is.propOrder {
			if props[0] == "*all" || contains(props, k) {
				p[k] = is.props[k]
			}
		}
		out["properties"] = p
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *rc) changelog(st *state, is *issue) obj {
	hs := make([]any, 0, len(is.histories))
	for _, h := range is.histories {
		hs = append(hs, obj{"id": strconv.FormatInt(h.id, 10), "author": c.userByKey(st, h.author),
			"created": c.fmtTime(h.created), "items": h.items})
	}
	return obj{"startAt": 0, "maxResults": len(hs), "total": len(hs), "histories": hs}
}

// wikiToHTML is a deliberately small renderer: Jira's own renderer is not emulated.
func wikiToHTML(s string) string {
	if s == "" {
		return ""
	}
	paras := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n")
	for i, p := range paras {
		paras[i] = "<p>" + strings.ReplaceAll(html.EscapeString(p), "\n", "<br/>\n") + "</p>"
	}
	return strings.Join(paras, "\n\n")
}

func (c *rc) renderedFields(is *issue, fields obj) obj {
	out := obj{}
	for id := range fields {
		f := fieldByID[id]
		switch {
		case f.Kind == kText || (f.Custom && f.Kind == kString):
			if s := is.str(id); s != "" {
				out[id] = wikiToHTML(s)
			} else {
				out[id] = nil
			}
		case id == "created" || id == "updated":
			t := is.created
			if id == "updated" {
				t = is.updated
			}
			out[id] = t.In(c.i.loc).Format("02/Jan/06 3:04 PM")
		case id == "comment":
			cms := []any{}
			for _, cm := range c.visibleComments(is) {
				cms = append(cms, obj{"id": strconv.FormatInt(cm.id, 10), "body": wikiToHTML(cm.body),
					"created": cm.created.In(c.i.loc).Format("02/Jan/06 3:04 PM"), "updated": cm.updated.In(c.i.loc).Format("02/Jan/06 3:04 PM")})
			}
			out[id] = obj{"comments": cms, "maxResults": len(cms), "total": len(cms), "startAt": 0}
		default:
			out[id] = nil
		}
	}
	return out
}

// fieldMeta renders createmeta/editmeta field entries for a screen.
func (c *rc) fieldMeta(st *state, p *project, screen map[string]bool, it *issueTypeDef, create bool) obj {
	out := obj{}
	for _, f := range fieldDefs {
		if !screen[f.ID] {
			continue
		}
		if f.Kind == kParent && (it == nil || !it.Subtask) {
			continue
		}
		if !epicFieldApplies(f.ID, it) || (f.Kind == kSecurity && (len(p.levels) == 0 || (it != nil && it.Subtask))) {
			continue
		}
		out[f.ID] = c.oneFieldMeta(st, p, f, it, create)
	}
	return out
}

func (c *rc) oneFieldMeta(st *state, p *project, f *fieldDef, it *issueTypeDef, create bool) obj {
	m := obj{"required": false, "schema": schemaOf(f), "name": f.Name, "fieldId": f.ID, "key": f.ID, "operations": f.operations()}
	if create {
		m["hasDefaultValue"] = false
	}
	switch f.ID {
	case "summary", "issuetype", "project":
		m["required"] = true
	case "parent":
		m["required"] = it != nil && it.Subtask
	case cfEpicName:
		m["required"] = it != nil && it.ID == issueTypeEpic
	case "reporter":
		m["required"] = true
	}
	var av []any
	switch f.Kind {
	case kIssueType:
		for i := range issueTypes {
			if it == nil || issueTypes[i].Subtask == it.Subtask {
				av = append(av, c.issueTypeBean(&issueTypes[i]))
			}
		}
	case kProject:
		av = []any{c.projectShort(p)}
	case kPriority:
		for _, pr := range priorities {
			av = append(av, c.priorityBean(pr.ID))
		}
		if create {
			m["hasDefaultValue"] = true
			m["defaultValue"] = c.priorityBean(defaultPriority)
		}
	case kResolution:
		for _, r := range resolutions {
			av = append(av, c.resolutionBean(r.ID))
		}
	case kComponents:
		av = []any{}
		for _, cm := range p.components {
			av = append(av, c.componentBean(p, cm))
		}
	case kVersions:
		av = []any{}
		for _, v := range p.versions {
			av = append(av, c.versionBean(p, v))
		}
	case kOption, kOptions:
		for _, o := range f.Options {
			av = append(av, obj{"self": c.base + "/rest/api/2/customFieldOption/" + o.ID, "value": o.Value, "id": o.ID, "disabled": false})
		}
	case kUser:
		m["autoCompleteUrl"] = c.base + "/rest/api/2/user/picker?query="
	case kSecurity:
		for _, l := range p.levels {
			av = append(av, c.levelBean(l))
		}
	case kOrgs:
		m["autoCompleteUrl"] = c.base + "/rest/servicedesk/1/customer/organisations/project/" + p.id + "/search?query="
	case kLabels:
		m["autoCompleteUrl"] = c.base + "/rest/api/1.0/labels/suggest?query="
	}
	if av != nil {
		m["allowedValues"] = av
	}
	return m
}

func (c *rc) transitionList(is *issue, withFields bool) []any {
	out := []any{}
	for _, t := range is.proj.workflow() {
		if !contains(t.From, is.str("status")) {
			continue
		}
		screen := t.To == statusDone && !is.proj.simplified
		o := obj{"id": t.ID, "name": t.Name, "to": c.statusBean(t.To), "hasScreen": screen,
			"isGlobal": is.proj.simplified, "isInitial": false, "isAvailable": true, "isConditional": false, "isLooped": t.To == is.str("status")}
		if withFields {
			fm := obj{}
			if screen {
				f := fieldByID["resolution"]
				m := c.oneFieldMeta(nil, is.proj, f, nil, false)
				m["required"] = false
				fm["resolution"] = m
			}
			o["fields"] = fm
		}
		out = append(out, o)
	}
	return out
}

func formatSpent(sec int64) string {
	if sec <= 0 {
		return "0m"
	}
	units := []struct {
		n int64
		s string
	}{{5 * 8 * 3600, "w"}, {8 * 3600, "d"}, {3600, "h"}, {60, "m"}}
	var parts []string
	for _, u := range units {
		if sec >= u.n {
			parts = append(parts, strconv.FormatInt(sec/u.n, 10)+u.s)
			sec %= u.n
		}
	}
	if len(parts) == 0 {
		return "0m"
	}
	return strings.Join(parts, " ")
}

// parseSpent reads Jira durations such as "1h 30m", "2d", "1w" (8h days, 5d weeks).
func parseSpent(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	var total int64
	for _, part := range strings.Fields(s) {
		if len(part) < 2 {
			return 0, false
		}
		n, err := strconv.ParseFloat(part[:len(part)-1], 64)
		if err != nil || n < 0 {
			return 0, false
		}
		mult := map[byte]float64{'w': 5 * 8 * 3600, 'd': 8 * 3600, 'h': 3600, 'm': 60, 's': 1}[part[len(part)-1]]
		if mult == 0 {
			return 0, false
		}
		total += int64(n * mult)
	}
	return total, total > 0
}

// sortedKeys is a small helper for deterministic maps.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ = json.Marshal
