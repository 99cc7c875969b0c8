package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// activateLookTimeout bounds the Jira reads of the activation page (counts, sample, preview).
const activateLookTimeout = 15 * time.Second

// connectionActivate shows what activating a draft will do: the issues in scope now, the
// fields that leave each side, the first writes of a sample issue, and the backfill choice.
func (s *Server) connectionActivate(c echo.Context) error {
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	d, err := s.activateView(c.Request().Context(), cn)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, views.ConnectionActivatePage(s.page(c, cn.Name+": activate", RouteConnections), d))
}

func (s *Server) activateView(ctx context.Context, cn *models.Connection) (views.ConnActivate, error) {
	d := views.ConnActivate{Nav: s.connNav(cn, "overview"), Draft: cn.Draft, Action: s.connURL(RouteConnectionActivateDo, cn.ID),
		ScopeURL: s.connURL(RouteConnectionScope, cn.ID)}
	if !cn.Draft {
		return d, nil
	}
	ovs, err := s.overlapMessages(ctx, cn)
	if err != nil {
		return d, err
	}
	d.Overlaps = ovs
	local, remote, err := s.connectionInstances(ctx, cn)
	if err != nil {
		return d, err
	}
	rules, rerr := engine.ParseRules(cn.Rules)
	ctx, cancel := context.WithTimeout(ctx, activateLookTimeout)
	defer cancel()
	for i, inst := range []*models.Instance{local, remote} {
		side := sideNames[i]
		project, types, jql := cn.LocalProject, cn.LocalIssueTypes, cn.LocalJQL
		if i == 1 {
			project, types, jql = cn.RemoteProject, cn.RemoteIssueTypes, cn.RemoteJQL
		}
		sc := views.ConnScopeCount{Side: side, Instance: inst.Name, Project: project}
		if rerr == nil {
			sc.Leaving = leavingFields(rules, side)
		}
		j, err := s.metaClient(ctx, inst)
		if err != nil {
			sc.Problem = err.Error()
			d.Sides = append(d.Sides, sc)
			continue
		}
		page, err := j.Search(ctx, jira.SearchQuery{JQL: engine.ScopeJQL(project, types, jql) + " ORDER BY updated DESC", MaxResults: 1, Fields: []string{"key"}})
		if err != nil {
			sc.Problem = jiraProblem(err)
		} else {
			sc.N = page.Total
			if d.Sample == "" && len(page.Issues) > 0 {
				d.Sample = page.Issues[0].Key
			}
		}
		d.Sides = append(d.Sides, sc)
	}
	if d.Sample != "" && s.engine != nil {
		res, err := s.engine.Preview(ctx, cn.ID, d.Sample)
		if err != nil {
			d.Preview = []string{"The preview failed: " + err.Error()}
		} else {
			d.Preview = previewLines(res)
		}
	}
	return d, nil
}

// leavingFields lists the shared fields that leave a side under the rules' directions.
func leavingFields(r engine.Rules, side string) []string {
	var out []string
	for _, f := range r.Fields {
		id, away := f.Local, engine.DirOut
		if side == models.SideRemote {
			id, away = f.Remote, engine.DirIn
		}
		if f.Direction == "" || f.Direction == engine.DirBoth || f.Direction == away {
			if id != f.Name {
				out = append(out, f.Name+" ("+id+")")
			} else {
				out = append(out, f.Name)
			}
		}
	}
	if r.Comments.Enabled {
		out = append(out, "comments")
	}
	if r.Attachments.Enabled {
		out = append(out, "attachments")
	}
	return out
}

// previewLines says in words what a preview would write.
func previewLines(res *engine.PreviewResult) []string {
	var out []string
	for _, w := range res.Writes {
		var fs []string
		for _, f := range w.Fields {
			fs = append(fs, fmt.Sprintf("%s = %q", f.Name, f.To))
		}
		what := "update " + w.Key
		if w.Create {
			what = "create a new issue"
		}
		line := fmt.Sprintf("on the %s side: %s", w.Side, what)
		if len(fs) > 0 {
			line += " with " + strings.Join(fs, ", ")
		}
		if w.Err != "" {
			line += " (would fail: " + w.Err + ")"
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		out = append(out, "nothing: both sides already agree")
	}
	return append(out, res.Notes...)
}

// connectionActivateSubmit activates a draft and, when asked, starts the backfill of the
// existing issues as a bulk job whose page shows the progress.
func (s *Server) connectionActivateSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cn, err := s.connectionParam(c)
	if err != nil {
		return err
	}
	mode := c.FormValue("mode")
	backfill := mode != "new"
	refuse := func(status int, msg string) error {
		d, err := s.activateView(ctx, cn)
		if err != nil {
			return err
		}
		d.Error, d.Mode = msg, mode
		return Render(c, status, views.ConnectionActivatePage(s.page(c, cn.Name+": activate", RouteConnections), d))
	}
	if backfill && (s.engine == nil || s.bulk == nil) {
		return refuse(http.StatusServiceUnavailable, "Syncing the existing issues needs the sync engine, and this console process runs without it. Choose \"only what changes from now on\", or use Bulk later.")
	}
	eng := s.engine
	if eng == nil {
		eng = &engine.Engine{DB: s.db, Logger: s.log}
	}
	_, err = eng.Activate(ctx, cn.ID)
	var oe *engine.OverlapError
	switch {
	case errors.Is(err, engine.ErrNotDraft):
		s.flash(c, views.FlashInfo, cn.Name+" is active already.")
		return c.Redirect(http.StatusSeeOther, s.connURL(RouteConnectionShow, cn.ID))
	case errors.As(err, &oe):
		return refuse(http.StatusConflict, "Not activated: the scope overlaps another connection (see below).")
	case err != nil:
		return fmt.Errorf("activate connection %d: %w", cn.ID, err)
	}
	s.log.Info("connection activated", "connection", cn.Name, "id", cn.ID, "backfill", backfill, "user", userName(c))
	if !backfill {
		s.flash(c, views.FlashSuccess, cn.Name+" is active: changes from now on are synced; existing issues cross when someone edits them.")
		return c.Redirect(http.StatusSeeOther, s.connURL(RouteConnectionShow, cn.ID))
	}
	eng, id := s.engine, cn.ID
	job, err := s.bulk.jobs.start(s.log, "sync", "Backfill of "+cn.Name+": every issue in scope", id,
		func(ctx context.Context, report engine.ProgressFunc) (engine.BulkProgress, error) {
			return eng.Backfill(ctx, id, eng.Enqueuer == nil, report)
		})
	if errors.Is(err, errBulkBusy) {
		s.flash(c, views.FlashWarning, cn.Name+" is active, but the backfill did not start: "+err.Error()+". Start it from Bulk (sync a JQL) later.")
		return c.Redirect(http.StatusSeeOther, s.connURL(RouteConnectionShow, cn.ID))
	}
	if err != nil {
		return err
	}
	s.flash(c, views.FlashSuccess, cn.Name+" is active: the existing issues are being synced now.")
	return c.Redirect(http.StatusSeeOther, s.e.Reverse(RouteBulkJob, job))
}
