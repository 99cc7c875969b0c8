package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// Time tracking estimates as fields (issue 14, Deliver 6).
//
// Jira Server/DC reads an issue's estimates as seconds in the navigable fields
// timeoriginalestimate (Original Estimate) and timeestimate (Remaining Estimate), null when
// unset, and in the non-navigable timetracking field {originalEstimate, remainingEstimate,
// originalEstimateSeconds, remainingEstimateSeconds}. It writes them only through timetracking:
//
//	{"fields":{"timetracking":{"originalEstimate":"90m","remainingEstimate":"1h"}}}
//
// A duration rule names timeoriginalestimate or timeestimate on each side; its value is the
// number of seconds (so "1h 30m" and "90m" are the same value), written in minutes: a duration
// in days or weeks depends on the instance's working-day setting, minutes never do. Both rules
// write into the one timetracking field; a write that changes only one of them carries the
// other's current value from the target as well, so it never clobbers it.

// KindDuration is an estimate (timeoriginalestimate or timeestimate), shared as seconds.
const KindDuration = "duration"

// Jira's estimate fields and the timetracking keys that write them.
const (
	FieldOriginalEstimate  = "timeoriginalestimate"
	FieldRemainingEstimate = "timeestimate"
	fieldTimeTracking      = "timetracking"
)

// estimateKey is the timetracking key that writes an estimate field ("" for another field).
func estimateKey(id string) string {
	switch id {
	case FieldOriginalEstimate:
		return "originalEstimate"
	case FieldRemainingEstimate:
		return "remainingEstimate"
	}
	return ""
}

// validateTrackingKind checks that a duration rule names an estimate field on both sides.
func validateTrackingKind(f *FieldRule, path string) *RuleError {
	if f.Kind != KindDuration {
		return validateWatchers(f, path)
	}
	if estimateKey(f.Local) == "" || estimateKey(f.Remote) == "" {
		return &RuleError{path, fmt.Sprintf("a duration is an estimate: %s (original) or %s (remaining) on each side", FieldOriginalEstimate, FieldRemainingEstimate)}
	}
	return nil
}

// projectDuration reads an estimate as its number of seconds ("" when unset). A timetracking
// value (what a write carries) reads as the part the field stands for.
func projectDuration(raw json.RawMessage) string {
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if s, err := n.Int64(); err == nil {
			return strconv.FormatInt(s, 10)
		}
		if f, err := n.Float64(); err == nil {
			return strconv.FormatInt(int64(f), 10)
		}
	}
	return ""
}

// durationInput is an estimate in seconds as Jira takes it: whole minutes ("90m"), "" to clear.
func durationInput(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	s, err := strconv.ParseInt(v, 10, 64)
	if err != nil || s < 0 {
		return "", fmt.Errorf("%q is not a number of seconds", v)
	}
	return strconv.FormatInt((s+30)/60, 10) + "m", nil
}

// timeTracking is a timetracking write; it reads back (sentShared) as the estimate fields it
// sets, in seconds.
type timeTracking map[string]string

func (t timeTracking) readBack() any { return t }

// buildDuration adds one estimate to the write's timetracking value.
func buildDuration(in *jira.IssueInput, f *FieldRule, id, v string) error {
	s, err := durationInput(v)
	if err != nil {
		return dataError("field %s: %v", f.Name, err)
	}
	tt, _ := in.Fields[fieldTimeTracking].(timeTracking)
	if tt == nil {
		tt = timeTracking{}
		in.Fields[fieldTimeTracking] = tt
	}
	tt[estimateKey(id)] = s
	return nil
}

// spreadTimeTracking turns a timetracking value in a write read back (sentShared) into the
// estimate fields a read shows, so the duration rules project it.
func spreadTimeTracking(fields map[string]json.RawMessage) {
	raw, ok := fields[fieldTimeTracking]
	if !ok {
		return
	}
	var tt map[string]string
	if json.Unmarshal(raw, &tt) != nil {
		return
	}
	for _, id := range []string{FieldOriginalEstimate, FieldRemainingEstimate} {
		s, ok := tt[estimateKey(id)]
		if !ok {
			continue
		}
		if s == "" {
			fields[id] = json.RawMessage("null")
			continue
		}
		var m int64
		if _, err := fmt.Sscanf(s, "%dm", &m); err == nil {
			fields[id] = json.RawMessage(strconv.FormatInt(m*60, 10))
		}
	}
}

// completeTimeTracking makes a write that sets one estimate carry the other as the target
// has it (cur, the target as last read), so that no Jira version resets it: Jira's
// timetracking is one field with two parts.
func completeTimeTracking(in *jira.IssueInput, cur *jira.Issue) {
	tt, ok := in.Fields[fieldTimeTracking].(timeTracking)
	if !ok || cur == nil {
		return
	}
	for _, id := range []string{FieldOriginalEstimate, FieldRemainingEstimate} {
		k := estimateKey(id)
		if _, set := tt[k]; set {
			continue
		}
		raw, ok := cur.Fields[id]
		if !ok {
			continue // not read: leave it out rather than guess
		}
		v := projectDuration(raw)
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n%60 == 0 {
			tt[k], _ = durationInput(v)
		}
	}
}

