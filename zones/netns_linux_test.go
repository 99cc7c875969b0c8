package zones

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// This file builds the network: three namespaces (zone A, zone B, public) joined by veth pairs
// through public, which routes between them, and a firewall in each zone. The addresses exist
// only on interfaces inside these namespaces, and public has no link to the host's network, so
// no packet of the test can leave the machine.
//
//	zone A ns               public ns                    zone B ns
//	10.201.1.2  <-veth->  10.201.1.1 | 10.201.2.1  <-veth->  10.201.2.2
//	Jira A :8081          Jira AB 10.201.0.1:8082          Jira B :8083
//	node A :8080                                           node B :8080

// zone is one network namespace of the topology.
type zone struct {
	name   string       // "A", "B" or "public"
	ns     string       // the namespace's name (ip netns), unique per run
	addr   string       // the address the zone's services listen on
	subnet netip.Prefix // the zone's own addresses (for public: the relay's)
}

// topology is the three namespaces of one run.
type topology struct {
	id             string
	a, b, public   zone
	cleanupTimeout time.Duration
}

// zoneRules is the nftables ruleset of a private zone: nothing may open a connection into it
// from outside (input policy drop, only loopback and the return traffic of connections the
// zone opened are accepted), it routes nothing, and it may connect out freely.
const zoneRules = `table inet airlock_zone {
	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
		ct state established,related accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
	}
	chain output {
		type filter hook output priority filter; policy accept;
	}
}
`

// requireNetns skips the test unless it can build namespaces: root, ip with netns support and
// nft. Under CI (CI set) a root runner must have all of them, so a missing one fails instead.
func requireNetns(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("network-namespace test skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces (run as root, as .ci/run does)")
	}
	ci := os.Getenv("CI") != ""
	var missing []string
	for _, tool := range []string{"ip", "nft", "ss", "timeout"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		if out, err := exec.Command("ip", "netns", "list").CombinedOutput(); err != nil {
			missing = append(missing, fmt.Sprintf("ip netns (%v: %s)", err, bytes.TrimSpace(out)))
		}
	}
	if len(missing) == 0 {
		// Root in an unprivileged container may not create namespaces: try once.
		probe := fmt.Sprintf("alzprobe%d", os.Getpid())
		if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
			missing = append(missing, fmt.Sprintf("permission to create network namespaces (ip netns add: %v: %s)", err, bytes.TrimSpace(out)))
		} else if out, err := exec.Command("ip", "netns", "del", probe).CombinedOutput(); err != nil {
			t.Fatalf("remove probe namespace %s: %v %s", probe, err, out)
		}
	}
	if len(missing) > 0 {
		msg := "the network-namespace test needs " + strings.Join(missing, ", ") + " (Debian: iproute2, nftables, coreutils)"
		if ci {
			t.Fatal(msg + ": CI runs as root and must run this test")
		}
		t.Skip(msg)
	}
}

