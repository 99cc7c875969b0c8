package bench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

// The convergence scenario, shared by workers' TestConvergenceUnderFaults and `airlock bench
// chaos`: random operations of people on A and B, the wait for a quiet state, and the check that
// every chain A <-> AB <-> B agrees with nothing lost or duplicated.

// ConvergeRules shares a field of every mapped kind, comments, attachments, issue links and
// worklogs. Severity (a
// select) goes through a value map that swaps S1 and S2 on A's connection, and priority one that
// swaps High and Highest on B's, so "equal" is checked after the value maps.
func ConvergeRules(local string) engine.Rules {
	r := engine.DefaultRules()
	r.Fields = append(r.Fields,
		engine.FieldRule{Name: "environment", Kind: engine.KindText, Local: "environment", Remote: "environment"},
		engine.FieldRule{Name: "components", Kind: engine.KindComponents, Local: "components", Remote: "components"},
		engine.FieldRule{Name: "fixVersions", Kind: engine.KindVersions, Local: "fixVersions", Remote: "fixVersions"},
		engine.FieldRule{Name: "ref", Kind: engine.KindText, Local: "customfield_10100", Remote: "customfield_10100"},
		engine.FieldRule{Name: "points", Kind: engine.KindNumber, Local: "customfield_10101", Remote: "customfield_10101"},
		engine.FieldRule{Name: "severity", Kind: engine.KindSelect, Local: "customfield_10102", Remote: "customfield_10102"},
		engine.FieldRule{Name: "platforms", Kind: engine.KindMultiSelect, Local: "customfield_10103", Remote: "customfield_10103"},
		engine.FieldRule{Name: "deadline", Kind: engine.KindDateTime, Local: "customfield_10104", Remote: "customfield_10104"},
		engine.FieldRule{Name: "assignee", Kind: engine.KindUser, Local: "assignee", Remote: "assignee"},
		engine.FieldRule{Name: "reviewer", Kind: engine.KindUser, Local: "customfield_10105", Remote: "customfield_10105"},
	)
	// Structure (issue 14): sub-tasks are in scope (every issue type is), issue links and
	// worklogs travel.
	r.Links.Enabled = true
	r.Worklogs.Enabled = true
	for i := range r.Fields {
		f := &r.Fields[i]
		switch {
		case local == "A" && f.Name == "severity":
			f.Values = map[string]string{"S1 - Critical": "S2 - Major", "S2 - Major": "S1 - Critical"}
		case local == "B" && f.Name == "priority":
			f.Values = map[string]string{"High": "Highest", "Highest": "High"}
		}
	}
	return r
}

