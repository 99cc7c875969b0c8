package jirasim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// touch bumps updated, records a history entry when there are items and reindexes.
func (c *rc) touch(st *state, is *issue, items []histItem) {
	now := c.i.now()
	is.updated = now
	if len(items) > 0 {
		author := ""
		if c.u != nil {
			author = c.u.key
		}
		is.histories = append(is.histories, &history{id: st.next("history"), author: author, created: now, items: items})
	}
	st.reindex(is, now, time.Duration(c.i.knobs.Get().IndexLag))
}

// visibleIssue finds an issue the caller may see (anonymous sees none).
func (c *rc) visibleIssue(st *state, ref string) *issue {
	if c.u == nil {
		return nil
	}
	if is := st.issue(ref); is != nil && c.canSeeLevel(st, is) {
		return is
	}
	return nil
}

func (c *rc) getIssue() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	st := c.i.st
	is := c.visibleIssue(st, c.r.PathValue("id"))
	if is == nil {
		c.notFoundIssue()
		return
	}
	var props []string
	if p := c.q("properties"); p != "" {
		props = strings.Split(p, ",")
	}
	c.json(http.StatusOK, c.renderIssue(st, is, parseFieldSel(c.r.URL.Query()["fields"], "*all"), c.q("expand"), props))
}

func validProperty(key string, value json.RawMessage) string {
	if key == "" || len(key) > 255 {
		return "The property key cannot be null or longer than 255 characters."
	}
	if !json.Valid(value) {
		return "The property value must be a valid JSON."
	}
	if len(value) > 32768 {
		return "The property value cannot be longer than 32768 characters."
	}
	return ""
}

func (c *rc) createIssue() {
	if c.u == nil {
		c.notAuthenticated()
		return
	}
	var in issueInput
	if !c.decode(&in) {
		return
	}
	c.i.mu.Lock()
	defer c.i.mu.Unlock()
	st := c.i.st
	errs := map[string]string{}
	var p *project
	if raw, ok := in.Fields["project"]; !ok {
		errs["project"] = "project is required"
	} else if v, msg := c.parseValue(st, nil, fieldByID["project"], raw); msg != "" {
		errs["project"] = msg
	} else {
		p = st.project(v.(string))
	}
	var it *issueTypeDef
	if raw, ok := in.Fields["issuetype"]; !ok {
		errs["issuetype"] = "issue type is required"
	} else if v, msg := c.parseValue(st, p, fieldByID["issuetype"], raw); msg != "" {
		errs["issuetype"] = msg
	} else {
		it = findIssueType(v.(string))
	}
	if len(errs) > 0 {
		c.json(http.StatusBadRequest, fieldErrs(errs))
		return
	}
	next, cops, errs := c.computeEdit(st, p, map[string]any{}, &in, p.createScreen, map[string]bool{"project": true, "issuetype": true})
	if _, ok := next["summary"]; !ok && errs["summary"] == "" {
		errs["summary"] = "You must specify a summary of the issue."
	}
	if pid, ok := next["parent"].(int64); it.Subtask && (!ok || st.issues[pid] == nil) {
		if errs["parent"] == "" {
			errs["parent"] = "Issue type is a sub-task but parent issue key or id not specified."
		}
	} else if ok && !it.Subtask {
		errs["parent"] = "The issue type selected is not a sub-task, so a parent cannot be set."
	} else if ok && st.issues[pid].proj != p {
		errs["parent"] = "The parent issue must be in the same project."
	} else if ok && findIssueType(st.issues[pid].str("issuetype")).Subtask {
		errs["parent"] = "A sub-task cannot be the parent of another sub-task."
	}
	typeRules(it, next, errs)
	for _, pr := range in.Properties {
		if msg := validProperty(pr.Key, pr.Value); msg != "" {
			c.json(http.StatusBadRequest, errBody(msg))
			return
		}
	}
	for _, co := range cops {
		if co.op != "add" {
			errs["comment"] = cannotBeSet("comment")
		}
	}
	if len(errs) > 0 {
		c.json(http.StatusBadRequest, fieldErrs(errs))
		return
	}
	if c.i.knobs.Get().Normalize {
		normalize(next)
	}
	next["issuetype"] = it.ID
	next["status"] = statusToDo
	next["creator"] = c.u.key
	if _, ok := next["reporter"]; !ok {
		next["reporter"] = c.u.key
	}
	if _, ok := next["priority"]; !ok {
		next["priority"] = defaultPriority
	}
	now := c.i.now()
	p.counter++
	is := &issue{id: st.next("issue"), key: fmt.Sprintf("%s-%d", p.key, p.counter), proj: p, fields: next,
		created: now, updated: now, props: map[string]json.RawMessage{}}
	for _, pr := range in.Properties {
		if _, ok := is.props[pr.Key]; !ok {
			is.propOrder = append(is.propOrder, pr.Key)
		}
		is.props[pr.Key] = append(json.RawMessage(nil), pr.Value...)
	}
	for _, co := range cops {
		cm := &comment{id: st.next("comment"), author: c.u.key, updateAuthor: c.u.key,
			body: co.body, created: now, updated: now, visType: co.visType, visValue: co.visValue}
		cm.setProps(co.props)
		is.comments = append(is.comments, cm)
	}
	is.autowatch(c.u.key, is.str("reporter"))
	st.issues[is.id] = is
	st.byKey[is.key] = is
	st.reindex(is, now, time.Duration(c.i.knobs.Get().IndexLag))
	c.epicChildren(st, is, nil, next[cfEpicLink])
	id := strconv.FormatInt(is.id, 10)
	c.json(http.StatusCreated, obj{"id": id, "key": is.key, "self": c.base + "/rest/api/2/issue/" + id})
}

