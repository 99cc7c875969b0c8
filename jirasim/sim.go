package jirasim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures one emulated instance.
type Options struct {
	Name        string // "A", "AB", "B": used in logs and the admin path
	ContextPath string // e.g. "/jira"; "" for none. self links and baseUrl include it.
	TimeZone    string // the instance default zone for response offsets, default "UTC"
	Seed        *Seed  // nil = DefaultSeed(Name)
	// BaseURL overrides the public base URL (without context path) used in self
	// links; empty = the listener address, or the request's Host when mounted.
	BaseURL string
	// CaptchaThreshold is the number of consecutive bad passwords after which
	// basic auth for that user is refused with a CAPTCHA challenge (default 3).
	CaptchaThreshold int
	// UploadLimit is the attachment size limit in bytes (default 10 MiB).
	UploadLimit int64
	// RandSeed seeds the fault-injection randomness (0 = a fixed default).
	RandSeed int64
	// MaxLogEntries bounds the request log (default 10000; counts are never dropped).
	MaxLogEntries int
	// Logger receives one line per request at debug level; nil = discard.
	Logger *slog.Logger
	// Knobs is the knob state the instance starts with (and Reset returns to); nil = Realistic().
	Knobs *KnobSettings
}

// Sim runs several instances in one process, each on its own 127.0.0.1 listener (like httptest).
type Sim struct {
	instances map[string]*Instance
	order     []*Instance
	servers   []*http.Server
	wg        sync.WaitGroup
}

// Instance is one emulated Jira Server/DC.
type Instance struct {
	opts    Options
	cp      string
	loc     *time.Location
	seed    *Seed
	base    string // public base URL including the context path; "" = from request
	mu      sync.RWMutex
	st      *state
	knobs   *Knobs
	log     *RequestLog
	mux     *http.ServeMux
	handler http.Handler
	reqSeq  atomic.Int64
	scanMu  sync.Mutex
	scans   map[string]*scan // stable paging: the order of each scan's first page
	logger  *slog.Logger
}

// NewInstance builds an instance without a listener; mount Handler() yourself.
func NewInstance(opts Options) (*Instance, error) {
	if opts.Name == "" {
		opts.Name = "DEMO"
	}
	cp := strings.TrimRight(opts.ContextPath, "/")
	if cp != "" && !strings.HasPrefix(cp, "/") {
		cp = "/" + cp
	}
	tz := opts.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("jirasim %s: time zone %q: %w", opts.Name, tz, err)
	}
	if opts.CaptchaThreshold <= 0 {
		opts.CaptchaThreshold = 3
	}
	if opts.UploadLimit <= 0 {
		opts.UploadLimit = 10 << 20
	}
	if opts.MaxLogEntries <= 0 {
		opts.MaxLogEntries = 10000
	}
	seed := opts.Seed
	if seed == nil {
		seed = DefaultSeed(opts.Name)
	}
	st, err := newState(seed)
	if err != nil {
		return nil, fmt.Errorf("jirasim %s: seed: %w", opts.Name, err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	i := &Instance{opts: opts, cp: cp, loc: loc, seed: seed, st: st, log: newRequestLog(opts.MaxLogEntries), logger: logger, scans: map[string]*scan{}}
	if opts.BaseURL != "" {
		i.base = strings.TrimRight(opts.BaseURL, "/") + cp
	}
	i.knobs = newKnobs(i)
	i.mux = i.routes()
	i.handler = http.HandlerFunc(i.serve)
	return i, nil
}

// New starts one listener per instance on 127.0.0.1; tests call defer sim.Close().
// With no options it starts A, AB and B.
func New(opts ...Options) (*Sim, error) {
	if len(opts) == 0 {
		opts = []Options{{Name: "A"}, {Name: "AB"}, {Name: "B"}}
	}
	s := &Sim{instances: map[string]*Instance{}}
	for _, o := range opts {
		if _, dup := s.instances[o.Name]; dup {
			s.Close()
			return nil, fmt.Errorf("jirasim: duplicate instance name %q", o.Name)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("jirasim %s: listen: %w", o.Name, err)
		}
		if o.BaseURL == "" {
			o.BaseURL = "http://" + ln.Addr().String()
		}
		inst, err := NewInstance(o)
		if err != nil {
			ln.Close()
			s.Close()
			return nil, err
		}
		srv := &http.Server{Handler: inst.Handler(), ReadHeaderTimeout: 10 * time.Second}
		s.instances[inst.opts.Name] = inst
		s.order = append(s.order, inst)
		s.servers = append(s.servers, srv)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_ = srv.Serve(ln)
		}()
	}
	return s, nil
}

