package engine

// Service projects (Jira Service Management, projectTypeKey "service_desk") have customers who
// read a request on the portal. A comment there is public (the customer sees it) or internal (an
// agents' note): JSM tells them apart by the comment property sd.public.comment ({"internal":
// true}), Jira Cloud also by jsdPublic. Airlock uses that in two ways (engine/internal.go):
//   - an internal comment stays on its side unless the connection lets internal comments travel
//     that way (Rules.Comments.InternalToRemote / InternalToLocal);
//   - a comment Airlock carries into a service project is created internal unless the connection
//     says that comments arriving on that side are public (PublicOnLocal / PublicOnRemote), so
//     nothing reaches a customer without an admin's decision. A copy keeps the state it was given:
//     edits never send the property again.

import (
	"context"
	"fmt"
	"strings"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// ProjectTypeServiceDesk is the projectTypeKey of a Jira Service Management project.
const ProjectTypeServiceDesk = "service_desk"

// projectType returns the projectTypeKey of the side's project: from the issue's own project
// field when Jira sent it (a fresh read, no extra call), else from GET /project/{key}, cached per
// Jira and project for the life of the engine.
func (e *Engine) projectType(ctx context.Context, s *Side) (string, error) {
	key := s.Project
	if s.Issue != nil {
		if pr, ok := s.Issue.Project(); ok && pr != nil {
			if pr.ProjectTypeKey != "" {
				return pr.ProjectTypeKey, nil
			}
			if pr.Key != "" {
				key = pr.Key
			}
		}
	}
	if key == "" {
		return "", nil
	}
	ck := strings.ToLower(strings.TrimRight(s.Jira.BaseURL(), "/")) + "\x00" + strings.ToUpper(key)
	c := e.caches()
	c.mu.Lock()
	t, ok := c.projTypes[ck]
	c.mu.Unlock()
	if ok {
		return t, nil
	}
	pr, err := s.Jira.Project(ctx, key)
	if err != nil {
		return "", fmt.Errorf("project type of %s on %s: %w", key, s.Name, err)
	}
	c.mu.Lock()
	c.projTypes[ck] = pr.ProjectTypeKey
	c.mu.Unlock()
	return pr.ProjectTypeKey, nil
}

// isServiceDesk reports whether the side's issue lives in a service project.
func (e *Engine) isServiceDesk(ctx context.Context, s *Side) (bool, error) {
	t, err := e.projectType(ctx, s)
	if err != nil {
		return false, err
	}
	return t == ProjectTypeServiceDesk, nil
}

// publicOn reports whether comments arriving on side `to` are made customer-visible.
func publicOn(r *CommentRules, to string) bool {
	if to == models.SideLocal {
		return r.PublicOnLocal
	}
	return r.PublicOnRemote
}

// arrivalProperties are the comment properties a copy is created with on side `to`: none outside
// a service project; in one, sd.public.comment internal unless comments arriving there are
// public. An internal note that was allowed to travel arrives internal even then: a setting for
// replies never turns an agents' note into something a customer reads.
func (e *Engine) arrivalProperties(ctx context.Context, p *Pair, to *Side, src *jira.Comment) ([]jira.EntityProperty, error) {
	sd, err := e.isServiceDesk(ctx, to)
	if err != nil || !sd {
		return nil, err
	}
	internal := !publicOn(&p.Rules.Comments, to.Name) || src.Internal()
	return []jira.EntityProperty{jira.InternalComment(internal)}, nil
}
