package engine

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-sync/airlock/jirasim"
	"github.com/airlock-sync/airlock/models"
)

func TestSyncAuthFailureBlocksInstance(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "x"})
	settle(t, n)
	ab := n.insts["AB"]
	if err := ab.SetSecret(w.sealer, "wrong"); err != nil {
		t.Fatal(err)
	}
	n.db.Model(ab).Updates(map[string]any{"secret_enc": ab.SecretEnc})
	n.expect = func(err error) bool { return ClassOf(err) == models.ClassAuth }
	w.edit("A", a.Key, map[string]any{"summary": "y"})
	n.pollAll()
	n.reconcileDirty()
	var inst models.Instance
	n.db.First(&inst, ab.ID)
	if !inst.AuthBlocked {
		t.Fatal("instance not blocked after a 401")
	}
	calls := len(w.sim.Instance("AB").Log().Entries())
	for range 3 {
		n.pollAll()
		n.reconcileDirty()
	}
	if got := len(w.sim.Instance("AB").Log().Entries()); got != calls {
		t.Errorf("a blocked instance got %d more calls", got-calls)
	}
	if w.sim.Instance("AB").Knobs().CaptchaActive("airlock") {
		t.Error("retries triggered the CAPTCHA")
	}
	if tw := n.twinOf(a.Key); tw.State == models.TwinQuarantined {
		t.Error("an auth failure quarantined the twin")
	}
	// Fix the credentials and retry everything: the change arrives.
	ab.SetSecret(w.sealer, "airlock")
	n.db.Model(ab).Updates(map[string]any{"secret_enc": ab.SecretEnc})
	if _, err := n.e.Retry(w.ctx, RetryFilter{All: true}); err != nil {
		t.Fatal(err)
	}
	settle(t, n)
	if s := fieldString(w.get("AB", n.peer(a.Key)), "summary"); s != "y" {
		t.Errorf("after unblock: %q", s)
	}
}

