package web

import (
	"context"
	"fmt"

	"github.com/airlock-sync/airlock/models"
)

// connFacts is what the health of one connection is judged on.
type connFacts struct {
	// Draft: not activated yet, it syncs nothing (engine/lifecycle).
	Draft  bool
	Paused bool
	// Blocked names an instance of the connection that is auth-blocked ("" when none).
	Blocked string
	// PollErrs are the current poll errors by side (local first).
	PollErrs [2]string
	// Problem is the latest open error of the connection without a twin.
	Problem                 string
	Quarantined, OpenErrors int64
}

// connHealth is the one verdict on a connection that the dashboard (picture and table) and the
// connections list share: "paused", "failing" with the first reason an operator must act on,
// or "ok". A blocked instance, a failing poll, a quarantined twin or any open error is not ok.
func connHealth(f connFacts) (health, problem string) {
	switch {
	case f.Draft:
		return "draft", ""
	case f.Paused:
		return "paused", ""
	case f.Blocked != "":
		return "failing", f.Blocked + " is blocked after an authentication failure: fix its credentials and press Test"
	case f.PollErrs[0] != "":
		return "failing", models.SideLocal + " poll failing: " + f.PollErrs[0]
	case f.PollErrs[1] != "":
		return "failing", models.SideRemote + " poll failing: " + f.PollErrs[1]
	case f.Quarantined > 0:
		return "failing", fmt.Sprintf("%s quarantined: they sync nothing until retried (see Errors)", plural(f.Quarantined, "twin", "twins"))
	case f.Problem != "":
		return "failing", f.Problem
	case f.OpenErrors > 0:
		return "failing", fmt.Sprintf("%s open (see Errors)", plural(f.OpenErrors, "error", "errors"))
	}
	return "ok", ""
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// instanceErrors counts the open errors that belong to an instance rather than to one
// connection (the one auth error of a blocked instance), by instance: every connection using the
// instance counts them among its own.
func (s *Server) instanceErrors(ctx context.Context) (map[uint]int64, error) {
	var rows []struct {
		InstanceID uint
		N          int64
	}
	if err := s.db.WithContext(ctx).Model(&models.SyncError{}).Select("instance_id, COUNT(*) AS n").
		Where("resolved_at IS NULL AND twin_id IS NULL AND connection_id IS NULL AND instance_id IS NOT NULL").
		Group("instance_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count errors per instance: %w", err)
	}
	out := make(map[uint]int64, len(rows))
	for _, r := range rows {
		out[r.InstanceID] = r.N
	}
	return out, nil
}
