package jirasim

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func validVisibility(typ, value string) string {
	switch typ {
	case "":
		return ""
	case "group":
		for _, g := range knownGroups {
			if strings.EqualFold(g, value) {
				return ""
			}
		}
		return fmt.Sprintf("Group: %s does not exist.", value)
	case "role":
		for _, r := range knownRoles {
			if strings.EqualFold(r, value) {
				return ""
			}
		}
		return fmt.Sprintf("You are currently not a member of the project role: %s.", value)
	}
	return "Invalid visibility type: " + typ
}

type visibility struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type commentIn struct {
	Body       *string     `json:"body"`
	Visibility *visibility `json:"visibility"`
	Properties []propIn    `json:"properties"`
}

// withIssue runs f on a visible issue under the write (or read) lock.
func (c *rc) withIssue(write bool, f func(st *state, is *issue)) {
	if write {
		c.i.mu.Lock()
		defer c.i.mu.Unlock()
	} else {
		c.i.mu.RLock()
		defer c.i.mu.RUnlock()
	}
	is := c.visibleIssue(c.i.st, c.r.PathValue("id"))
	if is == nil {
		c.notFoundIssue()
		return
	}
	f(c.i.st, is)
}

// ---- comments ----

func (c *rc) listComments() {
	c.withIssue(false, func(st *state, is *issue) {
		cms := c.visibleComments(is)
		if strings.TrimPrefix(c.q("orderBy"), "+") == "-created" {
			rev := make([]*comment, len(cms))
			for n, cm := range cms {
				rev[len(cms)-1-n] = cm
			}
			cms = rev
		}
		startAt := max(0, c.intParam("startAt", 0))
		maxResults := c.intParam("maxResults", 5000)
		if maxResults <= 0 || maxResults > 5000 {
			maxResults = 5000
		}
		pg := page(cms, startAt, maxResults)
		out := make([]any, 0, len(pg))
		for _, cm := range pg {
			out = append(out, c.commentOut(is, cm, st))
		}
		if c.q("maxResults") == "" {
			maxResults = len(out)
		}
		c.json(http.StatusOK, obj{"startAt": startAt, "maxResults": maxResults, "total": len(cms), "comments": out})
	})
}

func (c *rc) findComment(is *issue) (int, *comment) {
	for n, cm := range is.comments {
		if strconv.FormatInt(cm.id, 10) == c.r.PathValue("id2") && c.canSee(is.proj, cm.visType, cm.visValue) {
			return n, cm
		}
	}
	c.fail(http.StatusNotFound, "Can not find a comment for the id: "+c.r.PathValue("id2")+".")
	return -1, nil
}

func (c *rc) readCommentIn(create bool) (commentIn, bool) {
	var in commentIn
	if !c.decode(&in) {
		return in, false
	}
	if (create || in.Body != nil) && (in.Body == nil || strings.TrimSpace(*in.Body) == "") {
		c.json(http.StatusBadRequest, fieldErrs(map[string]string{"comment": "Comment body can not be empty!"}))
		return in, false
	}
	if in.Visibility != nil {
		if msg := validVisibility(in.Visibility.Type, in.Visibility.Value); msg != "" {
			c.json(http.StatusBadRequest, fieldErrs(map[string]string{"commentLevel": msg}))
			return in, false
		}
	}
	for _, p := range in.Properties {
		if msg := validProperty(p.Key, p.Value); msg != "" {
			c.fail(http.StatusBadRequest, msg)
			return in, false
		}
	}
	return in, true
}

func (c *rc) addComment() {
	in, ok := c.readCommentIn(true)
	if !ok {
		return
	}
	c.withIssue(true, func(st *state, is *issue) {
		now := c.i.now()
		cm := &comment{id: st.next("comment"), author: c.u.key, updateAuthor: c.u.key, body: *in.Body, created: now, updated: now}
		if in.Visibility != nil {
			cm.visType, cm.visValue = in.Visibility.Type, in.Visibility.Value
		}
		cm.setProps(in.Properties)
		is.comments = append(is.comments, cm)
		c.touch(st, is, nil)
		c.json(http.StatusCreated, c.commentOut(is, cm, st))
	})
}

func (c *rc) getComment() {
	c.withIssue(false, func(st *state, is *issue) {
		if _, cm := c.findComment(is); cm != nil {
			c.json(http.StatusOK, c.commentOut(is, cm, st))
		}
	})
}

