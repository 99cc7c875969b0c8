package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// The twin page shows both issues' worklogs side by side: a worklog and its copy on one row in
// sync, a restricted one staying home, Jira's text escaped; without worklog sync no section.
func TestTwinPageWorklogsSideBySide(t *testing.T) {
	w := newTwinWorld(t)
	tw := w.linkedTwin(t, "Agreed", "Agreed", "Agreed")
	token, _ := w.session(t)
	page := func() string {
		t.Helper()
		return bodyString(t, w.get(t, fmt.Sprintf("/twins/%d", tw.ID), token))
	}
	if strings.Contains(page(), `data-testid="twin-worklogs"`) {
		t.Error("a Worklogs section on a connection that does not sync worklogs")
	}
	r := engine.DefaultRules()
	r.Worklogs.Enabled = true
	doc, _ := json.Marshal(r)
	must(t, w.db.Model(&w.conn).Update("rules", string(doc)).Error)
	ctx := context.Background()
	st := jira.Time{Time: time.Date(2024, 5, 1, 10, 2, 3, 4e6, time.UTC)}
	payload := `<script>alert(1)</script>`
	if _, err := w.alice["A"].AddWorklog(ctx, *tw.LocalIssueID, jira.WorklogInput{Comment: "fixed " + payload, Started: &st, TimeSpentSeconds: 5401}, jira.Estimate{}); err != nil {
		t.Fatal(err)
	}
	if err := w.s.engine.Reconcile(ctx, tw.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.alice["A"].AddWorklog(ctx, *tw.LocalIssueID, jira.WorklogInput{Comment: "private", Started: &st, TimeSpentSeconds: 60,
		Visibility: &jira.Visibility{Type: "role", Value: "Developers"}}, jira.Estimate{}); err != nil {
		t.Fatal(err)
	}
	raw := page()
	if strings.Contains(raw, "<script>alert") {
		t.Fatal("a worklog comment rendered unescaped")
	}
	d := parseString(t, raw)
	rows := d.Find(`[data-testid="twin-worklog"]`)
	if rows.Length() != 2 {
		t.Fatalf("%d worklog rows, want 2:\n%s", rows.Length(), squash(d.Find(`[data-testid="twin-worklogs"]`).Text()))
	}
	first := rows.First()
	local, remote := squash(first.Find(`[data-testid="twin-worklog-local"]`).Text()), squash(first.Find(`[data-testid="twin-worklog-remote"]`).Text())
	if !strings.Contains(local, "1h 30m 1s") || !strings.Contains(remote, "1h 30m 1s") || !strings.Contains(remote, "copy: _Alice Able logged work on A:_") ||
		!strings.Contains(remote, "fixed <script>") {
		t.Errorf("first row: local %q, remote %q", local, remote)
	}
	if got := squash(first.Find(`[data-testid="twin-worklog-state"]`).Text()); got != engine.WorklogInSync {
		t.Errorf("first row state %q", got)
	}
	second := rows.Eq(1)
	if got := squash(second.Find(`[data-testid="twin-worklog-state"]`).Text()); got != engine.WorklogKeptHome {
		t.Errorf("restricted row state %q, want %q", got, engine.WorklogKeptHome)
	}
	if got := squash(second.Find(`[data-testid="twin-worklog-remote"]`).Text()); got != "none" {
		t.Errorf("restricted row has a remote side: %q", got)
	}
}

// The Activity page filters worklog events (what crossed, kind worklog).
func TestActivityFiltersWorklogEvents(t *testing.T) {
	e := newEnv(t)
	base := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	c1, _, tw1, _ := seedActivity(t, e.db, base)
	must(t, e.db.Create(&models.Event{TwinID: tw1.ID, ConnectionID: c1.ID, At: base.Add(time.Minute), Direction: models.DirLocalToRemote,
		Kind: "worklog", Field: "worklog", NewValue: "1h 30m 1s from 2025-05-01 10:00:00.000Z: fixed"}).Error)
	token, _ := e.session(t)
	doc := parse(t, e.get(t, "/activity?kind=worklog", token))
	rows := doc.Find(`[data-testid="event-row"]`)
	if rows.Length() != 1 || !strings.Contains(squash(rows.Text()), "1h 30m 1s") {
		t.Errorf("kind=worklog lists %d rows: %q", rows.Length(), squash(rows.Text()))
	}
	if n := doc.Find(`select[name="kind"] option[value="worklog"]`).Length(); n != 1 {
		t.Errorf("the kind filter offers worklog %d times, want once", n)
	}
}
