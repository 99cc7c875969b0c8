package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// conflictsPageSize bounds the cards of the inbox.
const conflictsPageSize = 50

// conflictsOverride carries a refused decision back into its card (message and typed value).
type conflictsOverride struct {
	ID                              uint
	EditValue, EditError, TakeError string
}

// conflictList renders the conflicts inbox: open conflicts oldest first (or decided ones, most
// recent first), each with the baseline and both values side by side.
func (s *Server) conflictList(c echo.Context) error {
	d, err := s.conflictsData(c, c.QueryParam("show") == "decided", nil)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, views.Conflicts(s.page(c, "Conflicts", RouteConflicts), d))
}

// conflictsData builds the inbox; ov puts a refused decision's message into its card.
func (s *Server) conflictsData(c echo.Context, decided bool, ov *conflictsOverride) (views.ConflictsData, error) {
	ctx := c.Request().Context()
	list := s.url(RouteConflicts)
	d := views.ConflictsData{Decided: decided, OpenURL: list, DecidedURL: list + "?" + url.Values{"show": {"decided"}}.Encode(),
		CanDecide: s.engine != nil, Back: list}
	if decided {
		d.Back = d.DecidedURL
	}
	var err error
	const open = "decision = '' OR decision IS NULL"
	if d.OpenCount, err = s.count(ctx, &models.Conflict{}, open); err != nil {
		return d, err
	}
	if d.DecidedCount, err = s.count(ctx, &models.Conflict{}, "decision <> ''"); err != nil {
		return d, err
	}
	q := s.db.WithContext(ctx)
	if decided {
		d.Total = d.DecidedCount
		q = q.Where("decision <> ''").Order("decided_at DESC, id DESC")
	} else {
		d.Total = d.OpenCount
		q = q.Where(open).Order("created_at, id")
	}
	var cs []models.Conflict
	if err := q.Limit(conflictsPageSize).Find(&cs).Error; err != nil {
		return d, fmt.Errorf("list conflicts: %w", err)
	}
	ctxInfo, err := s.conflictsContext(ctx, cs)
	if err != nil {
		return d, err
	}
	for _, cf := range cs {
		card := views.ConflictCard{ID: cf.ID, Field: cf.Field, Baseline: cf.Baseline, LocalValue: cf.LocalValue, RemoteValue: cf.RemoteValue,
			CreatedAt: cf.CreatedAt, DecideURL: s.e.Reverse(RouteConflictDecide, cf.ID), Decision: cf.Decision, Value: cf.Value,
			DecidedBy: cf.DecidedBy, DecidedAt: cf.DecidedAt, Applied: cf.AppliedAt != nil, EditValue: cf.RemoteValue,
			Twin: fmt.Sprintf("twin #%d (removed)", cf.TwinID)}
		if tw, ok := ctxInfo.twins[cf.TwinID]; ok {
			card.Twin = twinLabel(tw.LocalKey, tw.RemoteKey)
			card.TwinURL = s.errorsTwinURL(tw.ID, firstNonEmpty(tw.LocalKey, tw.RemoteKey))
			if conn, ok := ctxInfo.conns[tw.ConnectionID]; ok {
				card.Connection = conn.Name
				li, ri := ctxInfo.insts[conn.LocalInstanceID], ctxInfo.insts[conn.RemoteInstanceID]
				card.LocalName, card.RemoteName = li.Name, ri.Name
				if tw.LocalKey != "" {
					card.LocalIssue = views.ErrorsLink{Label: tw.LocalKey, URL: errorsBrowseURL(li.BaseURL, tw.LocalKey)}
				}
				if tw.RemoteKey != "" {
					card.RemoteIssue = views.ErrorsLink{Label: tw.RemoteKey, URL: errorsBrowseURL(ri.BaseURL, tw.RemoteKey)}
				}
			}
		}
		if ov != nil && ov.ID == cf.ID {
			card.EditValue, card.EditError, card.TakeError = ov.EditValue, ov.EditError, ov.TakeError
			card.EditOpen = ov.EditError != ""
		}
		d.Cards = append(d.Cards, card)
	}
	return d, nil
}

// conflictsInfo is what the cards need besides the conflicts: twins, connections, instances.
type conflictsInfo struct {
	twins map[uint]models.Twin
	conns map[uint]models.Connection
	insts map[uint]models.Instance
}

func (s *Server) conflictsContext(ctx context.Context, cs []models.Conflict) (conflictsInfo, error) {
	info := conflictsInfo{twins: map[uint]models.Twin{}, conns: map[uint]models.Connection{}, insts: map[uint]models.Instance{}}
	if len(cs) == 0 {
		return info, nil
	}
	ids := make([]uint, 0, len(cs))
	for _, cf := range cs {
		ids = append(ids, cf.TwinID)
	}
	var twins []models.Twin
	if err := s.db.WithContext(ctx).Select("id", "connection_id", "local_key", "remote_key").Where("id IN ?", ids).Find(&twins).Error; err != nil {
		return info, fmt.Errorf("load twins: %w", err)
	}
	for _, t := range twins {
		info.twins[t.ID] = t
	}
	var conns []models.Connection
	if err := s.db.WithContext(ctx).Select("id", "name", "local_instance_id", "remote_instance_id").Find(&conns).Error; err != nil {
		return info, fmt.Errorf("load connections: %w", err)
	}
	for _, c := range conns {
		info.conns[c.ID] = c
	}
	var insts []models.Instance
	if err := s.db.WithContext(ctx).Select("id", "name", "base_url").Find(&insts).Error; err != nil {
		return info, fmt.Errorf("load instances: %w", err)
	}
	for _, i := range insts {
		info.insts[i.ID] = i
	}
	return info, nil
}