func (c *rc) updateComment() {
	in, ok := c.readCommentIn(false)
	if !ok {
		return
	}
	c.withIssue(true, func(st *state, is *issue) {
		n, cm := c.findComment(is)
		if cm == nil {
			return
		}
		cp := *cm
		if in.Body != nil {
			cp.body = *in.Body
		}
		if in.Visibility != nil {
			cp.visType, cp.visValue = in.Visibility.Type, in.Visibility.Value
		}
		cp.updateAuthor, cp.updated = c.u.key, c.i.now()
		cp.copyProps()
		cp.setProps(in.Properties)
		is.comments = append(append(is.comments[:n:n], &cp), is.comments[n+1:]...)
		c.touch(st, is, nil)
		c.json(http.StatusOK, c.commentOut(is, &cp, st))
	})
}

func (c *rc) deleteComment() {
	c.withIssue(true, func(st *state, is *issue) {
		n, cm := c.findComment(is)
		if cm == nil {
			return
		}
		is.comments = append(is.comments[:n:n], is.comments[n+1:]...)
		c.touch(st, is, nil)
		c.noContent()
	})
}

// ---- attachments ----

func xsrfOK(r *http.Request) bool {
	v := strings.ToLower(r.Header.Get("X-Atlassian-Token"))
	return v == "no-check" || v == "nocheck"
}

func (c *rc) addAttachments() {
	if !xsrfOK(c.r) {
		c.w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		c.w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(c.w, "XSRF check failed")
		return
	}
	mr, err := c.r.MultipartReader()
	if err != nil {
		c.fail(http.StatusBadRequest, "The request is not a multipart request: "+err.Error())
		return
	}
	type upload struct {
		name, mime string
		data       []byte
	}
	var ups []upload
	limit := c.i.opts.UploadLimit
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			c.fail(http.StatusBadRequest, "Could not read the multipart request: "+err.Error())
			return
		}
		if part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, limit+1))
		if err != nil {
			c.fail(http.StatusBadRequest, "Could not read the multipart request: "+err.Error())
			return
		}
		if int64(len(data)) > limit {
			c.fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("The file '%s' is too large to attach: the limit is %d bytes.", part.FileName(), limit))
			return
		}
		mt := part.Header.Get("Content-Type")
		if mt == "" || mt == "application/octet-stream" {
			if byExt := mime.TypeByExtension(filepath.Ext(part.FileName())); byExt != "" {
				mt = byExt
			} else if mt == "" {
				mt = http.DetectContentType(data)
			}
		}
		if i := strings.Index(mt, ";"); i > 0 && !strings.HasPrefix(mt, "text/") {
			mt = mt[:i]
		}
		ups = append(ups, upload{name: part.FileName(), mime: mt, data: data})
	}
	if len(ups) == 0 {
		c.fail(http.StatusBadRequest, "No file was attached: the multipart request needs a part named 'file'.")
		return
	}
	c.withIssue(true, func(st *state, is *issue) {
		now := c.i.now()
		out := make([]any, 0, len(ups))
		var items []histItem
		for _, u := range ups {
			a := &attachment{id: st.next("attachment"), filename: u.name, author: c.u.key, created: now, mime: u.mime, data: u.data}
			is.attachments = append(is.attachments, a)
			st.attachIdx[a.id] = is
			items = append(items, histItem{Field: "Attachment", FieldType: "jira", To: sp(strconv.FormatInt(a.id, 10)), ToString: sp(a.filename)})
			out = append(out, c.attachmentBean(is, a, st))
		}
		c.touch(st, is, items)
		c.json(http.StatusOK, out)
	})
}

func (c *rc) findAttachment(st *state) (*issue, int, *attachment) {
	id, _ := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if is := st.attachIdx[id]; is != nil && !is.deleted && c.u != nil {
		for n, a := range is.attachments {
			if a.id == id {
				return is, n, a
			}
		}
	}
	c.fail(http.StatusNotFound, fmt.Sprintf("Attachment with id '%s' does not exist.", c.r.PathValue("id")))
	return nil, -1, nil
}

func (c *rc) getAttachment() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	if is, _, a := c.findAttachment(c.i.st); a != nil {
		c.json(http.StatusOK, c.attachmentBean(is, a, c.i.st))
	}
}

