package bench

// The service desk path of the bench worlds (issue 19). Beside ALPHA <-> RELAY <-> BETA, A's
// service project HELP (Jira Service Management) escalates to the vendor project SUPPORT on B
// through its own relay project HELPRELAY, as in the demo: each node has two connections. People
// write internal notes and public replies on HELP's requests and turn comments internal or
// public later; Verify checks that an internal comment a person made never leaves its side (on AB,
// on the other private side, or in any request body either receives) while it stays on its own.

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
)

// Projects of the service desk path (the others are jirasim's default projects).
const (
	ServiceProject       = jirasim.ServiceProjectKey // on A, a service project
	ServiceRelayProject  = "HELPRELAY"               // on AB
	ServiceVendorProject = "SUPPORT"                 // on B, a software project
)

// worldSeed is the content of a bench Jira: jirasim's default seed (A has ALPHA and the service
// project HELP), HELP with ALPHA's components and versions (the converge rules share them), and
// HELPRELAY on AB and SUPPORT on B.
func worldSeed(name string) *jirasim.Seed {
	s := jirasim.DefaultSeed(name)
	comps, vers := []string{"Backend", "Frontend", "Docs"}, []string{"1.0", "1.1", "2.0"}
	for i := range s.Projects {
		if s.Projects[i].Key == ServiceProject {
			s.Projects[i].Components, s.Projects[i].Versions = comps, vers
		}
	}
	add := func(key, title string) {
		s.Projects = append(s.Projects, jirasim.SeedProject{ID: "10001", Key: key, Name: title, Lead: "admin", Admins: []string{"airlock"},
			Components: comps, Versions: vers})
	}
	switch strings.ToUpper(name) {
	case "AB":
		add(ServiceRelayProject, "Help Desk Relay")
	case "B":
		add(ServiceVendorProject, "Vendor Support")
	}
	return s
}

// route is one connection of a node: a project of the private side and the relay project it meets.
type route struct{ name, localProject, relayProject string }

// serviceRoutes are the connections of node A or B in the chaos world: the default projects
// through RELAY, and HELP (A) or SUPPORT (B) through HELPRELAY.
func serviceRoutes(node string) []route {
	own := ServiceProject
	if strings.ToUpper(node) == "B" {
		own = ServiceVendorProject
	}
	return []route{
		{node + "-AB", jirasim.DefaultProjectKey(node), jirasim.DefaultProjectKey("AB")},
		{node + "-AB " + own, own, ServiceRelayProject},
	}
}

// WithServiceDesk makes people work on the service desk path too: issues are created in turn in
// ALPHA and HELP on A and in BETA and SUPPORT on B; on HELP's requests people comment more, write
// internal notes (through the comment property or /rest/servicedeskapi) and public replies, and
// turn comments internal or public.
func (o *Ops) WithServiceDesk() *Ops {
	o.Projects = map[string][]string{
		"A": {jirasim.DefaultProjectKey("A"), ServiceProject},
		"B": {jirasim.DefaultProjectKey("B"), ServiceVendorProject},
	}
	o.Service = map[string]bool{ServiceProject: true}
	return o
}

// projects returns the projects people work in on an instance.
func (o *Ops) projects(inst string) []string {
	if ps := o.Projects[inst]; len(ps) > 0 {
		return ps
	}
	return []string{jirasim.DefaultProjectKey(inst)}
}

// inService reports whether an issue key belongs to a service project.
func (o *Ops) inService(key string) bool {
	p, _, _ := strings.Cut(key, "-")
	return o.Service[p]
}

// InternalComments is the number of internal comments people made (on a service project).
func (o *Ops) InternalComments() int { return o.madeInt }

// Turned is the number of comments people turned internal, and public.
func (o *Ops) Turned() (internal, public int) { return o.turned[1], o.turned[0] }

// secretToken is what every version of an internal note's body carries (edits keep the first
// line), to find it in request bodies: internal-note-<op>-<instance>, delimited so that no token
// is part of another.
func secretToken(op int, inst string) string { return fmt.Sprintf("internal-note-%d-%s", op, inst) }

