package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// metaJira is what the connection pages read from a Jira to fill their pickers and check what
// the administrator typed; *jira.Client implements it. Only GET-like calls: reading metadata
// never changes a Jira.
type metaJira interface {
	Projects(ctx context.Context, expand ...string) ([]jira.Project, error)
	Fields(ctx context.Context) ([]jira.Field, error)
	Statuses(ctx context.Context) ([]jira.Status, error)
	Priorities(ctx context.Context) ([]jira.Priority, error)
	IssueTypes(ctx context.Context) ([]jira.IssueType, error)
	CreateMetaIssueTypes(ctx context.Context, projectIDOrKey string) ([]jira.IssueType, error)
	CreateMetaFields(ctx context.Context, projectIDOrKey, issueTypeID string) ([]jira.FieldMeta, error)
	EditMeta(ctx context.Context, idOrKey string) (map[string]jira.FieldMeta, error)
	Search(ctx context.Context, q jira.SearchQuery) (*jira.SearchPage, error)
	SearchUsers(ctx context.Context, query string, opt jira.UserSearchOptions) ([]jira.User, error)
}

// metaClient returns a client for reading an instance's metadata: the engine's shared client
// when the engine runs in this process (its pacing then covers the console's calls too), else
// a client built from the instance's decrypted secret.
func (s *Server) metaClient(ctx context.Context, inst *models.Instance) (metaJira, error) {
	if s.engine != nil && s.engine.Clients != nil {
		j, err := s.engine.Clients.For(ctx, inst)
		if err != nil {
			return nil, fmt.Errorf("client for %s: %w", inst.Name, err)
		}
		if m, ok := j.(metaJira); ok {
			return m, nil
		}
	}
	if s.sealer == nil && len(inst.SecretEnc) > 0 {
		return nil, errors.New("this node has no secret key to open the stored credentials (set AIRLOCK_SECRET_KEY)")
	}
	cfg, err := engine.InstanceConfig(inst, s.sealer)
	if err != nil {
		return nil, fmt.Errorf("open the credentials of %s: %w", inst.Name, err)
	}
	cfg.UserAgent, cfg.MaxRetries, cfg.AllowedHosts, cfg.Limits = "airlock-console", 1, s.cfg.JiraAllowlist, s.jiraLimits()
	c, err := jira.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", inst.Name, err)
	}
	return c, nil
}

// jiraProblem turns a Jira failure into one sentence for the page: Jira's own message when it
// sent one, else the client's description. Secrets never appear (the client redacts them).
func jiraProblem(err error) string {
	var je *jira.Error
	if errors.As(err, &je) {
		switch {
		case je.Status == 401 || je.Captcha():
			return "Jira refused the sync user's credentials (" + je.Error() + "). Fix them on the Instances page."
		case je.Status == 0:
			return "Jira did not answer: " + je.Error()
		case je.Message() != "":
			return je.Message()
		}
		return je.Error()
	}
	return err.Error()
}

// sideMeta is what one Jira reports for the connection pages: projects and issue types for the
// scope, fields and values for the mapping editor. Err is set when a read failed.
type sideMeta struct {
	Err        string
	Projects   []jira.Project
	IssueTypes []jira.IssueType // of the chosen project
	Fields     []jira.Field
	Statuses   []string
	Priorities []string
	// Options lists the allowed option values per custom field id, from the create screens of
	// the chosen project's issue types.
	Options map[string][]string
	Users   []jira.User
	// Writable lists the fields a create or an edit accepts (the create screens of the chosen
	// issue types and the edit screen of a recent issue); nil when unknown.
	Writable map[string]bool
}

// loadScopeMeta reads the projects and, when a project is chosen, its issue types.
func (s *Server) loadScopeMeta(ctx context.Context, inst *models.Instance, project string) sideMeta {
	var m sideMeta
	ctx, cancel := s.jiraDeadline(ctx)
	defer cancel()
	j, err := s.metaClient(ctx, inst)
	if err != nil {
		m.Err = err.Error()
		return m
	}
	if m.Projects, err = j.Projects(ctx); err != nil {
		m.Err = jiraProblem(err)
		return m
	}
	slices.SortFunc(m.Projects, func(a, b jira.Project) int { return strings.Compare(a.Key, b.Key) })
	if project != "" && hasProject(m.Projects, project) {
		if m.IssueTypes, err = j.CreateMetaIssueTypes(ctx, project); err != nil {
			m.Err = jiraProblem(err)
		}
	}
	return m
}

