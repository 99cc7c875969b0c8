package jirasim

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Issue links between two issues of one instance, as Jira Server/DC 9.x has them.
//
// A link goes from a source to a destination and reads "source <outward> destination"
// ("A-1 blocks A-2"). POST /issueLink names the source inwardIssue and the destination
// outwardIssue (the request reads "inwardIssue <outward> outwardIssue": each issue under the
// name it has when seen from the other one), as real Jira does: JRJC's LinkIssuesInput sends
// its from issue as inwardIssue, and clients that assumed the opposite got reversed links on
// Server/DC and Cloud. GET /issueLink/{id} names them the same way (unverified on a real Jira:
// read a link's direction from an issue's issuelinks). In an issue bean each link is seen
// from that issue: on the source
// the entry carries outwardIssue (the destination: "this issue blocks A-2"), on the
// destination it carries inwardIssue (the source: "this issue is blocked by A-1").
// Creating or deleting a link writes a "Link" changelog item on both issues and bumps
// both issues' updated, as Jira does. A link whose end was deleted is gone.

type linkTypeDef struct{ ID, Name, Inward, Outward string }

// The link types of a stock Jira Server/DC.
var linkTypes = []linkTypeDef{
	{"10000", "Blocks", "is blocked by", "blocks"},
	{"10001", "Cloners", "is cloned by", "clones"},
	{"10002", "Duplicate", "is duplicated by", "duplicates"},
	{"10003", "Relates", "relates to", "relates to"},
}

func findLinkType(id, name string) *linkTypeDef {
	for n := range linkTypes {
		t := &linkTypes[n]
		if (id != "" && t.ID == id) || (id == "" && name != "" && t.Name == name) {
			return t
		}
	}
	return nil
}

type issueLink struct {
	id       int64
	typ      *linkTypeDef
	src, dst int64 // issue ids: src <outward> dst
}

func (c *rc) linkTypeBean(t *linkTypeDef) obj {
	return obj{"id": t.ID, "name": t.Name, "inward": t.Inward, "outward": t.Outward,
		"self": c.base + "/rest/api/2/issueLinkType/" + t.ID}
}

func (c *rc) issueLinkTypes() {
	if c.u == nil {
		c.notAuthenticated()
		return
	}
	out := make([]any, 0, len(linkTypes))
	for n := range linkTypes {
		out = append(out, c.linkTypeBean(&linkTypes[n]))
	}
	c.json(http.StatusOK, obj{"issueLinkTypes": out})
}

func (c *rc) issueLinkType() {
	if c.u == nil {
		c.notAuthenticated()
		return
	}
	id := c.r.PathValue("id")
	t := findLinkType(id, "")
	if t == nil {
		c.fail(http.StatusNotFound, fmt.Sprintf("No issue link type with id '%s' found.", id))
		return
	}
	c.json(http.StatusOK, c.linkTypeBean(t))
}

// liveLink returns the link with both ends live and visible to the caller, or nil.
func (c *rc) liveLink(st *state, id int64) (l *issueLink, src, dst *issue) {
	l = st.issueLinks[id]
	if l == nil {
		return nil, nil, nil
	}
	src, dst = c.visibleIssue(st, strconv.FormatInt(l.src, 10)), c.visibleIssue(st, strconv.FormatInt(l.dst, 10))
	if src == nil || dst == nil {
		return nil, nil, nil
	}
	return l, src, dst
}

