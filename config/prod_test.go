package config_test

import (
	"errors"
	"testing"
	"time"

	"github.com/airlock-sync/airlock/config"
)

func TestProductionOptions(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"DATABASE_URL":                  "postgres://airlock@db1:5432,db2:5432/airlock?sslmode=verify-full&target_session_attrs=read-write",
		"REDIS_URL":                     "redis-sentinel://s1:26379,s2:26379/0?master=airlock",
		"AIRLOCK_REDIS_POOL_SIZE":       "40",
		"AIRLOCK_DB_CONN_MAX_LIFETIME":  "0",
		"AIRLOCK_SHUTDOWN_TIMEOUT":      "40s",
		"AIRLOCK_METRICS_TOKEN":         "0123456789abcdef",
		"AIRLOCK_WORKER_METRICS_LISTEN": "127.0.0.1:9091",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisPoolSize != 40 || c.DBConnMaxLifetime != 0 || c.ShutdownTimeout != 40*time.Second ||
		c.MetricsToken != "0123456789abcdef" || c.WorkerMetricsListen != "127.0.0.1:9091" {
		t.Errorf("config = %+v", c)
	}
	d, _ := config.Load(env(nil))
	if d.ShutdownTimeout != 25*time.Second || d.DBConnMaxLifetime != 30*time.Minute || d.RedisPoolSize != 0 || d.MetricsToken != "" || d.WorkerMetricsListen != "" {
		t.Errorf("defaults = %+v", d)
	}
}

func TestURLForms(t *testing.T) {
	for _, tc := range []struct {
		name, val string
		ok        bool
	}{
		{"DATABASE_URL", "postgres:///airlock?host=/var/run/postgresql", true},
		{"DATABASE_URL", "postgresql://u:p@db/airlock?sslmode=require&sslrootcert=/etc/ssl/db.pem&connect_timeout=5", true},
		{"DATABASE_URL", "postgres:///airlock", false},
		{"REDIS_URL", "rediss://:pw@cache:6380/1", true},
		{"REDIS_URL", "redis-cluster://h1:7000,h2:7001", true},
		{"REDIS_URL", "redis-sentinel://s1:26379", false},
		{"REDIS_URL", "memcached://x:1", false},
		{"AIRLOCK_METRICS_TOKEN", "short", false},
		{"AIRLOCK_WORKER_METRICS_LISTEN", "9091", false},
		{"AIRLOCK_SHUTDOWN_TIMEOUT", "100ms", false},
		{"AIRLOCK_REDIS_POOL_SIZE", "-1", false},
	} {
		t.Run(tc.name+"="+tc.val, func(t *testing.T) {
			_, err := config.Load(env(map[string]string{tc.name: tc.val}))
			var ce *config.Error
			if tc.ok && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if !tc.ok && (!errors.As(err, &ce) || ce.Var != tc.name) {
				t.Fatalf("err = %v, want a config.Error naming %s", err, tc.name)
			}
		})
	}
}
