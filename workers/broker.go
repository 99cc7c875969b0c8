// Package workers runs Airlock's background work on asynq: the broker (real Redis or dev's
// embedded miniredis), the worker server with its weighted queues, error classification, and the
// ErrorHandler that records every failure as a models.SyncError.
package workers

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
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

// BrokerOptions selects the Redis a broker runs on.
type BrokerOptions struct {
	// URL is REDIS_URL in any form ParseRedisURL accepts; empty means embedded (dev only).
	URL string
	// PoolSize caps connections per client for the plain and Sentinel forms (0: go-redis'
	// default, 10 per CPU).
	PoolSize int
	// AllowEmbedded lets an empty URL start an in-process miniredis (dev).
	AllowEmbedded bool
}

// OpenBroker connects to redisURL; with an empty URL it starts an embedded miniredis when
// allowEmbedded is true (dev) and returns ErrRedisRequired otherwise.
func OpenBroker(ctx context.Context, redisURL string, allowEmbedded bool) (*Broker, error) {
	return OpenBrokerWith(ctx, BrokerOptions{URL: redisURL, AllowEmbedded: allowEmbedded})
}

// OpenBrokerWith is OpenBroker with a pool size.
func OpenBrokerWith(ctx context.Context, o BrokerOptions) (*Broker, error) {
	b := &Broker{}
	if o.URL == "" {
		if !o.AllowEmbedded {
			return nil, ErrRedisRequired
		}
		// Loopback only, and a password made for this process: another local user or a page
		// in a browser cannot read or inject tasks.
		pw := make([]byte, 24)
		if _, err := rand.Read(pw); err != nil {
			return nil, fmt.Errorf("start embedded queue: %w", err)
		}
		m := miniredis.NewMiniRedis()
		m.ClockTTL(true)
		m.RequireAuth(hex.EncodeToString(pw))
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("start embedded queue: %w", err)
		}
		b.embedded = m
		b.opt = asynq.RedisClientOpt{Addr: m.Addr(), Password: hex.EncodeToString(pw), PoolSize: o.PoolSize}
	} else {
		opt, err := ParseRedisURL(o.URL, o.PoolSize)
		if err != nil {
			return nil, err
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

// ParseRedisURL turns REDIS_URL into asynq's connection option. The forms:
//
//	redis://[user:password@]host:6379[/db]                       one Redis (RedisClientOpt)
//	rediss://[user:password@]host:6380[/db]                      the same over TLS 1.2+
//	redis-socket://[:password@]/path/to/redis.sock[?db=N]         a Unix socket
//	redis-sentinel://[user:password@]s1:26379,s2:26379[/db]?master=NAME[&sentinel_password=P][&tls=true]
//	                                                             Sentinel (RedisFailoverClientOpt); the
//	                                                             user info authenticates to Redis itself
//	redis-cluster://[user:password@]h1:6379,h2:6379[?tls=true]    Cluster (RedisClusterClientOpt); db 0 only
//
// poolSize (0: go-redis' default) applies to the plain, socket and Sentinel forms; asynq's
// cluster option has no pool size, so a cluster client uses go-redis' default per node.
func ParseRedisURL(raw string, poolSize int) (asynq.RedisConnOpt, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: not a URL")
	}
	user := u.User.Username()
	pass, _ := u.User.Password()
	q := u.Query()
	tlsOn := u.Scheme == "rediss" || q.Get("tls") == "true" || q.Get("tls") == "1"
	// An empty ServerName makes the TLS dialer verify each node under the host it dials, which
	// is what Sentinel and Cluster need (they connect to nodes the URL does not name).
	tlsFor := func(host string) *tls.Config {
		if !tlsOn {
			return nil
		}
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	db := 0
	if p := strings.Trim(u.Path, "/"); p != "" && u.Scheme != "redis-socket" {
		if db, err = strconv.Atoi(p); err != nil || db < 0 {
			return nil, fmt.Errorf("REDIS_URL: the path must be a database number, got %q", p)
		}
	}
	hosts := func() ([]string, error) {
		var out []string
		for _, h := range strings.Split(u.Host, ",") {
			if _, _, err := net.SplitHostPort(h); err != nil {
				return nil, fmt.Errorf("REDIS_URL: %q is not host:port", h)
			}
			out = append(out, h)
		}
		return out, nil
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Host == "" || strings.Contains(u.Host, ",") {
			return nil, fmt.Errorf("REDIS_URL: %s:// takes one host:port (use redis-sentinel:// or redis-cluster:// for several)", u.Scheme)
		}
		addr := u.Host
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, "6379")
		}
		return asynq.RedisClientOpt{Addr: addr, Username: user, Password: pass, DB: db, PoolSize: poolSize, TLSConfig: tlsFor(addr)}, nil
	case "redis-socket":
		opt, err := asynq.ParseRedisURI(raw)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		o := opt.(asynq.RedisClientOpt)
		o.PoolSize = poolSize
		return o, nil
	case "redis-sentinel":
		addrs, err := hosts()
		if err != nil {
			return nil, err
		}
		master := q.Get("master")
		if master == "" {
			return nil, fmt.Errorf("REDIS_URL: redis-sentinel:// needs ?master=NAME (the name the Sentinels monitor)")
		}
		return asynq.RedisFailoverClientOpt{MasterName: master, SentinelAddrs: addrs, SentinelUsername: q.Get("sentinel_username"),
			SentinelPassword: q.Get("sentinel_password"), Username: user, Password: pass, DB: db, PoolSize: poolSize,
			TLSConfig: tlsFor("")}, nil
	case "redis-cluster":
		addrs, err := hosts()
		if err != nil {
			return nil, err
		}
		if db != 0 {
			return nil, fmt.Errorf("REDIS_URL: Redis Cluster has only database 0")
		}
		return asynq.RedisClusterClientOpt{Addrs: addrs, Username: user, Password: pass, TLSConfig: tlsFor("")}, nil
	default:
		return nil, fmt.Errorf("REDIS_URL: unsupported scheme %q (redis, rediss, redis-socket, redis-sentinel, redis-cluster)", u.Scheme)
	}
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
