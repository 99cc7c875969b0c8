package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// MaxTransitionSteps bounds a status path.
const MaxTransitionSteps = 5

// edge is one workflow transition seen on an issue: from a status, by transition id, to a status.
type edge struct {
	ID, Name, To string
}

// graphKey identifies a workflow: transitions are remembered per instance, project and issue type.
type graphKey struct{ instance, project, issueType string }

// workflows remembers the transitions seen per workflow, so later twins plan a whole path
// without trying.
type workflows struct {
	mu sync.Mutex
	m  map[graphKey]map[string][]edge
}

func (w *workflows) learn(k graphKey, from string, ts []jira.Transition) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[graphKey]map[string][]edge{}
	}
	g := w.m[k]
	if g == nil {
		g = map[string][]edge{}
		w.m[k] = g
	}
	es := make([]edge, 0, len(ts))
	for _, t := range ts {
		es = append(es, edge{ID: t.ID, Name: t.Name, To: t.To.Name})
	}
	g[from] = es
}

// snapshot copies a workflow graph for planning without the lock.
func (w *workflows) snapshot(k graphKey) map[string][]edge {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string][]edge, len(w.m[k]))
	for s, es := range w.m[k] {
		out[s] = es
	}
	return out
}

// shortestPath is a breadth-first search over a known transition graph from one status to
// another, at most max steps; nil when no known path exists.
func shortestPath(g map[string][]edge, from, to string, max int) []edge {
	if from == to {
		return []edge{}
	}
	type node struct {
		status string
		path   []edge
	}
	seen := map[string]bool{from: true}
	queue := []node{{status: from}}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if len(n.path) >= max {
			continue
		}
		for _, e := range g[n.status] {
			if seen[e.To] {
				continue
			}
			p := append(append(make([]edge, 0, len(n.path)+1), n.path...), e)
			if e.To == to {
				return p
			}
			seen[e.To] = true
			queue = append(queue, node{status: e.To, path: p})
		}
	}
	return nil
}

// statusMove is one request to bring an issue to a status.
type statusMove struct {
	Jira       Jira
	Key        graphKey
	IssueID    string
	Current    string // the issue's status name now
	Target     string // in the issue's own vocabulary
	Resolution string // preferred resolution name when a transition screen asks for one
}

// statusSetter is a relay whose status is data, not a workflow (engine/sealed.go).
type statusSetter interface {
	SetStatus(ctx context.Context, issueID, name string) error
}

// moveStatus walks the issue to the target status: a direct transition when Jira offers one,
// else the shortest known path, else it explores statuses it has not seen yet, learning edges
// as it goes; at most MaxTransitionSteps transitions. No path is a config error naming both
// statuses. It returns the transitions made.
func (w *workflows) moveStatus(ctx context.Context, m statusMove) ([]edge, error) {
	if ss, ok := m.Jira.(statusSetter); ok { // a sealed relay: the status travels in the envelope
		if err := ss.SetStatus(ctx, m.IssueID, m.Target); err != nil {
			return nil, fmt.Errorf("status %q: %w", m.Target, err)
		}
		return []edge{{ID: "sealed", Name: "sealed", To: m.Target}}, nil
	}
	var made []edge
	current := m.Current
	visited := map[string]bool{current: true}
	for step := 0; current != m.Target; step++ {
		if step >= MaxTransitionSteps {
			if err := w.movedUnder(ctx, m, current); err != nil {
				return made, err
			}
			return made, configError("no workflow path from status %q to %q within %d transitions", m.Current, m.Target, MaxTransitionSteps)
		}
		ts, err := m.Jira.Transitions(ctx, m.IssueID, true)
		if err != nil {
			return made, fmt.Errorf("transitions at %q: %w", current, err)
		}
		w.learn(m.Key, current, ts)
		pick := -1
		for i, t := range ts {
			if t.To.Name == m.Target {
				pick = i
				break
			}
		}
		if pick < 0 {
			if path := shortestPath(w.snapshot(m.Key), current, m.Target, MaxTransitionSteps-step); len(path) > 0 {
				for i, t := range ts {
					if t.ID == path[0].ID && t.To.Name == path[0].To {
						pick = i
						break
					}
				}
			}
		}
		if pick < 0 {
			// Explore: move to a status whose transitions are still unknown.
			g := w.snapshot(m.Key)
			for i, t := range ts {
				if _, known := g[t.To.Name]; !known && !visited[t.To.Name] {
					pick = i
					break
				}
			}
		}
		if pick < 0 {
			if err := w.movedUnder(ctx, m, current); err != nil {
				return made, err
			}
			return made, configError("no workflow path from status %q to %q: add the transitions or map the status to one that can be reached", m.Current, m.Target)
		}
		t := ts[pick]
		in := jira.TransitionInput{ID: t.ID}
		if _, ok := t.Fields["resolution"]; ok {
			in.Fields = map[string]any{"resolution": map[string]string{"name": pickResolution(t.Fields["resolution"], m.Resolution)}}
		}
		if err := m.Jira.DoTransition(ctx, m.IssueID, in); err != nil {
			if c := ClassOf(err); c == models.ClassConfig || c == models.ClassData {
				if merr := w.movedUnder(ctx, m, current); merr != nil {
					return made, merr
				}
			}
			return made, fmt.Errorf("transition %q (%s -> %s): %w", t.Name, current, t.To.Name, err)
		}
		made = append(made, edge{ID: t.ID, Name: t.Name, To: t.To.Name})
		current = t.To.Name
		visited[current] = true
	}
	return made, nil
}

// movedUnder tells a missing path from a race: Jira lists the transitions of the issue's status
// now, and when someone moved the issue after we read it, the transitions learnt under the status
// we believed in are wrong. Then they are forgotten and the move fails as transient (the next
// reconcile reads the issue again); nil when the issue is still where we think it is.
func (w *workflows) movedUnder(ctx context.Context, m statusMove, current string) error {
	is, err := m.Jira.GetIssue(ctx, m.IssueID, jira.GetIssueOptions{Fields: []string{"status"}})
	if err != nil {
		return nil // the caller reports what it knows
	}
	st, ok := is.Status()
	if !ok || st == nil || st.Name == current {
		return nil
	}
	w.mu.Lock()
	delete(w.m[m.Key], current)
	w.mu.Unlock()
	return transientError("issue %s moved from status %q to %q while Airlock was changing its status", m.IssueID, current, st.Name)
}

// pickResolution chooses the resolution to send: the preferred one when the screen allows it
// (or lists nothing), else "Done" when allowed, else the first allowed value.
func pickResolution(meta jira.FieldMeta, preferred string) string {
	var allowed []string
	for _, raw := range meta.AllowedValues {
		var n named
		if json.Unmarshal(raw, &n) == nil && n.Name != "" {
			allowed = append(allowed, n.Name)
		}
	}
	if len(allowed) == 0 {
		if preferred != "" {
			return preferred
		}
		return "Done"
	}
	for _, want := range []string{preferred, "Done"} {
		for _, a := range allowed {
			if want != "" && a == want {
				return a
			}
		}
	}
	return allowed[0]
}
