package jirasim

import (
	"fmt"
	"html"
	"net/http"
	"strings"
)

func (c *rc) serverInfo() {
	c.json(http.StatusOK, obj{"baseUrl": strings.TrimSuffix(c.base, "/"), "version": "9.12.0", "versionNumbers": []int{9, 12, 0},
		"deploymentType": "Server", "buildNumber": 9120000, "buildDate": "2023-11-27T00:00:00.000+0000",
		"serverTime": c.fmtTime(c.i.now()), "scmInfo": "c2e6d4e0b29b2ba3f5c9a1f4ef29f1c0e6b0e1a2",
		"serverTitle": "Jira " + c.i.opts.Name})
}

func (c *rc) fullUser(u *user) obj {
	b := c.userBean(u)
	b["locale"] = "en_US"
	groups := []any{}
	for _, g := range u.groups() {
		groups = append(groups, obj{"name": g, "self": c.base + "/rest/api/2/group?groupname=" + g})
	}
	b["groups"] = obj{"size": len(groups), "items": groups}
	b["applicationRoles"] = obj{"size": 1, "items": []any{}}
	b["expand"] = "groups,applicationRoles"
	return b
}

func (c *rc) myself() {
	if c.u == nil {
		c.notAuthenticated()
		return
	}
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	c.json(http.StatusOK, c.fullUser(c.u))
}

func (c *rc) getUser() {
	if c.u == nil {
		c.notAuthenticated()
		return
	}
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	st := c.i.st
	if name := c.q("username"); name != "" {
		if u := st.userByName[strings.ToLower(name)]; u != nil {
			c.json(http.StatusOK, c.fullUser(u))
			return
		}
		c.fail(http.StatusNotFound, fmt.Sprintf("The user named '%s' does not exist", name))
		return
	}
	if key := c.q("key"); key != "" {
		if u := st.userByKey[key]; u != nil {
			c.json(http.StatusOK, c.fullUser(u))
			return
		}
		c.fail(http.StatusNotFound, fmt.Sprintf("The user with the key '%s' does not exist", key))
		return
	}
	c.fail(http.StatusNotFound, "Either the 'username' or the 'key' query parameters need to be provided")
}

func (c *rc) matchUsers(st *state, q string, includeInactive bool) []*user {
	q = strings.ToLower(q)
	var out []*user
	for _, u := range st.users {
		if !u.active && !includeInactive {
			continue
		}
		if q == "." || q == "" || strings.Contains(strings.ToLower(u.name), q) || strings.Contains(strings.ToLower(u.display), q) ||
			strings.Contains(strings.ToLower(u.email), q) {
			out = append(out, u)
		}
	}
	return out
}

func (c *rc) userSearch() {
	if c.u == nil {
		c.notAuthenticated()
		return
	}
	q := c.q("username")
	if q == "" {
		c.fail(http.StatusBadRequest, "The username query parameter was not provided")
		return
	}
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	us := c.matchUsers(c.i.st, q, c.boolParam("includeInactive", false))
	maxResults := c.intParam("maxResults", 50)
	if maxResults <= 0 || maxResults > 1000 {
		maxResults = 1000
	}
	out := []any{}
	for _, u := range page(us, c.intParam("startAt", 0), maxResults) {
		out = append(out, c.userBean(u))
	}
	c.json(http.StatusOK, out)
}

func (c *rc) userPicker() {
	if c.u == nil {
		c.notAuthenticated()
		return
	}
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	q := c.q("query")
	us := c.matchUsers(c.i.st, q, false)
	exclude := c.r.URL.Query()["exclude"]
	maxResults := c.intParam("maxResults", 50)
	out := []any{}
	for _, u := range us {
		if contains(exclude, u.name) || len(out) >= maxResults {
			continue
		}
		out = append(out, obj{"name": u.name, "key": u.key, "displayName": u.display,
			"html":      html.EscapeString(u.display) + " - " + html.EscapeString(u.email) + " (" + html.EscapeString(u.name) + ")",
			"avatarUrl": c.base + "/secure/useravatar?size=small&avatarId=10122"})
	}
	c.json(http.StatusOK, obj{"users": out, "total": len(us), "header": fmt.Sprintf("Showing %d of %d matching users", len(out), len(us))})
}

