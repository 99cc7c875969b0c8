package web

import (
	"context"
	"fmt"

	"github.com/airlock-sync/airlock/models"
)

// listLimit caps the plain lists of this release; later screens page and filter.
const listLimit = 100

// count counts the rows of model matching an optional condition.
func (s *Server) count(ctx context.Context, model any, where string, args ...any) (int64, error) {
	var n int64
	q := s.db.WithContext(ctx).Model(model)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count %T: %w", model, err)
	}
	return n, nil
}

// instanceNames maps instance ids to names (a node has a handful).
func (s *Server) instanceNames(ctx context.Context) (map[uint]string, error) {
	var rows []models.Instance
	if err := s.db.WithContext(ctx).Select("id", "name").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	m := make(map[uint]string, len(rows))
	for _, r := range rows {
		m[r.ID] = r.Name
	}
	return m, nil
}

// connectionNames maps connection ids to names.
func (s *Server) connectionNames(ctx context.Context) (map[uint]string, error) {
	var rows []models.Connection
	if err := s.db.WithContext(ctx).Select("id", "name").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	m := make(map[uint]string, len(rows))
	for _, r := range rows {
		m[r.ID] = r.Name
	}
	return m, nil
}

// twinLabels maps twin ids to "LOCAL-1 ↔ REMOTE-1" for the given ids.
func (s *Server) twinLabels(ctx context.Context, ids []uint) (map[uint]string, error) {
	m := map[uint]string{}
	if len(ids) == 0 {
		return m, nil
	}
	var rows []models.Twin
	if err := s.db.WithContext(ctx).Select("id", "local_key", "remote_key").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list twins: %w", err)
	}
	for _, t := range rows {
		m[t.ID] = twinLabel(t.LocalKey, t.RemoteKey)
	}
	return m, nil
}

func twinLabel(local, remote string) string {
	if local == "" {
		local = "(pending)"
	}
	if remote == "" {
		remote = "(pending)"
	}
	return local + " ↔ " + remote
}

// nameOr returns the name for id, or "#id" when it is gone.
func nameOr(m map[uint]string, id uint) string {
	if n, ok := m[id]; ok {
		return n
	}
	return fmt.Sprintf("#%d", id)
}