func TestSyncRateLimitedWaitsAndSucceeds(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	w.sim.Instance("AB").Knobs().SetRateLimit(jirasim.RateLimit{Enabled: true, Capacity: 3, FillRate: 20, IntervalSeconds: 1})
	for i := range 3 {
		w.createIssue("A", map[string]any{"summary": fmt.Sprint("limited ", i)})
	}
	// Another process of the sync user drains the bucket, so the engine's client meets a 429.
	for range 4 {
		req, _ := http.NewRequest("GET", w.sim.Instance("AB").URL()+"/rest/api/2/myself", nil)
		req.SetBasicAuth("airlock", "airlock")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	settle(t, n)
	if got := len(w.issues("AB")); got != 3 {
		t.Errorf("AB has %d issues", got)
	}
	if w.sim.Instance("AB").Log().Count("POST /rest/api/2/issue") < 3 {
		t.Error("creates missing")
	}
	var n429 int
	for _, e := range w.sim.Instance("AB").Log().Entries() {
		if e.Status == 429 {
			n429++
		}
	}
	if n429 == 0 {
		t.Error("the rate limit never answered 429: the test proves nothing")
	}
}

func TestSyncDeletionPolicies(t *testing.T) {
	for _, policy := range []string{models.DeleteIgnore, models.DeleteTwin, models.DeleteUnlink} {
		t.Run(policy, func(t *testing.T) {
			w := newSimWorld(t)
			n := w.newNode(testRules(), func(c *models.Connection) { c.DeletionPolicy = policy }, [2]string{"A", "AB"})
			settle(t, n)
			a := w.createIssue("A", map[string]any{"summary": "doomed"})
			settle(t, n)
			abKey := n.peer(a.Key)
			if err := w.human("A", "admin").DeleteIssue(w.ctx, a.Key, false); err != nil {
				t.Fatal(err)
			}
			w.edit("AB", abKey, map[string]any{"summary": "still here?"})
			settle(t, n)
			tw := n.twinOf(abKey)
			abLeft := len(w.issues("AB"))
			raw, _ := w.human("AB", "admin").GetProperty(w.ctx, abKey, TwinProperty)
			switch policy {
			case models.DeleteIgnore:
				if tw.State != models.TwinActive || !strings.Contains(tw.LastError, "deleted") || abLeft != 1 {
					t.Errorf("ignore: %s %q, AB issues %d", tw.State, tw.LastError, abLeft)
				}
			case models.DeleteTwin:
				if tw.State != models.TwinUnlinked || abLeft != 0 {
					t.Errorf("delete: %s, AB issues %d", tw.State, abLeft)
				}
			case models.DeleteUnlink:
				if tw.State != models.TwinUnlinked || abLeft != 1 || strings.Contains(string(raw), tw.SyncID) {
					t.Errorf("unlink: %s, AB issues %d, property %s", tw.State, abLeft, raw)
				}
			}
			if len(w.issues("A")) != 0 {
				t.Error("the deleted issue came back")
			}
		})
	}
}

func TestSyncRecoverAfterDatabaseLoss(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	var keys []string
	for i := range 3 {
		keys = append(keys, w.createIssue("A", map[string]any{"summary": fmt.Sprint("keep ", i)}).Key)
	}
	settle(t, n)
	// The database is lost: a fresh node with the same configuration recovers from Jira.
	n2 := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	res, err := n2.e.Recover(w.ctx, n2.conns[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Restored != 3 {
		t.Fatalf("recover %+v", res)
	}
	if res2, _ := n2.e.Recover(w.ctx, n2.conns[0].ID); res2.Restored != 0 {
		t.Errorf("second recover restored %d", res2.Restored)
	}
	w.clearLogs()
	settle(t, n2)
	if wr := w.writes("A") + w.writes("AB"); wr != 0 {
		t.Errorf("recovered twins rewrote %d times", wr)
	}
	w.edit("A", keys[1], map[string]any{"summary": "changed after recovery"})
	w.createIssue("A", map[string]any{"summary": "new after recovery"})
	settle(t, n2)
	if got := len(w.issues("AB")); got != 4 {
		t.Errorf("AB has %d issues, want 4 (no duplicates)", got)
	}
	if s := fieldString(w.get("AB", n2.peer(keys[1])), "summary"); s != "changed after recovery" {
		t.Errorf("change after recovery: %q", s)
	}
}

func TestSyncWithoutRecoverAdoptsLinkedIssues(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	a := w.createIssue("A", map[string]any{"summary": "orphan"})
	settle(t, n)
	n2 := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n2)
	w.edit("A", a.Key, map[string]any{"summary": "orphan edited"})
	settle(t, n2)
	if got := len(w.issues("AB")); got != 1 {
		t.Errorf("AB has %d issues, want 1", got)
	}
	if s := fieldString(w.get("AB", n2.peer(a.Key)), "summary"); s != "orphan edited" {
		t.Errorf("summary %q", s)
	}
}

func TestSyncUnstablePagingFindsEveryChange(t *testing.T) {
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	settle(t, n)
	var keys []string
	for i := range 60 {
		keys = append(keys, w.createIssue("A", map[string]any{"summary": fmt.Sprint("page ", i)}).Key)
	}
	settle(t, n)
	w.sim.Instance("A").Knobs().SetUnstablePaging(true, 3)
	for i, k := range keys {
		if i%2 == 0 {
			w.edit("A", k, map[string]any{"summary": fmt.Sprint("edited ", i)})
		}
	}
	settle(t, n)
	for i, k := range keys {
		want := fmt.Sprint("page ", i)
		if i%2 == 0 {
			want = fmt.Sprint("edited ", i)
		}
		if s := fieldString(w.get("AB", n.peer(k)), "summary"); s != want {
			t.Errorf("%s: %q, want %q", k, s, want)
		}
	}
}