func (c *rc) assignableSearch() {
	if c.u == nil {
		c.notAuthenticated()
		return
	}
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	st := c.i.st
	switch {
	case c.q("issueKey") != "":
		if st.issue(c.q("issueKey")) == nil {
			c.fail(http.StatusNotFound, "Issue Does Not Exist")
			return
		}
	case c.q("project") != "":
		if st.project(c.q("project")) == nil {
			c.fail(http.StatusNotFound, fmt.Sprintf("No project could be found with key '%s'.", c.q("project")))
			return
		}
	default:
		c.fail(http.StatusBadRequest, "The 'project' or 'issueKey' query parameter is required.")
		return
	}
	maxResults := c.intParam("maxResults", 50)
	out := []any{}
	for _, u := range page(c.matchUsers(st, c.q("username"), false), c.intParam("startAt", 0), max(1, min(maxResults, 1000))) {
		out = append(out, c.userBean(u))
	}
	c.json(http.StatusOK, out)
}

func (c *rc) fieldList() {
	c.i.mu.RLock()
	jsm := c.i.st.hasJSM()
	c.i.mu.RUnlock()
	out := make([]any, 0, len(fieldDefs))
	for _, f := range fieldDefs {
		if f.JSM && !jsm {
			continue
		}
		out = append(out, obj{"id": f.ID, "key": f.ID, "name": f.Name, "custom": f.Custom, "orderable": f.Orderable,
			"navigable": f.Navigable, "searchable": f.Searchable, "clauseNames": append([]string{}, f.Clause...), "schema": schemaOf(f)})
	}
	c.json(http.StatusOK, out)
}

func (c *rc) projectList() {
	out := []any{}
	if c.u != nil {
		c.i.mu.RLock()
		for _, p := range c.i.st.projects {
			b := c.projectShort(p)
			b["expand"] = "description,lead,url,projectKeys"
			out = append(out, b)
		}
		c.i.mu.RUnlock()
	}
	c.json(http.StatusOK, out)
}

func (c *rc) findProject(st *state) *project {
	ref := c.r.PathValue("id")
	var p *project
	if c.u != nil {
		p = st.project(ref)
	}
	if p == nil {
		c.fail(http.StatusNotFound, fmt.Sprintf("No project could be found with key '%s'.", ref))
	}
	return p
}

func (c *rc) getProject() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	st := c.i.st
	p := c.findProject(st)
	if p == nil {
		return
	}
	b := c.projectShort(p)
	b["expand"] = "description,lead,url,projectKeys"
	b["description"] = ""
	b["lead"] = c.userByKey(st, p.lead)
	comps, vers, types := []any{}, []any{}, []any{}
	for _, cm := range p.components {
		comps = append(comps, c.componentBean(p, cm))
	}
	for _, v := range p.versions {
		vers = append(vers, c.versionBean(p, v))
	}
	for n := range issueTypes {
		types = append(types, c.issueTypeBean(&issueTypes[n]))
	}
	b["components"], b["versions"], b["issueTypes"] = comps, vers, types
	b["assigneeType"] = "UNASSIGNED"
	b["roles"] = obj{}
	for _, r := range knownRoles {
		b["roles"].(obj)[r] = c.base + "/rest/api/2/project/" + p.id + "/role/" + r
	}
	b["archived"] = false
	b["projectKeys"] = []string{p.key}
	c.json(http.StatusOK, b)
}

func (c *rc) projectComponents() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	if p := c.findProject(c.i.st); p != nil {
		out := []any{}
		for _, cm := range p.components {
			out = append(out, c.componentBean(p, cm))
		}
		c.json(http.StatusOK, out)
	}
}

func (c *rc) projectVersions() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	if p := c.findProject(c.i.st); p != nil {
		out := []any{}
		for _, v := range p.versions {
			out = append(out, c.versionBean(p, v))
		}
		c.json(http.StatusOK, out)
	}
}

func (c *rc) projectStatuses() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	if p := c.findProject(c.i.st); p != nil {
		out := []any{}
		for n := range issueTypes {
			t := &issueTypes[n]
			sts := []any{}
			for _, s := range statuses {
				sts = append(sts, c.statusBean(s.ID))
			}
			out = append(out, obj{"self": c.base + "/rest/api/2/issuetype/" + t.ID, "id": t.ID, "name": t.Name, "subtask": t.Subtask, "statuses": sts})
		}
		c.json(http.StatusOK, out)
	}
}

