package web

import (
	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/views"
)

// twinStructureOf is each side's parent and epic for the twin page, from the live read: the
// parent from the issue, the epic from the connection's epic link rows.
func twinStructureOf(snap *engine.TwinSnapshot) views.TwinStructure {
	v := views.TwinStructure{LocalInstance: snap.Local.Instance, RemoteInstance: snap.Remote.Instance}
	rules, _ := engine.ParseRules(snap.Conn.Rules)
	for _, p := range []struct {
		src          *engine.IssueSnapshot
		parent, epic *string
	}{{&snap.Local, &v.LocalParent, &v.LocalEpic}, {&snap.Remote, &v.RemoteParent, &v.RemoteEpic}} {
		if p.src.Issue == nil {
			continue
		}
		if par, ok := p.src.Issue.Parent(); ok && par != nil {
			*p.parent = par.Key
			if par.Fields.Summary != "" {
				*p.parent += " · " + par.Fields.Summary
			}
		}
		for _, f := range rules.Fields {
			if f.Kind == engine.KindEpicLink && p.src.Shared[f.Name] != "" {
				*p.epic = p.src.Shared[f.Name]
			}
		}
	}
	return v
}