// Watchers as a field (off by default: not in DefaultRules).
//
// Jira's watches field holds only {watchCount, isWatching}; the list is GET
// /issue/{k}/watchers ({watchers:[user beans]}), and it is written only through POST
// /issue/{k}/watchers (a JSON string: the login) and DELETE /issue/{k}/watchers?username=. A
// watchers rule names "watches" on both sides; a read of an issue (getIssue) replaces the
// field by the watcher list, the sync user left out: Jira makes the creator and reporter of an
// issue watch it (autowatch), and the sync user is the creator of every copy, so counting it
// would bounce an invented watcher back and forth. The value is a set of logins through the
// user map, like Request participants.

// KindWatchers is the watcher list of an issue, a set of users through the user map.
const KindWatchers = "watchers"

// fieldWatches is Jira's watchers field.
const fieldWatches = "watches"

// watcherJira is the part of a Jira client that reads and writes watchers (jira.Client has it).
type watcherJira interface {
	Watchers(ctx context.Context, idOrKey string) (*jira.Watchers, error)
	AddWatcher(ctx context.Context, idOrKey, name string) error
	RemoveWatcher(ctx context.Context, idOrKey, name string) error
}

func validateWatchers(f *FieldRule, path string) *RuleError {
	if f.Kind == KindWatchers && (f.Local != fieldWatches || f.Remote != fieldWatches) {
		return &RuleError{path, "watchers are the " + fieldWatches + " field on both sides"}
	}
	return nil
}

// watcherRule is the rules' watchers rule for side reads ("" when none).
func watcherRule(r *Rules) *FieldRule {
	for i := range r.Fields {
		if r.Fields[i].Kind == KindWatchers {
			return &r.Fields[i]
		}
	}
	return nil
}

// syncUserName is the login Airlock acts as on a side.
func (e *Engine) syncUserName(ctx context.Context, s *Side) (string, error) {
	if s.Instance != nil && s.Instance.Username != "" {
		return s.Instance.Username, nil
	}
	key := s.Jira.Instance() + "\x00" + s.Jira.BaseURL()
	if v, ok := syncUsers.Load(key); ok {
		return v.(string), nil
	}
	me, err := s.Jira.Myself(ctx)
	if err != nil {
		return "", fmt.Errorf("read the sync user of %s: %w", s.Name, err)
	}
	syncUsers.Store(key, me.Name)
	return me.Name, nil
}

// syncUsers remembers the sync user of the clients whose instance names no user (a token).
var syncUsers sync.Map

// readWatchers lists an issue's watchers without the sync user.
func (e *Engine) readWatchers(ctx context.Context, s *Side, id string) ([]jira.User, error) {
	wj, ok := s.Jira.(watcherJira)
	if !ok {
		return nil, configError("the %s Jira client cannot read watchers", s.Name)
	}
	ws, err := wj.Watchers(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read %s watchers of %s: %w", s.Name, id, err)
	}
	me, err := e.syncUserName(ctx, s)
	if err != nil {
		return nil, err
	}
	out := make([]jira.User, 0, len(ws.Watchers))
	for _, u := range ws.Watchers {
		if !strings.EqualFold(u.Name, me) {
			out = append(out, u)
		}
	}
	return out, nil
}

// loadWatchers replaces a read issue's watches field by its watcher list when the rules share
// watchers.
func (e *Engine) loadWatchers(ctx context.Context, s *Side, is *jira.Issue, r *Rules) error {
	if watcherRule(r) == nil || is == nil {
		return nil
	}
	us, err := e.readWatchers(ctx, s, is.ID)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(us)
	if err != nil {
		return err
	}
	if is.Fields == nil {
		is.Fields = map[string]json.RawMessage{}
	}
	is.Fields[fieldWatches] = raw
	return nil
}

// projectWatchers reads a watcher list (a watches bean, not replaced by loadWatchers, reads as
// no watchers).
func projectWatchers(raw json.RawMessage, rules *Rules, local bool) string {
	return encodeSet(participantNames(raw, rules.Users.Map, local))
}

