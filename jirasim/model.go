package jirasim

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

type user struct {
	name, key, password, display, email, tz string
	admin, active                           bool
	tokens                                  []string
}

func (u *user) groups() []string {
	if u.admin {
		return []string{"jira-administrators", "jira-software-users", "jira-users"}
	}
	return []string{"jira-software-users", "jira-users"}
}

type component struct{ id, name string }

type version struct {
	id, name          string
	archived, release bool
}

type project struct {
	id, key, name, lead string
	admins              map[string]bool // user keys
	components          []*component
	versions            []*version
	createScreen        map[string]bool
	editScreen          map[string]bool
	counter             int
	typeKey             string // projectTypeKey: software or service_desk
	desk                *serviceDesk
	levels              []*secLevel // issue security scheme (security.go); nil = none
	simplified          bool        // Jira Software simplified workflow: global transitions (workflow.go)
}

type comment struct {
	id                   int64
	author, updateAuthor string // user keys
	body                 string
	created, updated     time.Time
	visType, visValue    string
	// props are the comment's entity properties (JSM keeps sd.public.comment here), in
	// propOrder. A comment is copied on write, and so is its props map.
	props     map[string]json.RawMessage
	propOrder []string
}

type attachment struct {
	id       int64
	filename string
	author   string
	created  time.Time
	mime     string
	data     []byte
}

type worklog struct {
	id                   int64
	author, updateAuthor string
	comment              string
	created, updated     time.Time
	started              time.Time
	seconds              int64
	visType, visValue    string
}

type remoteLink struct {
	id       int64
	globalID string
	body     map[string]json.RawMessage // application, relationship, object
}

type histItem struct {
	Field      string  `json:"field"`
	FieldType  string  `json:"fieldtype"`
	From       *string `json:"from"`
	FromString *string `json:"fromString"`
	To         *string `json:"to"`
	ToString   *string `json:"toString"`
}

type history struct {
	id      int64
	author  string
	created time.Time
	items   []histItem
}

type issue struct {
	id             int64
	key            string
	proj           *project
	fields         map[string]any // see setters in fields.go for value types
	created        time.Time
	updated        time.Time
	resolutionDate time.Time // zero = unresolved
	comments       []*comment
	attachments    []*attachment
	worklogs       []*worklog
	links          []*remoteLink
	watchers       []string // user keys, in the order they started watching (watchers.go)
	props          map[string]json.RawMessage
	propOrder      []string
	histories      []*history
	deleted        bool
	// versions is what the search index holds, oldest first (index lag knob).
	versions []indexed
}

type indexed struct {
	at   time.Time
	snap *issue // nil: deleted
}

// clone copies what search reads and renders (fields, comments, worklogs, attachments).
func (is *issue) clone() *issue {
	c := *is
	c.fields = make(map[string]any, len(is.fields))
	for k, v := range is.fields {
		if s, ok := v.([]string); ok {
			v = append([]string(nil), s...)
		}
		c.fields[k] = v
	}
	c.comments = append([]*comment(nil), is.comments...)
	c.worklogs = append([]*worklog(nil), is.worklogs...)
	c.attachments = append([]*attachment(nil), is.attachments...)
	c.histories = append([]*history(nil), is.histories...)
	c.watchers = append([]string(nil), is.watchers...)
	c.versions = nil
	return &c
}

func (is *issue) str(field string) string {
	s, _ := is.fields[field].(string)
	return s
}

func (is *issue) strs(field string) []string {
	s, _ := is.fields[field].([]string)
	return s
}

// state is everything Reset restores. One RWMutex on the Instance guards it.
type state struct {
	users      []*user
	userByName map[string]*user // lower-case name
	userByKey  map[string]*user
	tokens     map[string]*user
	projects   []*project
	issues     map[int64]*issue // includes deleted issues until the index forgets them
	byKey      map[string]*issue
	seq        map[string]int64
	failures   map[string]int  // consecutive basic-auth failures per lower-case name
	captcha    map[string]bool // users under CAPTCHA
	buckets    map[string]*bucket
	attachIdx  map[int64]*issue     // attachment id -> issue
	orgs       []*organization      // JSM organizations (instance-wide)
	wlDeleted  []wlDeletion         // deleted worklogs, oldest first (worklogfeed.go)
	issueLinks map[int64]*issueLink // links between issues (links.go)
}

func (st *state) next(kind string) int64 {
	st.seq[kind]++
	return st.seq[kind]
}

