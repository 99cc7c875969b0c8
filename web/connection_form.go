package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// Poll interval bounds of the setup form.
const (
	defaultPollSeconds = 5
	minPollSeconds     = 1
	maxPollSeconds     = 24 * 60 * 60
)

// scopeInput is what the administrator typed in the scope form (setup or edit).
type scopeInput struct {
	Name         string
	PollSeconds  string
	AllowOverlap bool
	Sides        [2]sideInput
	Comments     commentOptions
}

// sideInput is one side of the scope form.
type sideInput struct {
	Side       string
	InstanceID string
	Project    string
	IssueTypes []string
	JQL        string
}

var sideNames = [2]string{models.SideLocal, models.SideRemote}

// readScope reads the scope form.
func readScope(c echo.Context) (scopeInput, error) {
	form, err := c.FormParams()
	if err != nil {
		return scopeInput{}, echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	in := scopeInput{Name: strings.TrimSpace(form.Get("name")), PollSeconds: strings.TrimSpace(form.Get("poll_seconds")),
		AllowOverlap: form.Get("allow_overlap") != "", Comments: readCommentOptions(form)}
	for i, side := range sideNames {
		sd := sideInput{Side: side, InstanceID: form.Get(side + "_instance"), Project: strings.TrimSpace(form.Get(side + "_project")),
			JQL: strings.TrimSpace(form.Get(side + "_jql"))}
		for _, it := range form[side+"_issuetypes"] {
			if it = strings.TrimSpace(it); it != "" {
				sd.IssueTypes = appendUnique(sd.IssueTypes, it)
			}
		}
		in.Sides[i] = sd
	}
	return in, nil
}

// scopeOf is the form state of a stored connection.
func scopeOf(cn *models.Connection) scopeInput {
	in := scopeInput{Name: cn.Name, PollSeconds: formatSeconds(cn.PollIntervalMS), AllowOverlap: cn.AllowOverlap,
		Comments: commentOptionsOf(cn.Rules)}
	in.Sides[0] = sideInput{Side: models.SideLocal, InstanceID: strconv.FormatUint(uint64(cn.LocalInstanceID), 10),
		Project: cn.LocalProject, IssueTypes: splitNames(cn.LocalIssueTypes), JQL: cn.LocalJQL}
	in.Sides[1] = sideInput{Side: models.SideRemote, InstanceID: strconv.FormatUint(uint64(cn.RemoteInstanceID), 10),
		Project: cn.RemoteProject, IssueTypes: splitNames(cn.RemoteIssueTypes), JQL: cn.RemoteJQL}
	return in
}

func formatSeconds(ms int) string {
	if ms <= 0 {
		ms = defaultPollSeconds * 1000
	}
	return strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)
}

// scopeState is a scope form with what both Jiras reported for it.
type scopeState struct {
	in    scopeInput
	insts []models.Instance
	// chosen is the instance of each side (nil when none or unknown).
	chosen [2]*models.Instance
	meta   [2]sideMeta
	loaded [2]bool
}

// loadScope reads the instances and, for each side with an instance, its projects and the
// chosen project's issue types (both sides at once).
func (s *Server) loadScope(ctx context.Context, in scopeInput) (*scopeState, error) {
	st := &scopeState{in: in}
	if err := s.db.WithContext(ctx).Order("name").Find(&st.insts).Error; err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	var wg sync.WaitGroup
	for i := range sideNames {
		for j := range st.insts {
			if strconv.FormatUint(uint64(st.insts[j].ID), 10) == in.Sides[i].InstanceID && in.Sides[i].InstanceID != "" {
				st.chosen[i] = &st.insts[j]
			}
		}
		if st.chosen[i] == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st.meta[i] = s.loadScopeMeta(ctx, st.chosen[i], in.Sides[i].Project)
			st.loaded[i] = true
		}()
	}
	wg.Wait()
	return st, nil
}

