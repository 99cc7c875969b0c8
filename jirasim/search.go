package jirasim

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-sync/airlock/jirasim/jql"
)

// jdoc adapts an issue (or its indexed snapshot) to jql.Doc.
type jdoc struct {
	st  *state
	is  *issue
	loc *time.Location
}

func (d *jdoc) Values(field string) []string {
	is := d.is
	ref := func(id, name string) []string {
		if id == "" {
			return nil
		}
		return []string{name, id}
	}
	users := func(key string) []string {
		if u := d.st.userByKey[key]; u != nil {
			return []string{u.name, u.key}
		}
		return nil
	}
	switch strings.ToLower(field) {
	case "project":
		return []string{is.proj.key, is.proj.id, is.proj.name}
	case "issuetype", "type":
		if t := findIssueType(is.str("issuetype")); t != nil {
			return ref(t.ID, t.Name)
		}
	case "status":
		if s := findStatus(is.str("status")); s != nil {
			return ref(s.ID, s.Name)
		}
	case "priority":
		if p := findPriority(is.str("priority")); p != nil {
			return ref(p.ID, p.Name)
		}
	case "resolution":
		if r := findResolution(is.str("resolution")); r != nil {
			return ref(r.ID, r.Name)
		}
	case "labels":
		return is.strs("labels")
	case "key", "issuekey":
		return []string{is.key}
	case "id":
		return []string{strconv.FormatInt(is.id, 10)}
	case "assignee", "reporter", "creator":
		return users(is.str(strings.ToLower(field)))
	case "component":
		return namesOf(is.proj, fieldByID["components"], is.strs("components"))
	case "fixversion":
		return namesOf(is.proj, fieldByID["fixVersions"], is.strs("fixVersions"))
	case "affectedversion":
		return namesOf(is.proj, fieldByID["versions"], is.strs("versions"))
	case "level":
		if l := d.st.levelOf(is); l != nil {
			return []string{l.name, l.id}
		}
	case "parent":
		if pid, ok := is.fields["parent"].(int64); ok {
			if p := d.st.issues[pid]; p != nil {
				return []string{p.key, strconv.FormatInt(p.id, 10)}
			}
		}
	default:
		f := fieldByID[field]
		if f == nil || !f.Custom {
			return nil
		}
		v, ok := is.fields[f.ID]
		if !ok {
			return nil
		}
		switch f.Kind {
		case kOption:
			return []string{elemName(is.proj, f, v.(string)), v.(string)}
		case kOptions:
			var out []string
			for _, id := range v.([]string) {
				out = append(out, elemName(is.proj, f, id), id)
			}
			return out
		case kUser:
			return users(v.(string))
		case kUsers:
			var out []string
			for _, k := range v.([]string) {
				out = append(out, users(k)...)
			}
			return out
		case kOrgs:
			var out []string
			for _, id := range v.([]string) {
				if o := d.st.org(id); o != nil {
					out = append(out, o.name, id)
				}
			}
			return out
		case kRequestType:
			if is.proj.desk != nil {
				if rt := is.proj.desk.requestType(v.(string)); rt != nil {
					return []string{rt.name, rt.id, is.proj.desk.portalKey + "/" + rt.key}
				}
			}
		case kNumber:
			return []string{strconv.FormatFloat(v.(float64), 'f', -1, 64)}
		case kEpicLink:
			if e := d.st.issues[v.(int64)]; e != nil {
				return []string{e.key, strconv.FormatInt(e.id, 10)}
			}
		case kString, kText:
			return []string{v.(string)}
		}
	}
	return nil
}

func namesOf(p *project, f *fieldDef, ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, elemName(p, f, id))
	}
	return out
}

func (d *jdoc) Time(field string) (time.Time, bool) {
	is := d.is
	switch strings.ToLower(field) {
	case "created", "createddate":
		return is.created, true
	case "updated", "updateddate":
		return is.updated, true
	case "resolved", "resolutiondate":
		return is.resolutionDate, !is.resolutionDate.IsZero()
	case "duedate", "due":
		s := is.str("duedate")
		if s == "" {
			return time.Time{}, false
		}
		t, err := time.ParseInLocation("2006-01-02", s, d.loc)
		return t, err == nil
	}
	if f := fieldByID[field]; f != nil && f.Kind == kDateTime {
		t, ok := is.fields[f.ID].(time.Time)
		return t, ok
	}
	return time.Time{}, false
}

