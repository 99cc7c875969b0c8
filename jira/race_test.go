//go:build race

package jira

// raceEnabled: the race detector multiplies memory use, so RSS bounds are not measured under it.
const raceEnabled = true
