package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// chainIssue creates an issue on an emulated instance and returns its id and key.
func (e *connEnv) chainIssue(t *testing.T, inst, project string) (string, string) {
	t.Helper()
	ci, err := e.human(t, inst).CreateIssue(context.Background(), jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": project},
		"issuetype": map[string]string{"name": "Task"}, "summary": "Chain " + inst}})
	if err != nil {
		t.Fatal(err)
	}
	return ci.ID, ci.Key
}

// linkedPair stores connection A -> AB and a twin of two new issues, one on each side.
func (e *connEnv) linkedPair(t *testing.T) (*models.Connection, *models.Twin) {
	t.Helper()
	cn := e.connection(t, engine.DefaultRules())
	aID, aKey := e.chainIssue(t, "A", "ALPHA")
	abID, abKey := e.chainIssue(t, "AB", "RELAY")
	tw := &models.Twin{ConnectionID: cn.ID, SyncID: "s-a", State: models.TwinActive, LocalIssueID: &aID, LocalKey: aKey, RemoteIssueID: &abID, RemoteKey: abKey}
	if err := e.db.Create(tw).Error; err != nil {
		t.Fatal(err)
	}
	return cn, tw
}

// Single topology (issue 12.7): the twin page of A <-> AB shows A <-> AB <-> B with each
// hop's state and links to the twin of the next hop, which links back; the issue links open
// on the emulated Jiras.
func TestTwinPageShowsTheRelayChain(t *testing.T) {
	e := newConnEnv(t)
	b := &models.Instance{Name: "B", BaseURL: "http://127.0.0.1:9/jira", Role: models.RolePrivate, AuthType: models.AuthBasic, Username: "airlock", MaxConcurrent: 4}
	if err := e.db.Create(b).Error; err != nil {
		t.Fatal(err)
	}
	a2ab := e.connection(t, engine.DefaultRules())
	b2ab := &models.Connection{Name: "B to relay", LocalInstanceID: b.ID, RemoteInstanceID: e.ab.ID, LocalProject: "BETA", RemoteProject: "RELAY",
		PollIntervalMS: 5000, Rules: a2ab.Rules, ConflictPolicy: models.PolicyNewestWins, DeletionPolicy: models.DeleteIgnore}
	if err := e.db.Create(b2ab).Error; err != nil {
		t.Fatal(err)
	}
	aID, aKey := e.chainIssue(t, "A", "ALPHA")
	abID, abKey := e.chainIssue(t, "AB", "RELAY")
	bID := "30007"
	t1 := &models.Twin{ConnectionID: a2ab.ID, SyncID: "s-a", State: models.TwinActive, LocalIssueID: &aID, LocalKey: aKey, RemoteIssueID: &abID, RemoteKey: abKey}
	t2 := &models.Twin{ConnectionID: b2ab.ID, SyncID: "s-b", State: models.TwinQuarantined, LocalIssueID: &bID, LocalKey: "BETA-7", RemoteIssueID: &abID, RemoteKey: abKey}
	for _, tw := range []*models.Twin{t1, t2} {
		if err := e.db.Create(tw).Error; err != nil {
			t.Fatal(err)
		}
	}

	doc := parse(t, e.get(t, e.s.twinURL(t1.ID), e.token))
	chain := doc.Find(`[data-testid="twin-chain"]`)
	if chain.Length() != 1 {
		t.Fatal("no relay chain on the twin page")
	}
	var keys []string
	chain.Find(`[data-testid="chain-issue"]`).Each(func(_ int, s *goquery.Selection) { keys = append(keys, squash(s.Text())) })
	if len(keys) != 3 || !strings.Contains(keys[0], aKey) || !strings.Contains(keys[1], abKey) || !strings.Contains(keys[1], "(relay)") || !strings.Contains(keys[2], "BETA-7") {
		t.Errorf("chain %q, want %s <-> %s <-> BETA-7", keys, aKey, abKey)
	}
	hops := chain.Find(`[data-testid="chain-hop"]`)
	if hops.Length() != 2 || hops.Eq(0).AttrOr("data-state", "") != models.TwinActive || hops.Eq(1).AttrOr("data-state", "") != models.TwinQuarantined {
		t.Errorf("hop states: %d hops, %q %q", hops.Length(), hops.Eq(0).AttrOr("data-state", ""), hops.Eq(1).AttrOr("data-state", ""))
	}
	if href := chain.Find(`[data-testid="chain-next"]`).AttrOr("href", ""); href != e.s.twinURL(t2.ID) {
		t.Errorf("next hop links %q, want %q", href, e.s.twinURL(t2.ID))
	}
	// Every issue link of the chain that points at an emulated Jira opens its issue page.
	for _, key := range []string{aKey, abKey} {
		href := chain.Find(`a:contains("`+key+`")`).AttrOr("href", "")
		res := openAsAlice(t, href)
		if body := bodyString(t, res); res.StatusCode != http.StatusOK || !strings.Contains(body, key) {
			t.Errorf("%s (%s): %d", key, href, res.StatusCode)
		}
	}

	// The next hop's page shows the same chain from its side, linking back.
	doc = parse(t, e.get(t, e.s.twinURL(t2.ID), e.token))
	if href := doc.Find(`[data-testid="chain-next"]`).AttrOr("href", ""); href != e.s.twinURL(t1.ID) {
		t.Errorf("back link %q, want %q", href, e.s.twinURL(t1.ID))
	}
}

