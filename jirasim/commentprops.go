package jirasim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Comment entity properties: set on create ("properties" in the comment bean), read with
// expand=properties on the comment resources, and changed through /rest/api/2/comment/{id}/properties.
//
// What a property change does to `updated`: Jira keeps entity properties in their own table and
// the documentation says nothing of the comment's or the issue's `updated`; no capture shows it
// either way. The emulator bumps the issue's `updated` (and reindexes) so that a poll sees a
// service desk comment turned internal or public, and leaves the comment's own `updated` and the
// changelog alone (entity properties write no history). A client must therefore read
// expand=properties rather than trust the comment's `updated` to notice such a change.

// propIn is one {"key":..,"value":..} of a create or edit body.
type propIn struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// setProps stores properties given in a comment body (the map must already be the comment's own).
func (cm *comment) setProps(ps []propIn) {
	for _, p := range ps {
		cm.setProp(p.Key, p.Value)
	}
}

func (cm *comment) setProp(key string, value json.RawMessage) (created bool) {
	if cm.props == nil {
		cm.props = map[string]json.RawMessage{}
	}
	_, exists := cm.props[key]
	if !exists {
		cm.propOrder = append(cm.propOrder, key)
	}
	cm.props[key] = append(json.RawMessage(nil), value...)
	return !exists
}

// copyProps gives a copied comment its own props map and key order.
func (cm *comment) copyProps() {
	props := make(map[string]json.RawMessage, len(cm.props))
	for k, v := range cm.props {
		props[k] = v
	}
	cm.props, cm.propOrder = props, append([]string(nil), cm.propOrder...)
}

// commentOut is the comment bean of the comment resources, with properties when expanded.
func (c *rc) commentOut(is *issue, cm *comment, st *state) obj {
	o := c.commentBean(is, cm, st)
	if hasExpand(c.q("expand"), "properties") {
		ps := make([]any, 0, len(cm.propOrder))
		for _, k := range cm.propOrder {
			ps = append(ps, obj{"key": k, "value": cm.props[k]})
		}
		o["properties"] = ps
	}
	return o
}

// commentByID finds a comment the caller may see on a live issue they may see.
func (c *rc) commentByID(st *state, ref string) (*issue, int, *comment) {
	id, err := strconv.ParseInt(ref, 10, 64)
	if err == nil && c.u != nil {
		for _, is := range st.issues {
			if is.deleted {
				continue
			}
			for n, cm := range is.comments {
				if cm.id == id && c.canSee(is.proj, cm.visType, cm.visValue) {
					return is, n, cm
				}
			}
		}
	}
	c.fail(http.StatusNotFound, "Can not find a comment for the id: "+ref+".")
	return nil, -1, nil
}

// canEditComment is the default permission scheme: Edit Own Comments for everyone, Edit All
// Comments for project and Jira administrators.
func (c *rc) canEditComment(is *issue, cm *comment) bool {
	return c.u != nil && (cm.author == c.u.key || c.u.admin || is.proj.admins[c.u.key])
}

func (c *rc) commentPropertyKeys() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	_, _, cm := c.commentByID(c.i.st, c.r.PathValue("id"))
	if cm == nil {
		return
	}
	keys := make([]any, 0, len(cm.propOrder))
	for _, k := range cm.propOrder {
		keys = append(keys, obj{"self": c.base + "/rest/api/2/comment/" + strconv.FormatInt(cm.id, 10) + "/properties/" + k, "key": k})
	}
	c.json(http.StatusOK, obj{"keys": keys})
}

func (c *rc) getCommentProperty() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	_, _, cm := c.commentByID(c.i.st, c.r.PathValue("id"))
	if cm == nil {
		return
	}
	k := c.r.PathValue("key")
	v, ok := cm.props[k]
	if !ok {
		c.fail(http.StatusNotFound, fmt.Sprintf("The property with key '%s' does not exist.", k))
		return
	}
	c.json(http.StatusOK, obj{"key": k, "value": v})
}

func (c *rc) putCommentProperty() {
	body, _ := io.ReadAll(c.r.Body)
	c.i.mu.Lock()
	defer c.i.mu.Unlock()
	st := c.i.st
	is, n, cm := c.commentByID(st, c.r.PathValue("id"))
	if cm == nil {
		return
	}
	k := c.r.PathValue("key")
	if msg := validProperty(k, body); msg != "" {
		c.fail(http.StatusBadRequest, msg)
		return
	}
	if !c.canEditComment(is, cm) {
		c.fail(http.StatusForbidden, "You do not have the permission to edit this comment.")
		return
	}
	cp := *cm
	cp.copyProps()
	created := cp.setProp(k, body)
	is.comments = append(append(is.comments[:n:n], &cp), is.comments[n+1:]...)
	c.touch(st, is, nil)
	if created {
		c.w.WriteHeader(http.StatusCreated)
	} else {
		c.w.WriteHeader(http.StatusOK)
	}
}

func (c *rc) deleteCommentProperty() {
	c.i.mu.Lock()
	defer c.i.mu.Unlock()
	st := c.i.st
	is, n, cm := c.commentByID(st, c.r.PathValue("id"))
	if cm == nil {
		return
	}
	k := c.r.PathValue("key")
	if _, ok := cm.props[k]; !ok {
		c.fail(http.StatusNotFound, fmt.Sprintf("The property with key '%s' does not exist.", k))
		return
	}
	if !c.canEditComment(is, cm) {
		c.fail(http.StatusForbidden, "You do not have the permission to edit this comment.")
		return
	}
	cp := *cm
	cp.copyProps()
	delete(cp.props, k)
	for i, x := range cp.propOrder {
		if x == k {
			cp.propOrder = append(cp.propOrder[:i:i], cp.propOrder[i+1:]...)
			break
		}
	}
	is.comments = append(append(is.comments[:n:n], &cp), is.comments[n+1:]...)
	c.touch(st, is, nil)
	c.noContent()
}
