package web

import (
	"context"
	"fmt"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// loadEditScreen adds the fields of the edit screen of the project's most recently updated
// issue to m.Writable (one search of one issue, one editmeta); a project without issues adds
// nothing, and the create screens decide alone.
func (s *Server) loadEditScreen(ctx context.Context, j metaJira, project string, m *sideMeta) error {
	page, err := j.Search(ctx, jira.SearchQuery{JQL: "project = " + jqlQuote(project) + " ORDER BY updated DESC", MaxResults: 1, Fields: []string{"key"}})
	if err != nil {
		return err
	}
	if len(page.Issues) == 0 {
		return nil
	}
	em, err := j.EditMeta(ctx, page.Issues[0].ID)
	if err != nil {
		return err
	}
	for id := range em {
		m.Writable[id] = true
	}
	return nil
}

// rowWrites reports whether a row with direction dir writes into side (0 local, 1 remote).
func rowWrites(dir string, side int) bool {
	if side == 0 {
		return dir != engine.DirOut
	}
	return dir != engine.DirIn
}

// writable reports whether Jira accepts writes of a field: on a create or edit screen, or the
// status (moved by transitions). Unknown screens accept everything.
func (m *sideMeta) writable(id string) bool {
	return m.Writable == nil || m.Writable[id] || id == "status" || writableVia(m.Writable, id) // mapping_tracking.go
}

// fieldOptions is a side's field picker: readable fields (Jira returns them on an issue), and
// when the row writes into this side only those its create or edit screens accept.
func fieldOptions(m *sideMeta, target bool) []views.MappingFieldOption {
	var opts []views.MappingFieldOption
	for _, fd := range m.Fields {
		if !fd.Navigable || (target && (!m.writable(fd.ID) || isSLA(fd))) {
			continue
		}
		opts = append(opts, views.MappingFieldOption{ID: fd.ID, Label: fieldLabel(fd), Kind: suggestKind(fd)})
	}
	return opts
}

// fieldAccessProblem says why Jira would refuse a field in a rule: it cannot be read from an
// issue, or the row writes into it and no create or edit screen accepts it. "" when fine.
func fieldAccessProblem(m *sideMeta, fd jira.Field, target bool) string {
	switch {
	case !fd.Navigable:
		return fmt.Sprintf("%s (%s) cannot be shared: Jira does not return it on an issue, so Airlock cannot read it.", fd.Name, fd.ID)
	case target && isSLA(fd):
		return fmt.Sprintf("%s (%s) is an SLA: Jira Service Management computes it and accepts no writes, so it can only be a source. Make the rule one way from this side (for example into a text field on the other side).", fd.Name, fd.ID)
	case target && !m.writable(fd.ID):
		return fmt.Sprintf("Jira would reject writes to %s (%s): it is on no create or edit screen of this project (a read-only field such as Created or Votes, or one missing from the screens). Choose another field, or make the rule one-way from this side.", fd.Name, fd.ID)
	}
	return ""
}

// firstSyncRows finds the rows that start a first sync (new, or their direction, fields, value
// map or user map changed since the saved rules) and says, per row index, how many twins the
// chosen first sync would overwrite: from the engine's FirstSyncImpact (stored baselines and one
// bounded read), or "" when this process has no engine.
func (s *Server) firstSyncRows(ctx context.Context, cn *models.Connection, in mappingInput, meta [2]sideMeta) map[int]string {
	stored, err := engine.ParseRules(cn.Rules)
	if err != nil {
		stored = engine.Rules{}
	}
	next, _ := buildRules(in, meta, &stored)
	out := map[int]string{}
	for i, row := range in.Rows {
		if row.Local == "" || row.Remote == "" || i >= len(next.Fields) {
			continue
		}
		fr := &next.Fields[i]
		if old := storedField(&stored, fr.Name); old != nil && stored.Revision(old) == next.Revision(fr) {
			continue
		}
		out[i] = ""
	}
	if len(out) == 0 || s.engine == nil {
		return out
	}
	im, err := s.engine.FirstSyncImpact(ctx, cn.ID, next)
	for i := range out {
		name := next.Fields[i].Name
		switch {
		case err != nil:
			out[i] = "The values that would be overwritten could not be counted: " + jiraProblem(err)
		case im[name] == nil:
		default:
			out[i] = impactText(im[name])
		}
	}
	return out
}

func storedField(r *engine.Rules, name string) *engine.FieldRule {
	for i := range r.Fields {
		if r.Fields[i].Name == name {
			return &r.Fields[i]
		}
	}
	return nil
}

// impactText is the editor's sentence for a first sync's impact.
func impactText(im *engine.FirstSyncImpact) string {
	n := fmt.Sprintf("%d values would be overwritten", im.Overwrites)
	if im.Overwrites == 1 {
		n = "1 value would be overwritten"
	}
	n += fmt.Sprintf(" (of %d twins checked)", im.Twins)
	if im.Partial {
		n += "; at least: only the most recently updated issues were read"
	}
	return n + "."
}