// run runs a command and fails the test with its output when it fails.
func run(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// inNS runs a command inside a namespace (ip netns exec).
func inNS(t *testing.T, ns, stdin string, args ...string) string {
	t.Helper()
	return run(t, stdin, "ip", append([]string{"netns", "exec", ns}, args...)...)
}

// newTopology creates the namespaces, veths, addresses, routes and firewalls, and registers
// their removal (also when the test fails or panics). Names carry a random id, so parallel or
// aborted runs never collide.
func newTopology(t *testing.T) *topology {
	t.Helper()
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	id := hex.EncodeToString(b[:])
	tp := &topology{id: id,
		a:      zone{name: "A", ns: "alz" + id + "-a", addr: "10.201.1.2", subnet: netip.MustParsePrefix("10.201.1.0/24")},
		b:      zone{name: "B", ns: "alz" + id + "-b", addr: "10.201.2.2", subnet: netip.MustParsePrefix("10.201.2.0/24")},
		public: zone{name: "public", ns: "alz" + id + "-p", addr: "10.201.0.1", subnet: netip.MustParsePrefix("10.201.0.1/32")},
	}
	// Registered first, so it runs last: after the nodes stopped and the namespaces went,
	// nothing of this run may be left on the host.
	t.Cleanup(func() {
		out, _ := exec.Command("ip", "-o", "link", "show").CombinedOutput()
		ns, _ := exec.Command("ip", "netns", "list").CombinedOutput()
		if strings.Contains(string(out)+string(ns), "alz"+id) {
			t.Errorf("left behind after the test:\n%s%s", ns, out)
		}
	})
	for _, z := range []zone{tp.a, tp.b, tp.public} {
		run(t, "", "ip", "netns", "add", z.ns)
		ns := z.ns
		t.Cleanup(func() {
			// Deleting a namespace removes the veth ends in it and so the pairs.
			if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
				t.Errorf("remove namespace %s: %v %s", ns, err, out)
			}
		})
		inNS(t, z.ns, "", "ip", "link", "set", "lo", "up")
	}
	inNS(t, tp.public.ns, "", "ip", "addr", "add", tp.public.addr+"/32", "dev", "lo")
	inNS(t, tp.public.ns, "", "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward")
	for i, z := range []zone{tp.a, tp.b} {
		// Interface names are at most 15 bytes: alz<6 hex><a|b><0|1>.
		inside, outside := fmt.Sprintf("alz%s%c0", id, 'a'+i), fmt.Sprintf("alz%s%c1", id, 'a'+i)
		gw := z.subnet.Addr().Next() // 10.201.x.1, public's end
		run(t, "", "ip", "link", "add", inside, "netns", z.ns, "type", "veth", "peer", "name", outside, "netns", tp.public.ns)
		inNS(t, z.ns, "", "ip", "addr", "add", z.addr+"/24", "dev", inside)
		inNS(t, z.ns, "", "ip", "link", "set", inside, "up")
		inNS(t, z.ns, "", "ip", "route", "add", "default", "via", gw.String())
		inNS(t, tp.public.ns, "", "ip", "addr", "add", gw.String()+"/24", "dev", outside)
		inNS(t, tp.public.ns, "", "ip", "link", "set", outside, "up")
	}
	return tp
}

// closeZones loads the firewall of both private zones.
func (tp *topology) closeZones(t *testing.T) {
	t.Helper()
	for _, z := range []zone{tp.a, tp.b} {
		inNS(t, z.ns, zoneRules, "nft", "-f", "-")
	}
}

// inNetns runs f on an OS thread moved into the namespace ns and returns its error. Sockets
// keep the namespace they were created in, so a listener or connection made by f can be used
// from any goroutine afterwards. The thread is never handed back to the runtime: the goroutine
// ends locked, so Go discards the thread.
func inNetns(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := syscall.Open("/var/run/netns/"+ns, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("open namespace %s: %w", ns, err)
			return
		}
		_, _, errno := syscall.RawSyscall(sysSetns, uintptr(fd), syscall.CLONE_NEWNET, 0)
		syscall.Close(fd)
		if errno != 0 {
			errc <- fmt.Errorf("enter namespace %s: %w", ns, errno)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// listen opens a TCP listener inside a namespace.
func listen(ns, addr string) (net.Listener, error) {
	var ln net.Listener
	err := inNetns(ns, func() (err error) {
		ln, err = net.Listen("tcp", addr)
		return err
	})
	return ln, err
}

// dial opens a TCP connection from inside a namespace, as a process there would.
func dial(ctx context.Context, ns, addr string) (net.Conn, error) {
	var c net.Conn
	err := inNetns(ns, func() (err error) {
		var d net.Dialer
		c, err = d.DialContext(ctx, "tcp", addr)
		return err
	})
	return c, err
}

// httpClient is an HTTP client whose connections start inside the namespace ns.
func httpClient(ns string) *http.Client {
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		DialContext:         func(ctx context.Context, _, addr string) (net.Conn, error) { return dial(ctx, ns, addr) },
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     5 * time.Second,
	}}
}

// probe reports whether a TCP connection from ns to addr opens within timeout.
func probe(ns, addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := dial(ctx, ns, addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// listeners returns the local addresses of the TCP sockets listening in ns (ss -ltn).
func listeners(t *testing.T, ns string) []netip.AddrPort {
	t.Helper()
	var out []netip.AddrPort
	for _, line := range strings.Split(strings.TrimSpace(inNS(t, ns, "", "ss", "-Hltn")), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		local := f[3]
		if local[0] == '*' { // "*:8080": every address, v4 and v6
			local = "[::]" + local[1:]
		}
		// ss writes scoped addresses as addr%iface:port; the zone, if any, is not needed.
		if i := strings.Index(local, "%"); i >= 0 {
			if j := strings.LastIndex(local, ":"); j > i {
				local = local[:i] + local[j:]
			}
		}
		ap, err := netip.ParseAddrPort(local)
		if err != nil {
			t.Fatalf("ss in %s: cannot read local address %q: %v", ns, f[3], err)
		}
		out = append(out, ap)
	}
	return out
}
