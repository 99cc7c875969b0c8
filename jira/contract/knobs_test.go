package contract

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
)

// The tests in this file need the emulator's knobs (faults, clock, rate limit,
// CAPTCHA, request log); against a real Jira they skip.

// TestUnstablePagingOverlap: with unstable paging on and issues updated while a
// scan runs (each edit moves an already-read issue to the end of an
// `ORDER BY updated` result and shifts later pages left), SearchAll with Overlap
// still returns every issue, the changed ones with their new `updated`; without
// overlap the emulator skips issues, and with the knob off it does not.
func TestUnstablePagingOverlap(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		sim := tg.Knobs(t)
		tests := []struct {
			name     string
			unstable bool
			overlap  int
			missing  int // issues a scan must skip
		}{
			{"unstable, overlap 2", true, 2, 0},
			{"unstable, no overlap", true, 0, 2},
			{"stable, no overlap", false, 0, 0},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if err := sim.Reset(); err != nil {
					t.Fatal(err)
				}
				e := setup(t, tg)
				sim.Knobs().SetClock(time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC))
				const n, pageSize = 12, 4
				var keys []string
				for i := range n {
					keys = append(keys, e.create(t, "scan "+strconv.Itoa(i), nil).Key)
					sim.Knobs().AdvanceClock(time.Second)
				}
				sim.Knobs().SetUnstablePaging(tc.unstable, 0)

				// After pages 1 and 2 were served, edit an issue already read.
				editor := tg.Client(t, nil, nil)
				var (
					mu     sync.Mutex
					pages  int
					edited = map[string]time.Time{}
				)
				e.rec.After = func(req *http.Request, resp *http.Response) {
					if req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, "/rest/api/2/search") {
						return
					}
					mu.Lock()
					defer mu.Unlock()
					pages++
					if pages > 2 {
						return
					}
					key := keys[pages-1]
					sim.Knobs().AdvanceClock(time.Second)
					err := editor.UpdateIssue(req.Context(), key, jira.IssueInput{Fields: map[string]any{"summary": "changed during the scan"}}, jira.UpdateOptions{})
					if err != nil {
						t.Errorf("edit %s: %v", key, err)
					}
					up, _ := sim.Updated(key)
					edited[key] = up
				}
				jql := "project = " + tg.Project + " AND labels = " + e.runs + " ORDER BY updated ASC, key ASC"
				got, err := e.c.SearchAll(e.ctx, jira.SearchQuery{JQL: jql, MaxResults: pageSize, Fields: []string{"summary", "updated"}},
					jira.SearchAllOptions{Overlap: tc.overlap})
				if err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if len(edited) != 2 {
					t.Fatalf("only %d edits happened during the scan", len(edited))
				}
				seen := keysOf(got)
				var missing []string
				for _, k := range keys {
					if seen[k] == 0 {
						missing = append(missing, k)
					}
				}
				if len(missing) != tc.missing {
					t.Errorf("missing %v (%d), want %d missing; got %d results", missing, len(missing), tc.missing, len(got))
				}
				if tc.missing > 0 {
					return
				}
				// Every change made during the scan came back with its new updated.
				for key, up := range edited {
					found := false
					for _, is := range got {
						if u, _ := is.Updated(); is.Key == key && u.Equal(up) {
							s, _ := is.Summary()
							found = s == "changed during the scan"
						}
					}
					if !found && tc.unstable {
						t.Errorf("the change of %s at %v was not returned", key, up)
					}
				}
			})
		}
	})
}

