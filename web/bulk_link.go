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
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// bulkPreviewTimeout bounds the scan of both projects behind a link preview.
const bulkPreviewTimeout = 2 * time.Minute

// bulkMaxPairs bounds the pairs one link job takes.
const bulkMaxPairs = 10000

// linkPreview scans both projects of the connection and shows what the matching rule pairs,
// before anything is written (GET: it changes nothing).
func (b *bulkArea) linkPreview(c echo.Context) error {
	s := b.s
	form := views.BulkLinkForm{Connection: c.QueryParam("connection"), Rule: c.QueryParam("rule"),
		Field: strings.TrimSpace(c.QueryParam("field")), Side: c.QueryParam("side"), Errors: map[string]string{}}
	if form.Side == "" {
		form.Side = models.SideRemote
	}
	if s.engine == nil {
		return b.rerender(c, http.StatusServiceUnavailable, &form, nil, "Bulk work needs the sync engine, and this console process runs without it.")
	}
	ctx := c.Request().Context()
	conn, problem, err := b.connection(ctx, form.Connection)
	if err != nil {
		return err
	}
	if problem != "" {
		form.Errors["connection"] = problem
	}
	rule := engine.LinkRule{Kind: form.Rule, Field: form.Field, Side: form.Side}
	var be *engine.BulkInputError
	if err := rule.Validate(); errors.As(err, &be) {
		form.Errors[be.Field] = be.Message
	}
	if len(form.Errors) > 0 {
		return b.rerender(c, http.StatusUnprocessableEntity, &form, nil, "")
	}
	pctx, cancel := context.WithTimeout(ctx, bulkPreviewTimeout)
	defer cancel()
	prev, err := s.engine.PreviewLinks(pctx, conn.ID, rule)
	if errors.As(err, &be) {
		form.Errors[be.Field] = be.Message
		return b.rerender(c, http.StatusUnprocessableEntity, &form, nil, "")
	}
	if err != nil {
		s.log.Warn("bulk link preview failed", "connection", conn.ID, "err", err)
		return b.rerender(c, http.StatusBadGateway, &form, nil, "Could not scan the projects: "+err.Error())
	}
	var insts []models.Instance
	if err := s.db.WithContext(ctx).Select("id", "name", "base_url").Where("id IN ?", []uint{conn.LocalInstanceID, conn.RemoteInstanceID}).Find(&insts).Error; err != nil {
		return fmt.Errorf("load instances: %w", err)
	}
	byID := map[uint]models.Instance{}
	for _, in := range insts {
		byID[in.ID] = in
	}
	li, ri := byID[conn.LocalInstanceID], byID[conn.RemoteInstanceID]
	d := views.BulkPreviewData{Form: form, Connection: conn.Name, LocalName: li.Name, RemoteName: ri.Name, RuleText: bulkRuleText(rule),
		Linkable: prev.Linkable(), LocalScanned: prev.LocalScanned, RemoteScanned: prev.RemoteScanned, AlreadyLinked: prev.AlreadyLinked,
		CommitURL: s.url(RouteBulkLink), BackURL: s.url(RouteBulk)}
	d.Flagged = len(prev.Candidates) - d.Linkable
	for _, cand := range prev.Candidates {
		row := views.BulkCandidate{LocalSummary: cand.LocalSummary, RemoteSummary: cand.RemoteSummary, Reason: cand.Reason, Problem: cand.Problem}
		if cand.LocalKey != "" {
			row.LocalIssue = views.ErrorsLink{Label: cand.LocalKey}
			if cand.LocalID != "" {
				row.LocalIssue.URL = errorsBrowseURL(li.BaseURL, cand.LocalKey)
			}
		}
		if cand.RemoteKey != "" {
			row.RemoteIssue = views.ErrorsLink{Label: cand.RemoteKey}
			if cand.RemoteID != "" {
				row.RemoteIssue.URL = errorsBrowseURL(ri.BaseURL, cand.RemoteKey)
			}
		}
		if cand.OK() {
			row.Value = cand.LocalID + ":" + cand.RemoteID
		}
		d.Candidates = append(d.Candidates, row)
	}
	return Render(c, http.StatusOK, views.BulkPreview(s.page(c, "Bulk: preview", RouteBulk), d))
}

// bulkRuleText describes a rule in words, for the preview and the twins' history.
func bulkRuleText(r engine.LinkRule) string {
	if r.Kind == engine.LinkByField {
		return fmt.Sprintf("the %s field on the %s side holds the other issue's key", r.Field, r.Side)
	}
	return "same summary"
}

// link starts a background job that links the ticked pairs of a preview.
func (b *bulkArea) link(c echo.Context) error {
	s := b.s
	back := s.url(RouteBulk)
	if s.engine == nil {
		s.flash(c, views.FlashError, "Bulk work needs the sync engine, and this console process runs without it.")
		return c.Redirect(http.StatusSeeOther, back)
	}
	ctx := c.Request().Context()
	conn, problem, err := b.connection(ctx, c.FormValue("connection"))
	if err != nil {
		return err
	}
	if problem != "" {
		s.flash(c, views.FlashError, "Link pairs: "+problem+".")
		return c.Redirect(http.StatusSeeOther, back)
	}
	if msg := formLimitNotice(c); msg != "" {
		s.flash(c, views.FlashError, "Link pairs: "+msg)
		return c.Redirect(http.StatusSeeOther, back)
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	reason := strings.TrimSpace(c.FormValue("reason"))
	if len(reason) > 200 {
		reason = reason[:200]
	}
	var pairs []engine.LinkPair
	seen := map[string]bool{}
	for _, v := range form["pair"] {
		l, r, ok := strings.Cut(v, ":")
		if !ok || l == "" || r == "" || seen[v] || len(v) > 100 {
			continue
		}
		seen[v] = true
		pairs = append(pairs, engine.LinkPair{LocalID: l, RemoteID: r, Reason: "bulk link, " + reason})
	}
	if len(pairs) == 0 {
		s.flash(c, views.FlashWarning, "No pair was ticked: nothing was linked.")
		return c.Redirect(http.StatusSeeOther, back)
	}
	if len(pairs) > bulkMaxPairs {
		s.flash(c, views.FlashError, fmt.Sprintf("At most %d pairs can be linked at once; narrow the rule.", bulkMaxPairs))
		return c.Redirect(http.StatusSeeOther, back)
	}
	eng, connID := s.engine, conn.ID
	title := fmt.Sprintf("Link %d pairs in %s", len(pairs), conn.Name)
	id, err := b.jobs.start(s.log, "link", title, connID, func(ctx context.Context, report engine.ProgressFunc) (engine.BulkProgress, error) {
		return eng.LinkPairs(ctx, connID, pairs, report)
	})
	if errors.Is(err, errBulkBusy) {
		s.flash(c, views.FlashWarning, "Not started: "+err.Error()+".")
		return c.Redirect(http.StatusSeeOther, back)
	}
	if err != nil {
		return err
	}
	s.flash(c, views.FlashSuccess, title+": started.")
	return c.Redirect(http.StatusSeeOther, s.e.Reverse(RouteBulkJob, id))
}