// serviceComment adds a comment to a service project's request: an internal note (the comment
// property on create, or /rest/servicedeskapi with public=false) or a public reply (the portal's
// way, or a plain comment without the property).
func (o *Ops) serviceComment(ctx context.Context, c *jira.Client, inst, key string, op int) error {
	r := o.rnd
	way := r.IntN(4)
	internal := way < 2
	body := fmt.Sprintf("public reply %d on %s\nsecond line %d", op, inst, r.IntN(1000))
	if internal {
		body = fmt.Sprintf("%s\nsecond line %d", secretToken(op, inst), r.IntN(1000))
	}
	var id string
	err := Try(ctx, "comment on "+key, func() error {
		switch way {
		case 0:
			cm, err := c.AddComment(ctx, key, jira.CommentInput{Body: body, Properties: []jira.EntityProperty{jira.InternalComment(true)}})
			if err == nil {
				id = cm.ID
			}
			return err
		case 3:
			cm, err := c.AddComment(ctx, key, jira.CommentInput{Body: body})
			if err == nil {
				id = cm.ID
			}
			return err
		}
		cm, err := c.AddRequestComment(ctx, key, body, !internal)
		if err == nil {
			id = cm.ID
		}
		return err
	})
	if err != nil {
		return err
	}
	k := inst + "/" + id
	o.comments[k] = body
	o.internal[k] = internal
	if internal {
		o.secrets[secretToken(op, inst)] = k
		o.madeInt++
	}
	return nil
}

// toggleComment turns one of the person's own comments on a service project's request internal
// when it is public, public when it is internal.
func (o *Ops) toggleComment(ctx context.Context, c *jira.Client, inst, key string) error {
	var cs []jira.Comment
	if err := Try(ctx, "comments of "+key, func() (err error) {
		cs, err = c.Comments(ctx, key, jira.CommentOptions{Expand: []string{"properties"}})
		return err
	}); err != nil {
		return err
	}
	var own []jira.Comment
	for _, cm := range cs {
		// A note that carries a file stays internal: a file that travelled is never taken back.
		if cm.Author != nil && cm.Author.Name != "airlock" && !strings.Contains(cm.Body, "[^") {
			own = append(own, cm)
		}
	}
	if len(own) == 0 {
		return nil
	}
	cm := pick(o.rnd, own)
	internal := !cm.Internal()
	if err := Try(ctx, "turn comment "+cm.ID+" internal or public", func() error {
		return c.SetCommentProperty(ctx, cm.ID, jira.ServiceDeskCommentProperty, map[string]bool{"internal": internal})
	}); err != nil {
		return err
	}
	k := inst + "/" + cm.ID
	o.internal[k] = internal
	if internal {
		o.turned[1]++
	} else {
		o.turned[0]++
	}
	if !internal {
		// Its text may travel now: no longer a secret.
		for tok, sk := range o.secrets {
			if sk == k {
				delete(o.secrets, tok)
			}
		}
	}
	return nil
}

// internalNoteFor adds the internal note a file is added with, as JSM writes it ([^name] in the
// body). It is written before the file is uploaded, so the file never exists unreferenced.
func (o *Ops) internalNoteFor(ctx context.Context, c *jira.Client, inst, key string, op int, file string) error {
	body := secretToken(op, inst) + "\n[^" + file + "]"
	var cm *jira.Comment
	if err := Try(ctx, "comment on "+key, func() (err error) {
		cm, err = c.AddComment(ctx, key, jira.CommentInput{Body: body, Properties: []jira.EntityProperty{jira.InternalComment(true)}})
		return err
	}); err != nil {
		return err
	}
	k := inst + "/" + cm.ID
	o.comments[k], o.internal[k], o.secrets[secretToken(op, inst)] = body, true, k
	o.madeInt++
	return nil
}

// attachmentLinkRe finds the attachment links of a comment ([^name], [title|^name]).
var attachmentLinkRe = regexp.MustCompile(`\[(?:[^\]|\n]*\|)?\^([^\]\n]+)\]`)

// commentState sorts one issue's comments: those shared between the sides of a chain, and the
// internal ones a person made (they stay on their side). A copy that arrived internal in a
// service project is shared: its content came from the other side.
func commentState(st *issueState, cs []jira.Comment) {
	if pr, ok := st.issue.Project(); ok && pr != nil {
		st.service = pr.ProjectTypeKey == "service_desk"
	}
	st.heldNames = map[string]bool{}
	freed := map[string]bool{}
	for _, cm := range cs {
		for _, m := range attachmentLinkRe.FindAllStringSubmatch(cm.Body, -1) {
			if cm.Internal() || cm.Visibility != nil && cm.Visibility.Value != "" {
				st.heldNames[m[1]] = true
			} else {
				freed[m[1]] = true
			}
		}
		content := commentContent(cm.Body)
		copied := cm.Author != nil && cm.Author.Name == "airlock"
		switch {
		case cm.Internal() && !copied:
			st.kept = append(st.kept, content)
		default:
			st.comments = append(st.comments, content)
			if st.service && copied && !cm.Internal() {
				st.arrivedPublic = append(st.arrivedPublic, content)
			}
		}
	}
	for n := range freed {
		delete(st.heldNames, n)
	}
	slices.Sort(st.comments)
	slices.Sort(st.kept)
}

