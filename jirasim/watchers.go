package jirasim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Watchers and the assignee resource, as Jira Server/DC 9 has them:
//
//   - GET /issue/{k}/watchers: {self, isWatching, watchCount, watchers:[user]}.
//   - POST /issue/{k}/watchers with a JSON string body ("bob") adds that user, an empty body
//     the caller; 204. DELETE /issue/{k}/watchers?username=bob removes one; 204, 400 without
//     username. An unknown user is 404; adding or removing someone else needs Manage Watchers
//     (project administrators, Jira administrators) and answers 401 otherwise, as the Server
//     REST documentation says. Watching writes no changelog and leaves updated alone (the
//     index sees the change at once, for the watcher JQL clause).
//   - The creator and the reporter of a new issue watch it (Jira's autowatch default); the
//     Jira 8 capture shows watchCount 1 and isWatching true for the creator.
//   - PUT /issue/{k}/assignee {"name":"bob"} assigns (204), {"name":null} or {"name":""}
//     unassigns, {"name":"-1"} assigns the project's default assignee (its lead here). An
//     unknown or inactive user is 400 with errors.assignee. It writes the assignee changelog
//     item and bumps updated like an edit.

func (is *issue) autowatch(keys ...string) {
	for _, k := range keys {
		if k != "" && !contains(is.watchers, k) {
			is.watchers = append(is.watchers, k)
		}
	}
}

func (c *rc) watchesBean(is *issue) obj {
	return obj{"self": c.base + "/rest/api/2/issue/" + is.key + "/watchers", "watchCount": len(is.watchers),
		"isWatching": c.u != nil && contains(is.watchers, c.u.key)}
}

func (c *rc) getWatchers() {
	c.withIssue(false, func(st *state, is *issue) {
		o := c.watchesBean(is)
		out := make([]any, 0, len(is.watchers))
		for _, k := range is.watchers {
			out = append(out, c.userByKey(st, k))
		}
		o["watchers"] = out
		c.json(http.StatusOK, o)
	})
}

// watcherUser resolves the user a watcher call names, or answers 404.
func (c *rc) watcherUser(st *state, name string) *user {
	u := st.userByName[strings.ToLower(name)]
	if u == nil {
		c.fail(http.StatusNotFound, fmt.Sprintf("The user \"%s\" does not exist.", name))
	}
	return u
}

func (c *rc) mayManageWatchers(is *issue, u *user) bool {
	if u == c.u || c.u.admin || is.proj.admins[c.u.key] {
		return true
	}
	c.fail(http.StatusUnauthorized, "You do not have the permission to manage the watcher list.")
	return false
}

func (c *rc) addWatcher() {
	var name string
	raw, _ := io.ReadAll(c.r.Body)
	if len(strings.TrimSpace(string(raw))) > 0 {
		if err := json.Unmarshal(raw, &name); err != nil {
			c.fail(http.StatusBadRequest, "Can not deserialize instance of java.lang.String out of START_OBJECT token")
			return
		}
	}
	c.withIssue(true, func(st *state, is *issue) {
		u := c.u
		if name != "" {
			if u = c.watcherUser(st, name); u == nil {
				return
			}
		}
		if !c.mayManageWatchers(is, u) {
			return
		}
		is.autowatch(u.key)
		st.reindex(is, c.i.now(), time.Duration(c.i.knobs.Get().IndexLag))
		c.noContent()
	})
}

func (c *rc) removeWatcher() {
	c.withIssue(true, func(st *state, is *issue) {
		name := c.q("username")
		if name == "" {
			c.fail(http.StatusBadRequest, "Parameter 'username' is required.")
			return
		}
		u := c.watcherUser(st, name)
		if u == nil || !c.mayManageWatchers(is, u) {
			return
		}
		var kept []string
		for _, k := range is.watchers {
			if k != u.key {
				kept = append(kept, k)
			}
		}
		is.watchers = kept
		st.reindex(is, c.i.now(), time.Duration(c.i.knobs.Get().IndexLag))
		c.noContent()
	})
}

func (c *rc) assign() {
	var in map[string]json.RawMessage
	if !c.decode(&in) {
		return
	}
	c.withIssue(true, func(st *state, is *issue) {
		raw := in["name"]
		if len(raw) == 0 {
			raw = in["key"]
		}
		var key string
		if s, ok := rawString(raw); ok && s == "-1" {
			if u := st.userByKey[is.proj.lead]; u != nil && u.active {
				key = u.key
			}
		} else if ok && s != "" {
			v, msg := c.parseValue(st, is.proj, fieldByID["assignee"], json.RawMessage(fmt.Sprintf(`{"name":%q}`, s)))
			if msg != "" {
				c.json(http.StatusBadRequest, fieldErrs(map[string]string{"assignee": msg}))
				return
			}
			key, _ = v.(string)
		}
		next := make(map[string]any, len(is.fields))
		for k, v := range is.fields {
			next[k] = v
		}
		if key == "" {
			delete(next, "assignee")
		} else {
			next["assignee"] = key
		}
		items := c.diffItems(st, is.proj, is.fields, next)
		is.fields = next
		if len(items) > 0 {
			c.touch(st, is, items)
		}
		c.noContent()
	})
}
