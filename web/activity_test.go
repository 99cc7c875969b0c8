package web

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/models"
)

// seedActivity makes 130 events over two connections: even ones local->remote "field" events on
// summary, odd ones remote->local "comment" events, one per minute back from base.
func seedActivity(t *testing.T, db *models.DB, base time.Time) (c1, c2 models.Connection, tw1, tw2 models.Twin) {
	t.Helper()
	c1, c2 = seedTwins(t, db, 2)
	db.Where("connection_id = ?", c1.ID).First(&tw1)
	db.Where("connection_id = ?", c2.ID).First(&tw2)
	evs := make([]models.Event, 0, 130)
	for i := 0; i < 130; i++ {
		ev := models.Event{TwinID: tw1.ID, ConnectionID: c1.ID, At: base.Add(-time.Duration(i) * time.Minute),
			Direction: models.DirLocalToRemote, Kind: "field", Field: "summary", OldValue: fmt.Sprint("old ", i), NewValue: fmt.Sprint("new ", i)}
		if i%2 == 1 {
			ev.TwinID, ev.ConnectionID, ev.Direction, ev.Kind, ev.Field = tw2.ID, c2.ID, models.DirRemoteToLocal, "comment", ""
		}
		evs = append(evs, ev)
	}
	must(t, db.CreateInBatches(evs, 200).Error)
	return c1, c2, tw1, tw2
}

func TestActivityFiltersAndPaging(t *testing.T) {
	e := newEnv(t)
	base := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	c1, _, tw1, tw2 := seedActivity(t, e.db, base)
	token, sess := e.session(t)

	doc := parse(t, e.get(t, "/activity", token))
	assertLayout(t, doc, sess.CSRFToken, "Activity")
	if n := doc.Find(`[data-testid="event-row"]`).Length(); n != 50 {
		t.Errorf("%d rows, want 50", n)
	}
	firstRow := squash(doc.Find(`[data-testid="event-row"]`).First().Text())
	if !strings.Contains(firstRow, "2025-05-01 12:00 UTC") || !strings.Contains(firstRow, "new 0") {
		t.Errorf("first row %q, want the newest", firstRow)
	}
	if href, _ := doc.Find(`[data-testid="event-row"] a`).First().Attr("href"); href != fmt.Sprintf("/twins/%d", tw1.ID) {
		t.Errorf("twin link %q", href)
	}
	if href, _ := doc.Find(`[data-testid="activity-csv"]`).Attr("href"); href != "/activity.csv" {
		t.Errorf("csv link %q", href)
	}

	tests := []struct {
		name, query string
		status      int
		rows        int
		total       string
	}{
		{"page 3", "page=3", 200, 30, "101–130 of 130"},
		{"connection", fmt.Sprintf("connection=%d", c1.ID), 200, 50, "of 65"},
		{"direction", "direction=" + url.QueryEscape(models.DirRemoteToLocal), 200, 50, "of 65"},
		{"kind", "kind=comment", 200, 50, "of 65"},
		{"field", "field=summary", 200, 50, "of 65"},
		{"twin by key", "twin=" + strings.ToLower(tw2.LocalKey), 200, 50, "of 65"},
		{"twin by id", fmt.Sprintf("twin_id=%d", tw1.ID), 200, 50, "of 65"},
		{"time range", "from=2025-05-01T11:00&to=2025-05-01T11:09", 200, 10, "1–10 of 10"},
		{"whole day", "from=2025-05-01&to=2025-05-01", 200, 50, "of 130"},
		{"combined", fmt.Sprintf("connection=%d&kind=field&from=2025-05-01T11:50", c1.ID), 200, 6, "1–6 of 6"},
		{"nothing matches", "from=2030-01-01", 200, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.get(t, "/activity?"+tt.query, token)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d", res.StatusCode)
			}
			doc := parse(t, res)
			if n := doc.Find(`[data-testid="event-row"]`).Length(); n != tt.rows {
				t.Errorf("%d rows, want %d", n, tt.rows)
			}
			if tt.rows == 0 && doc.Find(`[data-testid="activity-none"]`).Length() != 1 {
				t.Error("no 'nothing matches' message")
			}
			if got := doc.Find(`[data-testid="activity-total"]`).Text(); !strings.Contains(got, tt.total) {
				t.Errorf("total %q, want %q", squash(got), tt.total)
			}
		})
	}

	// The pager and the CSV link keep the filters.
	doc = parse(t, e.get(t, "/activity?kind=comment", token))
	if next, _ := doc.Find(`[data-testid="activity-pager-next"]`).Attr("href"); next != "/activity?kind=comment&page=2" {
		t.Errorf("next %q", next)
	}
	if href, _ := doc.Find(`[data-testid="activity-csv"]`).Attr("href"); href != "/activity.csv?kind=comment" {
		t.Errorf("csv link %q", href)
	}
	if v, _ := doc.Find(`[data-testid="activity-kind"] option[selected]`).Attr("value"); v != "comment" {
		t.Errorf("kind filter not kept: %q", v)
	}

	// Bad input: 422, the message beside its field, what was typed kept.
	res := e.get(t, "/activity?from=yesterday&twin=NOPE-1&field=summary", token)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad filter status %d", res.StatusCode)
	}
	doc = parse(t, res)
	if msg := doc.Find(`[data-testid="activity-from-error"]`).Text(); !strings.Contains(msg, "2025-01-31T14:30") {
		t.Errorf("from error %q", msg)
	}
	if v, _ := doc.Find(`[data-testid="activity-from"]`).Attr("aria-invalid"); v != "true" {
		t.Error("from not marked invalid")
	}
	if v, _ := doc.Find(`[data-testid="activity-from"]`).Attr("value"); v != "yesterday" {
		t.Errorf("typed value lost: %q", v)
	}
	if msg := doc.Find(`[data-testid="activity-twin-error"]`).Text(); !strings.Contains(msg, "NOPE-1") {
		t.Errorf("twin error %q", msg)
	}
	if v, _ := doc.Find(`[data-testid="activity-field"]`).Attr("value"); v != "summary" {
		t.Errorf("field value lost: %q", v)
	}
	res = e.get(t, "/activity?from=2025-05-02&to=2025-05-01", token)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(parse(t, res).Find(`[data-testid="activity-to-error"]`).Text(), "before the start") {
		t.Error("an end before the start is accepted")
	}
}

