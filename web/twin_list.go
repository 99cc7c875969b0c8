package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// twinList finds twins by issue key (an exact key on either side opens its twin; part of a key
// lists the matches), filters by state and connection, and pages 50 at a time, newest first.
func (s *Server) twinList(c echo.Context) error {
	ctx := c.Request().Context()
	qs := c.QueryParams()
	v := views.TwinListView{ListURL: s.url(RouteTwins), States: twinStates,
		Filter: views.TwinFilterView{Q: strings.TrimSpace(qs.Get("q")), State: qs.Get("state"), Connection: qs.Get("connection")}}
	f := twinFilter{q: strings.ToUpper(v.Filter.Q), postgres: s.db.Dialect == "postgres"}
	for _, st := range twinStates {
		if st == v.Filter.State {
			f.state = st
		}
	}
	if id, ok := twinParseID(v.Filter.Connection); ok {
		f.connection = id
	}
	conns, opts, err := s.twinConnections(ctx)
	if err != nil {
		return err
	}
	v.Connections = opts
	db := s.db.WithContext(ctx)

	exact := false
	if f.q != "" {
		var hits []models.Twin
		if err := f.apply(db.Model(&models.Twin{}), true).Select("id").Limit(2).Find(&hits).Error; err != nil {
			return fmt.Errorf("find twin by key: %w", err)
		}
		switch len(hits) {
		case 1:
			return c.Redirect(http.StatusSeeOther, s.twinURL(hits[0].ID))
		case 2:
			exact = true // the key is linked in several connections: list them
		default:
			v.Notice = "No twin holds the issue " + f.q + " exactly; twins whose keys start with it are listed below."
		}
	}
	total, err := twinCount(f.apply(db.Model(&models.Twin{}), exact))
	if err != nil {
		return fmt.Errorf("count twins: %w", err)
	}
	v.Pager = twinPager(v.ListURL, qs, twinPageParam(qs.Get("page")), total)
	v.AllTwins = total
	if total == 0 {
		if v.AllTwins, err = s.count(ctx, &models.Twin{}, ""); err != nil {
			return err
		}
	}
	var twins []models.Twin
	if total > 0 {
		if err := f.apply(db.Model(&models.Twin{}), exact).
			Select("id", "connection_id", "state", "local_key", "remote_key", "dirty", "last_synced_at", "last_error").
			Order("id DESC").Offset((v.Pager.Page - 1) * twinPageSize).Limit(twinPageSize).Find(&twins).Error; err != nil {
			return fmt.Errorf("list twins: %w", err)
		}
	}
	for _, t := range twins {
		ci, ok := conns[t.ConnectionID]
		name := ci.name
		if !ok {
			name = fmt.Sprintf("#%d", t.ConnectionID)
		}
		v.Rows = append(v.Rows, views.TwinItem{URL: s.twinURL(t.ID), Connection: name,
			LocalKey: t.LocalKey, LocalURL: twinBrowseURL(ci.localBase, t.LocalKey),
			RemoteKey: t.RemoteKey, RemoteURL: twinBrowseURL(ci.remote, t.RemoteKey),
			State: t.State, Dirty: t.Dirty, LastSyncedAt: t.LastSyncedAt, LastError: t.LastError})
	}
	return Render(c, http.StatusOK, views.Twins(s.page(c, "Twins", RouteTwins), v))
}