func (c *rc) priorityList() {
	out := []any{}
	for _, p := range priorities {
		out = append(out, c.priorityBean(p.ID))
	}
	c.json(http.StatusOK, out)
}

func (c *rc) statusList() {
	out := []any{}
	for _, s := range statuses {
		out = append(out, c.statusBean(s.ID))
	}
	c.json(http.StatusOK, out)
}

func (c *rc) issueTypeList() {
	out := []any{}
	for n := range issueTypes {
		out = append(out, c.issueTypeBean(&issueTypes[n]))
	}
	c.json(http.StatusOK, out)
}

func (c *rc) resolutionList() {
	out := []any{}
	for _, r := range resolutions {
		out = append(out, c.resolutionBean(r.ID))
	}
	c.json(http.StatusOK, out)
}

func (c *rc) customFieldOption() {
	id := c.r.PathValue("id")
	for _, f := range fieldDefs {
		for _, o := range f.Options {
			if o.ID == id {
				c.json(http.StatusOK, obj{"self": c.base + "/rest/api/2/customFieldOption/" + o.ID, "value": o.Value, "id": o.ID})
				return
			}
		}
	}
	c.fail(http.StatusNotFound, fmt.Sprintf("A custom field option with id '%s' does not exist", id))
}

func (c *rc) notFoundAny() {
	c.fail(http.StatusNotFound, "null for uri: "+c.base+strings.TrimPrefix(c.r.URL.Path, c.i.cp))
}

