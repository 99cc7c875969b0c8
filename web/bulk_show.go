package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// show renders the Bulk page with empty forms and the recent jobs.
func (b *bulkArea) show(c echo.Context) error {
	d, err := b.data(c.Request().Context())
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, views.Bulk(b.s.page(c, "Bulk", RouteBulk), d))
}

// data is the Bulk page without form state.
func (b *bulkArea) data(ctx context.Context) (views.BulkData, error) {
	s := b.s
	d := views.BulkData{PreviewURL: s.url(RouteBulkLinkPreview), SyncURL: s.url(RouteBulkSync), ConnectionsURL: s.url(RouteConnections),
		CanRun: s.engine != nil}
	var conns []models.Connection
	if err := s.db.WithContext(ctx).Select("id", "name").Order("name").Find(&conns).Error; err != nil {
		return d, fmt.Errorf("list connections: %w", err)
	}
	for _, c := range conns {
		d.Connections = append(d.Connections, views.ErrorsOption{Value: strconv.FormatUint(uint64(c.ID), 10), Label: c.Name})
	}
	if len(conns) == 1 {
		d.Link.Connection, d.Sync.Connection = d.Connections[0].Value, d.Connections[0].Value
	}
	for _, j := range b.jobs.recent() {
		d.Jobs = append(d.Jobs, b.view(j))
	}
	return d, nil
}

// view turns a job snapshot into what the templates show.
func (b *bulkArea) view(j bulkJobSnapshot) views.BulkJobView {
	v := views.BulkJobView{ID: j.ID, Kind: j.Kind, Title: j.Title, State: j.State, Total: j.Progress.Total, Done: j.Progress.Done,
		Failed: j.Progress.Failed, Skipped: j.Progress.Skipped, Errors: j.Progress.Errors, Message: j.Message, Started: j.Started,
		Finished: j.Finished, Running: j.State == bulkRunning,
		URL: b.s.e.Reverse(RouteBulkJob, j.ID), ProgressURL: b.s.e.Reverse(RouteBulkJobProgress, j.ID),
		TwinsURL: b.s.url(RouteTwins)}
	if j.ConnectionID != 0 {
		v.TwinsURL += "?" + url.Values{"connection": {strconv.FormatUint(uint64(j.ConnectionID), 10)}}.Encode()
	}
	return v
}

// connection reads the posted or queried connection id; ok is false when it names none.
func (b *bulkArea) connection(ctx context.Context, raw string) (*models.Connection, string, error) {
	id, err := strconv.ParseUint(raw, 10, 64)
	if raw == "" || err != nil || id == 0 {
		return nil, "choose a connection", nil
	}
	var conn models.Connection
	q := b.s.db.WithContext(ctx).Limit(1).Find(&conn, id)
	if q.Error != nil {
		return nil, "", fmt.Errorf("load connection %d: %w", id, q.Error)
	}
	if q.RowsAffected == 0 {
		return nil, "this connection does not exist any more; choose another", nil
	}
	return &conn, "", nil
}

// rerender shows the Bulk page again with the forms as typed and their messages, with status
// (422 for invalid input, 502 when Jira could not be asked) and an optional error message.
func (b *bulkArea) rerender(c echo.Context, status int, link *views.BulkLinkForm, sync *views.BulkSyncForm, problem string) error {
	d, err := b.data(c.Request().Context())
	if err != nil {
		return err
	}
	if link != nil {
		d.Link = *link
	}
	if sync != nil {
		d.Sync = *sync
	}
	p := b.s.page(c, "Bulk", RouteBulk)
	if problem != "" {
		p.Flashes = append(p.Flashes, views.Flash{Kind: views.FlashError, Message: problem})
	}
	return Render(c, status, views.Bulk(p, d))
}

// jobShow renders one job's page with its progress.
func (b *bulkArea) jobShow(c echo.Context) error {
	j, err := b.job(c)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, views.BulkJob(b.s.page(c, j.Title, RouteBulk), b.view(j), b.s.url(RouteBulk)))
}

// jobProgress renders the progress fragment htmx polls while the job runs.
func (b *bulkArea) jobProgress(c echo.Context) error {
	j, err := b.job(c)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, views.BulkProgress(b.view(j)))
}

func (b *bulkArea) job(c echo.Context) (bulkJobSnapshot, error) {
	id, err := strconv.Atoi(c.Param("id"))
	if err == nil {
		if j, ok := b.jobs.get(id); ok {
			return j, nil
		}
	}
	return bulkJobSnapshot{}, echo.NewHTTPError(http.StatusNotFound,
		"This bulk job is not known to this console process (it may have restarted). Its twins are in the Twins list.")
}