func (c *rc) canSkipNotify(p *project) bool {
	return c.u != nil && (c.u.admin || p.admins[c.u.key])
}

func (c *rc) editIssue() {
	var in issueInput
	if !c.decode(&in) {
		return
	}
	c.i.mu.Lock()
	defer c.i.mu.Unlock()
	st := c.i.st
	is := c.visibleIssue(st, c.r.PathValue("id"))
	if is == nil {
		c.notFoundIssue()
		return
	}
	if !c.boolParam("notifyUsers", true) && !c.canSkipNotify(is.proj) {
		c.fail(http.StatusForbidden, "To discard the user notification either admin or project admin permissions are required.")
		return
	}
	for _, pr := range in.Properties {
		if msg := validProperty(pr.Key, pr.Value); msg != "" {
			c.json(http.StatusBadRequest, errBody(msg))
			return
		}
	}
	next, cops, errs := c.computeEdit(st, is.proj, is.fields, &in, is.proj.editScreen, nil)
	if v, ok := next["issuetype"]; ok && v != is.fields["issuetype"] {
		if t := findIssueType(v.(string)); t == nil || t.Subtask != findIssueType(is.str("issuetype")).Subtask {
			errs["issuetype"] = "Issue type cannot be changed between standard and sub-task types with an edit."
		}
	}
	if !valueEqual(next["parent"], is.fields["parent"]) {
		errs["parent"] = cannotBeSet("parent")
	}
	if t := findIssueType(asStr(next["issuetype"])); t != nil {
		typeRules(t, next, errs)
	}
	if len(errs) > 0 {
		c.json(http.StatusBadRequest, fieldErrs(errs))
		return
	}
	if c.i.knobs.Get().Normalize {
		normalize(next)
	}
	items := c.diffItems(st, is.proj, is.fields, next)
	for _, pr := range in.Properties {
		if _, ok := is.props[pr.Key]; !ok {
			is.propOrder = append(is.propOrder, pr.Key)
		}
		is.props[pr.Key] = append(json.RawMessage(nil), pr.Value...)
	}
	if msg := c.applyCommentOps(st, is, cops); msg != "" {
		c.json(http.StatusBadRequest, fieldErrs(map[string]string{"comment": msg}))
		return
	}
	oldEpic := is.fields[cfEpicLink]
	is.fields = next
	if len(items) > 0 || len(cops) > 0 {
		c.touch(st, is, items)
	}
	c.epicChildren(st, is, oldEpic, next[cfEpicLink])
	c.noContent()
}

