package metrics

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// This file is a small Prometheus registry on the standard library: counters, gauges and
// histograms with labels, written in the text exposition format 0.0.4. It stands in for
// prometheus/client_golang, whose dependencies are not in go.sum (see the package doc).

// Registry holds metric families and the hooks that refresh gauges at scrape time.
type Registry struct {
	mu       sync.Mutex
	families []*family
	hooks    []func(ctx context.Context)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

type family struct {
	name, help, kind string
	labels           []string
	buckets          []float64 // histograms only

	mu     sync.Mutex
	series map[string]*series
}

type series struct {
	values []string
	value  float64  // counter, gauge
	counts []uint64 // histogram: per bucket (not cumulative)
	sum    float64
	count  uint64
}

func (r *Registry) add(f *family) *family {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.families {
		if g.name == f.name {
			panic("metrics: family registered twice: " + f.name) // programming error at construction
		}
	}
	f.series = map[string]*series{}
	r.families = append(r.families, f)
	return f
}

// OnScrape registers a hook run before every scrape (gauges read from the database or queue).
func (r *Registry) OnScrape(fn func(ctx context.Context)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hooks = append(r.hooks, fn)
}

// CounterVec is a counter with labels.
type CounterVec struct{ f *family }

// GaugeVec is a gauge with labels.
type GaugeVec struct{ f *family }

// HistogramVec is a histogram with labels.
type HistogramVec struct{ f *family }

// Counter registers a counter family.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	return &CounterVec{r.add(&family{name: name, help: help, kind: "counter", labels: labels})}
}

// Gauge registers a gauge family.
func (r *Registry) Gauge(name, help string, labels ...string) *GaugeVec {
	return &GaugeVec{r.add(&family{name: name, help: help, kind: "gauge", labels: labels})}
}

// Histogram registers a histogram family with ascending bucket bounds (+Inf is implied).
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	return &HistogramVec{r.add(&family{name: name, help: help, kind: "histogram", labels: labels, buckets: slices.Clone(buckets)})}
}

// at returns the series of the label values, creating it. Missing values are empty strings.
func (f *family) at(values []string) *series {
	vs := make([]string, len(f.labels))
	copy(vs, values)
	key := strings.Join(vs, "\x00")
	s := f.series[key]
	if s == nil {
		s = &series{values: vs}
		if f.kind == "histogram" {
			s.counts = make([]uint64, len(f.buckets)+1)
		}
		f.series[key] = s
	}
	return s
}

// Add adds v (>= 0) to the counter of the label values.
func (c *CounterVec) Add(v float64, values ...string) {
	if v < 0 {
		return
	}
	c.f.mu.Lock()
	c.f.at(values).value += v
	c.f.mu.Unlock()
}

// Inc adds one.
func (c *CounterVec) Inc(values ...string) { c.Add(1, values...) }

// Value returns the counter of the label values (tests).
func (c *CounterVec) Value(values ...string) float64 {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	return c.f.at(values).value
}

// Set sets the gauge of the label values.
func (g *GaugeVec) Set(v float64, values ...string) {
	g.f.mu.Lock()
	g.f.at(values).value = v
	g.f.mu.Unlock()
}

// Add moves the gauge of the label values by v.
func (g *GaugeVec) Add(v float64, values ...string) {
	g.f.mu.Lock()
	g.f.at(values).value += v
	g.f.mu.Unlock()
}

// Reset forgets every series (a scrape-time gauge drops rows that no longer exist).
func (g *GaugeVec) Reset() {
	g.f.mu.Lock()
	g.f.series = map[string]*series{}
	g.f.mu.Unlock()
}

// Observe records one value in the histogram of the label values.
func (h *HistogramVec) Observe(v float64, values ...string) {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	s := h.f.at(values)
	i, _ := slices.BinarySearch(h.f.buckets, v) // first bound >= v: Prometheus buckets are "le"
	s.counts[i]++
	s.sum += v
	s.count++
}

// Count returns the number of observations of the label values (tests).
func (h *HistogramVec) Count(values ...string) uint64 {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	return h.f.at(values).count
}

// Write runs the scrape hooks and writes every family in the text exposition format, families
// and series in a stable order.
func (r *Registry) Write(ctx context.Context, w io.Writer) error {
	r.mu.Lock()
	hooks := slices.Clone(r.hooks)
	fams := slices.Clone(r.families)
	r.mu.Unlock()
	for _, h := range hooks {
		h(ctx)
	}
	slices.SortFunc(fams, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	bw := bufio.NewWriter(w)
	for _, f := range fams {
		f.write(bw)
	}
	return bw.Flush()
}

func (f *family) write(w *bufio.Writer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.kind)
	keys := make([]string, 0, len(f.series))
	for k := range f.series {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		s := f.series[k]
		if f.kind != "histogram" {
			fmt.Fprintf(w, "%s%s %s\n", f.name, f.labelText(s.values, "", ""), num(s.value))
			continue
		}
		var cum uint64
		for i, b := range f.buckets {
			cum += s.counts[i]
			fmt.Fprintf(w, "%s_bucket%s %d\n", f.name, f.labelText(s.values, "le", num(b)), cum)
		}
		fmt.Fprintf(w, "%s_bucket%s %d\n", f.name, f.labelText(s.values, "le", "+Inf"), s.count)
		fmt.Fprintf(w, "%s_sum%s %s\n", f.name, f.labelText(s.values, "", ""), num(s.sum))
		fmt.Fprintf(w, "%s_count%s %d\n", f.name, f.labelText(s.values, "", ""), s.count)
	}
}

func (f *family) labelText(values []string, extraName, extraValue string) string {
	if len(f.labels) == 0 && extraName == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range f.labels {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l + `="` + escapeLabel(values[i]) + `"`)
	}
	if extraName != "" {
		if len(f.labels) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(extraName + `="` + extraValue + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

func num(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }

// ContentType is the media type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler serves the registry. Scrape hooks get the request's context.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var b strings.Builder
		if err := r.Write(req.Context(), &b); err != nil {
			http.Error(w, "metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, b.String())
	})
}
