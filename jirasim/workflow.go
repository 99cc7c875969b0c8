package jirasim

// Jira Software's simplified workflow (the one a board's "Simplified workflow" option gives a
// project): every status has one global transition named after it, available from every
// status, the current one included (isGlobal true; isLooped on the transition to the current
// status). No transition has a screen; one into Done sets the resolution Done, one out of Done
// clears it. A looped transition bumps updated but writes no status history item.

var simplifiedTransitions = []transitionDef{
	{"11", "To Do", statusToDo, allStatusIDs()},
	{"21", "In Progress", statusInProgress, allStatusIDs()},
	{"31", "Done", statusDone, allStatusIDs()},
}

func allStatusIDs() []string {
	out := make([]string, 0, len(statuses))
	for _, s := range statuses {
		out = append(out, s.ID)
	}
	return out
}

// workflow returns the transitions of the project's workflow.
func (p *project) workflow() []transitionDef {
	if p.simplified {
		return simplifiedTransitions
	}
	return transitions
}

// SimpleProjectKey is the key of the project with Jira Software's simplified workflow that
// DefaultSeed gives every instance beside its main project (id 10002; it sorts after the
// other seeded keys so that lists sorted by key still start with the main project).
const SimpleProjectKey = "SIMPLE"
