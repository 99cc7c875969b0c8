package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// Route names of the security level page.
const (
	RouteConnectionSecurity     = "connections.security"
	RouteConnectionSecuritySave = "connections.security.save"
)

// securityRoutes is the security level map of a connection (issue 14).
func (s *Server) securityRoutes() []route {
	return []route{
		{http.MethodGet, "/connections/:id/security", RouteConnectionSecurity, false, s.connectionSecurity, nil},
		{http.MethodPost, "/connections/:id/security", RouteConnectionSecuritySave, false, s.connectionSecuritySave, nil},
	}
}

// securityLevelReader is the part of a Jira client that lists a project's security levels
// (*jira.Client has it).
type securityLevelReader interface {
	SecurityLevels(ctx context.Context, projectIDOrKey string) ([]jira.SecurityLevel, error)
}

// discoverLevels lists the security levels of a side's project the sync user belongs to.
func (s *Server) discoverLevels(ctx context.Context, inst *models.Instance, project string) ([]string, string) {
	ctx, cancel := s.jiraDeadline(ctx)
	defer cancel()
	j, err := s.metaClient(ctx, inst)
	if err != nil {
		return nil, err.Error()
	}
	sr, ok := j.(securityLevelReader)
	if !ok {
		return nil, "this client cannot list security levels"
	}
	lvs, err := sr.SecurityLevels(ctx, project)
	if err != nil {
		return nil, jiraProblem(err)
	}
	var out []string
	for _, l := range lvs {
		out = appendUnique(out, l.Name)
	}
	return out, ""
}

// keptHomeSentence is the preview's count of issues kept home by security level ("" when the
// engine does not run here or nothing stays home).
func (s *Server) keptHomeSentence(ctx context.Context, cn *models.Connection) string {
	if s.engine == nil {
		return ""
	}
	ctx, cancel := s.jiraDeadline(ctx)
	defer cancel()
	h, err := s.engine.SecurityKeptHome(ctx, cn.ID)
	if err != nil {
		return "The issues kept home by security level could not be counted: " + jiraProblem(err)
	}
	n := h.Local + h.Remote
	if n == 0 {
		return ""
	}
	what := "issues stay"
	if n == 1 {
		what = "issue stays"
	}
	return fmt.Sprintf("%d %s home: security level (%s).", n, what, strings.Join(h.Levels, "; "))
}

func (s *Server) securityView(ctx context.Context, cn *models.Connection, levels map[string]string) (views.ConnSecurityData, error) {
	local, remote, err := s.connectionInstances(ctx, cn)
	if err != nil {
		return views.ConnSecurityData{}, err
	}
	nav := s.connNav(cn, "mapping")
	d := views.ConnSecurityData{Nav: nav, Action: s.connURL(RouteConnectionSecuritySave, cn.ID), Local: local.Name, Remote: remote.Name}
	var localLevels []string
	localLevels, d.LocalErr = s.discoverLevels(ctx, local, cn.LocalProject)
	d.RemoteLevels, d.RemoteErr = s.discoverLevels(ctx, remote, cn.RemoteProject)
	for k := range levels {
		localLevels = appendUnique(localLevels, k) // a mapped level the sync user no longer sees stays listed
	}
	slices.Sort(localLevels)
	for _, lv := range localLevels {
		d.Rows = append(d.Rows, views.ConnSecurityRow{Local: lv, Remote: levels[lv]})
	}
	for _, rl := range d.RemoteLevels {
		mapped := false
		for _, v := range levels {
			mapped = mapped || v == rl
		}
		if !mapped {
			d.Unmapped = append(d.Unmapped, rl)
		}
	}
	d.KeptHome = s.keptHomeSentence(ctx, cn)
	return d, nil
}

func (s *Server) connectionSecurity(c echo.Context) error {
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	rules, _ := engine.ParseRules(cn.Rules)
	d, err := s.securityView(c.Request().Context(), cn, rules.Security.Levels)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, views.ConnectionSecurityPage(s.page(c, cn.Name+": security levels", RouteConnections), d))
}

// readLevelMap reads the level map rows of the form (l0.local, l0.remote, ...).
func readLevelMap(c echo.Context) map[string]string {
	out := map[string]string{}
	for i := 0; i < 500; i++ {
		k := "l" + strconv.Itoa(i)
		lv := strings.TrimSpace(c.FormValue(k + ".local"))
		if lv == "" {
			break
		}
		if r := strings.TrimSpace(c.FormValue(k + ".remote")); r != "" {
			out[lv] = r
		}
	}
	return out
}

// withSecurityRules writes the level map into a rules document and leaves everything else in it
// as it was (an empty document stands for the default rules).
func withSecurityRules(rules string, sr engine.SecurityRules) (string, error) {
	return editRulesDoc(rules, func(doc map[string]json.RawMessage) error {
		raw, err := json.Marshal(sr)
		if err != nil {
			return fmt.Errorf("encode security rules: %w", err)
		}
		doc["security"] = raw
		return nil
	})
}

func (s *Server) connectionSecuritySave(c echo.Context) error {
	ctx := c.Request().Context()
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	levels := readLevelMap(c)
	sr := engine.SecurityRules{}
	if len(levels) > 0 {
		sr.Levels = levels
	}
	doc, err := withSecurityRules(cn.Rules, sr)
	if err == nil {
		_, err = engine.ParseRules(doc)
	}
	if err != nil {
		d, verr := s.securityView(ctx, cn, levels)
		if verr != nil {
			return verr
		}
		d.Error = "The level map was not saved: " + err.Error()
		return Render(c, http.StatusUnprocessableEntity, views.ConnectionSecurityPage(s.page(c, cn.Name+": security levels", RouteConnections), d))
	}
	if err := s.db.WithContext(ctx).Model(&models.Connection{}).Where("id = ?", cn.ID).Update("rules", doc).Error; err != nil {
		return fmt.Errorf("save security levels of connection %d: %w", cn.ID, err)
	}
	s.log.Info("connection security levels saved", "connection", cn.Name, "id", cn.ID, "levels", len(levels), "user", userName(c))
	s.flash(c, views.FlashSuccess, fmt.Sprintf("Security levels of %s saved: %d level(s) mapped; issues of any other level stay home.", cn.Name, len(levels)))
	return c.Redirect(http.StatusSeeOther, s.connURL(RouteConnectionSecurity, cn.ID))
}
