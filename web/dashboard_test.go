package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/hibiken/asynq"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/workers"
	"github.com/airlock-sync/airlock/workers/workerstest"
)

// dashSeed is a node with A, the relay and B, two connections (AB-B paused), watermarks, errors
// and events with known lag.
type dashSeed struct {
	a, ab, b       models.Instance
	connA, connB   models.Connection
	twin           models.Twin
	lastLagSamples []time.Duration
}

func seedDashboard(t *testing.T, db *models.DB, now time.Time) *dashSeed {
	t.Helper()
	d := &dashSeed{
		a:  models.Instance{Name: "Jira A", BaseURL: "https://a.example", Role: models.RolePrivate, LastOKAt: &now},
		ab: models.Instance{Name: "Relay", BaseURL: "https://relay.example", Role: models.RoleRelay, LastOKAt: &now},
		b:  models.Instance{Name: "Jira B", BaseURL: "https://b.example", Role: models.RolePrivate, AuthBlocked: true},
	}
	must(t, db.Create(&d.a).Error, db.Create(&d.ab).Error, db.Create(&d.b).Error)
	d.connA = models.Connection{Name: "A-relay", LocalInstanceID: d.a.ID, RemoteInstanceID: d.ab.ID, LocalProject: "OPS", RemoteProject: "SHARE"}
	d.connB = models.Connection{Name: "relay-B", LocalInstanceID: d.b.ID, RemoteInstanceID: d.ab.ID, LocalProject: "DEV", RemoteProject: "SHARE", Paused: true}
	must(t, db.Create(&d.connA).Error, db.Create(&d.connB).Error)
	pollAt := now.Add(-30 * time.Second)
	must(t, db.Create(&models.Watermark{ConnectionID: d.connA.ID, Side: models.SideLocal, LastPollAt: &pollAt}).Error,
		db.Create(&models.Watermark{ConnectionID: d.connA.ID, Side: models.SideRemote, LastPollAt: &pollAt, LastError: "relay answered 503"}).Error)
	// Three twins carried local->remote 4 s, 10 s and 30 s after their change; one remote->local
	// event whose source changed again afterwards (skipped); one old issue imported (skipped).
	created := now.Add(-2 * time.Hour)
	for i, lag := range []time.Duration{4 * time.Second, 10 * time.Second, 30 * time.Second} {
		evAt := now.Add(-time.Duration(i+1) * time.Minute)
		src := evAt.Add(-lag)
		lid, rid := "1"+string(rune('0'+i)), "2"+string(rune('0'+i))
		tw := models.Twin{ConnectionID: d.connA.ID, SyncID: "lag" + lid, State: models.TwinActive, LocalIssueID: &lid, RemoteIssueID: &rid,
			LocalKey: "OPS-" + lid, RemoteKey: "SHARE-" + rid, LocalUpdated: &src, CreatedAt: created}
		must(t, db.Create(&tw).Error)
		must(t, db.Create(&models.Event{TwinID: tw.ID, ConnectionID: d.connA.ID, At: evAt.Add(-time.Second), Direction: models.DirLocalToRemote, Kind: "field", Field: "labels"}).Error,
			db.Create(&models.Event{TwinID: tw.ID, ConnectionID: d.connA.ID, At: evAt, Direction: models.DirLocalToRemote, Kind: "field", Field: "summary", NewValue: "v" + lid}).Error)
		d.twin = tw
	}
	later := now
	lid, rid := "90", "91"
	skipped := models.Twin{ConnectionID: d.connA.ID, SyncID: "skip", State: models.TwinActive, LocalIssueID: &lid, RemoteIssueID: &rid,
		LocalKey: "OPS-90", RemoteKey: "SHARE-91", RemoteUpdated: &later, CreatedAt: created}
	must(t, db.Create(&skipped).Error)
	must(t, db.Create(&models.Event{TwinID: skipped.ID, ConnectionID: d.connA.ID, At: now.Add(-10 * time.Minute), Direction: models.DirRemoteToLocal, Kind: "field", Field: "summary"}).Error)
	old := now.Add(-400 * 24 * time.Hour)
	lid2, rid2 := "95", "96"
	imported := models.Twin{ConnectionID: d.connA.ID, SyncID: "imp", State: models.TwinActive, LocalIssueID: &lid2, RemoteIssueID: &rid2,
		LocalKey: "OPS-95", RemoteKey: "SHARE-96", LocalUpdated: &old, CreatedAt: now.Add(-5 * time.Minute)}
	must(t, db.Create(&imported).Error)
	must(t, db.Create(&models.Event{TwinID: imported.ID, ConnectionID: d.connA.ID, At: now.Add(-4 * time.Minute), Direction: models.DirLocalToRemote, Kind: "create", NewValue: "SHARE-96"}).Error)
	tid := d.twin.ID
	must(t,
		db.Create(&models.SyncError{TwinID: &tid, ConnectionID: &d.connA.ID, Fingerprint: "f1", Class: models.ClassConfig, Message: "field not on screen", FirstSeen: now, LastSeen: now}).Error,
		db.Create(&models.SyncError{ConnectionID: &d.connA.ID, Fingerprint: "f2", Class: models.ClassTransient, Message: "relay answered 503", FirstSeen: now, LastSeen: now}).Error,
		db.Create(&models.SyncError{ConnectionID: &d.connA.ID, Fingerprint: "f3", Class: models.ClassTransient, Message: "timeout", FirstSeen: now, LastSeen: now}).Error)
	return d
}

