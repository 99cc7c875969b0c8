package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// bulkWaitDone polls a job's progress fragment until it is no longer running.
func bulkWaitDone(t *testing.T, e *env, token, jobURL string) *goquery.Document {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		doc := parse(t, e.get(t, jobURL+"/progress", token))
		job := doc.Find(`[data-testid="bulk-job"]`)
		if st, _ := job.Attr("data-state"); st != "running" {
			if _, polling := job.Attr("hx-get"); polling {
				t.Error("a finished job still polls")
			}
			return doc
		}
		if time.Now().After(deadline) {
			t.Fatal("bulk job did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBulkLinkPreviewAndCommit(t *testing.T) {
	w := newConflictsWorld(t, models.PolicyNewestWins)
	a1 := w.create(t, "A", map[string]any{"summary": "Printer on fire"})
	w.create(t, "A", map[string]any{"summary": "Twice"})
	w.create(t, "A", map[string]any{"summary": "twice"})
	r1 := w.create(t, "AB", map[string]any{"summary": "printer on fire"})
	w.create(t, "AB", map[string]any{"summary": "Twice"})
	token, sess := w.e.session(t)

	doc := parse(t, w.e.get(t, "/bulk", token))
	assertLayout(t, doc, sess.CSRFToken, "Bulk")
	if v, _ := doc.Find(`[data-testid="bulk-link-connection"] option[selected]`).Attr("value"); v != fmt.Sprint(w.conn.ID) {
		t.Errorf("the only connection is not preselected: %q", v)
	}

	// Invalid input comes back beside its field, as typed.
	res := w.e.get(t, fmt.Sprintf("/bulk/link/preview?connection=%d&rule=field&field=&side=local", w.conn.ID), token)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("preview without a field: %d", res.StatusCode)
	}
	doc = parse(t, res)
	if got := doc.Find(`[data-testid="bulk-link"] [data-testid="field-error"]`).Text(); !strings.Contains(got, "name the field") {
		t.Errorf("field error %q", got)
	}
	if _, ok := doc.Find(`[data-testid="bulk-rule-field"]`).Attr("checked"); !ok {
		t.Error("chosen rule lost")
	}

	res = w.e.get(t, fmt.Sprintf("/bulk/link/preview?connection=%d&rule=summary", w.conn.ID), token)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d", res.StatusCode)
	}
	doc = parse(t, res)
	assertStrictCSPFriendly(t, doc)
	ok := doc.Find(`[data-testid="bulk-candidate"]`)
	if ok.Length() != 1 || !strings.Contains(ok.Text(), a1.Key) || !strings.Contains(ok.Text(), r1.Key) {
		t.Fatalf("linkable rows %q", squash(ok.Text()))
	}
	if href, _ := ok.Find(`[data-testid="bulk-issue"]`).First().Attr("href"); href != w.sim.Instance("A").URL()+"/browse/"+a1.Key {
		t.Errorf("local link %q", href)
	}
	flagged := doc.Find(`[data-testid="bulk-flagged"]`)
	if flagged.Length() != 2 || !strings.Contains(flagged.Text(), "one-to-many") || flagged.Find("input").Length() != 0 {
		t.Errorf("flagged rows %q", squash(flagged.Text()))
	}
	var n int64
	w.e.db.Model(&models.Twin{}).Count(&n)
	if n != 0 {
		t.Fatal("the preview wrote twins")
	}
	pair, _ := ok.Find(`input[name="pair"]`).Attr("value")
	action, _ := doc.Find(`[data-testid="bulk-commit-form"]`).Attr("action")
	form := url.Values{"connection": {fmt.Sprint(w.conn.ID)}, "pair": {pair}, "reason": {"same summary"}}
	res, doc = errorsPost(t, w.e, token, sess.CSRFToken, action, form)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/bulk/jobs/") {
		t.Fatalf("commit: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if got := flashText(doc, "success"); !strings.Contains(got, "Link 1 pairs in A-AB: started") {
		t.Errorf("flash %q", got)
	}
	doc = bulkWaitDone(t, w.e, token, res.Header.Get("Location"))
	if got := squash(doc.Find(`[data-testid="bulk-counts"]`).Text()); got != "1 of 1 handled: 1 done, 0 failed" {
		t.Errorf("counts %q", got)
	}
	var tw models.Twin
	must(t, w.e.db.Where("local_key = ?", a1.Key).First(&tw).Error)
	if tw.RemoteKey != r1.Key || tw.State != models.TwinActive || tw.Baseline == "" {
		t.Errorf("twin %+v", tw)
	}
	raw, err := w.human(t, "AB").GetProperty(context.Background(), r1.Key, engine.TwinProperty)
	if err != nil || !strings.Contains(string(raw), tw.SyncID) {
		t.Errorf("remote property %s (%v)", raw, err)
	}
	if got := w.summary(t, "AB", r1.Key); got != "printer on fire" {
		t.Errorf("linking rewrote the remote summary: %q", got)
	}
	doc = parse(t, w.e.get(t, "/bulk", token))
	if doc.Find(`[data-testid="bulk-jobs"] [data-testid="bulk-job"]`).Length() != 1 {
		t.Error("the job is not listed on the Bulk page")
	}
	// Nothing ticked: nothing happens.
	_, doc = errorsPost(t, w.e, token, sess.CSRFToken, action, url.Values{"connection": {fmt.Sprint(w.conn.ID)}})
	if got := flashText(doc, "warning"); !strings.Contains(got, "No pair was ticked") {
		t.Errorf("empty commit flash %q", got)
	}
}

