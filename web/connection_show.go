package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// conflictChoices explains each conflict policy in one sentence.
var conflictChoices = []views.MappingChoice{
	{Value: models.PolicyNewestWins, Label: "Newest wins", Help: "The side whose issue was updated last keeps its value; the other side takes it."},
	{Value: models.PolicyLocalWins, Label: "Local wins", Help: "Your local Jira's value always wins; the remote value is overwritten."},
	{Value: models.PolicyRemoteWins, Label: "Remote wins", Help: "The remote Jira's value always wins; your local value is overwritten."},
	{Value: models.PolicyManual, Label: "Ask me", Help: "The field is held and appears on the Conflicts page for you to decide; the rest of the issue keeps syncing."},
}

// deletionChoices explains each deletion policy in one sentence.
var deletionChoices = []views.MappingChoice{
	{Value: models.DeleteIgnore, Label: "Keep the twin", Help: "Nothing happens to the other issue; the link stays until you unlink it."},
	{Value: models.DeleteTwin, Label: "Delete the twin", Help: "The other issue is deleted too. Use it only when both sides agree that deleted means gone."},
	{Value: models.DeleteUnlink, Label: "Unlink", Help: "The other issue stays and is no longer synced."},
}

func choice(list []views.MappingChoice, v string) views.MappingChoice {
	for _, c := range list {
		if c.Value == v {
			return c
		}
	}
	return views.MappingChoice{Value: v, Label: v}
}

// connectionShow is a connection's overview: both sides with their last poll, counts, the
// rules in words, and the actions.
func (s *Server) connectionShow(c echo.Context) error {
	ctx := c.Request().Context()
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	local, remote, err := s.connectionInstances(ctx, cn)
	if err != nil {
		return err
	}
	stats, err := s.connectionStats(ctx, []uint{cn.ID})
	if err != nil {
		return err
	}
	st := stats[cn.ID]
	conflicts, err := s.openConflicts(ctx, cn.ID)
	if err != nil {
		return err
	}
	self := s.connURL(RouteConnectionShow, cn.ID)
	d := views.ConnectionDetail{Nav: s.connNav(cn, "overview"), Next: self,
		PauseURL: s.connURL(RouteConnectionPause, cn.ID), ResumeURL: s.connURL(RouteConnectionResume, cn.ID),
		PollEvery: pollText(cn.PollIntervalMS), Conflict: choice(conflictChoices, cn.ConflictPolicy),
		Deletion: choice(deletionChoices, cn.DeletionPolicy), ErrorsURL: s.connFiltered(RouteErrors, cn.ID),
		TwinsURL: s.connFiltered(RouteTwins, cn.ID), ActivateURL: s.connURL(RouteConnectionActivate, cn.ID),
		DeleteURL: s.connURL(RouteConnectionDelete, cn.ID)}
	d.Counts = []views.ConnCount{
		{Label: "active twins", TestID: "count-active", N: st.Twins[models.TwinActive]},
		{Label: "waiting to be created", TestID: "count-pending", N: st.Twins[models.TwinPendingCreate]},
		{Label: "quarantined", TestID: "count-quarantined", N: st.Twins[models.TwinQuarantined], Warn: true},
		{Label: "open errors", TestID: "count-errors", N: st.OpenErrors, Warn: true},
		{Label: "open conflicts", TestID: "count-conflicts", N: conflicts, Warn: true},
	}
	for i, inst := range []*models.Instance{local, remote} {
		side := sideNames[i]
		project, types, jql := cn.LocalProject, cn.LocalIssueTypes, cn.LocalJQL
		title := "Local side"
		if i == 1 {
			project, types, jql, title = cn.RemoteProject, cn.RemoteIssueTypes, cn.RemoteJQL, "Remote side"
		}
		d.Sides = append(d.Sides, views.ConnSideInfo{Title: title, Instance: inst.Name, Role: inst.Role, BaseURL: inst.BaseURL,
			Project: project, ProjectURL: strings.TrimRight(inst.BaseURL, "/") + "/browse/" + project,
			IssueTypes: strings.ReplaceAll(types, ",", ", "), JQL: jql, Poll: pollState(st, side)})
	}
	d.Seal = s.sealSummary(cn, remote.Role == models.RoleRelay, s.ownFingerprint(ctx))
	rules, err := engine.ParseRules(cn.Rules)
	if err != nil {
		d.RulesProblem = err.Error()
	}
	for _, f := range rules.Fields {
		d.Fields = append(d.Fields, f.Name)
	}
	d.Comments = onOff(rules.Comments.Enabled, "copied both ways", "not copied")
	if rules.Comments.Enabled && len(d.Sides) == 2 {
		d.Comments += "; " + serviceDeskSummary(rules.Comments, d.Sides[0].Instance, d.Sides[1].Instance)
	}
	d.Attachments = onOff(rules.Attachments.Enabled, fmt.Sprintf("copied up to %s each", mib(rules.Attachments.MaxBytes)), "not copied")
	return Render(c, http.StatusOK, views.ConnectionShow(s.page(c, cn.Name, RouteConnections), d))
}

func onOff(on bool, yes, no string) string {
	if on {
		return yes
	}
	return no
}

// mib renders an attachment cap; 0 is the engine's default of 10 MiB.
func mib(n int64) string {
	if n <= 0 {
		n = 10 << 20
	}
	return fmt.Sprintf("%g MiB", float64(n)/(1<<20))
}