func (c *rc) deleteAttachment() {
	c.i.mu.Lock()
	defer c.i.mu.Unlock()
	st := c.i.st
	is, n, a := c.findAttachment(st)
	if a == nil {
		return
	}
	is.attachments = append(is.attachments[:n:n], is.attachments[n+1:]...)
	delete(st.attachIdx, a.id)
	c.touch(st, is, []histItem{{Field: "Attachment", FieldType: "jira", From: sp(strconv.FormatInt(a.id, 10)), FromString: sp(a.filename)}})
	c.noContent()
}

func (c *rc) attachmentMeta() {
	c.json(http.StatusOK, obj{"enabled": true, "uploadLimit": c.i.opts.UploadLimit})
}

func (c *rc) attachmentContent() {
	c.i.mu.RLock()
	id, _ := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	var a *attachment
	if is := c.i.st.attachIdx[id]; is != nil && !is.deleted && c.u != nil {
		for _, x := range is.attachments {
			if x.id == id {
				a = x
			}
		}
	}
	c.i.mu.RUnlock()
	if a == nil {
		c.w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		c.w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(c.w, "<html><body><h1>Attachment not found</h1></body></html>")
		return
	}
	c.w.Header().Set("Content-Type", a.mime)
	c.w.Header().Set("Content-Length", strconv.Itoa(len(a.data)))
	c.w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.filename}))
	c.w.WriteHeader(http.StatusOK)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(a.data)
	}
}

// ---- entity properties ----

func (c *rc) listProperties() {
	c.withIssue(false, func(st *state, is *issue) {
		keys := make([]any, 0, len(is.propOrder))
		for _, k := range is.propOrder {
			keys = append(keys, obj{"self": c.base + "/rest/api/2/issue/" + strconv.FormatInt(is.id, 10) + "/properties/" + k, "key": k})
		}
		c.json(http.StatusOK, obj{"keys": keys})
	})
}

func (c *rc) getProperty() {
	c.withIssue(false, func(st *state, is *issue) {
		k := c.r.PathValue("id2")
		v, ok := is.props[k]
		if !ok {
			c.fail(http.StatusNotFound, fmt.Sprintf("The property with key '%s' does not exist.", k))
			return
		}
		c.json(http.StatusOK, obj{"key": k, "value": v})
	})
}

func (c *rc) putProperty() {
	body, _ := io.ReadAll(c.r.Body)
	k := c.r.PathValue("id2")
	if msg := validProperty(k, body); msg != "" {
		c.fail(http.StatusBadRequest, msg)
		return
	}
	c.withIssue(true, func(st *state, is *issue) {
		_, exists := is.props[k]
		if !exists {
			is.propOrder = append(is.propOrder, k)
		}
		is.props[k] = append(json.RawMessage(nil), body...)
		if exists {
			c.w.WriteHeader(http.StatusOK)
		} else {
			c.w.WriteHeader(http.StatusCreated)
		}
	})
}

func (c *rc) deleteProperty() {
	c.withIssue(true, func(st *state, is *issue) {
		k := c.r.PathValue("id2")
		if _, ok := is.props[k]; !ok {
			c.fail(http.StatusNotFound, fmt.Sprintf("The property with key '%s' does not exist.", k))
			return
		}
		delete(is.props, k)
		for n, x := range is.propOrder {
			if x == k {
				is.propOrder = append(is.propOrder[:n:n], is.propOrder[n+1:]...)
				break
			}
		}
		c.noContent()
	})
}

// ---- remote links ----

func (c *rc) linkBean(is *issue, l *remoteLink) obj {
	o := obj{"id": l.id, "self": c.base + "/rest/api/2/issue/" + is.key + "/remotelink/" + strconv.FormatInt(l.id, 10)}
	if l.globalID != "" {
		o["globalId"] = l.globalID
	}
	for k, v := range l.body {
		o[k] = v
	}
	return o
}

func linkTitle(l *remoteLink) string {
	var o struct {
		Title string `json:"title"`
	}
	_ = json.Unmarshal(l.body["object"], &o)
	return o.Title
}

func (c *rc) listLinks() {
	c.withIssue(false, func(st *state, is *issue) {
		if g := c.q("globalId"); g != "" {
			for _, l := range is.links {
				if l.globalID == g {
					c.json(http.StatusOK, c.linkBean(is, l))
					return
				}
			}
			c.fail(http.StatusNotFound, "No remote link with the given global id was found.")
			return
		}
		out := make([]any, 0, len(is.links))
		for _, l := range is.links {
			out = append(out, c.linkBean(is, l))
		}
		c.json(http.StatusOK, out)
	})
}

