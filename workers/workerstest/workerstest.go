// Package workerstest gives tests a broker of their own: a private database of the real Redis
// named by REDIS_URL (locked for the test and flushed), or an embedded miniredis when REDIS_URL is
// unset. Under CI (CI set) a missing REDIS_URL is a failure, not a fallback.
package workerstest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/airlock-sync/airlock/workers"
)

// Broker returns a broker for the test, closed at cleanup.
func Broker(t testing.TB) *workers.Broker {
	t.Helper()
	ctx := context.Background()
	raw := os.Getenv("REDIS_URL")
	if raw == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("REDIS_URL is not set: CI must run the queue tests on real Redis")
		}
		b, err := workers.OpenBroker(ctx, "", true)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		return b
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	// Claim one of databases 1..15 (db 0 holds the locks), so parallel test packages never
	// consume each other's tasks.
	opt, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	opt.DB = 0
	lock := redis.NewClient(opt)
	t.Cleanup(func() { lock.Close() })
	owner := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for n := 1; n <= 15; n++ {
			key := "airlock:testdb:" + strconv.Itoa(n)
			ok, err := lock.SetNX(ctx, key, owner, 10*time.Minute).Result()
			if err != nil {
				t.Fatalf("redis: %v", err)
			}
			if !ok {
				continue
			}
			t.Cleanup(func() { lock.Del(context.Background(), key) })
			u.Path = "/" + strconv.Itoa(n)
			b, err := workers.OpenBroker(ctx, u.String(), false)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Redis().FlushDB(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(b.Close)
			return b
		}
		if time.Now().After(deadline) {
			t.Fatal("no free Redis test database in 2 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
