package zones

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
)

const (
	portNode = "8080"
	portA    = "8081"
	portAB   = "8082"
	portB    = "8083"
	// probeTimeout is how long a probe into a zone may try: the firewall drops, so a probe
	// that is not answered within it has failed.
	probeTimeout = 1500 * time.Millisecond
)

// TestSplitTopologyInNamespaces is issue 13 point 7: the split topology of DEPLOY.md with real
// network boundaries. Zone A holds Jira A and node A, zone B holds Jira B and node B, the
// public namespace holds the relay Jira AB; each zone drops every connection opened from
// outside it. Issues, comments and attachments must still cross A -> B and B -> A, since both
// nodes only connect out, while a probe from public (or from the other zone) into a zone's Jira
// and console fails, and no node listens on an address outside its zone.
func TestSplitTopologyInNamespaces(t *testing.T) {
	requireNetns(t)
	start := time.Now()
	dir := t.TempDir()
	bin := buildAirlock(t, dir)
	t.Logf("built airlock in %s", time.Since(start).Round(time.Millisecond))
	// From here on the run is bounded: the nodes stop by themselves after nodeLifetime too.
	start = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	tp := newTopology(t)

	// The emulated Jiras: in this process, but each on a listener inside its namespace, so
	// only what can reach that namespace can reach it.
	sims := map[string]*jirasim.Instance{}
	var srv servers
	t.Cleanup(srv.close)
	for _, j := range []struct {
		name string
		z    zone
		port string
	}{{"A", tp.a, portA}, {"AB", tp.public, portAB}, {"B", tp.b, portB}} {
		addr := net.JoinHostPort(j.z.addr, j.port)
		inst, err := jirasim.NewInstance(jirasim.Options{Name: j.name, ContextPath: "/jira", BaseURL: "http://" + addr})
		if err != nil {
			t.Fatal(err)
		}
		sims[j.name] = inst
		srv.serve(t, j.z.ns, addr, inst.Handler())
	}
	// One sync user per node on the relay, as DEPLOY.md asks.
	for i, u := range []string{"airlock-a", "airlock-b"} {
		if err := sims["AB"].CreateUser(jirasim.SeedUser{Name: u, Key: fmt.Sprintf("JIRAUSER%d", 10200+i), Password: u + "-pw",
			DisplayName: "Airlock sync " + u, Email: u + "@example.invalid", TimeZone: "Europe/Berlin"}); err != nil {
			t.Fatal(err)
		}
	}
	jiraA, jiraAB, jiraB := net.JoinHostPort(tp.a.addr, portA), net.JoinHostPort(tp.public.addr, portAB), net.JoinHostPort(tp.b.addr, portB)

	// Without the firewall the public namespace does reach into a zone (the routes exist), so
	// the failures below are the rules' doing and not a missing route.
	for _, r := range probeAll([]probeCase{{from: tp.public, to: jiraA}, {from: tp.public, to: jiraB}}) {
		if r.err != nil {
			t.Fatalf("before the firewall, public should reach %s: %v", r.to, r.err)
		}
	}
	tp.closeZones(t)

	// Nodes: built once, started inside their zones.
	nodeA := startNode(t, bin, tp.a, filepath.Join(dir, "node-a"))
	nodeB := startNode(t, bin, tp.b, filepath.Join(dir, "node-b"))
	nodeA.waitReady(t, 60*time.Second)
	nodeB.waitReady(t, 60*time.Second)
	t.Logf("nodes ready after %s", time.Since(start).Round(time.Millisecond))

	t.Run("zones refuse inbound connections", func(t *testing.T) {
		nodeAAddr, nodeBAddr := net.JoinHostPort(tp.a.addr, portNode), net.JoinHostPort(tp.b.addr, portNode)
		refused := []probeCase{
			{from: tp.public, to: jiraA, what: "Jira A"}, {from: tp.public, to: nodeAAddr, what: "node A"},
			{from: tp.public, to: jiraB, what: "Jira B"}, {from: tp.public, to: nodeBAddr, what: "node B"},
			{from: tp.a, to: jiraB, what: "Jira B"}, {from: tp.a, to: nodeBAddr, what: "node B"},
			{from: tp.b, to: jiraA, what: "Jira A"}, {from: tp.b, to: nodeAAddr, what: "node A"},
		}
		for _, r := range probeAll(refused) {
			if r.err == nil {
				t.Errorf("a connection from %s into %s (%s) opened: the zone must drop it", r.from.name, r.what, r.to)
			} else {
				t.Logf("%s -> %s (%s): %v", r.from.name, r.what, r.to, r.err)
			}
		}
		// The same services answer inside their zone, and the zones reach the relay.
		for _, r := range probeAll([]probeCase{{from: tp.a, to: jiraA}, {from: tp.a, to: nodeAAddr}, {from: tp.b, to: jiraB},
			{from: tp.b, to: nodeBAddr}, {from: tp.a, to: jiraAB}, {from: tp.b, to: jiraAB}}) {
			if r.err != nil {
				t.Errorf("%s should reach %s: %v", r.from.name, r.to, r.err)
			}
		}
	})
	if t.Failed() {
		return
	}

	t.Run("no node listens outside its zone", func(t *testing.T) {
		for _, z := range []zone{tp.a, tp.b} {
			ls := listeners(t, z.ns)
			want := netip.AddrPortFrom(netip.MustParseAddr(z.addr), 8080)
			found := false
			for _, ap := range ls {
				found = found || ap == want
				if a := ap.Addr(); a.IsUnspecified() || !(a.IsLoopback() || z.subnet.Contains(a)) {
					t.Errorf("zone %s: a socket listens on %s, outside the zone's own addresses (%s and loopback)", z.name, ap, z.subnet)
				}
			}
			if !found {
				t.Errorf("zone %s: the node's console is not listening on %s (listeners %v)", z.name, want, ls)
			}
			t.Logf("zone %s listeners: %v", z.name, ls)
		}
		// The public namespace holds the relay and nothing of either node.
		relay := netip.MustParseAddrPort(jiraAB)
		for _, ap := range listeners(t, tp.public.ns) {
			if ap != relay {
				t.Errorf("public: something other than Jira AB listens on %s", ap)
			}
		}
	})

	// Each zone's administrator configures the node from inside the zone: the zone's Jira and
	// the relay with their sync users, then the connection by YAML import.
	for _, s := range []struct {
		n                *node
		local, project   string
		jiraURL, abUser  string
		abPass, connName string
	}{
		{nodeA, "Jira A", "ALPHA", "http://" + jiraA + "/jira", "airlock-a", "airlock-a-pw", "A-AB"},
		{nodeB, "Jira B", "BETA", "http://" + jiraB + "/jira", "airlock-b", "airlock-b-pw", "B-AB"},
	} {
		c := s.n.login(t)
		c.addInstance(t, s.local, s.jiraURL, "private", "airlock", "airlock")
		c.addInstance(t, "Relay AB", "http://"+jiraAB+"/jira", "relay", s.abUser, s.abPass)
		c.importConfig(t, fmt.Sprintf(`version: 1
connections:
  - name: %s
    local: %s
    remote: Relay AB
    local_project: %s
    remote_project: RELAY
    poll_interval: 1s
`, s.connName, s.local, s.project))
		if page := c.get(t, "/connections"); !strings.Contains(page, s.connName) {
			t.Fatalf("node %s: connection %s missing after import", s.n.z.name, s.connName)
		}
	}

	// The people of each zone use their own Jira, from inside their zone.
	userA := jiraClient(t, tp.a, "http://"+jiraA+"/jira", "alice")
	userB := jiraClient(t, tp.b, "http://"+jiraB+"/jira", "alice")
	tag := tp.id
	fromA := issueSpec{summary: "Zone A to zone B " + tag, comment: "comment written in zone A " + tag,
		file: "from-a.txt", content: "attachment made in zone A " + tag}
	fromB := issueSpec{summary: "Zone B to zone A " + tag, comment: "comment written in zone B " + tag,
		file: "from-b.txt", content: "attachment made in zone B " + tag}
	keyA := fromA.create(ctx, t, userA, "ALPHA")
	fromB.create(ctx, t, userB, "BETA")

	t.Run("A to B", func(t *testing.T) {
		copyKey := waitIssue(ctx, t, userB, "BETA", fromA)
		t.Logf("%s on A arrived on B as %s after %s", keyA, copyKey, time.Since(start).Round(time.Millisecond))
		// A reply on B's copy travels back to the original on A.
		reply := "reply from zone B " + tag
		if _, err := userB.AddComment(ctx, copyKey, jira.CommentInput{Body: reply}); err != nil {
			t.Fatal(err)
		}
		eventually(ctx, t, "B's reply on "+keyA, func() (bool, string) {
			cs, err := userA.Comments(ctx, keyA, jira.CommentOptions{})
			if err != nil {
				return false, err.Error()
			}
			for _, c := range cs {
				if strings.Contains(c.Body, reply) {
					return true, ""
				}
			}
			return false, fmt.Sprintf("%d comments", len(cs))
		})
	})
	t.Run("B to A", func(t *testing.T) {
		copyKey := waitIssue(ctx, t, userA, "ALPHA", fromB)
		t.Logf("B's issue arrived on A as %s after %s", copyKey, time.Since(start).Round(time.Millisecond))
	})
	t.Logf("done in %s", time.Since(start).Round(time.Millisecond))
}

