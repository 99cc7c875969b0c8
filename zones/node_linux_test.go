package zones

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// This file runs the nodes: the airlock binary, built once, started as `airlock dev` inside a
// zone's namespace with ip netns exec, and configured through its own console over HTTP from
// inside the zone, the way the zone's administrator would (login, Instances form with the sync
// user's password, Settings → Import for the connection).

// buildAirlock builds the airlock binary into dir once per test run (from the build cache
// this is the link step; a cold cache under a loaded CI can take minutes, hence the timeout).
func buildAirlock(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "airlock")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/airlock-sync/airlock")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build airlock: %v\n%s", err, out)
	}
	return bin
}

// nodeLifetime bounds a node's run (timeout(1) syntax), beyond the test's own deadline.
const nodeLifetime = "200s"

// node is one `airlock dev` process inside a zone.
type node struct {
	z        zone
	url      string // console base URL, inside the zone
	password string
	log      string // path of its combined output
	cmd      *exec.Cmd
	done     chan struct{}
}

// startNode starts `airlock dev` in z's namespace, listening on z.addr:8080, with its own data
// folder and embedded queue. The environment is built from scratch: a CI runner's REDIS_URL or
// DATABASE_URL must not leak into a node (they point at the host, which a zone cannot reach).
func startNode(t *testing.T, bin string, z zone, dir string) *node {
	t.Helper()
	n := &node{z: z, url: "http://" + z.addr + ":8080", password: "zone-" + z.name + "-admin-password",
		log: filepath.Join(dir, "node.log"), done: make(chan struct{})}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(n.log)
	if err != nil {
		t.Fatal(err)
	}
	// timeout stops the node by itself should this test process die without its cleanup.
	n.cmd = exec.Command("ip", "netns", "exec", z.ns, "timeout", "-k", "5", nodeLifetime, bin, "dev")
	n.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"AIRLOCK_LISTEN=" + z.addr + ":8080",
		"AIRLOCK_DATA_DIR=" + filepath.Join(dir, "data"),
		"AIRLOCK_ADMIN_PASSWORD=" + n.password,
		"AIRLOCK_LOG_LEVEL=info",
	}
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	// ip netns exec and timeout keep this process group: stop signals the whole group.
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := n.cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start node %s: %v", z.name, err)
	}
	go func() {
		_ = n.cmd.Wait()
		logf.Close()
		close(n.done)
	}()
	t.Cleanup(func() { n.stop(t) })
	return n
}

// stop sends SIGTERM, waits up to 20 s, then kills the process group; on a failed test the
// tail of the node's log is printed.
func (n *node) stop(t *testing.T) {
	select {
	case <-n.done:
	default:
		_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-n.done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
			<-n.done
		}
	}
	if t.Failed() {
		b, _ := os.ReadFile(n.log)
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		t.Logf("node %s log (tail):\n%s", n.z.name, b)
	}
}

// console is an HTTP session on a node's console, from inside its zone.
type console struct {
	n    *node
	hc   *http.Client
	csrf string
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// waitReady waits for the console's /healthz from inside the zone.
func (n *node) waitReady(t *testing.T, within time.Duration) {
	t.Helper()
	hc := httpClient(n.z.ns)
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-n.done:
			t.Fatalf("node %s exited before its console answered", n.z.name)
		default:
		}
		resp, err := hc.Get(n.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("node %s console not ready within %s: %v", n.z.name, within, last)
}

// login opens a console session as the admin.
func (n *node) login(t *testing.T) *console {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := httpClient(n.z.ns)
	hc.Jar = jar
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &console{n: n, hc: hc}
	token := c.formToken(t, "/login")
	c.post(t, "/login", url.Values{"_csrf": {token}, "username": {"admin"}, "password": {n.password}})
	c.csrf = c.formToken(t, "/instances/new")
	return c
}

// formToken GETs a page and returns the CSRF token of its form.
func (c *console) formToken(t *testing.T, path string) string {
	t.Helper()
	body := c.get(t, path)
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("node %s: GET %s: no form token:\n%.2000s", c.n.z.name, path, body)
	}
	return m[1]
}

// post submits a form and requires the console's redirect after success (303).
func (c *console) post(t *testing.T, path string, form url.Values) {
	t.Helper()
	if c.csrf != "" {
		form.Set("_csrf", c.csrf)
	}
	resp, err := c.hc.PostForm(c.n.url+path, form)
	if err != nil {
		t.Fatalf("node %s: POST %s: %v", c.n.z.name, path, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("node %s: POST %s: status %d, want 303:\n%.3000s", c.n.z.name, path, resp.StatusCode, body)
	}
}

// addInstance saves a Jira instance with the sync user's password through the Instances form.
func (c *console) addInstance(t *testing.T, name, baseURL, role, user, password string) {
	t.Helper()
	c.post(t, "/instances", url.Values{"name": {name}, "base_url": {baseURL}, "role": {role}, "auth_type": {"basic"},
		"username": {user}, "secret": {password}})
}

// importConfig applies a YAML configuration through Settings → Import.
func (c *console) importConfig(t *testing.T, yaml string) {
	t.Helper()
	c.post(t, "/settings/import/apply", url.Values{"yaml": {yaml}})
}

// get returns a console page's body (status 200 required).
func (c *console) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := c.hc.Get(c.n.url + path)
	if err != nil {
		t.Fatalf("node %s: GET %s: %v", c.n.z.name, path, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("node %s: GET %s: status %d", c.n.z.name, path, resp.StatusCode)
	}
	return string(body)
}

// servers serves emulated Jiras on namespaced listeners and stops them at the end.
type servers struct {
	mu   sync.Mutex
	srvs []*http.Server
	wg   sync.WaitGroup
}

func (s *servers) serve(t *testing.T, ns, addr string, h http.Handler) {
	t.Helper()
	ln, err := listen(ns, addr)
	if err != nil {
		t.Fatalf("listen on %s in %s: %v", addr, ns, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.srvs = append(s.srvs, srv)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("jira on %s: %v", addr, err)
		}
	}()
}

func (s *servers) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, srv := range s.srvs {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		cancel()
	}
	s.wg.Wait()
}