func TestActivityCSV(t *testing.T) {
	e := newEnv(t)
	base := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	c1, _, tw1, _ := seedActivity(t, e.db, base)
	tricky := []string{"=HYPERLINK(\"http://evil\")", "+1+2", "-3", "@SUM(A1)", "a, \"quoted\"\nline", "\tTAB", "plain"}
	for i, v := range tricky {
		must(t, e.db.Create(&models.Event{TwinID: tw1.ID, ConnectionID: c1.ID, At: base.Add(time.Duration(i+1) * time.Second),
			Direction: models.DirLocalToRemote, Kind: "field", Field: "tricky", NewValue: v}).Error)
	}
	token, _ := e.session(t)

	res := e.get(t, "/activity.csv", token)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	want := fmt.Sprintf(`attachment; filename="airlock-activity-%s.csv"`, time.Now().UTC().Format("2006-01-02"))
	if cd := res.Header.Get("Content-Disposition"); cd != want {
		t.Errorf("disposition %q, want %q", cd, want)
	}
	recs, err := csv.NewReader(strings.NewReader(bodyString(t, res))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+130+len(tricky) {
		t.Fatalf("%d records", len(recs))
	}
	if strings.Join(recs[0], ",") != strings.Join(activityCSVHeader, ",") {
		t.Errorf("header %v", recs[0])
	}
	// Newest first: the tricky ones, last inserted first.
	wantVals := []string{"plain", "'\tTAB", "a, \"quoted\"\nline", "'@SUM(A1)", "'-3", "'+1+2", "'=HYPERLINK(\"http://evil\")"}
	for i, w := range wantVals {
		if got := recs[1+i][9]; got != w {
			t.Errorf("row %d new_value %q, want %q", i, got, w)
		}
	}
	row := recs[1+len(tricky)]
	if row[0] != "2025-05-01T12:00:00Z" || row[1] != "A-relay" || row[3] != tw1.LocalKey || row[4] != tw1.RemoteKey || row[5] != models.DirLocalToRemote {
		t.Errorf("row %v", row)
	}

	// Same filters as the page.
	res = e.get(t, "/activity.csv?kind=comment", token)
	recs, err = csv.NewReader(strings.NewReader(bodyString(t, res))).ReadAll()
	if err != nil || len(recs) != 66 {
		t.Fatalf("filtered CSV: %d records, %v", len(recs), err)
	}
	for _, r := range recs[1:] {
		if r[6] != "comment" {
			t.Fatalf("filter not applied: %v", r)
		}
	}
	if res := e.get(t, "/activity.csv?from=nonsense", token); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad filter CSV: %d", res.StatusCode)
	}
}

func TestActivityCSVSafe(t *testing.T) {
	for in, want := range map[string]string{"": "", "=1": "'=1", "+": "'+", "-x": "'-x", "@a": "'@a", "\rx": "'\rx", "\tx": "'\tx",
		"a=b": "a=b", "local->remote": "local->remote", "a; b": "a; b", "x;y;z": "x;y;z", "  ": "  ",
		// Leading white space does not hide a formula.
		" =1": "' =1", "\n=1": "'\n=1", "\r\n+1": "'\r\n+1", "\u00a0@a": "'\u00a0@a", "\u3000-1": "'\u3000-1", "\ufeff=1": "'\ufeff=1",
		// Full-width signs, which spreadsheets in CJK locales read as their ASCII forms.
		"＝1+1": "'＝1+1", "＋1": "'＋1", "－1": "'－1", "＠SUM(A1)": "'＠SUM(A1)", " ＝x": "' ＝x",
		// A spreadsheet opening the file with ; as separator starts a new cell at each ;.
		"ok;=cmd|' /C calc'!A0": "'ok;=cmd|' /C calc'!A0", "a; -2": "'a; -2", "a;\t1": "'a;\t1", "a;＠b": "'a;＠b",
	} {
		if got := activityCSVSafe(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// Every cell is written in double quotes, so a spreadsheet that splits at ; (or a tab) still
// reads "a;=1" as one cell, and encoding/csv reads the file back unchanged.
func TestWriteCSVRecordQuotesEveryCell(t *testing.T) {
	var b strings.Builder
	w := bufio.NewWriter(&b)
	if err := writeCSVRecord(w, []string{"plain", "a;=1", `say "hi"`, "two\nlines", ""}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if want := "\"plain\",\"a;=1\",\"say \"\"hi\"\"\",\"two\nlines\",\"\"\r\n"; b.String() != want {
		t.Errorf("line %q, want %q", b.String(), want)
	}
	recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil || len(recs) != 1 || recs[0][2] != `say "hi"` || recs[0][3] != "two\nlines" {
		t.Errorf("read back %q, %v", recs, err)
	}
}