// issueLinksOf returns the live links of an issue in id order, for its bean.
func (c *rc) issueLinksOf(st *state, is *issue) []any {
	ids := make([]int64, 0)
	for id, l := range st.issueLinks {
		if l.src == is.id || l.dst == is.id {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := []any{}
	for _, id := range ids {
		l, src, dst := c.liveLink(st, id)
		if l == nil {
			continue
		}
		o := obj{"id": strconv.FormatInt(l.id, 10), "self": c.base + "/rest/api/2/issueLink/" + strconv.FormatInt(l.id, 10),
			"type": c.linkTypeBean(l.typ)}
		if src.id == is.id {
			o["outwardIssue"] = c.issueRef(st, dst)
		} else {
			o["inwardIssue"] = c.issueRef(st, src)
		}
		out = append(out, o)
	}
	return out
}

type linkIn struct {
	Type *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"type"`
	InwardIssue  *struct{ ID, Key string } `json:"inwardIssue"`
	OutwardIssue *struct{ ID, Key string } `json:"outwardIssue"`
	Comment      *commentIn                `json:"comment"`
}

func issueRefOf(r *struct{ ID, Key string }) string {
	if r == nil {
		return ""
	}
	if r.Key != "" {
		return r.Key
	}
	return r.ID
}

// linkItems are the "Link" changelog items Jira writes on the source and the destination.
func linkItems(l *issueLink, src, dst *issue, add bool) (onSrc, onDst []histItem) {
	s := histItem{Field: "Link", FieldType: "jira"}
	d := s
	sv, sd := sp(dst.key), sp("This issue "+l.typ.Outward+" "+dst.key)
	dv, dd := sp(src.key), sp("This issue "+l.typ.Inward+" "+src.key)
	if add {
		s.To, s.ToString, d.To, d.ToString = sv, sd, dv, dd
	} else {
		s.From, s.FromString, d.From, d.FromString = sv, sd, dv, dd
	}
	return []histItem{s}, []histItem{d}
}

func (c *rc) createIssueLink() {
	if c.u == nil {
		c.notAuthenticated()
		return
	}
	var in linkIn
	if !c.decode(&in) {
		return
	}
	if in.Type == nil || (in.Type.ID == "" && in.Type.Name == "") {
		c.fail(http.StatusBadRequest, "Issue link type is required.")
		return
	}
	if in.InwardIssue == nil || in.OutwardIssue == nil || issueRefOf(in.InwardIssue) == "" || issueRefOf(in.OutwardIssue) == "" {
		c.fail(http.StatusBadRequest, "Both inwardIssue and outwardIssue are required.")
		return
	}
	c.i.mu.Lock()
	defer c.i.mu.Unlock()
	st := c.i.st
	t := findLinkType(in.Type.ID, in.Type.Name)
	if t == nil {
		if in.Type.ID != "" {
			c.fail(http.StatusNotFound, fmt.Sprintf("No issue link type with id '%s' found.", in.Type.ID))
		} else {
			c.fail(http.StatusNotFound, fmt.Sprintf("No issue link type with name '%s' found.", in.Type.Name))
		}
		return
	}
	src, dst := c.visibleIssue(st, issueRefOf(in.InwardIssue)), c.visibleIssue(st, issueRefOf(in.OutwardIssue))
	if src == nil || dst == nil {
		c.notFoundIssue()
		return
	}
	var cop *commentOp
	if in.Comment != nil && in.Comment.Body != nil {
		co := commentOp{op: "add", body: *in.Comment.Body}
		if v := in.Comment.Visibility; v != nil {
			if msg := validVisibility(v.Type, v.Value); msg != "" {
				c.json(http.StatusBadRequest, fieldErrs(map[string]string{"comment": msg}))
				return
			}
			co.visType, co.visValue = v.Type, v.Value
		}
		cop = &co
	}
	if st.issueLinks == nil {
		st.issueLinks = map[int64]*issueLink{}
	}
	for _, old := range st.issueLinks {
		if old.src == src.id && old.dst == dst.id && old.typ == t {
			// Jira answers 201 for a link that exists and adds nothing (but the comment).
			if cop != nil {
				c.applyCommentOps(st, src, []commentOp{*cop})
				c.touch(st, src, nil)
			}
			c.w.WriteHeader(http.StatusCreated)
			return
		}
	}
	if st.seq["issuelink"] == 0 {
		st.seq["issuelink"] = 10599
	}
	l := &issueLink{id: st.next("issuelink"), typ: t, src: src.id, dst: dst.id}
	st.issueLinks[l.id] = l
	onSrc, onDst := linkItems(l, src, dst, true)
	if cop != nil {
		c.applyCommentOps(st, src, []commentOp{*cop})
	}
	c.touch(st, src, onSrc)
	if dst != src {
		c.touch(st, dst, onDst)
	}
	c.w.WriteHeader(http.StatusCreated)
}

func (c *rc) linkByPath(st *state) (*issueLink, *issue, *issue) {
	raw := c.r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	var l *issueLink
	var src, dst *issue
	if err == nil && c.u != nil {
		l, src, dst = c.liveLink(st, id)
	}
	if l == nil {
		c.fail(http.StatusNotFound, fmt.Sprintf("No issue link with id '%s' exists.", raw))
	}
	return l, src, dst
}

func (c *rc) getIssueLink() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	st := c.i.st
	l, src, dst := c.linkByPath(st)
	if l == nil {
		return
	}
	id := strconv.FormatInt(l.id, 10)
	c.json(http.StatusOK, obj{"id": id, "self": c.base + "/rest/api/2/issueLink/" + id, "type": c.linkTypeBean(l.typ),
		"inwardIssue": c.issueRef(st, src), "outwardIssue": c.issueRef(st, dst)})
}

func (c *rc) deleteIssueLink() {
	c.i.mu.Lock()
	defer c.i.mu.Unlock()
	st := c.i.st
	l, src, dst := c.linkByPath(st)
	if l == nil {
		return
	}
	delete(st.issueLinks, l.id)
	onSrc, onDst := linkItems(l, src, dst, false)
	c.touch(st, src, onSrc)
	if dst != src {
		c.touch(st, dst, onDst)
	}
	c.noContent()
}

// LinkedTo answers JQL linkedIssues(key[, linkType]): is this issue linked to key? linkType
// is a link description as seen from key ("blocks": key blocks this issue) or a type name.
func (d *jdoc) LinkedTo(key, linkType string) bool {
	other := d.st.issue(key)
	if other == nil {
		return false
	}
	for _, l := range d.st.issueLinks {
		var desc string
		switch {
		case l.src == other.id && l.dst == d.is.id:
			desc = l.typ.Outward
		case l.dst == other.id && l.src == d.is.id:
			desc = l.typ.Inward
		default:
			continue
		}
		if linkType == "" || strings.EqualFold(linkType, desc) || strings.EqualFold(linkType, l.typ.Name) {
			return true
		}
	}
	return false
}
