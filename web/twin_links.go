package web

import (
	"context"
	"fmt"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// twinLinks lists the link twins the twin's issues take part in, as each reads on both sides,
// with the links that stayed home (their other issue is not shared).
func (s *Server) twinLinks(ctx context.Context, tw *models.Twin, local, remote string) (*views.TwinLinks, error) {
	v := &views.TwinLinks{Local: local, Remote: remote, LocalKeptHome: tw.LocalLinksKeptHome, RemoteKeptHome: tw.RemoteLinksKeptHome}
	var rows []models.LinkTwin
	if err := s.db.WithContext(ctx).Where("connection_id = ? AND (from_twin_id = ? OR to_twin_id = ?)", tw.ConnectionID, tw.ID, tw.ID).
		Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("link twins of twin %d: %w", tw.ID, err)
	}
	if len(rows) == 0 {
		return v, nil
	}
	ids := []uint{}
	for _, r := range rows {
		ids = append(ids, r.FromTwinID, r.ToTwinID)
	}
	var ends []models.Twin
	if err := s.db.WithContext(ctx).Select("id", "local_key", "remote_key").Where("id IN ?", ids).Find(&ends).Error; err != nil {
		return nil, fmt.Errorf("twins of links: %w", err)
	}
	keys := map[uint]models.Twin{}
	for _, t := range ends {
		keys[t.ID] = t
	}
	for _, r := range rows {
		from, to := keys[r.FromTwinID], keys[r.ToTwinID]
		v.Rows = append(v.Rows, views.TwinLinkRow{Local: from.LocalKey + " " + r.LocalType + " " + to.LocalKey,
			Remote: from.RemoteKey + " " + r.RemoteType + " " + to.RemoteKey})
	}
	return v, nil
}
