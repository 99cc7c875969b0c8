package web

import (
	"context"
	"fmt"

	"github.com/airlock-sync/airlock/models"
)

// connStats are the numbers the connection pages show per connection.
type connStats struct {
	Twins      map[string]int64 // by state
	OpenErrors int64
	Watermarks map[string]models.Watermark // by side
}

// connectionStats counts twins by state, open errors and open conflicts, and reads the
// watermarks, for the given connections (one query per table, grouped).
func (s *Server) connectionStats(ctx context.Context, ids []uint) (map[uint]*connStats, error) {
	out := make(map[uint]*connStats, len(ids))
	for _, id := range ids {
		out[id] = &connStats{Twins: map[string]int64{}, Watermarks: map[string]models.Watermark{}}
	}
	if len(ids) == 0 {
		return out, nil
	}
	db := s.db.WithContext(ctx)
	var twins []struct {
		ConnectionID uint
		State        string
		N            int64
	}
	if err := db.Model(&models.Twin{}).Select("connection_id, state, count(*) as n").Where("connection_id IN ?", ids).
		Group("connection_id, state").Scan(&twins).Error; err != nil {
		return nil, fmt.Errorf("count twins per connection: %w", err)
	}
	for _, t := range twins {
		if st := out[t.ConnectionID]; st != nil {
			st.Twins[t.State] = t.N
		}
	}
	var errs []struct {
		ConnectionID uint
		N            int64
	}
	if err := db.Model(&models.SyncError{}).Select("connection_id, count(*) as n").Where("resolved_at IS NULL AND connection_id IN ?", ids).
		Group("connection_id").Scan(&errs).Error; err != nil {
		return nil, fmt.Errorf("count errors per connection: %w", err)
	}
	for _, e := range errs {
		if st := out[e.ConnectionID]; st != nil {
			st.OpenErrors = e.N
		}
	}
	var wms []models.Watermark
	if err := db.Where("connection_id IN ?", ids).Find(&wms).Error; err != nil {
		return nil, fmt.Errorf("read watermarks: %w", err)
	}
	for _, w := range wms {
		if st := out[w.ConnectionID]; st != nil {
			st.Watermarks[w.Side] = w
		}
	}
	return out, nil
}

// openConflicts counts the undecided conflicts of a connection's twins.
func (s *Server) openConflicts(ctx context.Context, connID uint) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&models.Conflict{}).
		Where("decision = '' AND twin_id IN (?)", s.db.Model(&models.Twin{}).Select("id").Where("connection_id = ?", connID)).
		Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count conflicts of connection %d: %w", connID, err)
	}
	return n, nil
}

// total sums a count map.
func total(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
