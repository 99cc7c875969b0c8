package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/demo"
	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// TestDevDemoCarriesAnIssueAndAComment is issue 4's acceptance for `airlock dev --demo`: on a
// fresh data directory, with no configuration by hand, an issue created in A arrives in B and a
// comment added in B arrives in A.
func TestDevDemoCarriesAnIssueAndAComment(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole dev node with three emulated Jiras")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{"AIRLOCK_LISTEN": addr, "AIRLOCK_DATA_DIR": t.TempDir(), "AIRLOCK_LOG_LEVEL": "error"}
	startDev(t, env, "dev", "--demo", "--demo-ports=random")

	// The demo's Jiras are on random ports: read their addresses from the node's database.
	db, urls := demoInstanceURLs(t, env)
	var conns int64
	db.Model(&models.Connection{}).Where("name LIKE ?", demo.ConnectionPrefix+"%").Count(&conns)
	if conns != int64(len(demo.Routes)) {
		t.Fatalf("%d demo connections, want %d", conns, len(demo.Routes))
	}
	client := func(inst, user string) *jira.Client {
		c, err := jira.New(jira.Config{BaseURL: urls[inst], Auth: jira.BasicAuth{User: user, Password: user}, Instance: inst})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := client("A", "alice"), client("B", "bob")
	bg := context.Background()
	find := func(c *jira.Client, project, summary string) []jira.Issue {
		is, err := c.SearchAll(bg, jira.SearchQuery{JQL: "project = " + project, Fields: []string{"summary"}}, jira.SearchAllOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []jira.Issue
		for _, i := range is {
			if s, _ := i.Summary(); s == summary {
				out = append(out, i)
			}
		}
		return out
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 30 s", what)
			}
		}
	}

	time.Sleep(500 * time.Millisecond) // the first polls start the watermarks at "now"
	if _, err := a.CreateIssue(bg, jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": "ALPHA"},
		"issuetype": map[string]string{"name": "Task"}, "summary": "Printer on floor 3 is jammed"}}); err != nil {
		t.Fatal(err)
	}
	var onB []jira.Issue
	wait("A's issue on B", func() bool { onB = find(b, "BETA", "Printer on floor 3 is jammed"); return len(onB) == 1 })
	if _, err := b.AddComment(bg, onB[0].Key, jira.CommentInput{Body: "Fixed it, paper was stuck."}); err != nil {
		t.Fatal(err)
	}
	wait("B's comment on A", func() bool {
		is := find(a, "ALPHA", "Printer on floor 3 is jammed")
		if len(is) != 1 {
			return false
		}
		cs, err := a.Comments(bg, is[0].Key, jira.CommentOptions{})
		return err == nil && len(cs) == 1 && strings.Contains(cs[0].Body, "Fixed it, paper was stuck.") && strings.Contains(cs[0].Body, "Bob Baker")
	})

	// A request of the service project HELP travels to SUPPORT on B through HELPRELAY, and so
	// does a public reply (what happens to internal notes is the engine's comment rules).
	req, err := a.CreateIssue(bg, jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": "HELP"},
		"issuetype": map[string]string{"name": "Task"}, "summary": "VPN drops every hour"}})
	if err != nil {
		t.Fatal(err)
	}
	wait("HELP's request on B", func() bool { return len(find(b, demo.SupportProject, "VPN drops every hour")) == 1 })
	if _, err := a.AddRequestComment(bg, req.Key, "We have escalated this to the vendor.", true); err != nil {
		t.Fatal(err)
	}
	wait("HELP's public reply on B", func() bool {
		is := find(b, demo.SupportProject, "VPN drops every hour")
		cs, err := b.Comments(bg, is[0].Key, jira.CommentOptions{})
		return err == nil && len(cs) == 1 && strings.Contains(cs[0].Body, "We have escalated this to the vendor.")
	})
}