func TestBulkSyncJQL(t *testing.T) {
	w := newConflictsWorld(t, models.PolicyNewestWins)
	for i := range 3 {
		w.create(t, "A", map[string]any{"summary": fmt.Sprintf("old %d", i), "labels": []string{"bulk"}})
	}
	w.create(t, "A", map[string]any{"summary": "stays"})
	token, sess := w.e.session(t)

	tests := []struct {
		name, jql, field, want string
	}{
		{"empty", "", "jql", "enter a JQL query"},
		{"rejected by Jira", "labels = = bulk", "jql", ""},
		{"no hits", "labels = nothing", "jql", "finds no issue"},
		{"order by", "labels = bulk ORDER BY key", "jql", "leave out ORDER BY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, doc := errorsPost(t, w.e, token, sess.CSRFToken, "/bulk/sync", url.Values{"connection": {fmt.Sprint(w.conn.ID)}, "side": {"local"}, "jql": {tt.jql}})
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", res.StatusCode)
			}
			msg := doc.Find(`[data-testid="bulk-sync"] [data-testid="field-error"]`).Text()
			if msg == "" || !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want %q", msg, tt.want)
			}
			if got := doc.Find(`[data-testid="bulk-jql"]`).Text(); got != tt.jql {
				t.Errorf("typed JQL lost: %q", got)
			}
		})
	}

	res, doc := errorsPost(t, w.e, token, sess.CSRFToken, "/bulk/sync", url.Values{"connection": {fmt.Sprint(w.conn.ID)}, "side": {"local"}, "jql": {"labels = bulk"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", res.StatusCode)
	}
	if got := flashText(doc, "success"); !strings.Contains(got, "about 3 issues") {
		t.Errorf("flash %q", got)
	}
	if doc.Find(`[data-testid="bulk-progress"]`).Length() != 1 {
		t.Error("job page has no progress bar")
	}
	doc = bulkWaitDone(t, w.e, token, res.Header.Get("Location"))
	if got := squash(doc.Find(`[data-testid="bulk-counts"]`).Text()); got != "3 of 3 handled: 3 done, 0 failed" {
		t.Errorf("counts %q", got)
	}
	if v, _ := doc.Find(`progress`).Attr("value"); v != "3" {
		t.Errorf("progress value %q", v)
	}
	var twins []models.Twin
	w.e.db.Where("state = ?", models.TwinActive).Find(&twins)
	if len(twins) != 3 {
		t.Errorf("%d active twins, want 3", len(twins))
	}
	for _, tw := range twins {
		if !strings.HasPrefix(w.summary(t, "AB", tw.RemoteKey), "old ") {
			t.Errorf("remote %s not copied", tw.RemoteKey)
		}
	}
}

func TestBulkJobsRegistry(t *testing.T) {
	b := &bulkJobs{}
	release := make(chan struct{})
	log := slog.New(slog.DiscardHandler)
	started := make(chan struct{})
	block := func(ctx context.Context, report engine.ProgressFunc) (engine.BulkProgress, error) {
		report(engine.BulkProgress{Total: 10, Done: 4})
		started <- struct{}{}
		<-release
		return engine.BulkProgress{Total: 10, Done: 9, Failed: 1, Errors: []string{"X-1: boom"}}, nil
	}
	id1, err := b.start(log, "sync", "one", 1, block)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if _, err := b.start(log, "sync", "two", 1, block); err != nil {
		t.Fatal(err)
	}
	<-started
	if _, err := b.start(log, "sync", "three", 1, block); err != errBulkBusy {
		t.Errorf("third job: %v, want busy", err)
	}
	j, ok := b.get(id1)
	if !ok || j.State != bulkRunning || j.Progress.Done != 4 {
		t.Errorf("running job %+v", j)
	}
	// The fragment of a running job polls itself; a finished one does not.
	var sb strings.Builder
	v := views.BulkJobView{ID: 1, Title: "one", State: bulkRunning, Running: true, Total: 10, Done: 4, ProgressURL: "/bulk/jobs/1/progress"}
	if err := views.BulkProgress(v).Render(context.Background(), &sb); err != nil {
		t.Fatal(err)
	}
	frag := parseString(t, sb.String())
	if trig, _ := frag.Find(`[data-testid="bulk-job"]`).Attr("hx-trigger"); trig != "every 1s" {
		t.Errorf("running fragment hx-trigger %q", trig)
	}
	if val, _ := frag.Find("progress").Attr("value"); val != "4" {
		t.Errorf("progress value %q", val)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		j, _ = b.get(id1)
		if j.State != bulkRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if j.State != bulkDone || j.Progress.Failed != 1 || !strings.Contains(j.Message, "1 failures") || j.Finished == nil {
		t.Errorf("finished job %+v", j)
	}
	if got := b.recent(); len(got) != 2 || got[0].Title != "two" {
		t.Errorf("recent %+v", got)
	}
}
