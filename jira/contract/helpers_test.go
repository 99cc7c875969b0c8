package contract

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/jira"
)

// env is what most contract tests need: the target, a client recording its
// exchanges, the sync user and an issue type to create.
type env struct {
	tg   *Target
	c    *jira.Client
	rec  *Recorder
	me   *jira.User
	loc  *time.Location
	typ  string // issue type id for new issues (a non-subtask type)
	ctx  context.Context
	runs string // a label unique to this test run
}

func setup(t *testing.T, tg *Target) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	rec := &Recorder{}
	c := tg.Client(t, rec, nil)
	me, err := c.Myself(ctx)
	if err != nil {
		t.Fatalf("myself: %v", err)
	}
	loc, err := me.Location()
	if err != nil {
		t.Fatalf("myself time zone %q: %v", me.TimeZone, err)
	}
	types, err := c.CreateMetaIssueTypes(ctx, tg.Project)
	if err != nil {
		t.Fatalf("createmeta issue types: %v", err)
	}
	typ := ""
	for _, it := range types {
		if it.Subtask {
			continue
		}
		if typ == "" || it.Name == "Task" {
			typ = it.ID
		}
	}
	if typ == "" {
		t.Fatalf("project %s offers no standard issue type: %+v", tg.Project, types)
	}
	rec.Reset()
	return &env{tg: tg, c: c, rec: rec, me: me, loc: loc, typ: typ, ctx: ctx, runs: "contract-" + randHex(4)}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// create makes an issue with the run's label and deletes it when the test ends.
func (e *env) create(t *testing.T, summary string, extra map[string]any) *jira.CreatedIssue {
	t.Helper()
	fields := map[string]any{
		"project":   map[string]any{"key": e.tg.Project},
		"issuetype": map[string]any{"id": e.typ},
		"summary":   summary,
		"labels":    []string{e.runs},
	}
	for k, v := range extra {
		fields[k] = v
	}
	ci, err := e.c.CreateIssue(e.ctx, jira.IssueInput{Fields: fields})
	if err != nil {
		t.Fatalf("create issue: %v", err)
	}
	if ci.ID == "" || ci.Key == "" || !strings.HasPrefix(ci.Key, e.tg.Project+"-") || !strings.Contains(ci.Self, "/rest/api/2/issue/"+ci.ID) {
		t.Fatalf("created = %+v", ci)
	}
	Cleanup(t, e.c, ci.Key)
	return ci
}

func (e *env) get(t *testing.T, key string, opt jira.GetIssueOptions) *jira.Issue {
	t.Helper()
	is, err := e.c.GetIssue(e.ctx, key, opt)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return is
}

func (e *env) updated(t *testing.T, key string) time.Time {
	t.Helper()
	up, ok := e.get(t, key, jira.GetIssueOptions{Fields: []string{"updated"}}).Updated()
	if !ok {
		t.Fatalf("%s has no updated", key)
	}
	return up
}

// tick lets time pass between two writes so their `updated` values differ: the
// emulator's clock is moved a second, a real Jira is waited on (ms precision).
func (e *env) tick() {
	if e.tg.Sim != nil {
		e.tg.Sim.Knobs().AdvanceClock(time.Second)
		return
	}
	time.Sleep(20 * time.Millisecond)
}

// eventually retries f until it reports true: a real Jira's search index may
// trail writes. The emulator has no lag unless asked, so f must hold at once.
func (e *env) eventually(t *testing.T, what string, f func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := f()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if e.tg.Sim != nil || time.Now().After(deadline) {
			t.Fatalf("%s: condition never held", what)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// asError unwraps a *jira.Error or fails the test.
func asError(t *testing.T, err error) *jira.Error {
	t.Helper()
	var je *jira.Error
	if !errors.As(err, &je) {
		t.Fatalf("error %v (%T) is not a *jira.Error", err, err)
	}
	return je
}

func keysOf(issues []jira.Issue) map[string]int {
	out := map[string]int{}
	for _, is := range issues {
		out[is.Key]++
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// numeric reports whether s is a non-empty decimal string (Jira's string ids).
func numeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// subtaskType returns the id of the project's sub-task issue type, or skips the test when the
// project offers none (a real Jira may have sub-tasks turned off).
func (e *env) subtaskType(t *testing.T, tg *Target) string {
	t.Helper()
	types, err := e.c.CreateMetaIssueTypes(e.ctx, tg.Project)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range types {
		if it.Subtask {
			return it.ID
		}
	}
	t.Skipf("project %s offers no sub-task type", tg.Project)
	return ""
}