// Try runs a person's call, retrying what the emulator refused before doing anything (injected
// 5xx, 504 after a hang, 429): the client itself does not retry non-idempotent calls.
func Try(ctx context.Context, what string, f func() error) error {
	var err error
	for range 40 {
		if err = f(); err == nil {
			return nil
		}
		if c := jira.ClassOf(err); c != jira.ClassTransient && c != jira.ClassRateLimited {
			return fmt.Errorf("%s: %w", what, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: gave up: %w", what, err)
}

// Ops applies random operations as people on A and B (field edits of every kind, transitions,
// comments added, edited and deleted, attachments, new issues) and remembers what they left, so
// Verify can tell a lost comment or attachment from one deleted on purpose.
type Ops struct {
	// People are the clients of the humans acting on "A" and "B".
	People map[string]*jira.Client
	// Logf receives one line per failed operation (nil: dropped).
	Logf func(format string, args ...any)
	// Projects are the projects people work in, per instance (none: jirasim.DefaultProjectKey);
	// Service names those that are service projects (see WithServiceDesk).
	Projects map[string][]string
	Service  map[string]bool
	// Structure adds sub-tasks, issue links and worklogs to the operations (bench/structure.go);
	// Verify then compares parents, links and worklogs too.
	Structure bool

	rnd         *rand.Rand
	keys        map[string][]string // issue keys per instance, refreshed now and then
	counts      map[string]int      // operations applied, by kind
	failed      int
	comments    map[string]string   // "inst/comment id" -> body the person left
	internal    map[string]bool     // "inst/comment id" -> an internal comment now
	secrets     map[string]string   // secretToken -> "inst/comment id" of an internal note never made public
	created     map[string]int      // issues created per instance (they go to its projects in turn)
	madeInt     int                 // internal comments made
	turned      [2]int              // comments turned public, internal
	attachments map[string]struct{} // "name size" uploaded by people
	worklogs    map[string]string   // "inst/worklog id" -> worklogText of what the person left
}

// NewOps returns an operation generator with a reproducible random sequence.
func NewOps(people map[string]*jira.Client, seed uint64) *Ops {
	return &Ops{People: people, rnd: rand.New(rand.NewPCG(seed, 1)), keys: map[string][]string{}, counts: map[string]int{},
		comments: map[string]string{}, internal: map[string]bool{}, secrets: map[string]string{}, created: map[string]int{},
		attachments: map[string]struct{}{}, worklogs: map[string]string{}}
}

// Counts returns the operations applied, by kind (create, field, transition, comment-add, ...).
func (o *Ops) Counts() map[string]int { return o.counts }

// Applied is the number of operations that took effect.
func (o *Ops) Applied() int {
	n := 0
	for _, c := range o.counts {
		n += c
	}
	return n
}

// Created is the number of issues people created (sub-tasks included).
func (o *Ops) Created() int { return o.counts["create"] + o.counts["subtask"] }

// Failed is the number of operations that failed for another reason than a vanished target.
func (o *Ops) Failed() int { return o.failed }

// Pause returns a random pause between operations (0 to 30 ms), from the same sequence.
func (o *Ops) Pause() time.Duration { return time.Duration(o.rnd.IntN(30)) * time.Millisecond }

func (o *Ops) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

func (o *Ops) refresh(ctx context.Context, inst string) {
	var hits []jira.Issue
	err := Try(ctx, "list issues", func() (err error) {
		hits, err = o.People[inst].SearchAll(ctx, jira.SearchQuery{JQL: "project in (" + strings.Join(o.projects(inst), ", ") + ") ORDER BY key ASC",
			Fields: []string{"summary"}}, jira.SearchAllOptions{})
		return err
	})
	if err != nil {
		o.logf("refresh %s: %v", inst, err)
		return
	}
	o.keys[inst] = o.keys[inst][:0]
	for _, h := range hits {
		o.keys[inst] = append(o.keys[inst], h.Key)
	}
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func subset(r *rand.Rand, xs []string) []string {
	var out []string
	for _, x := range xs {
		if r.IntN(2) == 0 {
			out = append(out, x)
		}
	}
	return out
}

func named(key string, vals []string) []map[string]string {
	out := make([]map[string]string, 0, len(vals))
	for _, v := range vals {
		out = append(out, map[string]string{key: v})
	}
	return out
}

// fieldEdit returns a random edit of one shared field (every kind of the rules).
func (o *Ops) fieldEdit(op int) (string, map[string]any) {
	r := o.rnd
	users := []any{nil, map[string]string{"name": "alice"}, map[string]string{"name": "bob"}}
	edits := []func() map[string]any{
		func() map[string]any {
			return map[string]any{"summary": fmt.Sprintf("summary %d %s", op, pick(r, []string{"alpha", "beta", "gamma"}))}
		},
		func() map[string]any {
			return map[string]any{"description": fmt.Sprintf("h3. Op %d\n* item %d\n* {{code}} _x_", op, r.IntN(100))}
		},
		func() map[string]any {
			return map[string]any{"environment": pick(r, []string{"", "Linux 6.1", fmt.Sprintf("build %d", op)})}
		},
		func() map[string]any {
			return map[string]any{"labels": subset(r, []string{"red", "green", "blue", "ops-" + strconv.Itoa(op%7)})}
		},
		func() map[string]any {
			return map[string]any{"priority": map[string]string{"name": pick(r, []string{"Highest", "High", "Medium", "Low", "Lowest"})}}
		},
		func() map[string]any {
			if r.IntN(4) == 0 {
				return map[string]any{"duedate": nil}
			}
			return map[string]any{"duedate": fmt.Sprintf("2025-%02d-%02d", 1+r.IntN(12), 1+r.IntN(28))}
		},
		func() map[string]any {
			return map[string]any{"components": named("name", subset(r, []string{"Backend", "Frontend", "Docs"}))}
		},
		func() map[string]any {
			return map[string]any{"fixVersions": named("name", subset(r, []string{"1.0", "1.1", "2.0"}))}
		},
		func() map[string]any { return map[string]any{"customfield_10100": fmt.Sprintf("REF-%d", op)} },
		func() map[string]any { return map[string]any{"customfield_10101": float64(r.IntN(40)) / 2} },
		func() map[string]any {
			if r.IntN(5) == 0 {
				return map[string]any{"customfield_10102": nil}
			}
			return map[string]any{"customfield_10102": map[string]string{"value": pick(r, []string{"S1 - Critical", "S2 - Major", "S3 - Minor"})}}
		},
		func() map[string]any {
			return map[string]any{"customfield_10103": named("value", subset(r, []string{"Linux", "macOS", "Windows"}))}
		},
		func() map[string]any {
			at := time.Date(2025, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), 15*r.IntN(4), 0, 0, time.UTC)
			return map[string]any{"customfield_10104": at.Format("2006-01-02T15:04:05.000-0700")}
		},
		func() map[string]any { return map[string]any{"assignee": pick(r, users)} },
		func() map[string]any { return map[string]any{"customfield_10105": pick(r, users)} },
	}
	f := edits[r.IntN(len(edits))]()
	for k := range f {
		return k, f
	}
	return "", f
}

// Apply runs operation op (its number, 0, 1, ...) on a random issue of A or B. The first six
// operations create issues. On a service project's request (WithServiceDesk) half the field
// edits are comments instead and a quarter turn a comment internal or public, as do half the
// comment edits; comments are internal notes or public replies, and half the files come with an
// internal note.
func (o *Ops) Apply(ctx context.Context, op int) {
	r := o.rnd
	inst := pick(r, []string{"A", "B"})
	c := o.People[inst]
	if op%5 == 0 || len(o.keys[inst]) == 0 {
		o.refresh(ctx, inst)
	}
	kind := "create"
	if len(o.keys[inst]) > 0 && op >= 6 {
		switch n := r.IntN(100); {
		case n < 7:
			kind = "create"
		case n < 52:
			kind = "field"
		case n < 62:
			kind = "transition"
		case n < 77:
			kind = "comment-add"
		case n < 85:
			kind = "comment-edit"
		case n < 90:
			kind = "comment-delete"
		default:
			kind = "attachment"
		}
	}
	var key string
	if kind != "create" {
		key = pick(r, o.keys[inst])
		if o.Structure && !o.inService(key) && r.IntN(3) == 0 {
			kind = pick(r, []string{"subtask", "link-add", "link-add", "link-remove", "worklog-add", "worklog-add", "worklog-edit", "worklog-delete"})
		}
		if o.inService(key) && kind == "field" {
			// A service desk's requests are mostly talk, and agents turn replies into notes.
			switch r.IntN(4) {
			case 0, 1:
				kind = "comment-add"
			case 2:
				kind = "comment-toggle"
			}
		}
	}
	var err error
	switch kind {
	case "subtask", "link-add", "link-remove", "worklog-add", "worklog-edit", "worklog-delete":
		err = o.structureOp(ctx, c, inst, key, kind, op)
	case "create":
		var ci *jira.CreatedIssue
		ps := o.projects(inst)
		project := ps[o.created[inst]%len(ps)]
		err = Try(ctx, "create", func() (err error) {
			ci, err = c.CreateIssue(ctx, jira.IssueInput{Fields: map[string]any{
				"project": map[string]string{"key": project}, "issuetype": map[string]string{"name": "Task"},
				"summary": fmt.Sprintf("issue %d on %s", op, inst), "labels": []string{"new"}}})
			return err
		})
		if err == nil {
			o.keys[inst] = append(o.keys[inst], ci.Key)
			o.created[inst]++
		}
	case "field":
		var f map[string]any
		kind, f = o.fieldEdit(op)
		kind = "field " + kind
		err = Try(ctx, "edit "+key, func() error { return c.UpdateIssue(ctx, key, jira.IssueInput{Fields: f}, jira.UpdateOptions{}) })
	case "transition":
		// A person whose transition became stale (the sync moved the status between their read
		// and their click: Jira answers 400 "not valid for this issue") reloads and tries again.
		for attempt := 0; attempt < 3; attempt++ {
			var ts []jira.Transition
			err = Try(ctx, "transitions of "+key, func() (err error) { ts, err = c.Transitions(ctx, key, false); return err })
			if err != nil || len(ts) == 0 {
				break
			}
			tr := pick(r, ts)
			err = Try(ctx, "transition "+key, func() error { return c.DoTransition(ctx, key, jira.TransitionInput{ID: tr.ID}) })
			if err == nil || !strings.Contains(err.Error(), "is not valid for this issue") {
				break
			}
		}
	case "comment-add":
		if o.inService(key) {
			err = o.serviceComment(ctx, c, inst, key, op)
			break
		}
		var cm *jira.Comment
		err = Try(ctx, "comment on "+key, func() (err error) {
			cm, err = c.AddComment(ctx, key, jira.CommentInput{Body: fmt.Sprintf("comment %d on %s\nsecond line %d", op, inst, r.IntN(1000))})
			return err
		})
		if err == nil {
			o.comments[inst+"/"+cm.ID] = cm.Body
		}
	case "comment-toggle":
		err = o.toggleComment(ctx, c, inst, key)
	case "comment-edit", "comment-delete":
		if kind == "comment-edit" && o.inService(key) && r.IntN(2) == 0 {
			kind = "comment-toggle"
			err = o.toggleComment(ctx, c, inst, key)
			break
		}
		// People edit and delete their own comments: copies belong to the sync user, and a
		// deleted copy is by design not brought back (so the sets would differ by intent).
		var cs []jira.Comment
		err = Try(ctx, "comments of "+key, func() (err error) { cs, err = c.Comments(ctx, key, jira.CommentOptions{}); return err })
		var own []jira.Comment
		for _, cm := range cs {
			if cm.Author != nil && cm.Author.Name != "airlock" {
				own = append(own, cm)
			}
		}
		if err != nil || len(own) == 0 {
			break
		}
		cm := pick(r, own)
		if kind == "comment-edit" {
			body := fmt.Sprintf("%s\nedited by op %d", strings.SplitN(cm.Body, "\nedited", 2)[0], op)
			err = Try(ctx, "edit comment", func() error {
				_, err := c.UpdateComment(ctx, key, cm.ID, jira.CommentInput{Body: body})
				return err
			})
			if err == nil {
				o.comments[inst+"/"+cm.ID] = body
			}
		} else {
			err = Try(ctx, "delete comment", func() error { return c.DeleteComment(ctx, key, cm.ID) })
			if err == nil || jira.IsNotFound(err) {
				delete(o.comments, inst+"/"+cm.ID)
				delete(o.internal, inst+"/"+cm.ID)
			}
		}
	case "attachment":
		data := bytes.Repeat([]byte{byte('a' + op%26)}, 1+r.IntN(4000))
		name := fmt.Sprintf("file-%d-%s.txt", op, inst)
		if o.inService(key) && r.IntN(2) == 0 {
			kind = "attachment-internal"
			err = o.internalNoteFor(ctx, c, inst, key, op, name)
		}
		if err == nil {
			err = Try(ctx, "attach to "+key, func() error {
				_, err := c.UploadAttachment(ctx, key, name, bytes.NewReader(data))
				return err
			})
		}
		if err == nil {
			o.attachments[fmt.Sprintf("%s %d", name, len(data))] = struct{}{}
		}
	}
	if err != nil {
		if errors.Is(err, errNoOp) {
			o.counts["noop"]++ // applied, with nothing to do (a sub-task of a sub-task, nothing to unlink)
			return
		}
		if jira.IsNotFound(err) {
			return
		}
		o.failed++
		o.logf("op %d (%s on %s %s): %v", op, kind, inst, key, err)
		return
	}
	o.counts[strings.Fields(kind)[0]]++
}

// Ledger is what the checks read of one node of the split topology: its database and the rules
// of its one connection (local private instance Name <-> AB).
type Ledger struct {
	Name  string
	DB    *models.DB
	Rules engine.Rules
}

// QuarantineError reports twins a node quarantined: a quiet state with them is no success.
type QuarantineError struct {
	Node  string
	Count int64
}

func (e *QuarantineError) Error() string {
	return fmt.Sprintf("node %s: %d quarantined twins", e.Node, e.Count)
}

// Busy counts dirty and pending twins over the nodes; a quarantined twin is a *QuarantineError.
func Busy(ctx context.Context, nodes ...Ledger) (int64, error) {
	var total int64
	for _, n := range nodes {
		var q int64
		if err := n.DB.WithContext(ctx).Model(&models.Twin{}).Where("state = ?", models.TwinQuarantined).Count(&q).Error; err != nil {
			return 0, fmt.Errorf("node %s: count quarantined twins: %w", n.Name, err)
		}
		if q > 0 {
			return 0, &QuarantineError{Node: n.Name, Count: q}
		}
		var c int64
		if err := n.DB.WithContext(ctx).Model(&models.Twin{}).Where("dirty = ? OR state = ?", true, models.TwinPendingCreate).Count(&c).Error; err != nil {
			return 0, fmt.Errorf("node %s: count dirty twins: %w", n.Name, err)
		}
		total += c
	}
	return total, nil
}

// Activity fingerprints the ledgers: it changes whenever a twin is made or reconciled.
func Activity(ctx context.Context, nodes ...Ledger) string {
	var b strings.Builder
	for _, n := range nodes {
		var st struct {
			N    int64
			Last string
		}
		n.DB.WithContext(ctx).Model(&models.Twin{}).Select("COUNT(*) AS n, MAX(updated_at) AS last").Scan(&st)
		var events int64
		n.DB.WithContext(ctx).Model(&models.Event{}).Count(&events)
		fmt.Fprintf(&b, "%s:%d:%s:%d;", n.Name, st.N, st.Last, events)
	}
	return b.String()
}

// PollCycles waits until every side of every connection finished `cycles` polls that started
// after now; false when the deadline passed first.
func PollCycles(ctx context.Context, cycles int, deadline time.Time, nodes ...Ledger) bool {
	for range cycles {
		since := time.Now().UTC()
		for {
			done := true
			for _, n := range nodes {
				var wms []models.Watermark
				n.DB.WithContext(ctx).Find(&wms)
				if len(wms) < 2 {
					done = false
				}
				for _, wm := range wms {
					if wm.LastPollOK == nil || !wm.LastPollOK.After(since) {
						done = false
					}
				}
			}
			if done {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return false
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return true
}

// WaitQuiet waits until no node has a dirty or pending twin through two full poll cycles of
// every connection side in which the ledgers did not change. Quarantined twins end the wait with
// a *QuarantineError.
func WaitQuiet(ctx context.Context, d time.Duration, nodes ...Ledger) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		busy, err := Busy(ctx, nodes...)
		if err != nil {
			return err
		}
		if busy > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		before := Activity(ctx, nodes...)
		if !PollCycles(ctx, 2, deadline, nodes...) {
			break
		}
		if busy, err := Busy(ctx, nodes...); err == nil && busy == 0 && Activity(ctx, nodes...) == before {
			return nil
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("no quiet state within %s", d)
}

// Dump describes a node's unfinished twins and newest open errors, for a failure's log.
func Dump(ctx context.Context, n Ledger) []string {
	var out []string
	var ts []models.Twin
	n.DB.WithContext(ctx).Where("dirty = ? OR state <> ?", true, models.TwinActive).Limit(50).Find(&ts)
	for _, tw := range ts {
		out = append(out, fmt.Sprintf("node %s twin %d %s %s<->%s dirty=%v errors=%d next=%v: %s", n.Name, tw.ID, tw.State, tw.LocalKey,
			tw.RemoteKey, tw.Dirty, tw.ErrorCount, tw.NextAttemptAt, tw.LastError))
	}
	var es []models.SyncError
	n.DB.WithContext(ctx).Where("resolved_at IS NULL").Order("id DESC").Limit(20).Find(&es)
	for _, e := range es {
		out = append(out, fmt.Sprintf("node %s open error %s: %s", n.Name, e.Class, e.Message))
	}
	return out
}

// Verdict is what Verify found in the quiet state. Every list must be empty.
type Verdict struct {
	// Chains is the number of AB issues checked (each with its A and B twin).
	Chains int
	// Issues is the number of issues per instance.
	Issues map[string]int
	// Lost lists states on one side that did not arrive on the others: a field value, a
	// comment, an attachment, an issue without its chain, a twin that never settled, or what
	// people left that is nowhere to be found.
	Lost []string
	// Duplicates lists issues twinned or created twice, and duplicated comments or attachments.
	Duplicates []string
	// Divergent lists the chains whose mapped values differ between A, AB and B.
	Divergent []string
	// Outside lists, one line each, the internal comments people made (in a service project)
	// and the files added with them that are found outside their side: stored on AB or on the
	// other private side (or, in the chaos run, in a request body sent there), with where.
	Outside []string
	outside map[string]map[string]bool // what -> where
}

// OK is true when nothing was lost, duplicated or divergent, and no internal comment left its side.
func (v *Verdict) OK() bool {
	return len(v.Lost) == 0 && len(v.Duplicates) == 0 && len(v.Divergent) == 0 && len(v.Outside) == 0
}

// issueState is what Verify compares of one issue.
type issueState struct {
	issue         *jira.Issue
	service       bool            // in a service project
	comments      []string        // content without the copy header, sorted; not the internal ones people made
	kept          []string        // internal comments people made (they stay on this side), sorted
	arrivedPublic []string        // copies that arrived public in a service project (the rules say internal)
	attachments   []string        // "name size", sorted; not the held ones
	heldNames     map[string]bool // files referenced only by comments that stay on this side
	held          []string        // "name size" of the attachments that stay on this side, sorted
	parent        string          // a sub-task's parent id (bench/structure.go)
	links         []linkEnd       // issue links seen from this issue
	worklogs      []string        // worklogText of each worklog, sorted
}

func readIssue(ctx context.Context, c *jira.Client, id string, structure bool) (issueState, error) {
	var st issueState
	err := Try(ctx, "read issue "+id, func() (err error) {
		st.issue, err = c.GetIssue(ctx, id, jira.GetIssueOptions{})
		return err
	})
	if err != nil {
		return st, err
	}
	var cs []jira.Comment
	if err := Try(ctx, "comments of "+id, func() (err error) {
		cs, err = c.Comments(ctx, id, jira.CommentOptions{Expand: []string{"properties"}})
		return err
	}); err != nil {
		return st, err
	}
	commentState(&st, cs)
	as, _ := st.issue.Attachments()
	for _, a := range as {
		if st.heldNames[a.Filename] {
			st.held = append(st.held, fmt.Sprintf("%s %d", a.Filename, a.Size))
		} else {
			st.attachments = append(st.attachments, fmt.Sprintf("%s %d", a.Filename, a.Size))
		}
	}
	slices.Sort(st.attachments)
	slices.Sort(st.held)
	if structure {
		if err := structureState(ctx, c, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

// commentContent is a comment's text without the attribution line of a copy.
func commentContent(body string) string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	if first, rest, ok := strings.Cut(body, "\n"); ok && strings.Contains(first, "{anchor:airlock-") {
		body = rest
	}
	return strings.TrimSpace(body)
}

func dups(xs []string) []string {
	var out []string
	for i := 1; i < len(xs); i++ {
		if xs[i] == xs[i-1] {
			out = append(out, xs[i])
		}
	}
	return out
}

// missing returns the elements of want not in have (both sorted, as multisets).
func missing(want, have []string) []string {
	var out []string
	i := 0
	for _, w := range want {
		for i < len(have) && have[i] < w {
			i++
		}
		if i < len(have) && have[i] == w {
			i++
			continue
		}
		out = append(out, w)
	}
	return out
}

func rawValue(is *jira.Issue, id string) string {
	var n struct{ Value, Name string }
	if json.Unmarshal(is.Fields[id], &n) == nil {
		return n.Value + n.Name
	}
	return ""
}

// Verify checks the quiet state of the split topology: every issue of A, AB and B is in exactly
// one twin per connection it belongs to; every chain A <-> AB <-> B agrees on every shared field
// (after the value maps), comment and attachment, with no duplicate; and what people left (ops)
// is on all three. An internal comment a person made in a service project is the exception: it
// must be on its own side and on no other (Verdict.Outside), it is left out of the comparison,
// and the twin's kept-home count must match; a copy that arrived in a service project must be
// internal (the bench rules keep the default). The instances' projects are those of the nodes'
// connections. readers read as an administrator of "A", "AB" and "B"; nodes are A's and B's.
func Verify(ctx context.Context, readers map[string]*jira.Client, nodes []Ledger, ops *Ops) (*Verdict, error) {
	v := &Verdict{Issues: map[string]int{}}
	// The projects of every instance: the nodes' connections say which (one per side and connection).
	projects := map[string][]string{}
	for _, n := range nodes {
		var cs []models.Connection
		if err := n.DB.WithContext(ctx).Order("id").Find(&cs).Error; err != nil {
			return nil, fmt.Errorf("node %s: read connections: %w", n.Name, err)
		}
		for _, c := range cs {
			for inst, p := range map[string]string{n.Name: c.LocalProject, "AB": c.RemoteProject} {
				if !slices.Contains(projects[inst], p) {
					projects[inst] = append(projects[inst], p)
				}
			}
		}
	}
	listIDs := func(inst string) ([]string, error) {
		ps := projects[inst]
		if len(ps) == 0 {
			ps = []string{jirasim.DefaultProjectKey(inst)}
		}
		var hits []jira.Issue
		err := Try(ctx, "list "+inst, func() (err error) {
			hits, err = readers[inst].SearchAll(ctx, jira.SearchQuery{JQL: "project in (" + strings.Join(ps, ", ") + ") ORDER BY key ASC",
				Fields: []string{"summary"}}, jira.SearchAllOptions{})
			return err
		})
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.ID)
		}
		v.Issues[inst] = len(ids)
		return ids, err
	}
	peers := map[string]map[string]string{}       // AB id -> private instance -> id
	twinOf := map[string]map[string]models.Twin{} // AB id -> private instance -> twin (for the notes on divergence)
	for _, n := range nodes {
		var ts []models.Twin
		if err := n.DB.WithContext(ctx).Find(&ts).Error; err != nil {
			return nil, fmt.Errorf("node %s: read twins: %w", n.Name, err)
		}
		for _, tw := range ts {
			if tw.RemoteIssueID != nil {
				if twinOf[*tw.RemoteIssueID] == nil {
					twinOf[*tw.RemoteIssueID] = map[string]models.Twin{}
				}
				twinOf[*tw.RemoteIssueID][n.Name] = tw
			}
		}
		ids, err := listIDs(n.Name)
		if err != nil {
			return nil, err
		}
		seenLocal := map[string]bool{}
		for _, tw := range ts {
			if tw.State != models.TwinActive || tw.LocalIssueID == nil || tw.RemoteIssueID == nil {
				v.Lost = append(v.Lost, fmt.Sprintf("node %s twin %d is %s (%s <-> %s): %s", n.Name, tw.ID, tw.State, tw.LocalKey, tw.RemoteKey, tw.LastError))
				continue
			}
			if seenLocal[*tw.LocalIssueID] {
				v.Duplicates = append(v.Duplicates, fmt.Sprintf("node %s: %s twinned twice", n.Name, tw.LocalKey))
			}
			seenLocal[*tw.LocalIssueID] = true
			if peers[*tw.RemoteIssueID] == nil {
				peers[*tw.RemoteIssueID] = map[string]string{}
			}
			if peers[*tw.RemoteIssueID][n.Name] != "" {
				v.Duplicates = append(v.Duplicates, fmt.Sprintf("node %s: AB issue %s twinned twice", n.Name, tw.RemoteKey))
			}
			peers[*tw.RemoteIssueID][n.Name] = *tw.LocalIssueID
		}
		for _, id := range ids {
			if !seenLocal[id] {
				v.Lost = append(v.Lost, fmt.Sprintf("%s issue %s has no twin on node %s", n.Name, id, n.Name))
			}
		}
	}
	abIDs, err := listIDs("AB")
	if err != nil {
		return nil, err
	}
	if ops != nil {
		switch created := ops.Created(); {
		case len(abIDs) > created:
			v.Duplicates = append(v.Duplicates, fmt.Sprintf("AB has %d issues, people created %d", len(abIDs), created))
		case len(abIDs) < created:
			v.Lost = append(v.Lost, fmt.Sprintf("AB has %d issues, people created %d", len(abIDs), created))
		}
	}
	v.Chains = len(abIDs)
	structure := ops != nil && ops.Structure
	toAB := map[string]map[string]string{"AB": {}} // inst -> id -> AB id of its chain
	for abID, p := range peers {
		toAB["AB"][abID] = abID
		for inst, id := range p {
			if toAB[inst] == nil {
				toAB[inst] = map[string]string{}
			}
			toAB[inst][id] = abID
		}
	}
	everywhere := map[string]bool{} // comment content and attachments on all three sides of a chain
	home := map[string]bool{}       // "inst content" of the internal comments people made, on their side
	seen := map[string]map[string]bool{}
	for _, abID := range abIDs {
		p := peers[abID]
		if p["A"] == "" || p["B"] == "" {
			v.Lost = append(v.Lost, fmt.Sprintf("AB issue %s lacks a twin: %v", abID, p))
			continue
		}
		a, err := readIssue(ctx, readers["A"], p["A"], structure)
		if err != nil {
			return nil, err
		}
		ab, err := readIssue(ctx, readers["AB"], abID, structure)
		if err != nil {
			return nil, err
		}
		b, err := readIssue(ctx, readers["B"], p["B"], structure)
		if err != nil {
			return nil, err
		}
		chain := a.issue.Key + " <-> " + ab.issue.Key + " <-> " + b.issue.Key
		var diffs []string
		privates := map[string]issueState{"A": a, "B": b}
		for _, n := range nodes {
			priv := privates[n.Name]
			lp := engine.Project(priv.issue, &n.Rules, models.SideLocal)
			rp := engine.Project(ab.issue, &n.Rules, models.SideRemote)
			for _, f := range n.Rules.Fields {
				if f.Kind == engine.KindIssueType {
					continue
				}
				if lp[f.Name] != rp[f.Name] {
					diffs = append(diffs, fmt.Sprintf("%s on %s <-> AB: %q vs %q%s", f.Name, n.Name, lp[f.Name], rp[f.Name],
						twinNote(twinOf[abID][n.Name], f.Name, priv.issue, ab.issue)))
				}
			}
		}
		// The value maps, checked without the engine's projection.
		swapSev := map[string]string{"S1 - Critical": "S2 - Major", "S2 - Major": "S1 - Critical"}
		if got, want := rawValue(ab.issue, "customfield_10102"), rawValue(a.issue, "customfield_10102"); got != cmp.Or(swapSev[want], want) {
			diffs = append(diffs, fmt.Sprintf("severity on A %q, on AB %q (S1 and S2 swap)", want, got))
		}
		swapPrio := map[string]string{"High": "Highest", "Highest": "High"}
		if got, want := rawValue(ab.issue, "priority"), rawValue(b.issue, "priority"); got != cmp.Or(swapPrio[want], want) {
			diffs = append(diffs, fmt.Sprintf("priority on B %q, on AB %q (High and Highest swap)", want, got))
		}
		for _, s := range []issueState{a, ab, b} {
			if d := dups(slices.Sorted(slices.Values(append(slices.Clone(s.comments), s.kept...)))); len(d) > 0 {
				v.Duplicates = append(v.Duplicates, fmt.Sprintf("%s: duplicate comments on %s: %q", chain, s.issue.Key, d))
			}
			if d := dups(slices.Sorted(slices.Values(append(slices.Clone(s.attachments), s.held...)))); len(d) > 0 {
				v.Duplicates = append(v.Duplicates, fmt.Sprintf("%s: duplicate attachments on %s: %q", chain, s.issue.Key, d))
			}
			if d := dups(s.worklogs); len(d) > 0 {
				v.Duplicates = append(v.Duplicates, fmt.Sprintf("%s: duplicate worklogs on %s: %q", chain, s.issue.Key, d))
			}
		}
		sides := []struct {
			name string
			st   issueState
		}{{"A", a}, {"AB", ab}, {"B", b}}
		for _, x := range sides {
			for _, y := range sides {
				if x.name == y.name {
					continue
				}
				for _, m := range missing(x.st.comments, y.st.comments) {
					diffs = append(diffs, fmt.Sprintf("comment %q on %s, not on %s", m, x.name, y.name))
				}
				for _, m := range missing(x.st.attachments, y.st.attachments) {
					diffs = append(diffs, fmt.Sprintf("attachment %q on %s, not on %s", m, x.name, y.name))
				}
			}
		}
		for _, c := range a.comments {
			if slices.Contains(ab.comments, c) && slices.Contains(b.comments, c) {
				everywhere["c "+c] = true
			}
		}
		for _, at := range a.attachments {
			if slices.Contains(ab.attachments, at) && slices.Contains(b.attachments, at) {
				everywhere["a "+at] = true
			}
		}
		for _, x := range []struct {
			name string
			st   issueState
		}{{"A", a}, {"B", b}} {
			for _, c := range x.st.kept {
				home[x.name+" "+c] = true
			}
			for _, at := range x.st.held {
				home[x.name+" a "+at] = true
			}
			for _, c := range x.st.arrivedPublic {
				diffs = append(diffs, fmt.Sprintf("comment %q arrived public in %s's service project (the rules say internal)", c, x.name))
			}
		}
		// What the twin page shows: the internal comments that stayed home on each side.
		for _, n := range nodes {
			if tw, ok := twinOf[abID][n.Name]; ok && (tw.LocalCommentsKeptHome != len(privates[n.Name].kept) || tw.RemoteCommentsKeptHome != len(ab.kept)) {
				diffs = append(diffs, fmt.Sprintf("node %s's twin %d counts %d / %d internal comments kept home, %s has %d and AB %d", n.Name, tw.ID,
					tw.LocalCommentsKeptHome, tw.RemoteCommentsKeptHome, n.Name, len(privates[n.Name].kept), len(ab.kept)))
			}
		}
		if structure {
			diffs = append(diffs, structureDiffs(map[string]issueState{"A": a, "AB": ab, "B": b},
				func(inst, id string) string { return toAB[inst][id] })...)
			for _, w := range a.worklogs {
				if slices.Contains(ab.worklogs, w) && slices.Contains(b.worklogs, w) {
					everywhere["w "+w] = true
				}
			}
		}
		outsideZone(v, chain, map[string]issueState{"A": a, "AB": ab, "B": b}, seen)
		for _, d := range diffs {
			v.Lost = append(v.Lost, chain+": "+d)
		}
		if len(diffs) > 0 {
			v.Divergent = append(v.Divergent, fmt.Sprintf("%s (%d differences)", chain, len(diffs)))
		}
	}
	if ops != nil {
		for k, body := range ops.comments {
			if ops.internal[k] {
				inst, _, _ := strings.Cut(k, "/")
				content := commentContent(body)
				if !home[inst+" "+content] {
					v.Lost = append(v.Lost, fmt.Sprintf("internal comment %s left by a person is not on %s: %q", k, inst, body))
				}
				for other := range seen {
					if other != inst && seen[other][content] && !v.foundOn(inst, content, other) {
						v.addOutside(inst, content, "on "+other)
					}
				}
				continue
			}
			if !everywhere["c "+commentContent(body)] {
				v.Lost = append(v.Lost, fmt.Sprintf("comment %s left by a person is not on A, AB and B: %q", k, body))
			}
		}
		for k, w := range ops.worklogs {
			if !everywhere["w "+w] {
				v.Lost = append(v.Lost, fmt.Sprintf("worklog %s left by a person is not on A, AB and B: %q", k, w))
			}
		}
		for at := range ops.attachments {
			if home["A a "+at] || home["B a "+at] {
				continue // added with an internal comment: it stays on its side (outsideZone)
			}
			if !everywhere["a "+at] {
				v.Lost = append(v.Lost, fmt.Sprintf("attachment %q uploaded by a person is not on A, AB and B", at))
			}
		}
	}
	slices.Sort(v.Lost)
	return v, nil
}

// twinNote tells, for a field that differs at the quiet state, what the node's twin holds: its
// dirty flag, the baseline of that field on each side and the `updated` it last read against
// the issues' own, so a failed run says which step of the sync let the value go.
func twinNote(tw models.Twin, field string, local, remote *jira.Issue) string {
	if tw.ID == 0 {
		return ""
	}
	base, _ := engine.ParseBaseline(tw.Baseline)
	at := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format("15:04:05.000")
	}
	upd := func(is *jira.Issue) string {
		t, ok := is.Updated()
		if !ok {
			return "-"
		}
		return t.UTC().Format("15:04:05.000")
	}
	return fmt.Sprintf(" [twin %d dirty=%v errors=%d baseline %q / %q; read updated %s / %s, issues updated %s / %s; synced %s]",
		tw.ID, tw.Dirty, tw.ErrorCount, base.Local[field], base.Remote[field], at(tw.LocalUpdated), at(tw.RemoteUpdated),
		upd(local), upd(remote), at(tw.LastSyncedAt))
}