// addOutside records that an internal comment of instance home (its content, or "file NAME
// SIZE" for an attachment added with one) was found at where; Outside gets one line per comment.
func (v *Verdict) addOutside(home, what, where string) {
	if v.outside == nil {
		v.outside = map[string]map[string]bool{}
	}
	id := home + " " + strings.SplitN(what, "\n", 2)[0] // a comment's first line names it (op number and instance)
	if v.outside[id] == nil {
		v.outside[id] = map[string]bool{}
	}
	v.outside[id][where] = true
	v.Outside = v.Outside[:0]
	for id, ws := range v.outside {
		home, what, _ := strings.Cut(id, " ")
		v.Outside = append(v.Outside, fmt.Sprintf("%s of %s: %s", what, home, strings.Join(slices.Sorted(maps.Keys(ws)), "; ")))
	}
	slices.Sort(v.Outside)
}

// foundOn reports whether an internal comment of home was already found stored on inst.
func (v *Verdict) foundOn(home, what, inst string) bool {
	for w := range v.outside[home+" "+strings.SplitN(what, "\n", 2)[0]] {
		if strings.HasPrefix(w, "on "+inst+" ") {
			return true
		}
	}
	return false
}

// outsideZone records the internal comments (and the files added with them) of a chain's private
// side found on another side (what is there, shared or kept, by content), and every comment's
// content per instance in seen.
func outsideZone(v *Verdict, chain string, states map[string]issueState, seen map[string]map[string]bool) {
	for inst, st := range states {
		if seen[inst] == nil {
			seen[inst] = map[string]bool{}
		}
		for _, c := range st.comments {
			seen[inst][c] = true
		}
		for _, c := range st.kept {
			seen[inst][c] = true
		}
	}
	for _, home := range []string{"A", "B"} {
		for _, c := range states[home].kept {
			for inst, st := range states {
				if inst != home && (slices.Contains(st.comments, c) || slices.Contains(st.kept, c)) {
					v.addOutside(home, c, "on "+inst+" ("+chain+")")
				}
			}
		}
		for _, at := range states[home].held {
			for inst, st := range states {
				if inst != home && (slices.Contains(st.attachments, at) || slices.Contains(st.held, at)) {
					v.addOutside(home, "file "+at, "on "+inst+" ("+chain+")")
				}
			}
		}
	}
}

// leakScanner reads the request logs of the instances an internal note must not reach (AB, and
// B for A's notes) for the tokens of internal notes, from the start of the run to its check: a
// note's text in any request body there is outside its zone, whether or not it was stored.
type leakScanner struct {
	*logTail
	hits map[string][]string // "internal-note-" token -> "instance METHOD path"
}

func newLeakScanner(sim *jirasim.Sim) *leakScanner {
	s := &leakScanner{hits: map[string][]string{}}
	s.logTail = newLogTail(sim, func(inst *jirasim.Instance, e jirasim.LogEntry) {
		for rest := e.Body; ; {
			i := strings.Index(rest, "internal-note-")
			if i < 0 {
				break
			}
			rest = rest[i:]
			end := len("internal-note-")
			for end < len(rest) && (rest[end] == '-' || rest[end] >= '0' && rest[end] <= '9' || rest[end] >= 'A' && rest[end] <= 'Z') {
				end++
			}
			tok := rest[:end]
			s.hits[tok] = append(s.hits[tok], fmt.Sprintf("%s %s %s", inst.Name(), e.Method, e.Path))
			rest = rest[end:]
		}
	})
	return s
}

// leaks adds to v, for every internal note that never became public, the requests that carried
// its text to an instance other than its own; it returns how many requests did.
func (s *leakScanner) leaks(v *Verdict, o *Ops) (n int) {
	s.sample()
	s.locked(func() {
		for tok, where := range s.hits {
			k, secret := o.secrets[tok]
			if !secret {
				continue
			}
			home, _, _ := strings.Cut(k, "/")
			for _, w := range where {
				if inst, _, _ := strings.Cut(w, " "); inst != home {
					v.addOutside(home, tok, "in a request body: "+w)
					n++
				}
			}
		}
	})
	return n
}