func TestDevDemoFlags(t *testing.T) {
	for _, args := range [][]string{{"dev", "--traffic"}, {"dev", "--sealed"}, {"dev", "--demo", "--demo-ports=maybe"}, {"dev", "extra"}, {"dev", "--nope"}} {
		var errb strings.Builder
		if code := run(context.Background(), envOf(map[string]string{"AIRLOCK_DATA_DIR": t.TempDir()}), args, io.Discard, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
		if !strings.Contains(errb.String(), "airlock dev [--demo") {
			t.Errorf("%v: stderr %q lacks the usage", args, errb.String())
		}
	}
}

// TestDevDemoSealed is issue 15's `airlock dev --demo --sealed`: every demo connection through
// the relay AB is sealed and trusts this node's own public key (one node runs both ends).
func TestDevDemoSealed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole dev node with three emulated Jiras")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{"AIRLOCK_LISTEN": addr, "AIRLOCK_DATA_DIR": t.TempDir(), "AIRLOCK_LOG_LEVEL": "error"}
	startDev(t, env, "dev", "--demo", "--sealed", "--demo-ports=random")
	db, urls := demoInstanceURLs(t, env)
	own, err := db.CurrentIdentity(context.Background())
	if err != nil || own == nil {
		t.Fatalf("node identity %v, %v", own, err)
	}
	var ab models.Instance
	if err := db.Where("name = ?", demo.InstancePrefix+"AB").First(&ab).Error; err != nil {
		t.Fatal(err)
	}
	var conns []models.Connection
	db.Where("name LIKE ?", demo.ConnectionPrefix+"%").Find(&conns)
	if len(conns) != len(demo.Routes) {
		t.Fatalf("%d demo connections, want %d", len(conns), len(demo.Routes))
	}
	for _, c := range conns {
		if c.RemoteInstanceID != ab.ID {
			continue
		}
		k, err := engine.SealKeyring(&c)
		if err != nil {
			t.Fatal(err)
		}
		trusted := k.Trusted(time.Now())
		if !c.Sealed || len(trusted) != 1 || trusted[0].Fingerprint() != own.Fingerprint {
			t.Errorf("%s: sealed %v, trusted %v, want sealed with the node's own key %s", c.Name, c.Sealed, trusted, own.Fingerprint)
		}
	}

	// An issue of A arrives on B in plaintext; AB holds only a sealed issue.
	client := func(inst, user string) *jira.Client {
		c, err := jira.New(jira.Config{BaseURL: urls[inst], Auth: jira.BasicAuth{User: user, Password: user}, Instance: inst})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	bg := context.Background()
	summaries := func(c *jira.Client, project string) []string {
		is, err := c.SearchAll(bg, jira.SearchQuery{JQL: "project = " + project, Fields: []string{"summary"}}, jira.SearchAllOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, i := range is {
			s, _ := i.Summary()
			out = append(out, s)
		}
		return out
	}
	time.Sleep(500 * time.Millisecond) // the first polls start the watermarks at "now"
	const marker = "Sealed demo marker 7Q"
	if _, err := client("A", "alice").CreateIssue(bg, jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": "ALPHA"},
		"issuetype": map[string]string{"name": "Task"}, "summary": marker}}); err != nil {
		t.Fatal(err)
	}
	b := client("B", "bob")
	for deadline := time.Now().Add(45 * time.Second); !slices.Contains(summaries(b, "BETA"), marker); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("A's issue not on B within 45 s; AB holds %q", summaries(client("AB", "admin"), "RELAY"))
		}
	}
	relay := summaries(client("AB", "admin"), "RELAY")
	if len(relay) != 1 || !strings.HasPrefix(relay[0], "Sealed by Airlock · ") || strings.Contains(relay[0], marker) {
		t.Errorf("AB holds %q, want one sealed issue", relay)
	}
}

