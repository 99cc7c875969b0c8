package web

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// overlapCountTimeout bounds the best-effort count of the issues two overlapping scopes share.
const overlapCountTimeout = 5 * time.Second

// overlapMessages describes each forbidden overlap of c's scope with another connection's,
// naming both connections, the overlapping part and, when Jira can tell, how many issues match
// both scopes now. Empty when the scope owns its issues alone (or overlap is allowed).
func (s *Server) overlapMessages(ctx context.Context, c *models.Connection) ([]string, error) {
	ovs, err := engine.ForbiddenOverlaps(ctx, s.db, c)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, o := range ovs {
		key := fmt.Sprint(o.Other.ID, o.Instance, o.Project)
		if seen[key] {
			continue
		}
		seen[key] = true
		msg := fmt.Sprintf("%s and %s can both twin the issues of %s", c.Name, o.Other.Name, o.Scope())
		if n, ok := s.overlapCount(ctx, o); ok {
			msg += fmt.Sprintf(": %d issue(s) match both now", n)
		}
		out = append(out, msg+".")
	}
	return out, nil
}

// overlapCount asks Jira how many issues match both scopes (bounded, best effort).
func (s *Server) overlapCount(ctx context.Context, o engine.Overlap) (int, bool) {
	var inst models.Instance
	if s.db.WithContext(ctx).Limit(1).Find(&inst, o.Instance).RowsAffected == 0 {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(ctx, overlapCountTimeout)
	defer cancel()
	j, err := s.metaClient(ctx, &inst)
	if err != nil {
		return 0, false
	}
	page, err := j.Search(ctx, jira.SearchQuery{JQL: o.CountJQL(), MaxResults: 1, Fields: []string{"key"}})
	if err != nil {
		return 0, false
	}
	return page.Total, true
}

// overlapProblem is the form error for a scope that overlaps another connection's, or "".
func (s *Server) overlapProblem(ctx context.Context, c *models.Connection) (string, error) {
	msgs, err := s.overlapMessages(ctx, c)
	if err != nil || len(msgs) == 0 {
		return "", err
	}
	return "Refused: " + strings.Join(msgs, " ") + " An issue may be twinned by only one connection per relay: choose another project or disjoint issue types, " +
		"or tick \"allow overlap with other connections\" if both must carry the same issues.", nil
}
