package engine

// Sub-tasks and epics (issue 14): a sub-task's parent and an issue's epic link point at the twin
// of the parent or epic on the other side, created first when it has none yet.

// StructureRules governs sub-tasks and epics.
type StructureRules struct{}
