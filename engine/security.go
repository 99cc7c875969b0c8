package engine

// Issue security levels keep issues home unless levels are mapped (issue 14).

// SecurityRules governs issue security levels.
type SecurityRules struct{}