func (c *rc) readLink() (*remoteLink, bool) {
	var in map[string]json.RawMessage
	if !c.decode(&in) {
		return nil, false
	}
	l := &remoteLink{body: map[string]json.RawMessage{}}
	if g, ok := in["globalId"]; ok {
		l.globalID, _ = rawString(g)
	}
	for _, k := range []string{"application", "relationship", "object"} {
		if v, ok := in[k]; ok {
			l.body[k] = v
		}
	}
	var o struct {
		URL   string `json:"url"`
		Title string `json:"title"`
	}
	errs := map[string]string{}
	if err := json.Unmarshal(l.body["object"], &o); err != nil || o.URL == "" {
		errs["url"] = "'url' is required."
	}
	if o.Title == "" {
		errs["title"] = "'title' is required."
	}
	if len(errs) > 0 {
		c.json(http.StatusBadRequest, fieldErrs(errs))
		return nil, false
	}
	return l, true
}

func (c *rc) createLink() {
	l, ok := c.readLink()
	if !ok {
		return
	}
	c.withIssue(true, func(st *state, is *issue) {
		status := http.StatusCreated
		if l.globalID != "" {
			for n, old := range is.links {
				if old.globalID == l.globalID {
					l.id = old.id
					is.links[n] = l
					status = http.StatusOK
				}
			}
		}
		if status == http.StatusCreated {
			l.id = st.next("link")
			is.links = append(is.links, l)
		}
		id := strconv.FormatInt(l.id, 10)
		c.touch(st, is, []histItem{{Field: "RemoteIssueLink", FieldType: "jira", To: sp(id), ToString: sp(fmt.Sprintf("This issue links to \"%s\"", linkTitle(l)))}})
		c.json(status, obj{"id": l.id, "self": c.base + "/rest/api/2/issue/" + is.key + "/remotelink/" + id})
	})
}

func (c *rc) findLink(is *issue) int {
	for n, l := range is.links {
		if strconv.FormatInt(l.id, 10) == c.r.PathValue("id2") {
			return n
		}
	}
	c.fail(http.StatusNotFound, "No remote link with the given id was found.")
	return -1
}

func (c *rc) getLink() {
	c.withIssue(false, func(st *state, is *issue) {
		if n := c.findLink(is); n >= 0 {
			c.json(http.StatusOK, c.linkBean(is, is.links[n]))
		}
	})
}

func (c *rc) updateLink() {
	l, ok := c.readLink()
	if !ok {
		return
	}
	c.withIssue(true, func(st *state, is *issue) {
		n := c.findLink(is)
		if n < 0 {
			return
		}
		l.id = is.links[n].id
		is.links[n] = l
		id := strconv.FormatInt(l.id, 10)
		c.touch(st, is, []histItem{{Field: "RemoteIssueLink", FieldType: "jira", To: sp(id), ToString: sp(fmt.Sprintf("This issue links to \"%s\"", linkTitle(l)))}})
		c.noContent()
	})
}

func (c *rc) removeLinkAt(st *state, is *issue, n int) {
	l := is.links[n]
	is.links = append(is.links[:n:n], is.links[n+1:]...)
	id := strconv.FormatInt(l.id, 10)
	c.touch(st, is, []histItem{{Field: "RemoteIssueLink", FieldType: "jira", From: sp(id), FromString: sp(fmt.Sprintf("This issue links to \"%s\"", linkTitle(l)))}})
	c.noContent()
}

func (c *rc) deleteLink() {
	c.withIssue(true, func(st *state, is *issue) {
		if n := c.findLink(is); n >= 0 {
			c.removeLinkAt(st, is, n)
		}
	})
}

func (c *rc) deleteLinkByGlobalID() {
	c.withIssue(true, func(st *state, is *issue) {
		g := c.q("globalId")
		if g == "" {
			c.fail(http.StatusBadRequest, "The 'globalId' query parameter is required.")
			return
		}
		for n, l := range is.links {
			if l.globalID == g {
				c.removeLinkAt(st, is, n)
				return
			}
		}
		c.fail(http.StatusNotFound, "No remote link with the given global id was found.")
	})
}

var _ = sort.Strings
