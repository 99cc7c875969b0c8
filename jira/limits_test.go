package jira

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func limitsClient(t *testing.T, url string, mutate func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: url, Auth: BasicAuth{User: testUser, Password: testPass}, Instance: "hostile", MaxRetries: -1}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hugeAnswer streams n bytes of a JSON-looking answer from a small buffer (so the server side
// costs no memory), with or without a Content-Length.
func hugeAnswer(n int64, length bool) http.HandlerFunc {
	chunk := []byte(strings.Repeat(`{"a":"xxxxxxxxxxxxxxxxxxxxxxx"},`, 2048))
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if length {
			w.Header().Set("Content-Length", strconv.FormatInt(n+2, 10))
		}
		_, _ = w.Write([]byte("["))
		for sent := int64(0); sent < n; {
			k := min(int64(len(chunk)), n-sent)
			if _, err := w.Write(chunk[:k]); err != nil {
				return
			}
			sent += k
		}
		_, _ = w.Write([]byte("]"))
	}
}

// A 200 MB answer is refused with a clear, classified error naming the instance and endpoint,
// and the process stays under 150 MB RSS. The call runs in a child process so its peak RSS
// (VmHWM) is its own.
func TestHugeAnswerRefusedUnderMemoryCap(t *testing.T) {
	if os.Getenv("AIRLOCK_HUGE_ANSWER_CHILD") != "" {
		hugeAnswerChild(t)
		return
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc/self/status (Linux) to read the peak RSS")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHugeAnswerRefusedUnderMemoryCap$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "AIRLOCK_HUGE_ANSWER_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("child: %v\n%s", err, out)
	}
	hwm := int64(-1)
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "peak-rss-kb "); ok {
			hwm, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if hwm < 0 {
		t.Fatalf("child printed no peak RSS:\n%s", out)
	}
	t.Logf("peak RSS of the child: %d MB", hwm>>10)
	if raceEnabled {
		return // the race detector's shadow memory is no measure of the client's; go test without -race checks the bound
	}
	if hwm > 150<<10 {
		t.Errorf("peak RSS %d MB while refusing 200 MB answers, want < 150 MB", hwm>>10)
	}
}

func hugeAnswerChild(t *testing.T) {
	const size = 200 << 20
	defer printPeakRSS(t)
	for _, length := range []bool{false, true} {
		srv := httptest.NewServer(hugeAnswer(size, length))
		c := limitsClient(t, srv.URL, nil)
		_, err := c.ServerInfo(context.Background())
		srv.Close()
		if !errors.Is(err, ErrBodyTooLarge) {
			t.Fatalf("Content-Length %v: err = %v, want ErrBodyTooLarge", length, err)
		}
		msg := err.Error()
		for _, want := range []string{"hostile", "/rest/api/2/serverInfo", "larger than 32 MiB", "AIRLOCK_JIRA_MAX_BODY"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message %q lacks %q", msg, want)
			}
		}
		if got := ClassOf(err); got != ClassConfig {
			t.Errorf("class %s, want config", got)
		}
	}
}

func printPeakRSS(t *testing.T) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Println("peak-rss-kb", strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
}

// An answer at the cap still decodes; one byte more is refused.
func TestMaxBodyIsConfigurable(t *testing.T) {
	body := `{"version":"9.12.0","deploymentType":"Server","serverTitle":"` + strings.Repeat("x", 1000) + `"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	if _, err := limitsClient(t, srv.URL, func(c *Config) { c.MaxBody = int64(len(body)) }).ServerInfo(context.Background()); err != nil {
		t.Fatalf("answer of exactly MaxBody: %v", err)
	}
	_, err := limitsClient(t, srv.URL, func(c *Config) { c.MaxBody = int64(len(body)) - 1 }).ServerInfo(context.Background())
	if !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("answer one byte over MaxBody: %v, want ErrBodyTooLarge", err)
	}
}

// drip sends the start of an answer, then one byte every gap until the client hangs up.
func drip(gap time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"version":"`))
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(gap):
			}
			if _, err := w.Write([]byte("9")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}
}

// A body dripping a byte every 2 s is cut by the idle timeout with a clear, transient error;
// one dripping fast enough to keep the idle timer happy is cut by the call's total deadline.
func TestSlowBodyDeadlines(t *testing.T) {
	for _, tc := range []struct {
		name    string
		gap     time.Duration
		mutate  func(*Config)
		want    []string
		longest time.Duration
	}{
		{"idle", 2 * time.Second, func(c *Config) { c.BodyIdleTimeout = time.Second },
			[]string{"no byte for 1s", "AIRLOCK_JIRA_BODY_IDLE_TIMEOUT"}, 1800 * time.Millisecond},
		{"total", 100 * time.Millisecond, func(c *Config) { c.CallTimeout = 1500 * time.Millisecond },
			[]string{"no complete answer within 1.5s", "AIRLOCK_JIRA_CALL_TIMEOUT"}, 2500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(drip(tc.gap))
			defer srv.Close()
			c := limitsClient(t, srv.URL, tc.mutate)
			start := time.Now()
			_, err := c.ServerInfo(context.Background())
			took := time.Since(start)
			if !errors.Is(err, ErrBodyTimeout) {
				t.Fatalf("err = %v, want ErrBodyTimeout", err)
			}
			if took > tc.longest {
				t.Errorf("cut after %s, want within %s", took, tc.longest)
			}
			msg := err.Error()
			for _, want := range append([]string{"hostile", "GET /rest/api/2/serverInfo"}, tc.want...) {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			if got := ClassOf(err); got != ClassTransient {
				t.Errorf("class %s, want transient", got)
			}
		})
	}
}