// probeCase is one TCP probe and, once run, its outcome.
type probeCase struct {
	from     zone
	to, what string
	err      error
}

// probeAll runs the probes at once (each may wait probeTimeout) and returns them with results.
func probeAll(ps []probeCase) []probeCase {
	var wg sync.WaitGroup
	for i := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ps[i].err = probe(ps[i].from.ns, ps[i].to, probeTimeout)
		}()
	}
	wg.Wait()
	return ps
}

// jiraClient is a Jira REST client for user (password = user name) whose connections start in z.
func jiraClient(t *testing.T, z zone, baseURL, user string) *jira.Client {
	t.Helper()
	c, err := jira.New(jira.Config{BaseURL: baseURL, Auth: jira.BasicAuth{User: user, Password: user},
		Instance: "zone " + z.name + " " + user, HTTPClient: httpClient(z.ns), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// issueSpec is an issue with one comment and one attachment, made by a user in one zone.
type issueSpec struct{ summary, comment, file, content string }

func (s issueSpec) create(ctx context.Context, t *testing.T, c *jira.Client, project string) string {
	t.Helper()
	ci, err := c.CreateIssue(ctx, jira.IssueInput{Fields: map[string]any{"project": map[string]string{"key": project},
		"issuetype": map[string]string{"name": "Task"}, "summary": s.summary, "description": "Made to cross the zones."}})
	if err != nil {
		t.Fatalf("create %q: %v", s.summary, err)
	}
	if _, err := c.AddComment(ctx, ci.Key, jira.CommentInput{Body: s.comment}); err != nil {
		t.Fatalf("comment on %s: %v", ci.Key, err)
	}
	if _, err := c.UploadAttachment(ctx, ci.Key, s.file, strings.NewReader(s.content)); err != nil {
		t.Fatalf("attach to %s: %v", ci.Key, err)
	}
	return ci.Key
}

// waitIssue waits until project on c holds a copy of s with its comment and its attachment
// (same name, same bytes), and returns the copy's key.
func waitIssue(ctx context.Context, t *testing.T, c *jira.Client, project string, s issueSpec) string {
	t.Helper()
	var key string
	eventually(ctx, t, fmt.Sprintf("%q with its comment and attachment in %s", s.summary, project), func() (bool, string) {
		page, err := c.Search(ctx, jira.SearchQuery{JQL: "project = " + project + " ORDER BY created DESC", Fields: []string{"summary"}})
		if err != nil {
			return false, err.Error()
		}
		key = ""
		for _, is := range page.Issues {
			var sum string
			_ = json.Unmarshal(is.Fields["summary"], &sum)
			if sum == s.summary {
				key = is.Key
			}
		}
		if key == "" {
			return false, fmt.Sprintf("no such issue among %d", len(page.Issues))
		}
		is, err := c.GetIssue(ctx, key, jira.GetIssueOptions{Fields: []string{"comment", "attachment"}})
		if err != nil {
			return false, err.Error()
		}
		var comments struct {
			Comments []jira.Comment `json:"comments"`
		}
		_ = json.Unmarshal(is.Fields["comment"], &comments)
		gotComment := false
		for _, cm := range comments.Comments {
			gotComment = gotComment || strings.Contains(cm.Body, s.comment)
		}
		if !gotComment {
			return false, key + " has not got the comment yet"
		}
		var atts []jira.Attachment
		_ = json.Unmarshal(is.Fields["attachment"], &atts)
		for _, a := range atts {
			if a.Filename != s.file {
				continue
			}
			rc, err := c.DownloadAttachment(ctx, a.Content)
			if err != nil {
				return false, err.Error()
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return false, err.Error()
			}
			if !bytes.Equal(b, []byte(s.content)) {
				t.Fatalf("%s: attachment %s holds %q, want %q", key, s.file, b, s.content)
			}
			return true, ""
		}
		return false, fmt.Sprintf("%s has %d attachments, not yet %s", key, len(atts), s.file)
	})
	return key
}

// eventually retries cond every 300 ms until it holds or ctx ends (then the test fails with
// cond's last word).
func eventually(ctx context.Context, t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	last := ""
	for {
		ok, why := cond()
		if ok {
			return
		}
		last = why
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s: %s", what, last)
		case <-time.After(300 * time.Millisecond):
		}
	}
}
