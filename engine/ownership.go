package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/airlock-sync/airlock/models"
)

// Ownership of issues: an issue of one instance is twinned by at most one connection per relay
// direction. Two connections can own the same issue when a side of each is on the same instance
// and project, their other sides are on the same instance, and their issue-type sets intersect
// (an empty set is every type). Their JQL filters do not make them disjoint: labels and other
// filtered values change, and an issue would then move from one connection to the other.
//
// An overlap is allowed when either connection has AllowOverlap: the admin who ticked it was
// shown the other connection by name. Otherwise the console refuses to save or activate the
// second one, and the engine's poll of the younger connection (the higher id) fails with a
// config error, so a database made by an import or an older version leaks nothing: the older
// connection owns the issues.

// Overlap is one way two connections' scopes can hold the same issues.
type Overlap struct {
	Other     models.Connection
	Side      string // this connection's side (models.SideLocal or SideRemote)
	OtherSide string // the other connection's side on the same instance and project
	Instance  uint
	Project   string
	// IssueTypes is the intersection of both sides' issue types; empty means every type.
	IssueTypes []string
	// JQL of both sides (either may be empty), for a count of the issues both match.
	JQL, OtherJQL string
}

// Allowed reports whether the admin allowed this overlap on either connection.
func (o Overlap) Allowed(c *models.Connection) bool { return c.AllowOverlap || o.Other.AllowOverlap }

// Scope describes the overlapping part in words: project, issue types and both filters.
func (o Overlap) Scope() string {
	types := "every issue type"
	if len(o.IssueTypes) > 0 {
		types = "issue types " + strings.Join(o.IssueTypes, ", ")
	}
	filter := func(j string) string {
		if strings.TrimSpace(j) == "" {
			return "no JQL filter"
		}
		return "JQL " + j
	}
	return fmt.Sprintf("project %s, %s (this connection: %s; %s: %s)", o.Project, types, filter(o.JQL), o.Other.Name, filter(o.OtherJQL))
}

// CountJQL is the query of the issues both scopes match now: the project, the common issue
// types and both filters.
func (o Overlap) CountJQL() string {
	return ScopeJQL(o.Project, strings.Join(o.IssueTypes, ","), o.JQL, o.OtherJQL)
}

type scopeSide struct {
	side, jql     string
	inst, otherIn uint
	project       string
	types         []string
}

func scopeSides(c *models.Connection) [2]scopeSide {
	return [2]scopeSide{
		{models.SideLocal, c.LocalJQL, c.LocalInstanceID, c.RemoteInstanceID, c.LocalProject, splitList(c.LocalIssueTypes)},
		{models.SideRemote, c.RemoteJQL, c.RemoteInstanceID, c.LocalInstanceID, c.RemoteProject, splitList(c.RemoteIssueTypes)},
	}
}

// commonTypes intersects two issue-type sets (empty = all); ok is false when they are disjoint.
func commonTypes(a, b []string) (common []string, ok bool) {
	switch {
	case len(a) == 0:
		return b, true
	case len(b) == 0:
		return a, true
	}
	for _, x := range a {
		for _, y := range b {
			if strings.EqualFold(x, y) {
				common = append(common, x)
				break
			}
		}
	}
	return common, len(common) > 0
}

// Overlaps lists every way c's scope can intersect one of others' (c itself is skipped).
func Overlaps(c *models.Connection, others []models.Connection) []Overlap {
	var out []Overlap
	for _, o := range others {
		if o.ID == c.ID && c.ID != 0 {
			continue
		}
		for _, s1 := range scopeSides(c) {
			for _, s2 := range scopeSides(&o) {
				if s1.inst != s2.inst || s1.otherIn != s2.otherIn || !strings.EqualFold(s1.project, s2.project) {
					continue
				}
				types, ok := commonTypes(s1.types, s2.types)
				if !ok {
					continue
				}
				out = append(out, Overlap{Other: o, Side: s1.side, OtherSide: s2.side, Instance: s1.inst, Project: s1.project,
					IssueTypes: types, JQL: s1.jql, OtherJQL: s2.jql})
			}
		}
	}
	return out
}

// ForbiddenOverlaps returns the overlaps of c with the stored connections that neither allows.
func (e *Engine) ForbiddenOverlaps(ctx context.Context, c *models.Connection) ([]Overlap, error) {
	return ForbiddenOverlaps(ctx, e.DB, c)
}

// ForbiddenOverlaps is Engine.ForbiddenOverlaps on a database, for the console and the CLI.
func ForbiddenOverlaps(ctx context.Context, db *models.DB, c *models.Connection) ([]Overlap, error) {
	if c.AllowOverlap {
		return nil, nil
	}
	var others []models.Connection
	if err := db.WithContext(ctx).Where("id <> ? AND allow_overlap = ?", c.ID, false).Order("id").Find(&others).Error; err != nil {
		return nil, fmt.Errorf("load connections: %w", err)
	}
	return Overlaps(c, others), nil
}

// checkOwnership fails a poll of a connection whose scope overlaps an older connection's
// without allowance: the older one owns those issues.
func (e *Engine) checkOwnership(ctx context.Context, c *models.Connection) error {
	ovs, err := e.ForbiddenOverlaps(ctx, c)
	if err != nil {
		return err
	}
	for _, o := range ovs {
		if o.Other.ID < c.ID {
			return configError("connection %s overlaps connection %s on %s: an issue may be twinned by only one of them, so %s syncs nothing. "+
				"Narrow its scope (another project or disjoint issue types), delete one of them, or tick \"allow overlap with other connections\" on its scope page",
				c.Name, o.Other.Name, o.Scope(), c.Name)
		}
	}
	return nil
}
