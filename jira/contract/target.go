// Package contract holds the contract suite of the jira client: one set of tests
// that drives jira.Client against the emulator (jirasim) and, unchanged, against a
// real Jira Server / Data Center when the environment names one:
//
//	JIRA_CONTRACT_URL       base URL with context path, e.g. https://jira.example.com/jira
//	JIRA_CONTRACT_USER      with JIRA_CONTRACT_PASSWORD: basic auth
//	JIRA_CONTRACT_TOKEN     or a Personal Access Token (Bearer)
//	JIRA_CONTRACT_PROJECT   key of a scratch project the user administers
//	JIRA_CONTRACT_ROLE      optional project role for comment visibility (default Developers)
//	JIRA_CONTRACT_SERVICE_PROJECT  optional key of a scratch Jira Service Management project
//	                        the user is an agent of (the service desk tests skip without it)
//	JIRA_CONTRACT_SIMPLE_PROJECT   optional key of a scratch project on Jira Software's
//	                        simplified workflow (the global transition test skips without it)
//
// Against a real Jira the emulator is not started, and tests that need the
// emulator's knobs skip with the reason "needs the emulator's knobs". The suite
// creates issues in the project and deletes them again.
//
// Target is exported so other packages' tests can run against the same choice of
// Jira.
package contract

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/jirasim"
)

// Environment variables that point the suite at a real Jira.
const (
	EnvURL      = "JIRA_CONTRACT_URL"
	EnvUser     = "JIRA_CONTRACT_USER"
	EnvPassword = "JIRA_CONTRACT_PASSWORD"
	EnvToken    = "JIRA_CONTRACT_TOKEN"
	EnvProject  = "JIRA_CONTRACT_PROJECT"
	EnvRole     = "JIRA_CONTRACT_ROLE"
	EnvService  = "JIRA_CONTRACT_SERVICE_PROJECT"
	EnvSimple   = "JIRA_CONTRACT_SIMPLE_PROJECT"
)

// SkipNeedsKnobs is the skip reason of tests that only the emulator can run.
const SkipNeedsKnobs = "needs the emulator's knobs"

// Target is one Jira the suite runs against: an emulated instance (Sim set) or a
// real Jira from the environment (Sim nil).
type Target struct {
	Name    string    // subtest name: "real", "contextpath" or "root"
	BaseURL string    // with context path, no trailing slash
	Auth    jira.Auth // the sync user's credentials
	Project string    // project key the suite writes to
	Role    string    // project role used for comment visibility
	// ServiceProject is the key of a service project (JSM) the suite may write to; "" when the
	// real Jira has none configured.
	ServiceProject string
	// SimpleProject is the key of a project on Jira Software's simplified workflow (global
	// transitions); "" when the real Jira has none configured.
	SimpleProject string
	Sim           *jirasim.Instance // nil against a real Jira
}

// Real reports whether the target is a real Jira (no knobs).
func (t *Target) Real() bool { return t.Sim == nil }

// Knobs returns the emulator instance, or skips the test against a real Jira.
func (t *Target) Knobs(tb testing.TB) *jirasim.Instance {
	tb.Helper()
	if t.Sim == nil {
		tb.Skip(SkipNeedsKnobs)
	}
	return t.Sim
}

// FromEnv returns the real Jira named by the environment; ok is false when
// JIRA_CONTRACT_URL is unset. Incomplete settings are an error.
func FromEnv(getenv func(string) string) (t *Target, ok bool, err error) {
	base := strings.TrimRight(getenv(EnvURL), "/")
	if base == "" {
		return nil, false, nil
	}
	t = &Target{Name: "real", BaseURL: base, Project: getenv(EnvProject), Role: getenv(EnvRole), ServiceProject: getenv(EnvService), SimpleProject: getenv(EnvSimple)}
	switch {
	case getenv(EnvToken) != "":
		t.Auth = jira.TokenAuth{Token: getenv(EnvToken)}
	case getenv(EnvUser) != "" && getenv(EnvPassword) != "":
		t.Auth = jira.BasicAuth{User: getenv(EnvUser), Password: getenv(EnvPassword)}
	default:
		return nil, true, fmt.Errorf("contract: %s is set but neither %s nor %s+%s", EnvURL, EnvToken, EnvUser, EnvPassword)
	}
	if t.Project == "" {
		return nil, true, fmt.Errorf("contract: %s is set but %s is not", EnvURL, EnvProject)
	}
	if t.Role == "" {
		t.Role = "Developers"
	}
	return t, true, nil
}