// loadMappingMeta reads everything the mapping editor offers: fields, statuses, priorities,
// the project's issue types, select options and users.
func (s *Server) loadMappingMeta(ctx context.Context, inst *models.Instance, project, issueTypes string) sideMeta {
	m := sideMeta{Options: map[string][]string{}}
	ctx, cancel := s.jiraDeadline(ctx)
	defer cancel()
	j, err := s.metaClient(ctx, inst)
	if err != nil {
		m.Err = err.Error()
		return m
	}
	fail := func(err error) sideMeta {
		m.Err = jiraProblem(err)
		return m
	}
	if m.Fields, err = j.Fields(ctx); err != nil {
		return fail(err)
	}
	slices.SortFunc(m.Fields, func(a, b jira.Field) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	sts, err := j.Statuses(ctx)
	if err != nil {
		return fail(err)
	}
	for _, st := range sts {
		m.Statuses = appendUnique(m.Statuses, st.Name)
	}
	prs, err := j.Priorities(ctx)
	if err != nil {
		return fail(err)
	}
	for _, p := range prs {
		m.Priorities = appendUnique(m.Priorities, p.Name)
	}
	if m.IssueTypes, err = j.CreateMetaIssueTypes(ctx, project); err != nil {
		return fail(err)
	}
	m.Writable = map[string]bool{}
	if err := s.loadEditScreen(ctx, j, project, &m); err != nil {
		return fail(err)
	}
	wanted := splitNames(issueTypes)
	for _, it := range m.IssueTypes {
		if len(wanted) > 0 && !containsFold(wanted, it.Name) {
			continue
		}
		fms, err := j.CreateMetaFields(ctx, project, it.ID)
		if err != nil {
			return fail(err)
		}
		for _, fm := range fms {
			m.Writable[fm.FieldID] = true
			if !strings.HasPrefix(fm.FieldID, "customfield_") {
				continue
			}
			for _, raw := range fm.AllowedValues {
				if v := optionValue(raw); v != "" {
					m.Options[fm.FieldID] = appendUnique(m.Options[fm.FieldID], v)
				}
			}
		}
	}
	if err := loadServiceDeskValues(ctx, j, project, &m); err != nil {
		return fail(err)
	}
	if m.Users, err = j.SearchUsers(ctx, ".", jira.UserSearchOptions{MaxResults: 1000}); err != nil {
		return fail(err)
	}
	slices.SortFunc(m.Users, func(a, b jira.User) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return m
}

// checkJQL runs the administrator's JQL once against Jira (one result at most) and returns
// Jira's complaint, or "" with the number of matching issues.
func (s *Server) checkJQL(ctx context.Context, inst *models.Instance, project, jql string) (total int, problem string) {
	ctx, cancel := s.jiraDeadline(ctx)
	defer cancel()
	j, err := s.metaClient(ctx, inst)
	if err != nil {
		return 0, err.Error()
	}
	if hasOrderBy(jql) {
		return 0, errScopeOrderBy
	}
	prefix := "("
	if project != "" {
		prefix = "project = " + jqlQuote(project) + " AND ("
	}
	page, err := j.Search(ctx, jira.SearchQuery{JQL: prefix + jql + ")", MaxResults: 1, Fields: []string{"key"}})
	if err != nil {
		// Jira's positions are in the composed query: ask about the filter alone, whose error
		// (if any) is the admin's own, else translate the positions back into the filter.
		if _, aerr := j.Search(ctx, jira.SearchQuery{JQL: jql, MaxResults: 1, Fields: []string{"key"}}); badRequest(aerr) {
			return 0, filterProblem(jiraProblem(aerr), "", jql)
		}
		return 0, filterProblem(jiraProblem(err), prefix, jql)
	}
	return page.Total, ""
}

// badRequest reports whether err is Jira's 400 (bad JQL, invalid input).
func badRequest(err error) bool {
	var je *jira.Error
	return errors.As(err, &je) && je.Status == http.StatusBadRequest
}

// jqlQuote quotes a JQL value.
func jqlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func hasProject(ps []jira.Project, key string) bool {
	for _, p := range ps {
		if strings.EqualFold(p.Key, key) {
			return true
		}
	}
	return false
}

func appendUnique(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// splitNames splits a comma separated list, trimming blanks.
func splitNames(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