func TestDashboardPageAndLiveFragment(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	d := seedDashboard(t, e.db, now)
	token, sess := e.session(t)

	doc := parse(t, e.get(t, "/", token))
	assertLayout(t, doc, sess.CSRFToken, "Dashboard")
	live := doc.Find(`[data-testid="dashboard-live"]`)
	if got, _ := live.Attr("hx-get"); got != "/dashboard/live" {
		t.Errorf("hx-get %q", got)
	}
	if got, _ := live.Attr("hx-trigger"); got != "every 5s" {
		t.Errorf("hx-trigger %q", got)
	}
	if got, _ := live.Attr("hx-swap"); got != "outerHTML" {
		t.Errorf("hx-swap %q", got)
	}
	checks := map[string]string{
		"count-instances": "3", "count-connections": "2", "count-twins": "5", "count-errors": "3", "count-events": "8",
	}
	for id, want := range checks {
		if got := doc.Find(`[data-testid="` + id + `"] .count-value`).Text(); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	// Topology: A linked and failing (its relay poll fails), B blocked and its hop paused.
	if cls, _ := doc.Find(`[data-testid="topo-hop-a"]`).Attr("class"); !strings.Contains(cls, "topo-unhealthy") {
		t.Errorf("failing hop A not marked: %q", cls)
	}
	if cls, _ := doc.Find(`[data-testid="topo-hop-b"]`).Attr("class"); !strings.Contains(cls, "topo-paused") {
		t.Errorf("paused hop B not marked: %q", cls)
	}
	if cls, _ := doc.Find(`[data-testid="topo-b"]`).Attr("class"); !strings.Contains(cls, "topo-unhealthy") {
		t.Errorf("blocked B not marked: %q", cls)
	}
	if got := squash(doc.Find(`[data-testid="topo-hop-a"]`).Text()); !strings.Contains(got, "lag 10s") {
		t.Errorf("hop A text %q, want the median lag 10s", got)
	}
	hops := doc.Find(`[data-testid="dash-hop"]`)
	if hops.Length() != 2 {
		t.Fatalf("%d hop rows, want 2", hops.Length())
	}
	first := squash(hops.First().Text())
	for _, want := range []string{"A-relay", "failing", "relay answered 503", "median 10s, max 30s", "3 changes"} {
		if !strings.Contains(first, want) {
			t.Errorf("hop row %q lacks %q", first, want)
		}
	}
	if !strings.Contains(squash(hops.Eq(1).Text()), "paused") {
		t.Errorf("second hop %q not paused", squash(hops.Eq(1).Text()))
	}
	if got := strings.Join(doc.Find(`[data-testid="dash-class-transient"] td`).Map(func(_ int, s *goquery.Selection) string { return strings.TrimSpace(s.Text()) }), " "); got != "transient 2" {
		t.Errorf("transient class row %q", got)
	}
	if got := doc.Find(`[data-testid="dash-event"]`).Length(); got != 8 {
		t.Errorf("%d recent events, want 8", got)
	}
	if href, _ := doc.Find(`[data-testid="dash-event"] a`).First().Attr("href"); !strings.HasPrefix(href, "/twins/") {
		t.Errorf("recent event links to %q", href)
	}
	if note := doc.Find(`[data-testid="dash-queue-note"]`).Text(); !strings.Contains(note, "not available") {
		t.Errorf("queue note %q", note)
	}

	// The fragment alone, as htmx asks for it; a new event shows on the next refresh.
	frag := func() string {
		res := e.do(t, req{path: "/dashboard/live", cookies: []*http.Cookie{{Name: sessionCookie, Value: token}}, header: map[string]string{"HX-Request": "true"}})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("fragment status %d", res.StatusCode)
		}
		fd := parse(t, res)
		if fd.Find("html header, nav[aria-label=Main]").Length() != 0 || fd.Find(`[data-testid="dashboard-live"]`).Length() != 1 {
			t.Fatal("fragment is not just the live part")
		}
		return fd.Find(`[data-testid="count-events"] .count-value`).Text()
	}
	if got := frag(); got != "8" {
		t.Errorf("fragment events %q", got)
	}
	must(t, e.db.Create(&models.Event{TwinID: d.twin.ID, ConnectionID: d.connA.ID, At: time.Now().UTC(), Direction: models.DirLocalToRemote, Kind: "field", Field: "summary"}).Error)
	if got := frag(); got != "9" {
		t.Errorf("after a new event the fragment shows %q, want 9", got)
	}
}