// Emulated starts one emulated instance (instance name A, so project ALPHA)
// under contextPath ("" for the root) and stops it when the test ends. The
// sync user is airlock/airlock, whose profile zone is Europe/Berlin.
func Emulated(tb testing.TB, name, contextPath string) *Target {
	tb.Helper()
	sim, err := jirasim.New(jirasim.Options{Name: "A", ContextPath: contextPath, Knobs: jirasim.NoIndexLag()})
	if err != nil {
		tb.Fatalf("start emulator: %v", err)
	}
	tb.Cleanup(sim.Close)
	in := sim.Instance("A")
	return &Target{
		Name:    name,
		BaseURL: in.URL(),
		Auth:    jira.BasicAuth{User: "airlock", Password: "airlock"},
		Project: in.ProjectKey(),
		Role:    "Developers",
		// Instance A's seed has the service project HELP beside ALPHA.
		ServiceProject: jirasim.ServiceProjectKey,
		SimpleProject:  jirasim.SimpleProjectKey,
		Sim:            in,
	}
}

// Each runs f once per target: against the real Jira from the environment when
// one is configured, else against two fresh emulators, one under the context path
// /jira and one at the root.
func Each(t *testing.T, f func(t *testing.T, tg *Target)) {
	t.Helper()
	real, ok, err := FromEnv(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Run(real.Name, func(t *testing.T) { f(t, real) })
		return
	}
	for _, c := range []struct{ name, cp string }{{"contextpath", "/jira"}, {"root", ""}} {
		t.Run(c.name, func(t *testing.T) { f(t, Emulated(t, c.name, c.cp)) })
	}
}

// Client builds a jira.Client for the target with the sync user's credentials;
// mod may adjust the Config (HTTPClient, Sleep, MaxRetries...). The client's HTTP
// calls go through rec when rec is not nil.
func (t *Target) Client(tb testing.TB, rec *Recorder, mod func(*jira.Config)) *jira.Client {
	tb.Helper()
	cfg := jira.Config{BaseURL: t.BaseURL, Auth: t.Auth, Instance: t.Name}
	if rec != nil {
		cfg.HTTPClient = &http.Client{Transport: rec}
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := jira.New(cfg)
	if err != nil {
		tb.Fatalf("jira.New: %v", err)
	}
	return c
}

// Exchange is one HTTP request and the status it got, as seen on the wire.
type Exchange struct {
	Method string
	Path   string // escaped path, context path included
	Query  map[string][]string
	Status int // 0 when no response arrived
}

// Recorder is an http.RoundTripper that records every exchange and can act after
// a response arrived (After), e.g. to change issues between two search pages.
// The zero value uses http.DefaultTransport.
type Recorder struct {
	Base http.RoundTripper
	// After, when set, runs after each response was received and before the
	// client reads it, synchronously.
	After func(req *http.Request, resp *http.Response)

	mu  sync.Mutex
	log []Exchange
}

// RoundTrip sends req through Base and records it.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	base := r.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	ex := Exchange{Method: req.Method, Path: req.URL.EscapedPath(), Query: req.URL.Query()}
	if resp != nil {
		ex.Status = resp.StatusCode
	}
	r.mu.Lock()
	r.log = append(r.log, ex)
	r.mu.Unlock()
	if err == nil && r.After != nil {
		r.After(req, resp)
	}
	return resp, err
}

// Exchanges returns the recorded exchanges, oldest first.
func (r *Recorder) Exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Exchange(nil), r.log...)
}

// Find returns the exchanges with method whose path ends with suffix.
func (r *Recorder) Find(method, suffix string) []Exchange {
	var out []Exchange
	for _, ex := range r.Exchanges() {
		if ex.Method == method && strings.HasSuffix(ex.Path, suffix) {
			out = append(out, ex)
		}
	}
	return out
}

// Reset forgets the recorded exchanges.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.log = nil
	r.mu.Unlock()
}

// Cleanup deletes issue key when the test ends (best effort; a missing issue is
// fine).
func Cleanup(tb testing.TB, c *jira.Client, key string) {
	tb.Cleanup(func() {
		err := c.DeleteIssue(context.Background(), key, true)
		if err != nil && !jira.IsNotFound(err) {
			tb.Logf("cleanup %s: %v", key, err)
		}
	})
}
