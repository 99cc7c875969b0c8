package engine

import (
	"context"
	"encoding/json"
	"fmt"
)

// optionsFor returns the allowed option values of the select fields the plan writes to dst, from
// the issue's edit screen, cached per instance, project and issue type.
func (e *Engine) optionsFor(ctx context.Context, p *Pair, values map[string]string, dst *Side) (map[string][]string, error) {
	need := false
	for i := range p.Rules.Fields {
		f := &p.Rules.Fields[i]
		if _, ok := values[f.Name]; ok && (f.Kind == KindSelect || f.Kind == KindMultiSelect) {
			need = true
			break
		}
	}
	if !need || dst.Issue == nil {
		return nil, nil
	}
	it := ""
	if t, ok := dst.Issue.IssueType(); ok {
		it = t.Name
	}
	key := dst.Instance.Name + "\x00" + dst.Project + "\x00" + it
	c := e.caches()
	c.mu.Lock()
	opts, ok := c.options[key]
	c.mu.Unlock()
	if ok {
		return opts, nil
	}
	meta, err := dst.Jira.EditMeta(ctx, dst.Issue.ID)
	if err != nil {
		return nil, fmt.Errorf("read the edit screen of %s: %w", dst.Issue.Key, err)
	}
	opts = map[string][]string{}
	for id, fm := range meta {
		if len(fm.AllowedValues) == 0 {
			continue
		}
		var vals []string
		for _, raw := range fm.AllowedValues {
			var n named
			if json.Unmarshal(raw, &n) == nil && n.Value != "" {
				vals = append(vals, n.Value)
			}
		}
		if len(vals) > 0 {
			opts[id] = vals
		}
	}
	c.mu.Lock()
	c.options[key] = opts
	c.mu.Unlock()
	return opts, nil
}
