package jirasim

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Duration is a time.Duration that reads and writes JSON as "1.5s" (a bare
// number is taken as milliseconds).
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "250ms"-style strings or a number of milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("duration: want a string or milliseconds: %w", err)
	}
	*d = Duration(time.Duration(ms * float64(time.Millisecond)))
	return nil
}

// RateLimit configures the per-user token bucket (Jira DC 8.6+ rate limiting).
type RateLimit struct {
	Enabled         bool `json:"enabled"`
	Capacity        int  `json:"capacity"`        // bucket size (X-RateLimit-Limit)
	FillRate        int  `json:"fillRate"`        // tokens added per interval
	IntervalSeconds int  `json:"intervalSeconds"` // interval length
}

// KnobSettings is the whole knob state; the zero value is "everything off" (a still world, for
// the unit tests that need one). An instance starts on Realistic unless Options.Knobs says
// otherwise.
type KnobSettings struct {
	Latency Duration `json:"latency"` // added to every REST call
	// ErrorRate is the probability (0..1) that a REST call answers ErrorStatus.
	ErrorRate   float64 `json:"errorRate"`
	ErrorStatus int     `json:"errorStatus"` // 503 (default) or 500
	FailNext    int     `json:"failNext"`    // the next N matching calls fail with ErrorStatus
	// TimeoutRate is the probability that a call hangs until the client gives up
	// (bounded by TimeoutMax, default 30s, after which it answers 504).
	TimeoutRate float64  `json:"timeoutRate"`
	TimeoutNext int      `json:"timeoutNext"`
	TimeoutMax  Duration `json:"timeoutMax"`
	// FaultEndpoint limits latency, errors and timeouts to calls whose endpoint
	// key ("PUT /rest/api/2/issue/{id}") starts with it; "" = every call.
	FaultEndpoint string `json:"faultEndpoint"`
	// IndexLag makes search see the state of that long ago; GET stays current.
	IndexLag Duration `json:"indexLag"`
	// UnstablePaging evaluates every search page against the current state (as
	// Jira does); off, later pages reuse the order of the scan's first page.
	UnstablePaging bool `json:"unstablePaging"`
	// PagingSkew, with UnstablePaging, shifts every page after the first by N
	// issues, as if N earlier hits had been updated and moved to the end.
	PagingSkew int `json:"pagingSkew"`
	// Normalize trims text fields and sorts and dedupes labels on write.
	Normalize bool      `json:"normalize"`
	RateLimit RateLimit `json:"rateLimit"`
	// Random429 answers a random fraction of authenticated calls with 429 (see faults429.go).
	Random429        Random429 `json:"random429"`
	CaptchaThreshold int       `json:"captchaThreshold"` // 0 = the Options value (default 3)
	// MaxConcurrent caps the REST calls served at once (0 = no cap); more wait for a slot, as
	// in Jira's HTTP thread pool. See Knobs.ConcurrencyStats.
	MaxConcurrent int `json:"maxConcurrent"`
}

// DefaultIndexLag is how far search trails GET on a new instance: Jira DC nodes poll the index
// replication queue about every second (JIRA-API.md, "Index lag").
const DefaultIndexLag = time.Second

// Realistic is what a new instance does, as production Jira does: every search page is evaluated
// against the current state, text is trimmed and labels sorted on write, and search trails GET
// by DefaultIndexLag.
func Realistic() KnobSettings {
	return KnobSettings{UnstablePaging: true, Normalize: true, IndexLag: Duration(DefaultIndexLag)}
}

// StillWorld is the knob state of the few unit tests that need search to see every write at
// once, in a stable order, with values stored as sent.
func StillWorld() *KnobSettings { return &KnobSettings{} }

// NoIndexLag is Realistic but with search as current as GET: for harnesses that poll right
// after a write without letting time pass (paging and normalisation stay as Jira does them).
func NoIndexLag() *KnobSettings {
	s := Realistic()
	s.IndexLag = 0
	return &s
}

// Knobs are the test controls of one instance, also reachable at {base}/__sim/.
type Knobs struct {
	i      *Instance
	mu     sync.Mutex
	s      KnobSettings
	frozen bool
	at     time.Time
	offset time.Duration
	rnd    *rand.Rand
	gate   gate // the MaxConcurrent cap and what it observed
}

func newKnobs(i *Instance) *Knobs {
	k := &Knobs{i: i}
	k.reset()
	return k
}

func (k *Knobs) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.s = Realistic()
	if k.i.opts.Knobs != nil {
		k.s = *k.i.opts.Knobs
	}
	k.frozen, k.at, k.offset = false, time.Time{}, 0
	seed := k.i.opts.RandSeed
	if seed == 0 {
		seed = 1
	}
	k.rnd = rand.New(rand.NewSource(seed))
}

// Get returns the current settings.
func (k *Knobs) Get() KnobSettings {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.s
}

// Set replaces every setting at once.
func (k *Knobs) Set(s KnobSettings) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.s = s
}

// Update changes settings under the lock: k.Update(func(s *KnobSettings){ s.Normalize = true }).
func (k *Knobs) Update(f func(*KnobSettings)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f(&k.s)
}

// SetLatency adds d to every REST call.
func (k *Knobs) SetLatency(d time.Duration) {
	k.Update(func(s *KnobSettings) { s.Latency = Duration(d) })
}

// SetErrorRate makes a fraction of calls answer status (503 or 500).
func (k *Knobs) SetErrorRate(rate float64, status int) {
	k.Update(func(s *KnobSettings) { s.ErrorRate, s.ErrorStatus = rate, status })
}

