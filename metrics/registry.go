package metrics

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// This file wraps a per-process prometheus.Registry (client_golang) behind the small API the
// rest of Airlock uses: label values passed positionally, never a panic for an odd label value,
// scrape-time collectors that get the scrape's context, and series written with their labels
// in the order they were declared.

// Registry is one process's prometheus.Registry (never the global default one), plus the
// collectors that read the database or the queue with each scrape's context.
type Registry struct {
	reg    *prometheus.Registry
	logger *slog.Logger

	mu         sync.Mutex
	hooks      []func(ctx context.Context)
	collectors []Collector
	// order maps a family to its declared label names; replaced, never changed in place, so a
	// scrape can use the map it read under mu.
	order map[string][]string
}

// Collector is a prometheus.Collector whose Collect reads a database or a queue and so needs the
// scrape's context (the request's, cancelled when the scraper goes away).
type Collector interface {
	prometheus.Collector
	// CollectContext is Collect with the scrape's context.
	CollectContext(ctx context.Context, ch chan<- prometheus.Metric)
}

// NewRegistry returns an empty registry. Gather errors while serving are logged to the default
// slog logger.
func NewRegistry() *Registry {
	return &Registry{reg: prometheus.NewRegistry(), logger: slog.Default(), order: map[string][]string{}}
}

// MustRegister adds collectors that need no context (the Go runtime and process collectors).
// A collector that clashes with one already registered is a programming error: it panics.
func (r *Registry) MustRegister(cs ...prometheus.Collector) { r.reg.MustRegister(cs...) }

// Register adds a collector read at every scrape with the scrape's context. Its descriptors are
// checked against the registry now, so a clash fails here rather than at the first scrape.
func (r *Registry) Register(c Collector) error {
	if err := r.reg.Register(describeOnly{c}); err != nil {
		return fmt.Errorf("register collector: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collectors = append(r.collectors, c)
	return nil
}

// OnScrape registers a hook run before every scrape, for gauges set imperatively just in time.
// Prefer a Collector, which reports only what the scrape read.
func (r *Registry) OnScrape(fn func(ctx context.Context)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hooks = append(r.hooks, fn)
}

// declare records the label order of a family, used when writing its series.
func (r *Registry) declare(name string, labels []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	order := make(map[string][]string, len(r.order)+1)
	for k, v := range r.order {
		order[k] = v
	}
	order[name] = slices.Clone(labels)
	r.order = order
}

// desc builds a descriptor for a Collector of this package and records its label order.
func (r *Registry) desc(name, help string, labels ...string) *prometheus.Desc {
	r.declare(name, labels)
	return prometheus.NewDesc(name, help, labels, nil)
}

// CounterVec is a counter with labels.
type CounterVec struct {
	v *prometheus.CounterVec
	n int
}

// GaugeVec is a gauge with labels.
type GaugeVec struct {
	v *prometheus.GaugeVec
	n int
}

// HistogramVec is a histogram with labels.
type HistogramVec struct {
	v *prometheus.HistogramVec
	n int
}

// Counter registers a counter family. A name registered twice is a programming error: it panics.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	r.reg.MustRegister(v)
	r.declare(name, labels)
	return &CounterVec{v: v, n: len(labels)}
}

// Gauge registers a gauge family. A name registered twice is a programming error: it panics.
func (r *Registry) Gauge(name, help string, labels ...string) *GaugeVec {
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	r.reg.MustRegister(v)
	r.declare(name, labels)
	return &GaugeVec{v: v, n: len(labels)}
}

// Histogram registers a histogram family with ascending bucket bounds (+Inf is implied). A name
// registered twice is a programming error: it panics.
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: slices.Clone(buckets)}, labels)
	r.reg.MustRegister(v)
	r.declare(name, labels)
	return &HistogramVec{v: v, n: len(labels)}
}

// labelValues fits values to n labels (missing ones are empty, extra ones dropped) and makes them
// valid UTF-8, so client_golang never refuses them.
func labelValues(values []string, n int) []string {
	vs := make([]string, n)
	for i := range min(n, len(values)) {
		vs[i] = strings.ToValidUTF8(values[i], "\uFFFD")
	}
	return vs
}

// Add adds v (>= 0) to the counter of the label values.
func (c *CounterVec) Add(v float64, values ...string) {
	if v < 0 || math.IsNaN(v) {
		return
	}
	if m, err := c.v.GetMetricWithLabelValues(labelValues(values, c.n)...); err == nil {
		m.Add(v)
	}
}

// Inc adds one.
func (c *CounterVec) Inc(values ...string) { c.Add(1, values...) }

// Value returns the counter of the label values (tests).
func (c *CounterVec) Value(values ...string) float64 {
	m, err := c.v.GetMetricWithLabelValues(labelValues(values, c.n)...)
	if err != nil {
		return 0
	}
	return read(m).GetCounter().GetValue()
}

// Set sets the gauge of the label values.
func (g *GaugeVec) Set(v float64, values ...string) {
	if m, err := g.v.GetMetricWithLabelValues(labelValues(values, g.n)...); err == nil {
		m.Set(v)
	}
}

