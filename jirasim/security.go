package jirasim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Issue security levels, as Jira Server/DC has them: a project may have a security scheme
// with levels; an issue with a level is seen only by the level's members (users or groups;
// Jira administrators are not exempt, as in Jira). To everybody else it does not exist: GET
// answers 404 "Issue Does Not Exist", search leaves it out, links and sub-task lists skip it.
//
// The "security" field: {"self","id","name","description"}; set with {"id"} or {"name"},
// null removes it; in createmeta/editmeta with the project's levels as allowedValues, only
// in projects with a scheme (elsewhere it cannot be set). A sub-task has its parent's level
// (Jira keeps them equal) and the field cannot be set on it. A change writes a "security"
// history item (from/to ids, fromString/toString names). GET /securitylevel/{id} and
// GET /project/{key}/securitylevel list levels. JQL: level = NAME or id, level IS EMPTY.

// SeedSecurityLevel is one level of a project's issue security scheme.
type SeedSecurityLevel struct {
	ID, Name, Description string
	Users                 []string // user names who see issues of this level
	Groups                []string // groups whose members see them
}

type secLevel struct {
	id, name, desc string
	users          map[string]bool // user keys
	groups         []string
}

func (st *state) addSecurityLevels(p *project, levels []SeedSecurityLevel) error {
	for _, sl := range levels {
		if sl.ID == "" || sl.Name == "" {
			return fmt.Errorf("project %s: security level without id or name", p.key)
		}
		l := &secLevel{id: sl.ID, name: sl.Name, desc: sl.Description, users: map[string]bool{}, groups: sl.Groups}
		for _, n := range sl.Users {
			u := st.userByName[strings.ToLower(n)]
			if u == nil {
				return fmt.Errorf("project %s: security level %s: unknown user %q", p.key, sl.Name, n)
			}
			l.users[u.key] = true
		}
		p.levels = append(p.levels, l)
	}
	return nil
}

// DefaultSecurityLevels is the scheme DefaultSeed gives ALPHA and BETA: Staff (the sync
// user, admin and alice) and Management (admin and alice, not the sync user); bob is in none.
func DefaultSecurityLevels() []SeedSecurityLevel {
	return []SeedSecurityLevel{
		{ID: "10100", Name: "Staff", Description: "Staff only", Users: []string{"admin", "airlock", "alice"}},
		{ID: "10101", Name: "Management", Description: "Management only", Users: []string{"admin", "alice"}},
	}
}

func (p *project) level(id string) *secLevel {
	for _, l := range p.levels {
		if l.id == id {
			return l
		}
	}
	return nil
}

// levelOf returns the issue's effective level: its own, or its parent's for a sub-task.
func (st *state) levelOf(is *issue) *secLevel {
	if pid, ok := is.fields["parent"].(int64); ok {
		if par := st.issues[pid]; par != nil {
			return par.proj.level(par.str("security"))
		}
	}
	return is.proj.level(is.str("security"))
}

// canSeeLevel reports whether the caller may see the issue under its security level.
func (c *rc) canSeeLevel(st *state, is *issue) bool {
	l := st.levelOf(is)
	if l == nil {
		return true
	}
	return l.member(c.u)
}

// member reports whether u sees issues of the level.
func (l *secLevel) member(u *user) bool {
	if u == nil {
		return false
	}
	if l.users[u.key] {
		return true
	}
	for _, g := range u.groups() {
		if contains(l.groups, g) {
			return true
		}
	}
	return false
}

func (c *rc) levelBean(l *secLevel) obj {
	return obj{"self": c.base + "/rest/api/2/securitylevel/" + l.id, "id": l.id, "description": l.desc, "name": l.name}
}

func (c *rc) renderSecurity(st *state, is *issue) (any, bool) {
	if len(is.proj.levels) == 0 {
		return nil, false
	}
	if l := st.levelOf(is); l != nil {
		return c.levelBean(l), true
	}
	return nil, true
}

func parseSecurity(p *project, raw json.RawMessage) (any, string) {
	if p == nil || len(p.levels) == 0 {
		return nil, cannotBeSet("security")
	}
	r, ok := refOf(raw)
	if !ok {
		return nil, "Security level must be an object with an id or a name."
	}
	for _, l := range p.levels {
		if (r["id"] != "" && r["id"] == l.id) || (r["id"] == "" && r["name"] != "" && strings.EqualFold(r["name"], l.name)) {
			return l.id, ""
		}
	}
	ref := r["id"]
	if ref == "" {
		ref = r["name"]
	}
	return nil, fmt.Sprintf("Security Level with id '%s' does not exist.", ref)
}

func levelStrings(p *project, v any) (*string, *string) {
	id, _ := v.(string)
	if id == "" {
		return nil, nil
	}
	if l := p.level(id); l != nil {
		return sp(id), sp(l.name)
	}
	return sp(id), nil
}

// typeRules checks the fields an issue of type it may carry: the epic fields, and no own
// security level on a sub-task.
func typeRules(it *issueTypeDef, next map[string]any, errs map[string]string) {
	epicRules(it, next, errs)
	if _, has := next["security"]; has && it.Subtask && errs["security"] == "" {
		errs["security"] = cannotBeSet("security")
	}
}

func (c *rc) getSecurityLevel() {
	if c.u == nil {
		c.notAuthenticated()
		return
	}
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	id := c.r.PathValue("id")
	for _, p := range c.i.st.projects {
		if l := p.level(id); l != nil {
			c.json(http.StatusOK, c.levelBean(l))
			return
		}
	}
	c.fail(http.StatusNotFound, fmt.Sprintf("Issue security level with id '%s' does not exist.", id))
}

// projectSecurityLevels answers GET /project/{key}/securitylevel: the levels of the
// project's scheme the caller belongs to.
func (c *rc) projectSecurityLevels() {
	c.i.mu.RLock()
	defer c.i.mu.RUnlock()
	p := c.findProject(c.i.st)
	if p == nil {
		return
	}
	out := []any{}
	for _, l := range p.levels {
		if l.member(c.u) {
			out = append(out, c.levelBean(l))
		}
	}
	c.json(http.StatusOK, obj{"levels": out})
}
