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
	"github.com/airlock-sync/airlock/views"
)

// bulkCheckTimeout bounds the check of a JQL against Jira before a sync job starts.
const bulkCheckTimeout = 30 * time.Second

// sync checks the JQL against Jira, then starts a background job that syncs every issue it
// finds (pending twins for new ones, dirty for known ones). The job reconciles itself when the
// engine has no queue; otherwise it hands the twins to the workers.
func (b *bulkArea) sync(c echo.Context) error {
	s := b.s
	form := views.BulkSyncForm{Connection: c.FormValue("connection"), Side: c.FormValue("side"), JQL: strings.TrimSpace(c.FormValue("jql")),
		Errors: map[string]string{}}
	if s.engine == nil {
		return b.rerender(c, http.StatusServiceUnavailable, nil, &form, "Bulk work needs the sync engine, and this console process runs without it.")
	}
	ctx := c.Request().Context()
	conn, problem, err := b.connection(ctx, form.Connection)
	if err != nil {
		return err
	}
	if problem != "" {
		form.Errors["connection"] = problem
	}
	req := engine.SyncJQLRequest{Side: form.Side, JQL: form.JQL, Reconcile: s.engine.Enqueuer == nil}
	if conn != nil {
		req.ConnectionID = conn.ID
	}
	var be *engine.BulkInputError
	if err := req.Validate(); errors.As(err, &be) && (be.Field != "connection" || form.Errors["connection"] == "") {
		form.Errors[be.Field] = be.Message
	}
	form.Errors = formLimitErrors(c, form.Errors)
	if len(form.Errors) > 0 {
		return b.rerender(c, http.StatusUnprocessableEntity, nil, &form, "")
	}
	cctx, cancel := context.WithTimeout(ctx, bulkCheckTimeout)
	defer cancel()
	total, err := s.engine.CheckSyncJQL(cctx, req)
	if errors.As(err, &be) {
		form.Errors[be.Field] = be.Message
		return b.rerender(c, http.StatusUnprocessableEntity, nil, &form, "")
	}
	if err != nil {
		s.log.Warn("bulk sync check failed", "connection", conn.ID, "err", err)
		return b.rerender(c, http.StatusBadGateway, nil, &form, "Could not check the query on Jira: "+err.Error())
	}
	if total == 0 {
		form.Errors["jql"] = "Jira finds no issue for this query in the connection's project. Check the query."
		return b.rerender(c, http.StatusUnprocessableEntity, nil, &form, "")
	}
	eng := s.engine
	title := fmt.Sprintf("Sync %s issues of %s: %s", form.Side, conn.Name, truncateText(form.JQL, 80))
	id, err := b.jobs.start(s.log, "sync", title, conn.ID, func(ctx context.Context, report engine.ProgressFunc) (engine.BulkProgress, error) {
		return eng.SyncJQL(ctx, req, report)
	})
	if errors.Is(err, errBulkBusy) {
		s.flash(c, views.FlashWarning, "Not started: "+err.Error()+".")
		return c.Redirect(http.StatusSeeOther, s.url(RouteBulk))
	}
	if err != nil {
		return err
	}
	msg := "Started."
	if total > 0 {
		msg = fmt.Sprintf("Started: about %d issues to sync.", total)
	}
	s.flash(c, views.FlashSuccess, msg)
	return c.Redirect(http.StatusSeeOther, s.e.Reverse(RouteBulkJob, id))
}

// truncateText shortens s to n runes with an ellipsis.
func truncateText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