// TestRateLimitRetryAfter: on a 429 the client waits for Retry-After and then
// succeeds; the wait is not counted as a failure.
func TestRateLimitRetryAfter(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		sim := tg.Knobs(t)
		// The bucket refills by the emulator clock: freeze it, so only the
		// client's waits (below) move it, however slow the machine.
		sim.Knobs().SetClock(time.Now())
		sim.Knobs().SetRateLimit(jirasim.RateLimit{Enabled: true, Capacity: 2, FillRate: 1, IntervalSeconds: 1})
		// Another client of the same user drains the bucket.
		drain := tg.Client(t, nil, nil)
		for range 2 {
			if _, err := drain.ServerInfo(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		rec := &Recorder{}
		var (
			mu    sync.Mutex
			waits []time.Duration
		)
		c := tg.Client(t, rec, func(cfg *jira.Config) {
			cfg.Sleep = func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				waits = append(waits, d)
				mu.Unlock()
				sim.Knobs().AdvanceClock(d)
				tm := time.NewTimer(d)
				defer tm.Stop()
				select {
				case <-tm.C:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		})
		start := time.Now()
		me, err := c.Myself(context.Background())
		if err != nil {
			t.Fatalf("myself after 429: %v", err)
		}
		if me.Name == "" {
			t.Error("no user")
		}
		var codes []int
		for _, ex := range rec.Exchanges() {
			codes = append(codes, ex.Status)
		}
		if len(codes) != 2 || codes[0] != 429 || codes[1] != 200 {
			t.Fatalf("statuses = %v, want [429 200]", codes)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(waits) == 0 || waits[0] != time.Second {
			t.Errorf("waits = %v, want Retry-After 1s first", waits)
		}
		if el := time.Since(start); el < time.Second {
			t.Errorf("succeeded after %v, before Retry-After passed", el)
		}
		if n := sim.Log().Count("GET /rest/api/2/myself"); n != 2 {
			t.Errorf("emulator saw %d /myself calls, want 2", n)
		}
	})
}

// TestUnauthorizedStopsAtOnce: a 401 is an auth error, sent once and never
// retried, and the client sends nothing more until Reset.
func TestUnauthorizedStopsAtOnce(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		sim := tg.Knobs(t)
		sim.Log().Clear()
		rec := &Recorder{}
		bad := *tg
		bad.Auth = jira.BasicAuth{User: "airlock", Password: "wrong"}
		c := bad.Client(t, rec, nil)
		_, err := c.Myself(context.Background())
		je := asError(t, err)
		if je.Status != 401 || je.Class != jira.ClassAuth || je.LoginReason != "AUTHENTICATED_FAILED" || je.Captcha() {
			t.Errorf("401 error = %v (class %v, reason %q)", je, je.Class, je.LoginReason)
		}
		if strings.Contains(je.Error(), "wrong") {
			t.Errorf("error leaks the password: %v", je)
		}
		_, err = c.GetIssue(context.Background(), tg.Project+"-1", jira.GetIssueOptions{})
		if jira.ClassOf(err) != jira.ClassAuth || c.AuthError() == nil {
			t.Errorf("second call: %v", err)
		}
		if n := len(sim.Log().Entries()); n != 1 {
			t.Errorf("emulator saw %d requests, want exactly 1", n)
		}
		if n := len(rec.Exchanges()); n != 1 {
			t.Errorf("client sent %d requests, want 1", n)
		}
		// A PAT that is not known is refused the same way.
		tok := *tg
		tok.Auth = jira.TokenAuth{Token: "not-a-token"}
		_, err = tok.Client(t, nil, nil).Myself(context.Background())
		if jira.ClassOf(err) != jira.ClassAuth {
			t.Errorf("bad token: %v", err)
		}
	})
}

// TestCaptchaLockout: three bad passwords trigger Jira's CAPTCHA; the client
// recognises it, the right password is refused afterwards, and only an
// interactive login (the ResetCaptcha knob) lifts it.
func TestCaptchaLockout(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		sim := tg.Knobs(t)
		bad := *tg
		bad.Auth = jira.BasicAuth{User: "airlock", Password: "wrong"}
		c := bad.Client(t, nil, nil)
		for i := range 3 {
			_, err := c.Myself(context.Background())
			je := asError(t, err)
			if je.Status != 401 || je.Captcha() {
				t.Errorf("bad password %d: %v captcha=%v", i+1, je, je.Captcha())
			}
			c.Reset() // an operator "fixed" the credentials, wrongly
		}
		if !sim.Knobs().CaptchaActive("airlock") {
			t.Fatal("three bad passwords did not trigger the CAPTCHA")
		}
		good := tg.Client(t, nil, nil)
		_, err := good.Myself(context.Background())
		je := asError(t, err)
		if je.Status != 401 || !je.Captcha() || je.Class != jira.ClassAuth || je.LoginReason != "AUTHENTICATION_DENIED" || !strings.HasPrefix(je.DeniedReason, "CAPTCHA_CHALLENGE") {
			t.Errorf("right password under CAPTCHA = %v (captcha %v, reason %q, denied %q)", je, je.Captcha(), je.LoginReason, je.DeniedReason)
		}
		if good.AuthError() == nil || !good.AuthError().Captcha() {
			t.Error("client is not locked on the CAPTCHA")
		}
		// A PAT is not subject to the CAPTCHA.
		pat := *tg
		pat.Auth = jira.TokenAuth{Token: "airlock-pat-A"}
		if me, err := pat.Client(t, nil, nil).Myself(context.Background()); err != nil || me.Name != "airlock" {
			t.Errorf("PAT under CAPTCHA: %+v, %v", me, err)
		}
		sim.Knobs().ResetCaptcha("airlock")
		good.Reset()
		if _, err := good.Myself(context.Background()); err != nil {
			t.Errorf("after the CAPTCHA was cleared: %v", err)
		}
	})
}

// TestTransientRetried: 503s on a GET are retried with backoff until it succeeds;
// a POST is not retried.
func TestTransientRetried(t *testing.T) {
	Each(t, func(t *testing.T, tg *Target) {
		sim := tg.Knobs(t)
		e := setup(t, tg)
		fast := tg.Client(t, e.rec, func(cfg *jira.Config) {
			cfg.Sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
		})
		sim.Knobs().FailNext(2, 503)
		if _, err := fast.ServerInfo(e.ctx); err != nil {
			t.Errorf("GET after two 503s: %v", err)
		}
		sim.Knobs().SetFaultEndpoint("POST /rest/api/2/issue")
		sim.Knobs().FailNext(1, 503)
		e.rec.Reset()
		_, err := fast.CreateIssue(e.ctx, jira.IssueInput{Fields: map[string]any{"summary": "x"}})
		if je := asError(t, err); je.Status != 503 || je.Class != jira.ClassTransient {
			t.Errorf("create under 503: %v", je)
		}
		if n := len(e.rec.Exchanges()); n != 1 {
			t.Errorf("create sent %d times, want 1 (POST is not retried)", n)
		}
	})
}