func TestDashLagSample(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	created := now.Add(-time.Hour)
	tests := []struct {
		name   string
		ev     models.Event
		tw     models.Twin
		want   time.Duration
		wantOK bool
	}{
		{"local to remote", models.Event{At: now, Direction: models.DirLocalToRemote}, models.Twin{LocalUpdated: at(-7 * time.Second), CreatedAt: created}, 7 * time.Second, true},
		{"remote to local uses the remote side", models.Event{At: now, Direction: models.DirRemoteToLocal}, models.Twin{LocalUpdated: at(-time.Minute), RemoteUpdated: at(-3 * time.Second), CreatedAt: created}, 3 * time.Second, true},
		{"source changed again since", models.Event{At: now, Direction: models.DirLocalToRemote}, models.Twin{LocalUpdated: at(time.Second), CreatedAt: created}, 0, false},
		{"issue older than the twin", models.Event{At: now, Direction: models.DirLocalToRemote}, models.Twin{LocalUpdated: at(-2 * time.Hour), CreatedAt: created}, 0, false},
		{"no updated recorded", models.Event{At: now, Direction: models.DirLocalToRemote}, models.Twin{CreatedAt: created}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := dashLagSample(tt.ev, tt.tw)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got %s %v, want %s %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestDashFmtLag(t *testing.T) {
	for d, want := range map[time.Duration]string{
		300 * time.Millisecond: "<1s", 4 * time.Second: "4s", 130 * time.Second: "2m 10s", 3*time.Hour + 5*time.Minute: "3h 5m",
	} {
		if got := dashFmtLag(d); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
	}
}

func TestDashboardSplitNodeAndQueueDepth(t *testing.T) {
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.SessionTTL = time.Hour
	broker := workerstest.Broker(t)
	e := newEnv(t)
	s, err := New(Deps{Config: cfg, DB: e.db, Queue: broker, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	now := time.Now().UTC()
	b := models.Instance{Name: "Jira B", BaseURL: "https://b.example", Role: models.RolePrivate, LastOKAt: &now}
	ab := models.Instance{Name: "Relay", BaseURL: "https://relay.example", Role: models.RoleRelay}
	must(t, e.db.Create(&b).Error, e.db.Create(&ab).Error)
	must(t, e.db.Create(&models.Connection{Name: "B side", LocalInstanceID: b.ID, RemoteInstanceID: ab.ID, LocalProject: "DEV", RemoteProject: "SHARE"}).Error)

	client := asynq.NewClient(broker.ConnOpt())
	defer client.Close()
	for i := 0; i < 3; i++ {
		if _, err := client.EnqueueContext(context.Background(), asynq.NewTask("test:noop", nil), asynq.Queue(workers.QueueSync)); err != nil {
			t.Fatal(err)
		}
	}
	token, _ := e.session(t)
	doc := parse(t, e.get(t, "/", token))
	if got := squash(doc.Find(`[data-testid="topo-a"]`).Text()); !strings.Contains(got, "Jira B") {
		t.Errorf("the node's own private Jira is not drawn: %q", got)
	}
	if got := squash(doc.Find(`[data-testid="topo-b"]`).Text()); !strings.Contains(got, "the other node's side") {
		t.Errorf("far side of a split node: %q", got)
	}
	row := doc.Find(`[data-testid="dash-queue-sync"] td`)
	if row.Length() < 2 || !strings.HasPrefix(strings.TrimSpace(row.Eq(1).Text()), "3") {
		t.Errorf("sync queue row %q, want 3 waiting", squash(row.Text()))
	}
	if doc.Find(`[data-testid="dash-queue-poll"]`).Length() != 1 {
		t.Error("poll queue row missing")
	}
}
