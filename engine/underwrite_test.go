package engine

import (
	"net/http"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/airlock-sync/airlock/jira"
)

// editAfterPut is a transport that makes a person edit an issue right after Airlock's PUT of it
// returns, before Airlock reads it back: the race of a human edit landing between our write and
// our read-back.
type editAfterPut struct {
	next  http.RoundTripper
	match *regexp.Regexp
	edit  func()
	done  atomic.Bool
}

func (t *editAfterPut) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err == nil && r.Method == http.MethodPut && t.match.MatchString(r.URL.Path) && t.done.CompareAndSwap(false, true) {
		t.edit()
	}
	return resp, err
}

func TestEditLandingBetweenWriteAndReadBackIsKept(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "base", "labels": []string{"x"}})
	settle(t, n)
	abKey := n.peer(a.Key)
	ab := w.get("AB", abKey)

	tr := &editAfterPut{next: http.DefaultTransport, match: regexp.MustCompile(`/rest/api/2/issue/` + ab.ID + `$`)}
	tr.edit = func() {
		w.edit("AB", abKey, map[string]any{"summary": "edited on AB meanwhile", "labels": []string{"y"}})
	}
	n.e.Clients = &ClientPool{Sealer: w.sealer, Configure: func(c *jira.Config) {
		c.HTTPClient = &http.Client{Transport: tr}
		c.MaxRetries = 4
	}}
	w.edit("A", a.Key, map[string]any{"summary": "from A"})
	settle(t, n)
	if !tr.done.Load() {
		t.Fatal("the person's edit never ran: Airlock did not write AB")
	}
	for _, inst := range []string{"A", "AB"} {
		key := map[string]string{"A": a.Key, "AB": abKey}[inst]
		is := w.get(inst, key)
		if got := fieldString(is, "summary"); got != "edited on AB meanwhile" {
			t.Errorf("%s summary = %q, want the edit made between the write and the read-back", inst, got)
		}
		if ls, _ := is.Labels(); len(ls) != 1 || ls[0] != "y" {
			t.Errorf("%s labels = %v, want [y]", inst, ls)
		}
	}
}

func TestCreateKeepsAnEditMadeBeforeTheFirstRead(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	var edited atomic.Bool
	n.e.Hooks = &Hooks{AfterCreate: func(side string, c *jira.CreatedIssue) error {
		if edited.CompareAndSwap(false, true) {
			// A person edits the new copy at once: a field the create carried and one it did not.
			w.edit("AB", c.Key, map[string]any{"summary": "edited on the new copy", "duedate": "2025-05-05"})
		}
		return nil
	}}
	a := w.createIssue("A", map[string]any{"summary": "created on A"})
	settle(t, n)
	if !edited.Load() {
		t.Fatal("no create happened")
	}
	abKey := n.peer(a.Key)
	for inst, key := range map[string]string{"A": a.Key, "AB": abKey} {
		is := w.get(inst, key)
		if got := fieldString(is, "summary"); got != "edited on the new copy" {
			t.Errorf("%s summary = %q", inst, got)
		}
		if got := fieldString(is, "duedate"); got != "2025-05-05" {
			t.Errorf("%s duedate = %q", inst, got)
		}
	}
}

// A Jira that normalises what it stores (here AB: trimmed text, sorted labels) against one that
// does not: the normalised value differs from what was written, so it comes back to the source
// once, and then nothing is written any more.
func TestOneSidedNormalisationSettlesWithoutPingPong(t *testing.T) {
	w := newSimWorld(t)
	w.sim.Instance("AB").Knobs().SetNormalize(true)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "base"})
	settle(t, n)
	w.edit("A", a.Key, map[string]any{"summary": "  padded  ", "description": " text "})
	settle(t, n)
	abKey := n.peer(a.Key)
	for inst, key := range map[string]string{"A": a.Key, "AB": abKey} {
		is := w.get(inst, key)
		if got := fieldString(is, "summary"); got != "padded" {
			t.Errorf("%s summary = %q", inst, got)
		}
		if got := fieldString(is, "description"); got != "text" {
			t.Errorf("%s description = %q", inst, got)
		}
	}
	w.clearLogs()
	settle(t, n)
	if wa, wab := w.writes("A"), w.writes("AB"); wa+wab != 0 {
		t.Errorf("steady state wrote %d on A and %d on AB", wa, wab)
	}
}
