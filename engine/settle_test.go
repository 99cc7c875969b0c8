package engine

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSettleFailsOnBrokenSearch proves the harness cannot mistake a broken poll for "no work": with
// every search answering 500, settle must fail the test. The failing run happens in a child
// process (this test binary, running the probe below), so this test can watch it fail.
func TestSettleFailsOnBrokenSearch(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestSettleProbeBrokenSearch$", "-test.count=1")
	cmd.Env = append(os.Environ(), "AIRLOCK_SETTLE_PROBE=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("settle passed while every search answered 500:\n%s", out)
	}
	if !strings.Contains(string(out), "poll A-AB") || !strings.Contains(string(out), "500") {
		t.Fatalf("settle failed, but not for the broken poll:\n%s", out)
	}
}

// TestSettleProbeBrokenSearch is the child of TestSettleFailsOnBrokenSearch; it runs only there.
func TestSettleProbeBrokenSearch(t *testing.T) {
	if os.Getenv("AIRLOCK_SETTLE_PROBE") != "1" {
		t.Skip("probe run only as the child process of TestSettleFailsOnBrokenSearch")
	}
	w := newSimWorld(t)
	n := w.newNode(testRules(), nil, [2]string{"A", "AB"})
	w.sim.Instance("A").Knobs().SetFaultEndpoint("GET /rest/api/2/search")
	w.sim.Instance("A").Knobs().SetErrorRate(1, 500)
	w.createIssue("A", map[string]any{"summary": "never seen"})
	settle(t, n)
}