func (i *Instance) routes() *http.ServeMux {
	mux := http.NewServeMux()
	h := func(p string, f func(*rc)) { i.handle(mux, p, f) }
	const api = "/rest/api/2"
	h("GET "+api+"/serverInfo", (*rc).serverInfo)
	h("GET "+api+"/myself", (*rc).myself)
	h("GET "+api+"/user", (*rc).getUser)
	h("GET "+api+"/user/search", (*rc).userSearch)
	h("GET "+api+"/user/picker", (*rc).userPicker)
	h("GET "+api+"/user/assignable/search", (*rc).assignableSearch)
	h("GET "+api+"/field", (*rc).fieldList)
	h("GET "+api+"/project", (*rc).projectList)
	h("GET "+api+"/project/{id}", (*rc).getProject)
	h("GET "+api+"/project/{id}/components", (*rc).projectComponents)
	h("GET "+api+"/project/{id}/versions", (*rc).projectVersions)
	h("GET "+api+"/project/{id}/statuses", (*rc).projectStatuses)
	h("GET "+api+"/priority", (*rc).priorityList)
	h("GET "+api+"/status", (*rc).statusList)
	h("GET "+api+"/issuetype", (*rc).issueTypeList)
	h("GET "+api+"/resolution", (*rc).resolutionList)
	h("GET "+api+"/customFieldOption/{id}", (*rc).customFieldOption)
	h("GET "+api+"/search", (*rc).searchGet)
	h("POST "+api+"/search", (*rc).searchPost)
	h("POST "+api+"/issue", (*rc).createIssue)
	h("GET "+api+"/issue/{id}", (*rc).getIssue)
	h("PUT "+api+"/issue/{id}", (*rc).editIssue)
	h("DELETE "+api+"/issue/{id}", (*rc).deleteIssue)
	h("GET "+api+"/issue/{id}/transitions", (*rc).getTransitions)
	h("POST "+api+"/issue/{id}/transitions", (*rc).doTransition)
	h("GET "+api+"/issue/{id}/editmeta", (*rc).editMeta)
	h("GET "+api+"/issue/createmeta/{id}/issuetypes", (*rc).createMetaTypes)
	h("GET "+api+"/issue/createmeta/{id}/issuetypes/{id2}", (*rc).createMetaFields)
	h("GET "+api+"/issue/{id}/{kind}/{id2}", (*rc).issueSubGet)
	h("GET "+api+"/issue/{id}/comment", (*rc).listComments)
	h("POST "+api+"/issue/{id}/comment", (*rc).addComment)
	h("PUT "+api+"/issue/{id}/comment/{id2}", (*rc).updateComment)
	h("DELETE "+api+"/issue/{id}/comment/{id2}", (*rc).deleteComment)
	h("POST "+api+"/issue/{id}/attachments", (*rc).addAttachments)
	h("GET "+api+"/attachment/meta", (*rc).attachmentMeta)
	h("GET "+api+"/attachment/{id}", (*rc).getAttachment)
	h("DELETE "+api+"/attachment/{id}", (*rc).deleteAttachment)
	h("GET /browse/{key}", (*rc).browse)
	h("GET /secure/attachment/{id}/{id2}", (*rc).attachmentContent)
	// Jira finds the file by id alone; go-jira's DownloadAttachment omits the name.
	h("GET /secure/attachment/{id}/{$}", (*rc).attachmentContent)
	h("GET "+api+"/issue/{id}/properties", (*rc).listProperties)
	h("PUT "+api+"/issue/{id}/properties/{id2}", (*rc).putProperty)
	h("DELETE "+api+"/issue/{id}/properties/{id2}", (*rc).deleteProperty)
	const sd = "/rest/servicedeskapi"
	h("GET "+sd+"/servicedesk", (*rc).serviceDesks)
	h("GET "+sd+"/servicedesk/{id}/requesttype", (*rc).requestTypes)
	h("GET "+sd+"/organization", (*rc).organizations)
	h("GET "+sd+"/request/{id}/comment", (*rc).requestComments)
	h("POST "+sd+"/request/{id}/comment", (*rc).addRequestComment)
	h("GET "+sd+"/request/{id}/comment/{id2}", (*rc).requestComment)
	h("GET "+api+"/comment/{id}/properties", (*rc).commentPropertyKeys)
	h("GET "+api+"/comment/{id}/properties/{key}", (*rc).getCommentProperty)
	h("PUT "+api+"/comment/{id}/properties/{key}", (*rc).putCommentProperty)
	h("DELETE "+api+"/comment/{id}/properties/{key}", (*rc).deleteCommentProperty)
	h("GET "+api+"/issue/{id}/remotelink", (*rc).listLinks)
	h("POST "+api+"/issue/{id}/remotelink", (*rc).createLink)
	h("DELETE "+api+"/issue/{id}/remotelink", (*rc).deleteLinkByGlobalID)
	h("PUT "+api+"/issue/{id}/remotelink/{id2}", (*rc).updateLink)
	h("DELETE "+api+"/issue/{id}/remotelink/{id2}", (*rc).deleteLink)
	h("GET "+api+"/issue/{id}/worklog", (*rc).listWorklogs)
	h("POST "+api+"/issue/{id}/worklog", (*rc).addWorklog)
	h("PUT "+api+"/issue/{id}/worklog/{id2}", (*rc).updateWorklog)
	h("DELETE "+api+"/issue/{id}/worklog/{id2}", (*rc).deleteWorklog)
	h("GET "+api+"/issue/{id}/subtask", (*rc).listSubtasks)
	h("GET "+api+"/securitylevel/{id}", (*rc).getSecurityLevel)
	h("GET "+api+"/project/{id}/securitylevel", (*rc).projectSecurityLevels)
	h("GET "+api+"/issueLinkType", (*rc).issueLinkTypes)
	h("GET "+api+"/issueLinkType/{id}", (*rc).issueLinkType)
	h("POST "+api+"/issueLink", (*rc).createIssueLink)
	h("GET "+api+"/issueLink/{id}", (*rc).getIssueLink)
	h("DELETE "+api+"/issueLink/{id}", (*rc).deleteIssueLink)
	h("GET "+api+"/issue/{id}/watchers", (*rc).getWatchers)
	h("POST "+api+"/issue/{id}/watchers", (*rc).addWatcher)
	h("DELETE "+api+"/issue/{id}/watchers", (*rc).removeWatcher)
	h("PUT "+api+"/issue/{id}/assignee", (*rc).assign)
	h("POST "+api+"/issue/bulk", (*rc).bulkCreate)
	h("GET "+api+"/worklog/updated", (*rc).worklogsUpdated)
	h("GET "+api+"/worklog/deleted", (*rc).worklogsDeleted)
	h("POST "+api+"/worklog/list", (*rc).worklogList)
	h("/", (*rc).notFoundAny)
	return mux
}

// issueSubGet dispatches GET /issue/{id}/{kind}/{id2}: one pattern so that the
// 9.x createmeta paths can coexist with it in the mux.
func (c *rc) issueSubGet() {
	switch c.r.PathValue("kind") {
	case "comment":
		c.getComment()
	case "properties":
		c.getProperty()
	case "remotelink":
		c.getLink()
	case "worklog":
		c.getWorklog()
	default:
		c.notFoundAny()
	}
}