// applyCommentOps runs update.comment operations; it returns an error text.
func (c *rc) applyCommentOps(st *state, is *issue, cops []commentOp) string {
	now := c.i.now()
	for _, co := range cops {
		switch co.op {
		case "add":
			if msg := validVisibility(co.visType, co.visValue); msg != "" {
				return msg
			}
			cm := &comment{id: st.next("comment"), author: c.u.key, updateAuthor: c.u.key,
				body: co.body, created: now, updated: now, visType: co.visType, visValue: co.visValue}
			cm.setProps(co.props)
			is.comments = append(is.comments, cm)
		case "edit", "remove":
			idx := -1
			for n, cm := range is.comments {
				if strconv.FormatInt(cm.id, 10) == co.id {
					idx = n
				}
			}
			if idx < 0 {
				return "Can not find a comment for the id: " + co.id + "."
			}
			if co.op == "remove" {
				is.comments = append(is.comments[:idx:idx], is.comments[idx+1:]...)
				continue
			}
			cp := *is.comments[idx]
			cp.body, cp.updateAuthor, cp.updated = co.body, c.u.key, now
			is.comments = append(append(is.comments[:idx:idx], &cp), is.comments[idx+1:]...)
		}
	}
	return ""
}

func (c *rc) deleteIssue() {
	c.i.mu.Lock()
	defer c.i.mu.Unlock()
	st := c.i.st
	is := c.visibleIssue(st, c.r.PathValue("id"))
	if is == nil {
		c.notFoundIssue()
		return
	}
	subs := st.subtasks(is)
	if len(subs) > 0 && !c.boolParam("deleteSubtasks", false) {
		c.fail(http.StatusBadRequest, fmt.Sprintf("The issue '%s' has subtasks.  You must specify the 'deleteSubtasks' parameter to delete this issue with all its subtasks.", is.key))
		return
	}
	now := c.i.now()
	lag := time.Duration(c.i.knobs.Get().IndexLag)
	for _, d := range append(subs, is) {
		d.deleted = true
		delete(st.byKey, d.key)
		for _, a := range d.attachments {
			delete(st.attachIdx, a.id)
		}
		st.reindex(d, now, lag)
	}
	c.noContent()
}

func (c *rc) getTransitions() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	is := c.visibleIssue(c.i.st, c.r.PathValue("id"))
	if is == nil {
		c.notFoundIssue()
		return
	}
	list := c.transitionList(is, hasExpand(c.q("expand"), "transitions.fields"))
	if tid := c.q("transitionId"); tid != "" {
		var only []any
		for _, t := range list {
			if t.(obj)["id"] == tid {
				only = append(only, t)
			}
		}
		list = append([]any{}, only...)
	}
	c.json(http.StatusOK, obj{"expand": "transitions", "transitions": list})
}