// Add moves the gauge of the label values by v.
func (g *GaugeVec) Add(v float64, values ...string) {
	if m, err := g.v.GetMetricWithLabelValues(labelValues(values, g.n)...); err == nil {
		m.Add(v)
	}
}

// Reset forgets every series.
func (g *GaugeVec) Reset() { g.v.Reset() }

// Observe records one value in the histogram of the label values.
func (h *HistogramVec) Observe(v float64, values ...string) {
	if m, err := h.v.GetMetricWithLabelValues(labelValues(values, h.n)...); err == nil {
		m.Observe(v)
	}
}

// Count returns the number of observations of the label values (tests).
func (h *HistogramVec) Count(values ...string) uint64 {
	m, err := h.v.GetMetricWithLabelValues(labelValues(values, h.n)...)
	if err != nil {
		return 0
	}
	o, ok := m.(prometheus.Metric)
	if !ok {
		return 0
	}
	return read(o).GetHistogram().GetSampleCount()
}

// read returns the current sample of one series.
func read(m prometheus.Metric) *dto.Metric {
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		return &dto.Metric{}
	}
	return &out
}

// Gatherer returns the registry as a prometheus.Gatherer whose scrape-time collectors and hooks
// read with ctx. Families come sorted by name, series in a stable order.
func (r *Registry) Gatherer(ctx context.Context) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return r.gather(ctx) })
}

func (r *Registry) gather(ctx context.Context) ([]*dto.MetricFamily, error) {
	r.mu.Lock()
	hooks, cs, order := slices.Clone(r.hooks), slices.Clone(r.collectors), r.order
	r.mu.Unlock()
	for _, h := range hooks {
		h(ctx)
	}
	gs := prometheus.Gatherers{r.reg}
	if len(cs) > 0 {
		// A registry per scrape binds the collectors to this scrape's context; registration
		// clashes were ruled out by Register.
		scrape := prometheus.NewRegistry()
		for _, c := range cs {
			if err := scrape.Register(bound{c, ctx}); err != nil {
				return nil, fmt.Errorf("bind collector to scrape: %w", err)
			}
		}
		gs = append(gs, scrape)
	}
	mfs, err := gs.Gather()
	declaredOrder(mfs, order)
	if err != nil {
		return mfs, fmt.Errorf("gather metrics: %w", err)
	}
	return mfs, nil
}

// declaredOrder puts each series' labels back in the order the family declared them
// (client_golang sorts them by name). Label order means nothing to Prometheus; it keeps the
// output readable and stable for people and for tests that match lines. The label slices belong
// to the collectors, so each series gets a new one.
func declaredOrder(mfs []*dto.MetricFamily, order map[string][]string) {
	for _, mf := range mfs {
		names := order[mf.GetName()]
		if len(names) < 2 {
			continue
		}
		rank := func(l *dto.LabelPair) int {
			if i := slices.Index(names, l.GetName()); i >= 0 {
				return i
			}
			return len(names)
		}
		for _, m := range mf.Metric {
			ls := slices.Clone(m.Label)
			slices.SortStableFunc(ls, func(a, b *dto.LabelPair) int { return rank(a) - rank(b) })
			m.Label = ls
		}
	}
}

// Write gathers every family with ctx and writes them in the text exposition format 0.0.4,
// families sorted by name. What could be gathered is written even when a collector failed; the
// error is returned after.
func (r *Registry) Write(ctx context.Context, w io.Writer) error {
	mfs, gerr := r.gather(ctx)
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("write metric family %s: %w", mf.GetName(), err)
		}
	}
	return gerr
}

// ContentType is the media type of the text exposition format that Write produces (the Handler
// negotiates its own, text by default).
const ContentType = string(expfmt.FmtText)

// Handler serves the registry with promhttp (content negotiation, compression, `name[]`
// filters). Scrape-time collectors get the request's context; a collector that fails leaves
// its families out and is logged, the rest is still served.
func (r *Registry) Handler() http.Handler {
	opts := promhttp.HandlerOpts{ErrorLog: printLogger{r.logger}, ErrorHandling: promhttp.ContinueOnError}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		promhttp.HandlerFor(r.Gatherer(req.Context()), opts).ServeHTTP(w, req)
	})
}

// printLogger adapts slog to promhttp.Logger.
type printLogger struct{ l *slog.Logger }

func (p printLogger) Println(v ...any) {
	p.l.Warn("metrics: " + strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}

// describeOnly stands in for a Collector in the long-lived registry: it declares the families,
// so clashes are found at registration, and collects nothing (bound does, per scrape).
type describeOnly struct{ c Collector }

func (d describeOnly) Describe(ch chan<- *prometheus.Desc) { d.c.Describe(ch) }
func (describeOnly) Collect(chan<- prometheus.Metric)      {}

// bound is a Collector tied to one scrape's context.
type bound struct {
	c   Collector
	ctx context.Context
}

func (b bound) Describe(ch chan<- *prometheus.Desc) { b.c.Describe(ch) }
func (b bound) Collect(ch chan<- prometheus.Metric) { b.c.CollectContext(b.ctx, ch) }