func (d *jdoc) Text(field string) string {
	is := d.is
	switch strings.ToLower(field) {
	case "summary", "description", "environment":
		return is.str(strings.ToLower(field))
	case "comment":
		var b strings.Builder
		for _, c := range is.comments {
			b.WriteString(c.body)
			b.WriteByte('\n')
		}
		return b.String()
	case "text":
		parts := []string{is.str("summary"), is.str("description"), is.str("environment"), d.Text("comment")}
		for _, f := range fieldDefs {
			if f.Custom && (f.Kind == kString || f.Kind == kText) {
				parts = append(parts, is.str(f.ID))
			}
		}
		return strings.Join(parts, "\n")
	}
	if f := fieldByID[field]; f != nil && f.Custom && (f.Kind == kString || f.Kind == kText) {
		return is.str(f.ID)
	}
	return ""
}

// Rank gives the configured order of priorities, statuses, issue types and resolutions.
func (d *jdoc) Rank(field string) (int, bool) {
	id := d.is.str(strings.ToLower(field))
	if id == "" {
		return 0, false
	}
	switch strings.ToLower(field) {
	case "priority":
		for n, p := range priorities {
			if p.ID == id {
				return n + 1, true
			}
		}
	case "status":
		for n, s := range statuses {
			if s.ID == id {
				return n + 1, true
			}
		}
	case "issuetype":
		for n, t := range issueTypes {
			if t.ID == id {
				return n + 1, true
			}
		}
	case "resolution":
		for n, r := range resolutions {
			if r.ID == id {
				return n + 1, true
			}
		}
	}
	return 0, false
}

// known answers jql validation: does this value exist for the field?
func (st *state) known(field, value string) bool {
	eq := func(a ...string) bool {
		for _, x := range a {
			if strings.EqualFold(x, value) {
				return true
			}
		}
		return false
	}
	switch strings.ToLower(field) {
	case "project":
		for _, p := range st.projects {
			if eq(p.key, p.id, p.name) {
				return true
			}
		}
		return false
	case "issuetype", "type":
		for _, t := range issueTypes {
			if eq(t.ID, t.Name) {
				return true
			}
		}
		return false
	case "status":
		for _, s := range statuses {
			if eq(s.ID, s.Name) {
				return true
			}
		}
		return false
	case "priority":
		for _, p := range priorities {
			if eq(p.ID, p.Name) {
				return true
			}
		}
		return false
	case "resolution":
		for _, r := range resolutions {
			if eq(r.ID, r.Name) {
				return true
			}
		}
		return eq("Unresolved")
	case "assignee", "reporter", "creator":
		return st.userRef(value) != nil
	}
	return true
}

// scan remembers the hit order of a search's first page (stable paging).
type scan struct {
	ids []int64
	at  time.Time
}

type searchReq struct {
	JQL           string   `json:"jql"`
	StartAt       int      `json:"startAt"`
	MaxResults    *int     `json:"maxResults"`
	Fields        []string `json:"fields"`
	Expand        []string `json:"expand"`
	ValidateQuery *bool    `json:"validateQuery"`
}

// stringList accepts a JSON array of strings or one comma-separated string.
func stringList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var a []string
	if json.Unmarshal(raw, &a) == nil {
		return a
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.Split(s, ",")
	}
	return nil
}

func (c *rc) searchGet() {
	q := c.r.URL.Query()
	req := searchReq{JQL: q.Get("jql"), StartAt: c.intParam("startAt", 0), Fields: q["fields"]}
	if v := q.Get("maxResults"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			req.MaxResults = &n
		}
	}
	if e := q.Get("expand"); e != "" {
		req.Expand = strings.Split(e, ",")
	}
	if v := q.Get("validateQuery"); v != "" {
		b := !strings.EqualFold(v, "false") && v != "none" && v != "warn"
		req.ValidateQuery = &b
	}
	c.search(req)
}

func (c *rc) searchPost() {
	var raw struct {
		JQL           string          `json:"jql"`
		StartAt       int             `json:"startAt"`
		MaxResults    *int            `json:"maxResults"`
		Fields        json.RawMessage `json:"fields"`
		Expand        json.RawMessage `json:"expand"`
		ValidateQuery json.RawMessage `json:"validateQuery"`
	}
	if !c.decode(&raw) {
		return
	}
	req := searchReq{JQL: raw.JQL, StartAt: raw.StartAt, MaxResults: raw.MaxResults, Fields: stringList(raw.Fields), Expand: stringList(raw.Expand)}
	if len(raw.ValidateQuery) > 0 {
		s := strings.Trim(string(raw.ValidateQuery), `"`)
		b := !strings.EqualFold(s, "false") && s != "none" && s != "warn"
		req.ValidateQuery = &b
	}
	c.search(req)
}