func (c *rc) doTransition() {
	var in issueInput
	if !c.decode(&in) {
		return
	}
	c.i.mu.Lock()
	defer c.i.mu.Unlock()
	st := c.i.st
	is := c.visibleIssue(st, c.r.PathValue("id"))
	if is == nil {
		c.notFoundIssue()
		return
	}
	if in.Transition == nil || len(in.Transition.ID) == 0 {
		c.fail(http.StatusBadRequest, "Missing 'transition' identifier")
		return
	}
	tid := strings.Trim(string(in.Transition.ID), `"`)
	var tr *transitionDef
	wf := is.proj.workflow()
	for n := range wf {
		if wf[n].ID == tid && contains(wf[n].From, is.str("status")) {
			tr = &wf[n]
		}
	}
	if tr == nil {
		c.fail(http.StatusBadRequest, fmt.Sprintf("Transition id '%s' is not valid for this issue.", tid))
		return
	}
	screen := map[string]bool{"comment": true}
	if tr.To == statusDone && !is.proj.simplified {
		screen["resolution"] = true
	}
	next, cops, errs := c.computeEdit(st, is.proj, is.fields, &in, screen, nil)
	if len(errs) > 0 {
		c.json(http.StatusBadRequest, fieldErrs(errs))
		return
	}
	now := c.i.now()
	if tr.To == statusDone {
		if _, ok := next["resolution"]; !ok {
			next["resolution"] = defaultResolution
		}
		if is.str("status") != statusDone || is.resolutionDate.IsZero() {
			is.resolutionDate = now
		}
	} else {
		delete(next, "resolution")
		is.resolutionDate = time.Time{}
	}
	items := c.diffItems(st, is.proj, is.fields, next)
	from, to := findStatus(is.str("status")), findStatus(tr.To)
	if from != to { // a looped transition (simplified workflows) changes no status
		items = append(items, histItem{Field: "status", FieldType: "jira", From: sp(from.ID), FromString: sp(from.Name), To: sp(to.ID), ToString: sp(to.Name)})
	}
	next["status"] = tr.To
	if msg := c.applyCommentOps(st, is, cops); msg != "" {
		c.json(http.StatusBadRequest, fieldErrs(map[string]string{"comment": msg}))
		return
	}
	is.fields = next
	c.touch(st, is, items)
	c.noContent()
}

func (c *rc) editMeta() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	st := c.i.st
	is := c.visibleIssue(st, c.r.PathValue("id"))
	if is == nil {
		c.notFoundIssue()
		return
	}
	c.json(http.StatusOK, obj{"fields": c.fieldMeta(st, is.proj, is.proj.editScreen, findIssueType(is.str("issuetype")), false)})
}

func page[T any](items []T, startAt, maxResults int) []T {
	if startAt < 0 {
		startAt = 0
	}
	if startAt >= len(items) {
		return []T{}
	}
	end := min(len(items), startAt+maxResults)
	return items[startAt:end]
}

func (c *rc) createMetaProject(st *state) *project {
	if c.u == nil {
		c.notAuthenticated()
		return nil
	}
	ref := c.r.PathValue("id")
	p := st.project(ref)
	if p == nil {
		c.fail(http.StatusNotFound, fmt.Sprintf("No project could be found with key '%s'.", ref))
	}
	return p
}

func (c *rc) createMetaTypes() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	p := c.createMetaProject(c.i.st)
	if p == nil {
		return
	}
	startAt, maxResults := max(0, c.intParam("startAt", 0)), c.intParam("maxResults", 50)
	if maxResults <= 0 || maxResults > 1000 {
		maxResults = 50
	}
	all := make([]any, 0, len(issueTypes))
	for n := range issueTypes {
		all = append(all, c.issueTypeBean(&issueTypes[n]))
	}
	vals := page(all, startAt, maxResults)
	c.json(http.StatusOK, obj{"maxResults": maxResults, "startAt": startAt, "total": len(all),
		"isLast": startAt+len(vals) >= len(all), "values": vals})
}

func (c *rc) createMetaFields() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	st := c.i.st
	p := c.createMetaProject(st)
	if p == nil {
		return
	}
	it := findIssueType(c.r.PathValue("id2"))
	if it == nil {
		c.fail(http.StatusNotFound, fmt.Sprintf("Issue type with id '%s' does not exist.", c.r.PathValue("id2")))
		return
	}
	startAt, maxResults := max(0, c.intParam("startAt", 0)), c.intParam("maxResults", 50)
	if maxResults <= 0 || maxResults > 1000 {
		maxResults = 50
	}
	meta := c.fieldMeta(st, p, p.createScreen, it, true)
	var all []any
	for _, f := range fieldDefs {
		if m, ok := meta[f.ID]; ok {
			all = append(all, m)
		}
	}
	vals := page(all, startAt, maxResults)
	c.json(http.StatusOK, obj{"maxResults": maxResults, "startAt": startAt, "total": len(all),
		"isLast": startAt+len(vals) >= len(all), "values": vals})
}
