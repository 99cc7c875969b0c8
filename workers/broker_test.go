package workers_test

import (
	"context"
	"crypto/tls"
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/airlock-sync/airlock/workers"
)

func TestParseRedisURL(t *testing.T) {
	tls12 := func(name string) *tls.Config { return &tls.Config{ServerName: name, MinVersion: tls.VersionTLS12} }
	for _, tc := range []struct {
		url  string
		pool int
		want asynq.RedisConnOpt
	}{
		{"redis://127.0.0.1:6379/0", 0, asynq.RedisClientOpt{Addr: "127.0.0.1:6379"}},
		{"redis://redis/3", 20, asynq.RedisClientOpt{Addr: "redis:6379", DB: 3, PoolSize: 20}},
		{"redis://:s3cret@redis:6379", 0, asynq.RedisClientOpt{Addr: "redis:6379", Password: "s3cret"}},
		{"redis://airlock:s3cret@redis:6379/2", 0, asynq.RedisClientOpt{Addr: "redis:6379", Username: "airlock", Password: "s3cret", DB: 2}},
		{"rediss://airlock:pw@cache.example.com:6380/1", 5, asynq.RedisClientOpt{Addr: "cache.example.com:6380", Username: "airlock",
			Password: "pw", DB: 1, PoolSize: 5, TLSConfig: tls12("cache.example.com")}},
		{"redis-socket://:pw@/run/redis/redis.sock?db=4", 7, asynq.RedisClientOpt{Network: "unix", Addr: "/run/redis/redis.sock", Password: "pw", DB: 4, PoolSize: 7}},
		{"redis-sentinel://:pw@s1:26379,s2:26379,s3:26379/2?master=airlock&sentinel_password=spw", 30,
			asynq.RedisFailoverClientOpt{MasterName: "airlock", SentinelAddrs: []string{"s1:26379", "s2:26379", "s3:26379"},
				SentinelPassword: "spw", Password: "pw", DB: 2, PoolSize: 30}},
		{"redis-sentinel://s1:26379?master=m&tls=true&sentinel_username=u", 0,
			asynq.RedisFailoverClientOpt{MasterName: "m", SentinelAddrs: []string{"s1:26379"}, SentinelUsername: "u", TLSConfig: tls12("")}},
		{"redis-cluster://h1:7000,h2:7001,h3:7002", 0, asynq.RedisClusterClientOpt{Addrs: []string{"h1:7000", "h2:7001", "h3:7002"}}},
		{"redis-cluster://u:pw@h1:7000?tls=1", 0, asynq.RedisClusterClientOpt{Addrs: []string{"h1:7000"}, Username: "u", Password: "pw", TLSConfig: tls12("")}},
	} {
		t.Run(tc.url, func(t *testing.T) {
			got, err := workers.ParseRedisURL(tc.url, tc.pool)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestParseRedisURLRejects(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"localhost:6379", "unsupported scheme"},
		{"http://redis:6379", "unsupported scheme"},
		{"redis://redis:6379/zero", "database number"},
		{"redis://a:1,b:2/0", "one host:port"},
		{"redis-sentinel://s1:26379,s2:26379/0", "master=NAME"},
		{"redis-sentinel://s1,s2:26379?master=m", "not host:port"},
		{"redis-cluster://h1:7000/1", "only database 0"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			_, err := workers.ParseRedisURL(tc.url, 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "REDIS_URL") {
				t.Fatalf("err = %v, want a REDIS_URL error containing %q", err, tc.want)
			}
		})
	}
}

// dev's embedded queue listens on loopback only and refuses a client without its random
// password (issue 13.6): another local user cannot read or inject tasks.
func TestEmbeddedBrokerNeedsItsPassword(t *testing.T) {
	b, err := workers.OpenBroker(context.Background(), "", true)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.ConnOpt().(asynq.RedisClientOpt).Addr
	if host, _, _ := net.SplitHostPort(addr); !net.ParseIP(host).IsLoopback() {
		t.Errorf("embedded Redis listens on %s, want loopback", addr)
	}
	anon := redis.NewClient(&redis.Options{Addr: addr})
	defer anon.Close()
	if err := anon.Ping(context.Background()).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("PING without password: %v, want NOAUTH", err)
	}
	wrong := redis.NewClient(&redis.Options{Addr: addr, Password: "guess"})
	defer wrong.Close()
	if err := wrong.Ping(context.Background()).Err(); err == nil {
		t.Error("PING with a wrong password succeeded")
	}
	if err := b.Ping(context.Background()); err != nil {
		t.Errorf("the broker's own client: %v", err)
	}
	if pw := b.ConnOpt().(asynq.RedisClientOpt).Password; len(pw) < 32 {
		t.Errorf("password %q is too short", pw)
	}
}