// validate checks the scope against the database and both Jiras; problems are keyed by field.
func (s *Server) validateScope(ctx context.Context, st *scopeState, selfID uint) (map[string]string, int, error) {
	errs := map[string]string{}
	in := st.in
	switch {
	case in.Name == "":
		errs["name"] = "Give the connection a name, for example \"Ops to relay\"."
	case len([]rune(in.Name)) > 100:
		errs["name"] = "At most 100 characters."
	default:
		var n int64
		if err := s.db.WithContext(ctx).Model(&models.Connection{}).Where("name = ? AND id <> ?", in.Name, selfID).Count(&n).Error; err != nil {
			return nil, 0, fmt.Errorf("check connection name: %w", err)
		}
		if n > 0 {
			errs["name"] = "Another connection already has this name."
		}
	}
	pollMS := 0
	if in.PollSeconds == "" {
		pollMS = defaultPollSeconds * 1000
	} else if v, err := strconv.ParseFloat(in.PollSeconds, 64); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		errs["poll"] = "Enter a number of seconds, for example 5."
	} else if v < minPollSeconds {
		errs["poll"] = "The minimum is 1 second: Jira would be asked too often."
	} else if v > maxPollSeconds {
		errs["poll"] = "At most one day (86400 seconds)."
	} else {
		pollMS = int(math.Round(v * 1000))
	}
	for i, sd := range in.Sides {
		key := sd.Side
		inst := st.chosen[i]
		if inst == nil {
			if sd.InstanceID == "" {
				errs[key+".instance"] = "Choose the Jira of this side."
			} else {
				errs[key+".instance"] = "This instance no longer exists: choose another."
			}
			continue
		}
		if i == 1 && st.chosen[0] != nil && st.chosen[0].ID == inst.ID {
			errs[key+".instance"] = "The remote side must be another Jira than the local side."
			continue
		}
		m := st.meta[i]
		if m.Err != "" {
			errs[key+".instance"] = "Cannot read this Jira: " + m.Err
			continue
		}
		if sd.Project == "" {
			errs[key+".project"] = "Choose the project whose issues this side syncs."
			continue
		}
		if !hasProject(m.Projects, sd.Project) {
			errs[key+".project"] = fmt.Sprintf("%s has no project %q that the sync user can see.", inst.Name, sd.Project)
			continue
		}
		for _, it := range sd.IssueTypes {
			found := false
			for _, known := range m.IssueTypes {
				found = found || strings.EqualFold(known.Name, it)
			}
			if !found {
				errs[key+".issuetypes"] = fmt.Sprintf("Project %s has no issue type %q.", sd.Project, it)
				break
			}
		}
		if hasOrderBy(sd.JQL) {
			errs[key+".jql"] = errScopeOrderBy
		} else if sd.JQL != "" {
			if _, problem := s.checkJQL(ctx, inst, sd.Project, sd.JQL); problem != "" {
				errs[key+".jql"] = "Jira says: " + problem
			}
		}
	}
	if len(errs) == 0 {
		var cand models.Connection
		st.apply(&cand, pollMS)
		cand.ID = selfID
		msg, err := s.overlapProblem(ctx, &cand)
		if err != nil {
			return nil, 0, err
		}
		if msg != "" {
			errs["overlap"] = msg
		}
	}
	return errs, pollMS, nil
}

// apply copies a valid scope onto a connection row.
func (st *scopeState) apply(cn *models.Connection, pollMS int) {
	cn.Name = st.in.Name
	cn.PollIntervalMS = pollMS
	cn.LocalInstanceID, cn.RemoteInstanceID = st.chosen[0].ID, st.chosen[1].ID
	cn.LocalProject, cn.RemoteProject = projectKey(st.meta[0], st.in.Sides[0].Project), projectKey(st.meta[1], st.in.Sides[1].Project)
	cn.LocalIssueTypes, cn.RemoteIssueTypes = strings.Join(st.in.Sides[0].IssueTypes, ","), strings.Join(st.in.Sides[1].IssueTypes, ",")
	cn.LocalJQL, cn.RemoteJQL = st.in.Sides[0].JQL, st.in.Sides[1].JQL
	cn.AllowOverlap = st.in.AllowOverlap
}

// projectKey returns the project's key as Jira spells it.
func projectKey(m sideMeta, key string) string {
	for _, p := range m.Projects {
		if strings.EqualFold(p.Key, key) {
			return p.Key
		}
	}
	return key
}