// Instance returns the named instance, or nil.
func (s *Sim) Instance(name string) *Instance { return s.instances[name] }

// Instances returns the instances in the order they were configured.
func (s *Sim) Instances() []*Instance { return append([]*Instance(nil), s.order...) }

// Close stops every listener and aborts requests in flight (hanging ones included).
func (s *Sim) Close() {
	for _, srv := range s.servers {
		_ = srv.Close()
	}
	s.wg.Wait()
}

// Serve runs instances on real addresses until ctx ends (used by `airlock jirasim`).
// addrs maps an instance name to host:port; every option needs an address.
func Serve(ctx context.Context, addrs map[string]string, opts ...Options) error {
	if len(opts) == 0 {
		for name := range addrs {
			opts = append(opts, Options{Name: name})
		}
	}
	var servers []*http.Server
	errc := make(chan error, len(opts))
	for _, o := range opts {
		addr, ok := addrs[o.Name]
		if !ok {
			return fmt.Errorf("jirasim: no address for instance %q", o.Name)
		}
		if o.BaseURL == "" {
			if host, port, err := net.SplitHostPort(addr); err == nil && host != "" && host != "0.0.0.0" && host != "::" {
				o.BaseURL = "http://" + net.JoinHostPort(host, port)
			}
		}
		inst, err := NewInstance(o)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, s := range servers {
				_ = s.Close()
			}
			return fmt.Errorf("jirasim %s: listen %s: %w", o.Name, addr, err)
		}
		srv := &http.Server{Handler: inst.Handler(), ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("jirasim %s: %w", inst.opts.Name, err)
			}
		}()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range servers {
		if e := s.Shutdown(shut); e != nil {
			_ = s.Close()
		}
	}
	return err
}

// Name is the instance name from its Options.
func (i *Instance) Name() string { return i.opts.Name }

// URL is the base URL including the context path, without a trailing slash.
func (i *Instance) URL() string { return i.base }

// Handler serves the instance (REST API, attachment content and the /__sim admin path).
func (i *Instance) Handler() http.Handler { return i.handler }

// Knobs returns the test knobs (the same as the /__sim HTTP path).
func (i *Instance) Knobs() *Knobs { return i.knobs }

// Log returns the request log.
func (i *Instance) Log() *RequestLog { return i.log }

// Location is the instance default time zone used for response offsets.
func (i *Instance) Location() *time.Location { return i.loc }

// ProjectKey returns the key of the instance's first project.
func (i *Instance) ProjectKey() string {
	i.mu.RLock()
	defer i.mu.RUnlock()
	if len(i.st.projects) == 0 {
		return ""
	}
	return i.st.projects[0].key
}

// Reset restores the seed, turns every knob off and returns the clock to real time.
// The request log is kept (clear it with Log().Clear()).
func (i *Instance) Reset() error {
	st, err := newState(i.seed)
	if err != nil {
		return fmt.Errorf("jirasim %s: reset: %w", i.opts.Name, err)
	}
	i.knobs.reset()
	i.mu.Lock()
	i.st = st
	i.mu.Unlock()
	i.scanMu.Lock()
	i.scans = map[string]*scan{}
	i.scanMu.Unlock()
	return nil
}

// now is the emulator clock, millisecond precision like Jira.
func (i *Instance) now() time.Time { return i.knobs.Now() }

func (i *Instance) baseFor(r *http.Request) string {
	if i.base != "" {
		return i.base
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + i.cp
}