// applyWatchers brings dst's watchers to the shared values' watcher sets (remote vocabulary),
// through the user map and the resolved users; cur is dst's watcher list (without the sync
// user). It returns the values written, projected like a read of dst.
func (e *Engine) applyWatchers(ctx context.Context, p *Pair, dst *Side, issueID string, values map[string]string, users map[string]string, cur []jira.User) (Shared, error) {
	f := watcherRule(&p.Rules)
	if f == nil {
		return nil, nil
	}
	v, ok := values[f.Name]
	if !ok {
		return nil, nil
	}
	wj, ok := dst.Jira.(watcherJira)
	if !ok {
		return nil, configError("the %s Jira client cannot write watchers", dst.Name)
	}
	toLocal := dst.Name == models.SideLocal
	want := map[string]bool{}
	var names []string
	for _, n := range decodeSet(v) {
		if toLocal {
			n = reverseUser(p.Rules.Users.Map, n)
		}
		if r, ok := users[n]; ok {
			n = r
		}
		if n != "" && !want[strings.ToLower(n)] {
			want[strings.ToLower(n)] = true
			names = append(names, n)
		}
	}
	have := map[string]bool{}
	for _, u := range cur {
		have[strings.ToLower(u.Name)] = true
		if !want[strings.ToLower(u.Name)] {
			if err := wj.RemoveWatcher(ctx, issueID, u.Name); err != nil && !jira.IsNotFound(err) {
				return nil, fmt.Errorf("watchers of %s issue %s: %w", dst.Name, issueID, err)
			}
		}
	}
	us := make([]jira.User, 0, len(names))
	for _, n := range names {
		if !have[strings.ToLower(n)] {
			if err := wj.AddWatcher(ctx, issueID, n); err != nil {
				if jira.IsNotFound(err) {
					continue // no such user on dst: the watcher stays behind, and is not expected there
				}
				return nil, fmt.Errorf("watchers of %s issue %s: %w", dst.Name, issueID, err)
			}
		}
		us = append(us, jira.User{Name: n})
	}
	raw, _ := json.Marshal(us)
	return Shared{f.Name: projectWatchers(raw, &p.Rules, dst.Name == models.SideLocal)}, nil
}

// writeWatchers is applyWatchers on an update: dst.Issue was read with its watcher list.
func (e *Engine) writeWatchers(ctx context.Context, p *Pair, dst *Side, values map[string]string, users map[string]string) (Shared, error) {
	f := watcherRule(&p.Rules)
	if f == nil || dst.Issue == nil {
		return nil, nil
	}
	if _, ok := values[f.Name]; !ok {
		return nil, nil
	}
	var cur []jira.User
	_, _ = dst.Issue.Field(fieldWatches, &cur)
	return e.applyWatchers(ctx, p, dst, dst.Issue.ID, values, users, cur)
}

// createWatchers gives a new copy the source's watchers, and takes away the ones Jira's
// autowatch added that the source does not have (the reporter). sent gets the value written.
func (e *Engine) createWatchers(ctx context.Context, p *Pair, src, dst *Side, issueID string, srcShared Shared, sent Shared) error {
	f := watcherRule(&p.Rules)
	if f == nil || !travels(f, src.Name) {
		return nil
	}
	values := map[string]string{f.Name: srcShared[f.Name]}
	users, _, err := e.resolveUsers(ctx, p, values, src, dst)
	if err != nil {
		return err
	}
	cur, err := e.readWatchers(ctx, dst, issueID)
	if err != nil {
		return err
	}
	got, err := e.applyWatchers(ctx, p, dst, issueID, values, users, cur)
	if err != nil {
		return err
	}
	maps.Copy(sent, got)
	return nil
}

// Assignee: a KindUser rule on "assignee" writes through PUT fields like any user field. A
// project whose edit screen lacks the assignee answers that PUT with 400 and
// errors.assignee ("Field 'assignee' cannot be set. It is not on the appropriate screen, or
// unknown."), yet lets users with Assign Issues assign through PUT /issue/{k}/assignee: the
// write is then sent again without the assignee, and the assignee through that resource.

// assigner is the part of a Jira client that assigns through the assignee resource.
type assigner interface {
	Assign(ctx context.Context, idOrKey, name string) error
}

// fieldAssignee is Jira's assignee field.
const fieldAssignee = "assignee"

// updateIssue sends one issue write, falling back to the assignee resource when the edit
// screen refuses the assignee.
func (e *Engine) updateIssue(ctx context.Context, dst *Side, in jira.IssueInput, opt jira.UpdateOptions) error {
	err := dst.Jira.UpdateIssue(ctx, dst.Issue.ID, in, opt)
	var je *jira.Error
	if err == nil || !errors.As(err, &je) || je.Status != http.StatusBadRequest || je.Errors[fieldAssignee] == "" {
		return err
	}
	v, has := in.Fields[fieldAssignee]
	a, ok := dst.Jira.(assigner)
	if !has || !ok {
		return err
	}
	if len(je.Errors) > 1 || !strings.Contains(strings.ToLower(je.Errors[fieldAssignee]), "cannot be set") {
		return err // other fields are refused too, or the user itself (unknown, inactive): the error says so
	}
	rest := jira.IssueInput{Fields: maps.Clone(in.Fields), Update: in.Update}
	delete(rest.Fields, fieldAssignee)
	if len(rest.Fields) > 0 || len(rest.Update) > 0 {
		if err := dst.Jira.UpdateIssue(ctx, dst.Issue.ID, rest, opt); err != nil {
			return err
		}
	}
	name := ""
	if m, ok := v.(map[string]string); ok {
		name = m["name"]
	}
	e.log().Info("assignee not on the edit screen: assigned through the assignee resource", "issue", dst.Issue.Key)
	return a.Assign(ctx, dst.Issue.ID, name)
}
