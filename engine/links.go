package engine

import "context"

// Issue links between twinned issues (issue 14).

// LinkRules governs issue links.
type LinkRules struct {
	Enabled bool `json:"enabled"`
}

// syncLinks carries issue links between twinned issues; wrote[0] reports a write on the local
// side, wrote[1] on the remote side.
func (e *Engine) syncLinks(ctx context.Context, p *Pair) (wrote [2]bool, err error) {
	return wrote, nil
}