func newState(seed *Seed) (*state, error) {
	st := &state{
		userByName: map[string]*user{}, userByKey: map[string]*user{}, tokens: map[string]*user{},
		issues: map[int64]*issue{}, byKey: map[string]*issue{},
		seq:      map[string]int64{"issue": seed.IssueIDStart - 1, "comment": 10099, "attachment": 10199, "worklog": 10299, "link": 10399, "history": 10499, "userkey": 10199, "project": 10099, "component": 10099, "version": 10099},
		failures: map[string]int{}, captcha: map[string]bool{}, buckets: map[string]*bucket{}, attachIdx: map[int64]*issue{},
	}
	if seed.IssueIDStart == 0 {
		st.seq["issue"] = 9999
	}
	for _, su := range seed.Users {
		if _, err := st.addUser(su); err != nil {
			return nil, err
		}
	}
	for _, sp := range seed.Projects {
		if _, err := st.addProject(sp); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (st *state) addUser(su SeedUser) (*user, error) {
	if su.Name == "" {
		return nil, fmt.Errorf("user without a name")
	}
	if st.userByName[strings.ToLower(su.Name)] != nil {
		return nil, fmt.Errorf("user %q exists", su.Name)
	}
	u := &user{name: su.Name, key: su.Key, password: su.Password, display: su.DisplayName, email: su.Email,
		tz: su.TimeZone, admin: su.Admin, active: !su.Inactive, tokens: append([]string(nil), su.Tokens...)}
	if u.key == "" {
		u.key = "JIRAUSER" + strconv.FormatInt(st.next("userkey"), 10)
	}
	if u.display == "" {
		u.display = su.Name
	}
	if u.email == "" {
		u.email = su.Name + "@example.com"
	}
	if u.tz != "" {
		if _, err := time.LoadLocation(u.tz); err != nil {
			return nil, fmt.Errorf("user %s: time zone: %w", su.Name, err)
		}
	}
	st.users = append(st.users, u)
	st.userByName[strings.ToLower(u.name)] = u
	st.userByKey[u.key] = u
	for _, t := range u.tokens {
		st.tokens[t] = u
	}
	return u, nil
}

func (st *state) addProject(sp SeedProject) (*project, error) {
	if sp.Key == "" || st.project(sp.Key) != nil {
		return nil, fmt.Errorf("project key %q empty or taken", sp.Key)
	}
	p := &project{id: sp.ID, key: strings.ToUpper(sp.Key), name: sp.Name, lead: "", admins: map[string]bool{}}
	if p.id == "" {
		p.id = strconv.FormatInt(st.next("project")+1, 10)
		for st.project(p.id) != nil {
			p.id = strconv.FormatInt(st.next("project")+1, 10)
		}
	}
	if p.name == "" {
		p.name = p.key
	}
	lead := sp.Lead
	if lead == "" {
		lead = "admin"
	}
	if u := st.userByName[strings.ToLower(lead)]; u != nil {
		p.lead = u.key
		p.admins[u.key] = true
	}
	for _, a := range sp.Admins {
		if u := st.userByName[strings.ToLower(a)]; u != nil {
			p.admins[u.key] = true
		}
	}
	for _, c := range sp.Components {
		p.components = append(p.components, &component{id: strconv.FormatInt(st.next("component"), 10), name: c})
	}
	for _, v := range sp.Versions {
		p.versions = append(p.versions, &version{id: strconv.FormatInt(st.next("version"), 10), name: v})
	}
	switch sp.ProjectTypeKey {
	case "", "software":
		p.typeKey = "software"
	case "service_desk":
		p.typeKey = "service_desk"
		st.addServiceDesk(p, sp)
	default:
		return nil, fmt.Errorf("project %s: unknown project type %q", sp.Key, sp.ProjectTypeKey)
	}
	if err := st.addSecurityLevels(p, sp.SecurityLevels); err != nil {
		return nil, err
	}
	switch sp.Workflow {
	case "":
	case "simplified":
		p.simplified = true
	default:
		return nil, fmt.Errorf("project %s: unknown workflow %q", sp.Key, sp.Workflow)
	}
	p.createScreen = screenSet(sp.CreateScreen, true, p.service())
	p.editScreen = screenSet(sp.EditScreen, false, p.service())
	st.projects = append(st.projects, p)
	return p, nil
}

func screenSet(ids []string, create, service bool) map[string]bool {
	if ids == nil {
		ids = defaultScreen(create, service)
	}
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// project finds a project by key (case-insensitive) or id.
func (st *state) project(ref string) *project {
	for _, p := range st.projects {
		if p.id == ref || strings.EqualFold(p.key, ref) {
			return p
		}
	}
	return nil
}

// issue finds a live issue by id or key.
func (st *state) issue(ref string) *issue {
	var is *issue
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		is = st.issues[id]
	} else {
		is = st.byKey[strings.ToUpper(ref)]
	}
	if is == nil || is.deleted {
		return nil
	}
	return is
}

func (st *state) userRef(nameOrKey string) *user {
	if u := st.userByName[strings.ToLower(nameOrKey)]; u != nil {
		return u
	}
	return st.userByKey[nameOrKey]
}

// sortedIssues returns live issues in id order.
func (st *state) sortedIssues() []*issue {
	out := make([]*issue, 0, len(st.issues))
	for _, is := range st.issues {
		out = append(out, is)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func (st *state) subtasks(parent *issue) []*issue {
	var out []*issue
	for _, is := range st.sortedIssues() {
		if !is.deleted {
			if pid, ok := is.fields["parent"].(int64); ok && pid == parent.id {
				out = append(out, is)
			}
		}
	}
	return out
}

// reindex records the issue's current state in the search index history and
// forgets versions the index lag can no longer reach.
func (st *state) reindex(is *issue, now time.Time, lag time.Duration) {
	var snap *issue
	if !is.deleted {
		snap = is.clone()
	}
	is.versions = append(is.versions, indexed{at: now, snap: snap})
	window := max(lag, 2*time.Minute)
	cut := now.Add(-window)
	keep := 0
	for i, v := range is.versions {
		if !v.at.After(cut) {
			keep = i
		}
	}
	keep = max(keep, len(is.versions)-64)
	is.versions = is.versions[keep:]
	if is.deleted && lag == 0 {
		delete(st.issues, is.id)
	}
}

// indexedAt returns the issue as the search index saw it at t, or nil.
func (is *issue) indexedAt(t time.Time) *issue {
	var snap *issue
	for _, v := range is.versions {
		if v.at.After(t) {
			break
		}
		snap = v.snap
	}
	return snap
}