// Split topology: this node has only A <-> AB, so the page names the relay issue, when it was
// last updated and the other node's link from the relay issue's airlock.twin property (read
// with one GET); a non-http peer address from the relay is shown, never linked.
func TestTwinPageSplitNamesTheRelayIssue(t *testing.T) {
	e := newConnEnv(t)
	cn, tw := e.linkedPair(t)
	aID, aKey, abID, abKey := *tw.LocalIssueID, tw.LocalKey, *tw.RemoteIssueID, tw.RemoteKey
	ours := engine.ConnectionKey(e.a, e.ab, cn)
	prop := engine.TwinValue{V: 1, Links: map[string]engine.TwinLink{
		ours:               {SyncID: "s-a", PeerBaseURL: e.a.BaseURL, PeerID: aID, PeerKey: aKey},
		"0123456789abcdef": {SyncID: "s-b", PeerBaseURL: "https://jira-b.example.com/jira", PeerID: "30001", PeerKey: "BETA-12"},
		"fedcba9876543210": {SyncID: "s-x", PeerBaseURL: "javascript:alert(1)//", PeerID: "1", PeerKey: "EVIL-1"},
	}}
	if err := e.human(t, "AB").SetProperty(context.Background(), abID, engine.TwinProperty, prop); err != nil {
		t.Fatal(err)
	}
	e.sim.Instance("AB").Log().Clear()

	doc := parse(t, e.get(t, e.s.twinURL(tw.ID), e.token))
	chain := doc.Find(`[data-testid="twin-chain"]`)
	if chain.Find(`[data-testid="chain-split"]`).Length() != 1 {
		t.Fatalf("no split notice: %s", squash(chain.Text()))
	}
	text := squash(chain.Text())
	if !strings.Contains(text, abKey) || !strings.Contains(text, "last updated 20") {
		t.Errorf("relay issue or its update time missing: %q", text)
	}
	peers := chain.Find(`[data-testid="chain-peers"] li`)
	if peers.Length() != 2 {
		t.Fatalf("%d peers, want 2 (our own link is not another node's): %q", peers.Length(), text)
	}
	if href := peers.Find(`a:contains("BETA-12")`).AttrOr("href", ""); href != "https://jira-b.example.com/jira/browse/BETA-12" {
		t.Errorf("peer link %q", href)
	}
	if peers.Find(`a:contains("EVIL-1")`).Length() != 0 || !strings.Contains(text, "EVIL-1") {
		t.Error("a non-http peer address from the relay was linked (or not shown)")
	}
	n := 0
	for _, le := range e.sim.Instance("AB").Log().Entries() {
		if le.Method == http.MethodGet && strings.Contains(le.Query, "properties=") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d GETs of the relay issue with properties, want 1", n)
	}
}

// Every link the console shows into an emulated Jira (twin list, twin page, connection page)
// opens that Jira's read-only issue or project page (issue 12.10).
func TestConsoleIssueLinksOpen(t *testing.T) {
	e := newConnEnv(t)
	cn, tw := e.linkedPair(t)
	aKey, abKey := tw.LocalKey, tw.RemoteKey
	seen := map[string]bool{}
	for _, page := range []string{"/twins", e.s.twinURL(tw.ID), "/connections/" + strconv.Itoa(int(cn.ID))} {
		parse(t, e.get(t, page, e.token)).Find("a[href]").Each(func(_ int, s *goquery.Selection) {
			href := s.AttrOr("href", "")
			for _, name := range []string{"A", "AB"} {
				if strings.HasPrefix(href, e.sim.Instance(name).URL()+"/browse/") {
					seen[href] = true
				}
			}
		})
	}
	for _, want := range []string{aKey, abKey, "ALPHA"} {
		found := false
		for href := range seen {
			found = found || strings.HasSuffix(href, "/browse/"+want)
		}
		if !found {
			t.Errorf("no console link to %s (links %v)", want, seen)
		}
	}
	for href := range seen {
		res := openAsAlice(t, href)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", href, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}

// openAsAlice opens a link into an emulated Jira as a browser logged in as alice would.
func openAsAlice(t *testing.T, href string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, href, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("alice", "alice")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
