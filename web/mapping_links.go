package web

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// linkInput is the issue links section of the mapping editor: on/off and the link type map
// (local type name -> remote type name; a blank entry keeps the name).
type linkInput struct {
	On    bool
	Types map[string]string
}

// linkInputOf is the section's state from stored rules.
func linkInputOf(r engine.LinkRules) linkInput {
	in := linkInput{On: r.Enabled, Types: map[string]string{}}
	for k, v := range r.Types {
		in.Types[k] = v
	}
	return in
}

// readLinkInput reads the section from the submitted form (link_l / link_r pairs).
func readLinkInput(form url.Values) linkInput {
	in := linkInput{On: form.Get("links_on") != "", Types: map[string]string{}}
	ls, rs := form["link_l"], form["link_r"]
	for i, l := range ls {
		if l = strings.TrimSpace(l); l != "" && i < len(rs) && strings.TrimSpace(rs[i]) != "" {
			in.Types[l] = strings.TrimSpace(rs[i])
		}
	}
	return in
}

// rules is the section as engine.LinkRules: entries that keep the name are left out.
func (in linkInput) rules() engine.LinkRules {
	r := engine.LinkRules{Enabled: in.On}
	for k, v := range in.Types {
		if k != v {
			if r.Types == nil {
				r.Types = map[string]string{}
			}
			r.Types[k] = v
		}
	}
	return r
}

// linkTypeReader is the link type listing of *jira.Client.
type linkTypeReader interface {
	IssueLinkTypes(ctx context.Context) ([]jira.IssueLinkType, error)
}

// linkTypeNames lists an instance's issue link type names.
func (s *Server) linkTypeNames(ctx context.Context, inst *models.Instance) ([]string, string) {
	j, err := s.metaClient(ctx, inst)
	if err != nil {
		return nil, err.Error()
	}
	lr, ok := j.(linkTypeReader)
	if !ok {
		return nil, "this client cannot list issue link types"
	}
	ts, err := lr.IssueLinkTypes(ctx)
	if err != nil {
		return nil, jiraProblem(err)
	}
	var out []string
	for _, t := range ts {
		out = appendUnique(out, t.Name)
	}
	return out, ""
}

// mappingLinks builds the section: every local link type with the remote type it becomes (saved,
// else the same name ignoring case), and the remote types that cannot come back.
func (s *Server) mappingLinks(ctx context.Context, in linkInput, local, remote *models.Instance) views.MappingLinks {
	ctx, cancel := s.jiraDeadline(ctx)
	defer cancel()
	v := views.MappingLinks{On: in.On}
	localTypes, lp := s.linkTypeNames(ctx, local)
	remoteTypes, rp := s.linkTypeNames(ctx, remote)
	var problems []string
	if lp != "" {
		problems = append(problems, "Could not read the link types of "+local.Name+": "+lp)
	}
	if rp != "" {
		problems = append(problems, "Could not read the link types of "+remote.Name+": "+rp)
	}
	v.Problem = strings.Join(problems, " ")
	v.RemoteTypes = remoteTypes
	reached := map[string]bool{}
	for _, lt := range localTypes {
		p := views.MappingValuePair{Local: lt, Remote: in.Types[lt]}
		if p.Remote == "" {
			p.Remote, _ = matchName(remoteTypes, lt)
		}
		target := p.Remote
		if target == "" {
			target = lt
		}
		reached[target] = true
		p.Unmapped = p.Remote == "" && len(remoteTypes) > 0
		v.Pairs = append(v.Pairs, p)
	}
	var stale []string
	for lt := range in.Types {
		if !slices.Contains(localTypes, lt) {
			stale = append(stale, lt)
		}
	}
	slices.Sort(stale)
	for _, lt := range stale {
		v.Pairs = append(v.Pairs, views.MappingValuePair{Local: lt, Remote: in.Types[lt], Stale: len(localTypes) > 0})
		reached[in.Types[lt]] = true
	}
	if len(localTypes) > 0 {
		for _, rt := range remoteTypes {
			if !reached[rt] && !slices.Contains(localTypes, rt) {
				v.LocalMissing = append(v.LocalMissing, rt)
			}
		}
	}
	return v
}
