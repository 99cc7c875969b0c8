package jirasim

import (
	"context"
	"sync"
)

// ConcurrencyStats says how many REST calls an instance served at once, so a benchmark can prove
// a client kept within the instance's concurrency cap (KnobSettings.MaxConcurrent).
type ConcurrencyStats struct {
	// Limit is the cap in force when the stats were read (0 = none).
	Limit int `json:"limit"`
	// MaxInFlight is the most calls that had arrived and not yet finished at one moment, queued
	// ones included: the concurrency the clients asked for. Above Limit means the clients
	// exceeded the cap.
	MaxInFlight int `json:"maxInFlight"`
	// MaxActive is the most calls being served at once (never above Limit when one is set).
	MaxActive int `json:"maxActive"`
	// Requests counts the calls admitted through the gate; Queued those that had to wait for a
	// free slot.
	Requests int64 `json:"requests"`
	Queued   int64 `json:"queued"`
}

// gate enforces the concurrency cap like a servlet container's thread pool: calls beyond the cap
// wait in arrival order for a free slot (Jira queues them; it does not refuse them).
type gate struct {
	mu       sync.Mutex
	inFlight int
	active   int
	waiters  []chan struct{}
	stats    ConcurrencyStats
}

// admit waits for a slot under limit (0 = no cap); false when ctx ended first. Every true return
// must be followed by exactly one release.
func (g *gate) admit(ctx context.Context, limit int) bool {
	g.mu.Lock()
	g.inFlight++
	g.stats.Requests++
	g.stats.MaxInFlight = max(g.stats.MaxInFlight, g.inFlight)
	if limit <= 0 || g.active < limit {
		g.active++
		g.stats.MaxActive = max(g.stats.MaxActive, g.active)
		g.mu.Unlock()
		return true
	}
	g.stats.Queued++
	ch := make(chan struct{})
	g.waiters = append(g.waiters, ch)
	g.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-ctx.Done():
	}
	g.mu.Lock()
	for n, w := range g.waiters {
		if w == ch {
			g.waiters = append(g.waiters[:n], g.waiters[n+1:]...)
			g.inFlight--
			g.mu.Unlock()
			return false
		}
	}
	g.mu.Unlock()
	// The slot was handed over just as ctx ended: give it back.
	g.release()
	return false
}

// release frees a slot, handing it to the oldest waiter if there is one.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	if len(g.waiters) > 0 {
		ch := g.waiters[0]
		g.waiters = g.waiters[1:]
		close(ch) // the slot passes to the waiter: active stays the same
		return
	}
	g.active--
}

func (g *gate) snapshot() ConcurrencyStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stats
}

func (g *gate) resetStats() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stats = ConcurrencyStats{MaxInFlight: g.inFlight, MaxActive: g.active}
}

// SetMaxConcurrent caps the REST calls the instance serves at once (0 = no cap); calls beyond it
// wait for a slot, and their waiting counts as latency.
func (k *Knobs) SetMaxConcurrent(n int) {
	k.Update(func(s *KnobSettings) { s.MaxConcurrent = n })
}

// ConcurrencyStats returns the concurrency observed since the last ResetConcurrencyStats.
func (k *Knobs) ConcurrencyStats() ConcurrencyStats {
	st := k.gate.snapshot()
	st.Limit = k.Get().MaxConcurrent
	return st
}

// ResetConcurrencyStats starts a new observation window (calls in flight still count).
func (k *Knobs) ResetConcurrencyStats() { k.gate.resetStats() }

// admit takes a slot of the instance's concurrency cap for one REST call; false when the caller
// went away while waiting.
func (k *Knobs) admit(ctx context.Context) bool { return k.gate.admit(ctx, k.Get().MaxConcurrent) }

// release frees the slot taken by admit.
func (k *Knobs) release() { k.gate.release() }
