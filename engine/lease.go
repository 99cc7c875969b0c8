package engine

// A twin is reconciled by one run at a time. The queue's deterministic task id usually ensures
// that, but not after the queue is lost (a Redis restart or flush): the sweeper then dispatches a
// dirty twin again while a worker may still be working on it, and two runs could create its copy
// twice, post a comment twice, or let one run's stale read-back hide a newer change (BENCHMARKS.md,
// chaos). So each run first claims a lease on the twin row with a conditional update; a run that
// finds the lease held by another leaves the twin to it (it stays dirty, so nothing is lost).
// The holder renews the lease while it works; a worker killed mid-run leaves a lease that
// expires after leaseTTL, when the sweeper's next dispatch takes the twin up again.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/airlock-sync/airlock/models"
)

// ErrTwinBusy is Reconcile's answer when another run holds the twin's lease: nothing was done,
// nothing failed (the twin stays dirty, and the sweeper dispatches it again).
var ErrTwinBusy = errors.New("another run is reconciling this twin")

// leaseTTL is how long a claimed lease lasts without renewal.
const leaseTTL = time.Minute

// lease is a claimed twin lease; release ends it, and it renews itself until then.
type lease struct {
	e      *Engine
	twinID uint
	token  string
	stop   chan struct{}
	done   chan struct{}
}

// claimTwin takes the twin's lease, or returns nil (and no error) when another run holds it.
// ctx is cancelled if the lease is lost while the run goes on (another run took it after an
// expiry), so the run stops instead of writing beside the new holder.
func (e *Engine) claimTwin(ctx context.Context, twinID uint) (*lease, context.Context, context.CancelFunc, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, ctx, func() {}, err
	}
	token := hex.EncodeToString(b)
	ok, err := e.extendLease(ctx, twinID, "", token)
	if err != nil || !ok {
		return nil, ctx, func() {}, err
	}
	l := &lease{e: e, twinID: twinID, token: token, stop: make(chan struct{}), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(ctx)
	go l.renew(ctx, cancel)
	return l, ctx, cancel, nil
}

// extendLease claims (from "" = any expired or free lease) or renews (from = our token) the lease.
func (e *Engine) extendLease(ctx context.Context, twinID uint, from, token string) (bool, error) {
	now := e.now()
	q := e.db(ctx).Model(&models.Twin{}).Where("id = ?", twinID)
	if from == "" {
		q = q.Where("lease_until IS NULL OR lease_until < ?", now)
	} else {
		q = q.Where("lease_token = ?", from)
	}
	res := q.Updates(map[string]any{"lease_token": token, "lease_until": now.Add(leaseTTL)})
	if res.Error != nil {
		return false, fmt.Errorf("lease twin %d: %w", twinID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (l *lease) renew(ctx context.Context, cancel context.CancelFunc) {
	defer close(l.done)
	t := time.NewTicker(leaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			ok, err := l.e.extendLease(context.WithoutCancel(ctx), l.twinID, l.token, l.token)
			if err == nil && !ok {
				l.e.log().Warn("twin lease lost while reconciling: stopping this run", "twin", l.twinID)
				cancel()
				return
			}
		}
	}
}

// release ends the lease (only ours: a lease taken over after an expiry is left alone).
func (l *lease) release(ctx context.Context) {
	close(l.stop)
	<-l.done
	err := l.e.db(context.WithoutCancel(ctx)).Model(&models.Twin{}).Where("id = ? AND lease_token = ?", l.twinID, l.token).
		Updates(map[string]any{"lease_token": "", "lease_until": nil}).Error
	if err != nil {
		l.e.log().Warn("cannot release twin lease (it expires by itself)", "twin", l.twinID, "err", err)
	}
}
