package web

import (
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/airlock-sync/airlock/models"
)

// A connection with quarantined twins or open errors is not "ok" on the dashboard (table and
// picture) nor on the connections list, and a blocked instance is named on every page.
func TestConnectionHealthTellsTheTruth(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	a := models.Instance{Name: "Jira A", BaseURL: "https://a.example", Role: models.RolePrivate, LastOKAt: &now}
	ab := models.Instance{Name: "Relay", BaseURL: "https://relay.example", Role: models.RoleRelay, LastOKAt: &now}
	b := models.Instance{Name: "Jira B", BaseURL: "https://b.example", Role: models.RolePrivate, LastOKAt: &now}
	c := models.Instance{Name: "Jira C", BaseURL: "https://c.example", Role: models.RolePrivate, LastOKAt: &now}
	must(t, e.db.Create(&a).Error, e.db.Create(&ab).Error, e.db.Create(&b).Error, e.db.Create(&c).Error)
	conn := func(name string, local uint) models.Connection {
		cn := models.Connection{Name: name, LocalInstanceID: local, RemoteInstanceID: ab.ID, LocalProject: "P", RemoteProject: "R"}
		must(t, e.db.Create(&cn).Error)
		for _, side := range []string{models.SideLocal, models.SideRemote} {
			must(t, e.db.Create(&models.Watermark{ConnectionID: cn.ID, Side: side, LastPollAt: &now, LastPollOK: &now}).Error)
		}
		return cn
	}
	quar, errd, clean := conn("quarantined", a.ID), conn("erroring", b.ID), conn("clean", c.ID)
	lid, rid := "1", "2"
	tw := models.Twin{ConnectionID: quar.ID, SyncID: "q", State: models.TwinQuarantined, LocalIssueID: &lid, RemoteIssueID: &rid, LocalKey: "P-1", RemoteKey: "R-2"}
	must(t, e.db.Create(&tw).Error)
	lid2, rid2 := "3", "4"
	tw2 := models.Twin{ConnectionID: errd.ID, SyncID: "e", State: models.TwinActive, LocalIssueID: &lid2, RemoteIssueID: &rid2, LocalKey: "P-3", RemoteKey: "R-4"}
	must(t, e.db.Create(&tw2).Error)
	must(t, e.db.Create(&models.SyncError{TwinID: &tw2.ID, ConnectionID: &errd.ID, Fingerprint: "cfg", Class: models.ClassConfig,
		Message: "field not on screen", FirstSeen: now, LastSeen: now}).Error)
	token, _ := e.session(t)

	health := func(doc *goquery.Document, rowSel, nameSel, badgeSel string) map[string]string {
		out := map[string]string{}
		doc.Find(rowSel).Each(func(_ int, r *goquery.Selection) {
			name := strings.TrimSpace(r.Find(nameSel).First().Text())
			out[name] = strings.TrimSpace(r.Find(badgeSel).First().Text())
		})
		return out
	}
	want := map[string]string{quar.Name: "failing", errd.Name: "failing", clean.Name: "ok"}
	dash := parse(t, e.get(t, "/", token))
	if got := health(dash, `[data-testid="dash-hop"]`, "td strong", "td:nth-child(2) .badge"); !mapsEqual(got, want) {
		t.Errorf("dashboard health %v, want %v", got, want)
	}
	if dash.Find(`[data-testid="dash-nothing-failing"]`).Length() != 0 {
		t.Error(`the dashboard says "Nothing is failing" with a quarantined twin and an open error`)
	}
	if dash.Find(`[data-testid="topo-hop-a"].topo-unhealthy, [data-testid="topo-hop-a"] .topo-unhealthy`).Length() == 0 &&
		!strings.Contains(dash.Find(`[data-testid="topo-hop-a"]`).AttrOr("class", ""), "topo-unhealthy") {
		t.Error("the topology picture draws the quarantined hop as healthy")
	}
	list := parse(t, e.get(t, "/connections", token))
	got := map[string]string{}
	list.Find(`[data-testid="connection-row"]`).Each(func(_ int, r *goquery.Selection) {
		got[strings.TrimSpace(r.Find(`[data-testid="connection-link"]`).Text())] = r.Find(`[data-testid="connection-health"]`).AttrOr("data-health", "")
	})
	if !mapsEqual(got, want) {
		t.Errorf("connections list health %v, want %v", got, want)
	}

	// An auth block: its one instance-level error counts on the connections using it, and
	// every page names the instance.
	must(t, e.db.Model(&models.Instance{}).Where("id = ?", c.ID).Update("auth_blocked", true).Error,
		e.db.Create(&models.SyncError{InstanceID: &c.ID, Fingerprint: "auth", Class: models.ClassAuth, Message: "401", FirstSeen: now, LastSeen: now}).Error)
	list = parse(t, e.get(t, "/connections", token))
	list.Find(`[data-testid="connection-row"]`).Each(func(_ int, r *goquery.Selection) {
		if strings.TrimSpace(r.Find(`[data-testid="connection-link"]`).Text()) != clean.Name {
			return
		}
		if h := r.Find(`[data-testid="connection-health"]`).AttrOr("data-health", ""); h != "failing" {
			t.Errorf("connection on a blocked instance: health %q", h)
		}
		if n := strings.TrimSpace(r.Find(`[data-testid="connection-errors"]`).Text()); n != "1" {
			t.Errorf("connection on a blocked instance: %s open errors, want 1", n)
		}
	})
	// The connection's error link lists that error too.
	doc := parse(t, e.get(t, "/errors?connection="+itoaU(clean.ID), token))
	if !strings.Contains(doc.Text(), "401") {
		t.Error("the errors of a connection on a blocked instance do not list the instance's auth error")
	}
	for _, path := range []string{"/", "/instances", "/connections", "/twins", "/errors", "/conflicts", "/activity", "/settings"} {
		doc := parse(t, e.get(t, path, token))
		banner := doc.Find(`[data-testid="auth-blocked-banner"]`)
		if banner.Length() != 1 || !strings.Contains(banner.Text(), "Jira C is blocked") {
			t.Errorf("GET %s: no auth-block banner for Jira C", path)
		}
		if href, _ := banner.Find("a").Attr("href"); href != "/instances/"+itoaU(c.ID)+"/edit" {
			t.Errorf("GET %s: banner links to %q", path, href)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The lag figures count what still waits: the "waiting to sync" tile equals the waiting twins
// of the rows, and a hop with an old waiting change says so beside its (fast) delivered lag.
func TestDashboardLagAgreesWithWaitingTile(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	d := seedDashboard(t, e.db, now)
	old := now.Add(-5*time.Minute - 3*time.Second)
	for i, st := range []string{models.TwinActive, models.TwinActive, models.TwinPendingCreate, models.TwinQuarantined} {
		since := now.Add(-time.Duration(i) * time.Second)
		if i == 0 {
			since = old
		}
		lid := "w" + string(rune('0'+i))
		tw := models.Twin{ConnectionID: d.connA.ID, SyncID: "wait" + lid, State: st, LocalIssueID: &lid, LocalKey: "OPS-" + lid, Dirty: true, DirtySince: &since}
		must(t, e.db.Create(&tw).Error)
	}
	token, _ := e.session(t)
	doc := parse(t, e.get(t, "/", token))
	tile := strings.TrimSpace(doc.Find(`[data-testid="count-dirty"] .count-value`).Text())
	sum := 0
	doc.Find(`[data-testid="dash-hop-waiting"]`).Each(func(_ int, s *goquery.Selection) {
		n := 0
		for _, c := range s.AttrOr("data-waiting", "") {
			n = n*10 + int(c-'0')
		}
		sum += n
	})
	if tile != "3" || itoaU(uint(sum)) != tile {
		t.Errorf("waiting tile %q, rows %d: want 3 both (a quarantined twin does not wait for the sync)", tile, sum)
	}
	w := doc.Find(`[data-testid="dash-hop-waiting"]`).First().Text()
	if !strings.Contains(w, "3 waiting, oldest 5m") {
		t.Errorf("row waiting %q", w)
	}
	if lag := doc.Find(`[data-testid="topo-hop-a-lag"]`).Text(); !strings.Contains(lag, "lag 10s") || !strings.Contains(lag, "oldest 5m") {
		t.Errorf("topology lag %q does not show the waiting change", lag)
	}
}
