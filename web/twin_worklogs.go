package web

import (
	"context"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// twinWorklogs is the twin page's worklog section, read live through the engine; nil when the
// connection does not sync worklogs or no engine runs in this process.
func (s *Server) twinWorklogs(ctx context.Context, tw *models.Twin, v *views.TwinView) *views.TwinWorklogs {
	if s.engine == nil {
		return nil
	}
	out := &views.TwinWorklogs{Local: v.Local.Instance, Remote: v.Remote.Instance}
	snap, err := s.engine.InspectWorklogs(ctx, tw.ID)
	if err != nil {
		s.log.Warn("twin page: worklogs not read", "twin", tw.ID, "err", err)
		out.Err = "The worklogs could not be read live: " + err.Error()
		return out
	}
	if !snap.Enabled {
		return nil
	}
	for _, l := range snap.Lines {
		out.Lines = append(out.Lines, views.TwinWorklogLine{Local: twinWorklog(l.Local), Remote: twinWorklog(l.Remote), State: l.State})
	}
	return out
}

func twinWorklog(in *engine.WorklogInfo) *views.TwinWorklog {
	if in == nil {
		return nil
	}
	return &views.TwinWorklog{Author: in.Author, Started: in.Started.Format("2006-01-02 15:04:05 -0700"), Spent: engine.FormatSeconds(in.Seconds),
		Comment: in.Comment, Visibility: in.Visibility, Copy: in.Copy}
}