// TestDemoSetupIsIdempotent restarts the demo on one database: the rows are reused by name and
// the ledger of the old (now empty) emulator is reset.
func TestDemoSetupIsIdempotent(t *testing.T) {
	cfg, err := config.Load(envOf(map[string]string{"AIRLOCK_DATA_DIR": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := models.Open(ctx, models.OpenOptions{SQLitePath: cfg.SQLitePath()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sealer, err := models.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.EnsureSealIdentity(ctx, db, sealer, ""); err != nil {
		t.Fatal(err)
	}
	// The first start is sealed, the second is not: it is plaintext exactly as before.
	d1, err := demo.Setup(ctx, db, sealer, demo.Options{RandomPorts: true, Sealed: true})
	if err != nil {
		t.Fatal(err)
	}
	conn := d1.Connections[demo.ConnectionPrefix+"A-AB"]
	lid, rid := "10000", "20000"
	if err := db.Create(&models.Twin{ConnectionID: conn, SyncID: "old", State: models.TwinActive, LocalIssueID: &lid, RemoteIssueID: &rid}).Error; err != nil {
		t.Fatal(err)
	}
	d1.Close()
	d2, err := demo.Setup(ctx, db, sealer, demo.Options{RandomPorts: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if d2.Connections[demo.ConnectionPrefix+"A-AB"] != conn {
		t.Errorf("connection recreated: %v, was %d", d2.Connections, conn)
	}
	var n int64
	db.Model(&models.Instance{}).Count(&n)
	if n != 3 {
		t.Errorf("%d instances after a restart, want 3", n)
	}
	db.Model(&models.Twin{}).Count(&n)
	if n != 0 {
		t.Errorf("%d twins survived the restart of the empty emulator", n)
	}
	db.Model(&models.Connection{}).Where("sealed OR seal_keyring <> ''").Count(&n)
	if n != 0 {
		t.Errorf("%d connections still sealed after a start without --sealed", n)
	}
	var a models.Instance
	db.Where("name = ?", demo.InstancePrefix+"A").First(&a)
	if a.BaseURL != d2.URLs["A"] || !strings.HasSuffix(a.BaseURL, demo.ContextPath) {
		t.Errorf("instance A at %q, demo serves %q", a.BaseURL, d2.URLs["A"])
	}
	if s, err := a.Secret(sealer); err != nil || s != "airlock" {
		t.Errorf("secret %q, %v", s, err)
	}
	resp, err := http.Get(d2.URLs["AB"] + "/rest/api/2/serverInfo")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("AB serverInfo: %d", resp.StatusCode)
	}
}

// freeAddr is a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// `dev --demo` honours JIRASIM_A_ADDR, JIRASIM_AB_ADDR, JIRASIM_B_ADDR and AIRLOCK_LISTEN
// (issue 12.10): the Jiras and the console listen exactly there and the demo instances point
// at those addresses; an address that is taken stops dev with the variable named.
func TestDevDemoHonoursAddresses(t *testing.T) {
	env := map[string]string{"AIRLOCK_LISTEN": freeAddr(t), "AIRLOCK_DATA_DIR": t.TempDir(), "AIRLOCK_LOG_LEVEL": "error",
		"JIRASIM_A_ADDR": freeAddr(t), "JIRASIM_AB_ADDR": freeAddr(t), "JIRASIM_B_ADDR": freeAddr(t)}
	startDev(t, env, "dev", "--demo")
	for _, name := range demo.Names {
		resp, err := http.Get("http://" + env[demo.AddrVar(name)] + demo.ContextPath + "/rest/api/2/serverInfo")
		if err != nil {
			t.Errorf("Jira %s on %s: %v", name, env[demo.AddrVar(name)], err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("Jira %s serverInfo: %d", name, resp.StatusCode)
		}
	}
	_, urls := demoInstanceURLs(t, env)
	for _, name := range demo.Names {
		if want := "http://" + env[demo.AddrVar(name)] + demo.ContextPath; urls[name] != want {
			t.Errorf("instance %s at %q, want %q", name, urls[name], want)
		}
	}

	// A second dev on the same Jira addresses cannot listen there: it says which variable.
	env2 := map[string]string{"AIRLOCK_LISTEN": freeAddr(t), "AIRLOCK_DATA_DIR": t.TempDir(), "AIRLOCK_LOG_LEVEL": "error",
		"JIRASIM_A_ADDR": freeAddr(t), "JIRASIM_AB_ADDR": env["JIRASIM_AB_ADDR"]}
	var errb strings.Builder
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Second) // bounded even when the address is not honoured
	defer cancel2()
	if code := run(ctx2, envOf(env2), []string{"dev", "--demo", "--demo-ports=random"}, io.Discard, &errb); code == 0 || !strings.Contains(errb.String(), "JIRASIM_AB_ADDR="+env["JIRASIM_AB_ADDR"]) {
		t.Errorf("busy JIRASIM_AB_ADDR: exit %d, stderr %q", code, errb.String())
	}

}

// startDev runs `airlock` with args and env until the test ends (then it must exit 0 within
// 30 s), and waits until the console at AIRLOCK_LISTEN is ready.
func startDev(t *testing.T, env map[string]string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, envOf(env), args, io.Discard, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("dev exited %d", code)
			}
		case <-time.After(30 * time.Second):
			t.Error("dev did not stop")
		}
	})
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var resp *http.Response
		if resp, err = http.Get("http://" + env["AIRLOCK_LISTEN"] + "/readyz"); err == nil {
			resp.Body.Close()
			return
		}
	}
	t.Fatal(err)
}

// demoInstanceURLs opens the dev node's database (closed when the test ends) and reads the base
// URLs of the demo instances by name (A, AB, B).
func demoInstanceURLs(t *testing.T, env map[string]string) (*models.DB, map[string]string) {
	t.Helper()
	cfg, err := config.Load(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	db, err := models.Open(context.Background(), models.OpenOptions{SQLitePath: cfg.SQLitePath()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	urls := map[string]string{}
	for _, name := range demo.Names {
		var in models.Instance
		if err := db.Where("name = ?", demo.InstancePrefix+name).First(&in).Error; err != nil {
			t.Fatalf("demo instance %s: %v", name, err)
		}
		urls[name] = in.BaseURL
	}
	return db, urls
}