func (c *rc) search(req searchReq) {
	maxResults := 50
	if req.MaxResults != nil {
		maxResults = *req.MaxResults
	}
	if maxResults < 0 {
		maxResults = 50
	}
	maxResults = min(maxResults, 1000)
	startAt := max(req.StartAt, 0)
	expand := strings.Join(req.Expand, ",")
	if c.u == nil {
		c.json(http.StatusOK, obj{"expand": "schema,names", "startAt": startAt, "maxResults": maxResults, "total": 0, "issues": []any{}})
		return
	}
	query, err := jql.Parse(req.JQL)
	if err != nil {
		msg := err.Error()
		var je *jql.Error
		if errors.As(err, &je) {
			msg = je.Message
		}
		c.fail(http.StatusBadRequest, msg)
		return
	}
	query.ResolveNames(customFieldByName)
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	st := c.i.st
	var warnings, problems []string
	for _, p := range query.Problems(st.known) {
		if p.UnknownValue && req.ValidateQuery != nil && !*req.ValidateQuery {
			warnings = append(warnings, p.Message)
		} else {
			problems = append(problems, p.Message)
		}
	}
	if len(problems) > 0 {
		c.fail(http.StatusBadRequest, problems...)
		return
	}
	loc := c.i.loc
	if c.u.tz != "" {
		if l, err := time.LoadLocation(c.u.tz); err == nil {
			loc = l
		}
	}
	now := c.i.now()
	knobs := c.i.knobs.Get()
	lag := time.Duration(knobs.IndexLag)
	view := func(is *issue) *issue {
		v := is
		if lag > 0 {
			v = is.indexedAt(now.Add(-lag))
		} else if is.deleted {
			v = nil
		}
		if v != nil && !c.canSeeLevel(st, v) {
			return nil
		}
		return v
	}
	var hits []*jdoc
	for _, is := range st.issues {
		v := view(is)
		if v == nil {
			continue
		}
		d := &jdoc{st: st, is: v, loc: loc}
		if query.Match(d, loc, now) {
			hits = append(hits, d)
		}
	}
	sort.SliceStable(hits, func(a, b int) bool {
		if query.Less(hits[a], hits[b]) {
			return true
		}
		if query.Less(hits[b], hits[a]) {
			return false
		}
		return hits[a].is.id < hits[b].is.id
	})
	scanKey := c.u.key + "\x00" + req.JQL
	switch {
	case knobs.UnstablePaging:
		if startAt > 0 {
			startAt += knobs.PagingSkew
		}
	case startAt == 0:
		ids := make([]int64, len(hits))
		for n, h := range hits {
			ids[n] = h.is.id
		}
		c.i.scanMu.Lock()
		if len(c.i.scans) > 256 {
			c.i.scans = map[string]*scan{}
		}
		c.i.scans[scanKey] = &scan{ids: ids, at: now}
		c.i.scanMu.Unlock()
	default:
		c.i.scanMu.Lock()
		sc := c.i.scans[scanKey]
		c.i.scanMu.Unlock()
		if sc != nil {
			hits = hits[:0]
			for _, id := range sc.ids {
				if is := st.issues[id]; is != nil {
					if v := view(is); v != nil {
						hits = append(hits, &jdoc{st: st, is: v, loc: loc})
					}
				}
			}
		}
	}
	pg := page(hits, startAt, maxResults)
	sel := parseFieldSel(req.Fields, "*navigable")
	perIssue := strings.NewReplacer("names", "", "schema", "").Replace(expand)
	issues := make([]any, 0, len(pg))
	for _, h := range pg {
		b := c.renderIssue(st, h.is, sel, perIssue, nil)
		b["expand"] = "operations,versionedRepresentations,editmeta,changelog,renderedFields"
		issues = append(issues, b)
	}
	out := obj{"expand": "schema,names", "startAt": req.StartAt, "maxResults": maxResults, "total": len(hits), "issues": issues}
	if req.StartAt < 0 {
		out["startAt"] = 0
	}
	if hasExpand(expand, "names") || hasExpand(expand, "schema") {
		names, schema := obj{}, obj{}
		jsm := st.hasJSM()
		for _, f := range fieldDefs {
			if sel.wants(f) && (!f.JSM || jsm) {
				names[f.ID] = f.Name
				schema[f.ID] = schemaOf(f)
			}
		}
		if hasExpand(expand, "names") {
			out["names"] = names
		}
		if hasExpand(expand, "schema") {
			out["schema"] = schema
		}
	}
	if len(warnings) > 0 {
		out["warningMessages"] = warnings
	}
	c.json(http.StatusOK, out)
}