// form builds the view of the scope form.
func (s *Server) scopeForm(st *scopeState, id uint, errs map[string]string) views.ConnectionForm {
	f := views.ConnectionForm{ID: id, Name: st.in.Name, PollSeconds: st.in.PollSeconds, Errors: errs, AllowOverlap: st.in.AllowOverlap,
		RefreshURL: s.url(RouteConnectionFormRefresh), CheckJQLURL: s.url(RouteConnectionCheckJQL)}
	if f.PollSeconds == "" {
		f.PollSeconds = strconv.Itoa(defaultPollSeconds)
	}
	var names [2]string
	for i, inst := range st.chosen {
		if inst != nil {
			names[i] = inst.Name
		}
	}
	f.Comments = commentForm(st.in.Comments, names[0], names[1])
	titles := [2][2]string{
		{"Local side", "Usually your private Jira, inside your firewall: the issues you choose to share."},
		{"Remote side", "Usually the public relay Jira that both zones can reach."},
	}
	for i, sd := range st.in.Sides {
		v := views.ConnSideForm{Side: sd.Side, Title: titles[i][0], Hint: titles[i][1], Instance: sd.InstanceID, Project: sd.Project, JQL: sd.JQL}
		for _, inst := range st.insts {
			idStr := strconv.FormatUint(uint64(inst.ID), 10)
			v.Instances = append(v.Instances, views.ConnOption{Value: idStr, Label: inst.Name + " (" + inst.Role + ", " + inst.BaseURL + ")",
				Selected: idStr == sd.InstanceID})
		}
		m := st.meta[i]
		v.LoadError = m.Err
		for _, p := range m.Projects {
			v.Projects = append(v.Projects, views.ConnOption{Value: p.Key, Label: p.Key + " · " + p.Name, Selected: strings.EqualFold(p.Key, sd.Project)})
		}
		if sd.Project != "" && len(v.Projects) > 0 && !hasProject(m.Projects, sd.Project) {
			// Keep what was typed or saved even when this Jira does not list it.
			v.Projects = append([]views.ConnOption{{Value: sd.Project, Label: sd.Project + " (not found in this Jira)", Selected: true}}, v.Projects...)
		}
		for _, it := range m.IssueTypes {
			v.IssueTypes = append(v.IssueTypes, views.ConnOption{Value: it.Name, Label: it.Name, Selected: containsFold(sd.IssueTypes, it.Name)})
		}
		f.Sides = append(f.Sides, v)
	}
	return f
}

// connectionFormRefresh re-renders the setup or scope form from what was typed, with the
// projects and issue types of the instances now chosen; htmx picks the side it asked for.
// Nothing is saved and nothing is validated yet.
func (s *Server) connectionFormRefresh(c echo.Context) error {
	ctx := c.Request().Context()
	in, err := readScope(c)
	if err != nil {
		return err
	}
	st, err := s.loadScope(ctx, in)
	if err != nil {
		return err
	}
	id, _ := strconv.ParseUint(c.FormValue("id"), 10, 64)
	if id == 0 {
		return s.renderNew(c, http.StatusOK, st, nil)
	}
	cn, err := s.connectionByID(ctx, uint(id))
	if err != nil {
		return err
	}
	return s.renderScope(c, http.StatusOK, cn, st, nil)
}

// connectionCheckJQL answers the JQL check beside a JQL field: Jira's own complaint, or how
// many issues match now.
func (s *Server) connectionCheckJQL(c echo.Context) error {
	ctx := c.Request().Context()
	side := c.FormValue("side")
	if side != models.SideLocal && side != models.SideRemote {
		return echo.NewHTTPError(http.StatusBadRequest, "Unknown side.")
	}
	chk := views.ConnJQLCheck{Side: side}
	jql := strings.TrimSpace(c.FormValue(side + "_jql"))
	if jql == "" {
		chk.Empty = true
		return Render(c, http.StatusOK, views.ConnectionJQLCheck(chk))
	}
	if hasOrderBy(jql) {
		chk.Refused = errScopeOrderBy
		return Render(c, http.StatusOK, views.ConnectionJQLCheck(chk))
	}
	id, err := strconv.ParseUint(c.FormValue(side+"_instance"), 10, 64)
	if err != nil || id == 0 {
		chk.Problem = "choose the Jira instance of this side first."
		return Render(c, http.StatusOK, views.ConnectionJQLCheck(chk))
	}
	var inst models.Instance
	q := s.db.WithContext(ctx).Limit(1).Find(&inst, id)
	if q.Error != nil {
		return fmt.Errorf("load instance %d: %w", id, q.Error)
	}
	if q.RowsAffected == 0 {
		chk.Problem = "this instance no longer exists."
		return Render(c, http.StatusOK, views.ConnectionJQLCheck(chk))
	}
	chk.Total, chk.Problem = s.checkJQL(ctx, &inst, strings.TrimSpace(c.FormValue(side+"_project")), jql)
	return Render(c, http.StatusOK, views.ConnectionJQLCheck(chk))
}

// pollText describes a poll interval for people.
func pollText(ms int) string {
	return formatSeconds(ms) + " s"
}