// FailNext makes the next n calls (matching FaultEndpoint) answer status.
func (k *Knobs) FailNext(n, status int) {
	k.Update(func(s *KnobSettings) { s.FailNext, s.ErrorStatus = n, status })
}

// TimeoutNext makes the next n calls hang until the client gives up (at most max).
func (k *Knobs) TimeoutNext(n int, max time.Duration) {
	k.Update(func(s *KnobSettings) { s.TimeoutNext, s.TimeoutMax = n, Duration(max) })
}

// SetFaultEndpoint limits faults to one endpoint key prefix ("" = all).
func (k *Knobs) SetFaultEndpoint(ep string) { k.Update(func(s *KnobSettings) { s.FaultEndpoint = ep }) }

// SetIndexLag makes search lag GET by d.
func (k *Knobs) SetIndexLag(d time.Duration) {
	k.Update(func(s *KnobSettings) { s.IndexLag = Duration(d) })
}

// SetUnstablePaging switches live per-page evaluation (and an extra skew) on or off.
func (k *Knobs) SetUnstablePaging(on bool, skew int) {
	k.Update(func(s *KnobSettings) { s.UnstablePaging, s.PagingSkew = on, skew })
}

// SetNormalize turns value normalisation (trimmed text, sorted unique labels) on or off.
func (k *Knobs) SetNormalize(on bool) { k.Update(func(s *KnobSettings) { s.Normalize = on }) }

// SetRateLimit configures the per-user token bucket; buckets restart full.
func (k *Knobs) SetRateLimit(rl RateLimit) {
	k.Update(func(s *KnobSettings) { s.RateLimit = rl })
	k.i.mu.Lock()
	k.i.st.buckets = map[string]*bucket{}
	k.i.mu.Unlock()
}

// SetCaptchaThreshold sets the consecutive failures that trigger CAPTCHA.
func (k *Knobs) SetCaptchaThreshold(n int) {
	k.Update(func(s *KnobSettings) { s.CaptchaThreshold = n })
}

// ResetCaptcha lifts the CAPTCHA and failure count of one user ("" = everyone),
// as an interactive login through the UI would.
func (k *Knobs) ResetCaptcha(username string) {
	k.i.mu.Lock()
	defer k.i.mu.Unlock()
	if username == "" {
		k.i.st.captcha = map[string]bool{}
		k.i.st.failures = map[string]int{}
		return
	}
	delete(k.i.st.captcha, strings.ToLower(username))
	delete(k.i.st.failures, strings.ToLower(username))
}

// CaptchaActive reports whether basic auth for the user is refused with a CAPTCHA.
func (k *Knobs) CaptchaActive(username string) bool {
	k.i.mu.RLock()
	defer k.i.mu.RUnlock()
	return k.i.st.captcha[strings.ToLower(username)]
}

// Reset restores the seed and turns every knob off (same as Instance.Reset).
func (k *Knobs) Reset() error { return k.i.Reset() }

// Now is the emulator clock (real time unless set), at millisecond precision.
func (k *Knobs) Now() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.nowLocked()
}

func (k *Knobs) nowLocked() time.Time {
	if k.frozen {
		return k.at.Truncate(time.Millisecond)
	}
	return time.Now().Add(k.offset).Truncate(time.Millisecond)
}

// SetClock freezes the emulator clock at t (it moves only with AdvanceClock).
func (k *Knobs) SetClock(t time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.frozen, k.at = true, t
}

// AdvanceClock moves the emulator clock forward by d (frozen or running).
func (k *Knobs) AdvanceClock(d time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.frozen {
		k.at = k.at.Add(d)
	} else {
		k.offset += d
	}
}

// RealClock returns the emulator clock to real time.
func (k *Knobs) RealClock() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.frozen, k.offset = false, 0
}

// fault decides what the fault knobs do to one call.
type fault struct {
	latency time.Duration
	status  int
	hang    time.Duration
}

func (k *Knobs) fault(endpoint string) fault {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := &k.s
	if s.FaultEndpoint != "" && !strings.HasPrefix(endpoint, s.FaultEndpoint) {
		return fault{}
	}
	f := fault{latency: time.Duration(s.Latency)}
	status := s.ErrorStatus
	if status == 0 {
		status = 503
	}
	switch {
	case s.TimeoutNext > 0:
		s.TimeoutNext--
		f.hang = k.hangLocked()
	case s.TimeoutRate > 0 && k.rnd.Float64() < s.TimeoutRate:
		f.hang = k.hangLocked()
	case s.FailNext > 0:
		s.FailNext--
		f.status = status
	case s.ErrorRate > 0 && k.rnd.Float64() < s.ErrorRate:
		f.status = status
	}
	return f
}

func (k *Knobs) hangLocked() time.Duration {
	if k.s.TimeoutMax > 0 {
		return time.Duration(k.s.TimeoutMax)
	}
	return 30 * time.Second
}

// clockView is the JSON shape of GET/POST {base}/__sim/clock.
type clockView struct {
	Now     string   `json:"now"`
	Frozen  bool     `json:"frozen"`
	Set     string   `json:"set,omitempty"`     // RFC 3339 or Jira format: freeze there
	Advance Duration `json:"advance,omitempty"` // move forward
	Real    bool     `json:"real,omitempty"`    // back to real time
}

func (k *Knobs) clockView() clockView {
	k.mu.Lock()
	defer k.mu.Unlock()
	return clockView{Now: k.nowLocked().Format(time.RFC3339Nano), Frozen: k.frozen}
}

func parseAnyTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, jiraTime, "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339", s)
}
