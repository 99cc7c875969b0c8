package web

import (
	"net/url"
	"strings"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/views"
)

// Sub-tasks and epics in the mapping editor (issue 14): the choice for sub-tasks whose parent
// is outside the scope, and the epic link kind.

// Jira Software's epic fields (schema.custom).
const (
	ghEpicLink = "com.pyxis.greenhopper.jira:gh-epic-link"
)

// structureKinds are the engine kinds of Jira Software's structure fields, by schema.custom
// (Epic Name, gh-epic-label, is a string: text).
var structureKinds = map[string]string{ghEpicLink: engine.KindEpicLink}

// epicLinkNote is the sentence under an epic link row.
const epicLinkNote = "Epic link: points at the epic's copy on the other side (the epic is copied first when it has none); an epic outside the scope is not carried and the copy then has no epic."

// readStructure reads the sub-task choices of the mapping form.
func readStructure(form url.Values) engine.StructureRules {
	s := engine.StructureRules{OutOfScopeParent: strings.TrimSpace(form.Get("structure_out_of_scope")),
		StandaloneType: strings.TrimSpace(form.Get("structure_standalone_type"))}
	if s.OutOfScopeParent == engine.ParentOutOfScopeError {
		s.OutOfScopeParent = "" // the default is the absence
	}
	return s
}

// structureView is the editor view of the choices, with the remote side's standard issue types.
func structureView(s engine.StructureRules, meta [2]sideMeta) views.MappingStructure {
	v := views.MappingStructure{OutOfScope: s.OutOfScopeParent, StandaloneType: s.StandaloneType}
	for _, it := range meta[1].IssueTypes {
		if !it.Subtask {
			v.IssueTypes = appendUnique(v.IssueTypes, it.Name)
		}
	}
	return v
}
