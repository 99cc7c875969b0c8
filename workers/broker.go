// Package workers runs Airlock's background work on asynq: the broker (real Redis or dev's
// embedded miniredis), the worker server with its weighted queues, error classification, and the
// ErrorHandler that records every failure as a models.SyncError.
package workers

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Queue names and weights: reconciles (sync) before polls before the rest.
const (
	QueueSync    = "sync"
	QueuePoll    = "poll"
	QueueDefault = "default"
)

// QueueWeights are asynq's queue priorities.
var QueueWeights = map[string]int{QueueSync: 6, QueuePoll: 3, QueueDefault: 1}

// ErrRedisRequired is returned when a process that needs a durable queue has no REDIS_URL.
var ErrRedisRequired = errors.New("REDIS_URL is required for this command: set it to your Redis (redis://host:6379/0); only `airlock dev` embeds a queue")

// Broker is the Redis the queue runs on: a real one from REDIS_URL, or an embedded miniredis.
type Broker struct {
	opt      asynq.RedisConnOpt
	rdb      redis.UniversalClient
	embedded *miniredis.Miniredis
}

// OpenBroker connects to redisURL; with an empty URL it starts an embedded miniredis when
// allowEmbedded is true (dev) and returns ErrRedisRequired otherwise.
func OpenBroker(ctx context.Context, redisURL string, allowEmbedded bool) (*Broker, error) {
	b := &Broker{}
	if redisURL == "" {
		if !allowEmbedded {
			return nil, ErrRedisRequired
		}
		m := miniredis.NewMiniRedis()
		m.ClockTTL(true)
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("start embedded queue: %w", err)
		}
		b.embedded = m
		b.opt = asynq.RedisClientOpt{Addr: m.Addr()}
	} else {
		opt, err := asynq.ParseRedisURI(redisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		if o, ok := opt.(asynq.RedisClientOpt); ok && o.TLSConfig != nil && o.TLSConfig.MinVersion == 0 {
			o.TLSConfig.MinVersion = tls.VersionTLS12
			opt = o
		}
		b.opt = opt
	}
	rdb, ok := b.opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, fmt.Errorf("REDIS_URL: unsupported connection kind")
	}
	b.rdb = rdb
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := b.Ping(pctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("reach Redis: %w", err)
	}
	return b, nil
}

// ConnOpt is the asynq connection option for servers, clients and inspectors.
func (b *Broker) ConnOpt() asynq.RedisConnOpt { return b.opt }

// Redis is the shared client, for health checks and locks.
func (b *Broker) Redis() redis.UniversalClient { return b.rdb }

// Ping checks Redis is reachable.
func (b *Broker) Ping(ctx context.Context) error { return b.rdb.Ping(ctx).Err() }

// Embedded reports whether the queue is dev's in-process miniredis (not durable).
func (b *Broker) Embedded() bool { return b.embedded != nil }

// Close releases the client and stops an embedded server.
func (b *Broker) Close() {
	if b.rdb != nil {
		b.rdb.Close()
	}
	if b.embedded != nil {
		b.embedded.Close()
	}
}
