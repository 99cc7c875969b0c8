// Package config reads Airlock's configuration from environment variables into one validated
// struct. Every option is listed in Options, with its default and what it expects, and the README
// table is written from the same list.
package config

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of one Airlock process.
type Config struct {
	// Listen is the console's address (host:port).
	Listen string
	// DataDir holds the SQLite database and, in dev, the generated secret key.
	DataDir string
	// DatabaseURL selects Postgres when set (postgres://...); empty means SQLite in DataDir.
	DatabaseURL string
	// RedisURL is the asynq broker; empty means the embedded miniredis (dev only).
	RedisURL string
	// SecretKey encrypts Jira credentials at rest (AES-256-GCM); nil until loaded.
	SecretKey []byte
	// SecretKeyOld is the previous key, read only by `airlock rotate-key` (nil when unset).
	SecretKeyOld []byte
	// SealIdentity is AIRLOCK_SEAL_IDENTITY: the node's sealing identity in text form (secret).
	SealIdentity string
	// JiraAllowlist limits the Jira base URLs this node calls to these hosts or ".suffix"
	// domains; empty allows any host.
	JiraAllowlist []string
	// JiraMaxBody caps a Jira JSON answer read into memory (bytes); larger ones are refused.
	JiraMaxBody int64
	// JiraBodyIdleTimeout ends a Jira call whose answer sends no byte for this long;
	// JiraCallTimeout bounds one Jira call, retries included.
	JiraBodyIdleTimeout time.Duration
	JiraCallTimeout     time.Duration
	// ConsoleJiraTimeout bounds the Jira calls behind one console page (metadata, JQL check,
	// preview), so a slow Jira gives a clear message instead of a page that never loads.
	ConsoleJiraTimeout time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For the console believes.
	TrustedProxies []*net.IPNet
	// AdminUser and AdminPassword seed the first console user when no user exists.
	AdminUser     string
	AdminPassword string
	// SessionTTL is how long a console session lives without activity.
	SessionTTL time.Duration
	// WorkerConcurrency is the number of tasks one worker process runs at once.
	WorkerConcurrency int
	// LogLevel and LogFormat shape log/slog output.
	LogLevel  slog.Level
	LogFormat string
	// SweepInterval is how often the sweeper re-enqueues dirty twins and due polls.
	SweepInterval time.Duration
	// DBMaxOpenConns caps the database pool.
	DBMaxOpenConns int
	// DBConnMaxLifetime recycles database connections (0: never), so a pooler or a failover
	// behind DATABASE_URL's host is picked up.
	DBConnMaxLifetime time.Duration
	// RedisPoolSize caps the connections to Redis per client (0: go-redis' default, 10 per CPU).
	RedisPoolSize int
	// ShutdownTimeout is how long a stopping worker lets in-flight tasks finish before it hands
	// them back to the queue.
	ShutdownTimeout time.Duration
	// MetricsToken, when set, lets a scraper read /metrics with "Authorization: Bearer <token>".
	MetricsToken string
	// WorkerMetricsListen, when set, makes `airlock worker` serve /metrics on that address.
	WorkerMetricsListen string
}

// Error names the variable that holds a bad value and what it expects.
type Error struct {
	Var    string
	Value  string
	Expect string
}

func (e *Error) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: expected %s", e.Var, e.Expect)
	}
	return fmt.Sprintf("%s=%q: expected %s", e.Var, e.Value, e.Expect)
}

// Option is one environment variable: its name, default, meaning, and how it is applied.
type Option struct {
	Var     string
	Default string
	Help    string
	secret  bool
	apply   func(c *Config, v string) error
}

// Options is the table of every variable Airlock reads.
var Options = []Option{
	{Var: "AIRLOCK_LISTEN", Default: ":8080", Help: "address the console listens on (host:port)", apply: func(c *Config, v string) error {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return fmt.Errorf("host:port such as :8080 or 127.0.0.1:8080")
		}
		c.Listen = v
		return nil
	}},
	{Var: "AIRLOCK_DATA_DIR", Default: "./data", Help: "folder for the SQLite database and the dev secret key", apply: func(c *Config, v string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("a folder path")
		}
		c.DataDir = filepath.Clean(v)
		return nil
	}},
	{Var: "DATABASE_URL", Default: "", Help: "Postgres URL (postgres://user:pass@host:5432/db?sslmode=disable); empty: SQLite in AIRLOCK_DATA_DIR", secret: true, apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		// Everything after the host (sslmode, sslrootcert, target_session_attrs, several
		// host:port pairs, a socket folder in ?host=) passes through to the driver untouched.
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || (u.Host == "" && u.Query().Get("host") == "") {
			return fmt.Errorf("a postgres://host/dbname URL")
		}
		c.DatabaseURL = v
		return nil
	}},
	{Var: "REDIS_URL", Default: "", Help: "Redis URL for the queue: redis://host:6379/0, rediss:// for TLS, redis-sentinel://s1:26379,s2:26379/0?master=NAME, redis-cluster://h1:6379,h2:6379 (see DEPLOY.md); required by web and worker, dev embeds one when empty", secret: true, apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return fmt.Errorf("a redis://host:port/db URL")
		}
		switch u.Scheme {
		case "redis", "rediss", "redis-cluster":
		case "redis-sentinel":
			if u.Query().Get("master") == "" {
				return fmt.Errorf("a redis-sentinel://host:port,host:port/db?master=NAME URL (master is missing)")
			}
		default:
			return fmt.Errorf("a redis://host:port/db URL (or rediss://, redis-sentinel://, redis-cluster://)")
		}
		c.RedisURL = v
		return nil
	}},
	{Var: "AIRLOCK_SECRET_KEY", Default: "", Help: "32 random bytes in base64 (openssl rand -base64 32) that encrypt Jira credentials; dev generates one into AIRLOCK_DATA_DIR", secret: true, apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		k, err := DecodeKey(v)
		if err != nil {
			return err
		}
		c.SecretKey = k
		return nil
	}},
	{Var: "AIRLOCK_SECRET_KEY_OLD", Default: "", Help: "the previous AIRLOCK_SECRET_KEY, read only by `airlock rotate-key`, which re-encrypts every stored credential from it to AIRLOCK_SECRET_KEY; unset it afterwards", secret: true, apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		k, err := DecodeKey(v)
		if err != nil {
			return err
		}
		c.SecretKeyOld = k
		return nil
	}},
	{Var: "AIRLOCK_SEAL_IDENTITY", Default: "", Help: "this node's sealing identity for a sealed relay (AIRLOCK-SEAL-IDENTITY-1 ...), when it must come from a secret store; empty: one is made on first start and stored encrypted under AIRLOCK_SECRET_KEY", secret: true, apply: func(c *Config, v string) error {
		c.SealIdentity = strings.TrimSpace(v)
		return nil
	}},
	{Var: "AIRLOCK_JIRA_ALLOWLIST", Default: "", Help: "comma-separated Jira hosts (jira.example.com) or domain suffixes (.example.com) this node may call; empty: any host", apply: func(c *Config, v string) error {
		c.JiraAllowlist = nil
		for _, p := range strings.Split(v, ",") {
			p = strings.ToLower(strings.TrimSpace(p))
			if p == "" {
				continue
			}
			if p == "." || strings.ContainsAny(p, "/:@ *") {
				return fmt.Errorf("comma-separated host names or .domain suffixes, without scheme, port or path")
			}
			c.JiraAllowlist = append(c.JiraAllowlist, p)
		}
		return nil
	}},
	{Var: "AIRLOCK_JIRA_MAX_BODY", Default: "32MiB", Help: "largest Jira JSON answer read into memory (bytes, or with KiB/MiB/GiB); larger answers fail as a config error naming the instance and endpoint (attachments stream under their own cap)", apply: func(c *Config, v string) error {
		n, err := parseSize(v)
		if err != nil || n < 1<<20 || n > 4<<30 {
			return fmt.Errorf("a size from 1MiB to 4GiB, such as 32MiB")
		}
		c.JiraMaxBody = n
		return nil
	}},
	{Var: "AIRLOCK_JIRA_BODY_IDLE_TIMEOUT", Default: "30s", Help: "a Jira answer (or download) that sends no byte for this long is cut, as a transient error (Go duration)", apply: durationIn(time.Second, time.Hour, "30s", func(c *Config, d time.Duration) { c.JiraBodyIdleTimeout = d })},
	{Var: "AIRLOCK_JIRA_CALL_TIMEOUT", Default: "2m", Help: "longest one Jira API call may take, retries included; attachment transfers are bounded by the idle timeout only (Go duration)", apply: durationIn(time.Second, time.Hour, "2m", func(c *Config, d time.Duration) { c.JiraCallTimeout = d })},
	{Var: "AIRLOCK_CONSOLE_JIRA_TIMEOUT", Default: "30s", Help: "longest a console page (Test connection, metadata, JQL check, preview) waits for Jira before it shows a timeout (Go duration)", apply: durationIn(time.Second, 10*time.Minute, "30s", func(c *Config, d time.Duration) { c.ConsoleJiraTimeout = d })},
	{Var: "AIRLOCK_TRUSTED_PROXIES", Default: "", Help: "comma-separated addresses or CIDR ranges of reverse proxies in front of the console (10.0.0.5, 10.1.0.0/16); X-Forwarded-For is believed only from them, for the login limiter and the audit; empty: the TCP peer is the client", apply: func(c *Config, v string) error {
		c.TrustedProxies = nil
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if !strings.Contains(p, "/") {
				ip := net.ParseIP(p)
				if ip == nil {
					return fmt.Errorf("comma-separated IP addresses or CIDR ranges such as 10.0.0.5 or 10.1.0.0/16")
				}
				bits := 32
				if ip.To4() == nil {
					bits = 128
				}
				p = fmt.Sprintf("%s/%d", ip, bits)
			}
			_, n, err := net.ParseCIDR(p)
			if err != nil {
				return fmt.Errorf("comma-separated IP addresses or CIDR ranges such as 10.0.0.5 or 10.1.0.0/16")
			}
			c.TrustedProxies = append(c.TrustedProxies, n)
		}
		return nil
	}},
	{Var: "AIRLOCK_ADMIN_USER", Default: "admin", Help: "name of the first console user", apply: func(c *Config, v string) error {
		if v == "" || strings.ContainsAny(v, " \t\r\n") || len(v) > 64 {
			return fmt.Errorf("a user name of 1-64 characters without spaces")
		}
		c.AdminUser = v
		return nil
	}},
	{Var: "AIRLOCK_ADMIN_PASSWORD", Default: "", Help: "password of the first console user, used only when no user exists; dev prints a generated one when empty", secret: true, apply: func(c *Config, v string) error {
		if v != "" && len(v) < 10 {
			return fmt.Errorf("at least 10 characters")
		}
		c.AdminPassword = v
		return nil
	}},
	{Var: "AIRLOCK_SESSION_TTL", Default: "12h", Help: "console session lifetime without activity (Go duration)", apply: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			return fmt.Errorf("a duration of at least 1m, such as 12h")
		}
		c.SessionTTL = d
		return nil
	}},
	{Var: "AIRLOCK_WORKER_CONCURRENCY", Default: "10", Help: "tasks one worker process runs at once", apply: intIn(1, 1000, func(c *Config, n int) { c.WorkerConcurrency = n })},
	{Var: "AIRLOCK_DB_MAX_OPEN_CONNS", Default: "10", Help: "database connection pool size (Postgres)", apply: intIn(1, 1000, func(c *Config, n int) { c.DBMaxOpenConns = n })},
	{Var: "AIRLOCK_DB_CONN_MAX_LIFETIME", Default: "30m", Help: "recycle database connections after this long (Go duration; 0 never), so failovers and poolers are followed", apply: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("a duration such as 30m, or 0 for never")
		}
		c.DBConnMaxLifetime = d
		return nil
	}},
	{Var: "AIRLOCK_REDIS_POOL_SIZE", Default: "0", Help: "Redis connections per client (plain and Sentinel forms); 0: go-redis' default of 10 per CPU", apply: intIn(0, 10000, func(c *Config, n int) { c.RedisPoolSize = n })},
	{Var: "AIRLOCK_SHUTDOWN_TIMEOUT", Default: "25s", Help: "on SIGTERM a worker stops polling and lets running tasks finish this long, then hands the rest back to the queue (keep below systemd's TimeoutStopSec)", apply: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > time.Hour {
			return fmt.Errorf("a duration from 1s to 1h, such as 25s")
		}
		c.ShutdownTimeout = d
		return nil
	}},
	{Var: "AIRLOCK_METRICS_TOKEN", Default: "", Help: "bearer token a Prometheus scraper sends to read /metrics (console sessions may read it too); empty: sessions only", secret: true, apply: func(c *Config, v string) error {
		if v != "" && len(v) < 16 {
			return fmt.Errorf("at least 16 characters (openssl rand -hex 16)")
		}
		c.MetricsToken = v
		return nil
	}},
	{Var: "AIRLOCK_WORKER_METRICS_LISTEN", Default: "", Help: "host:port where `airlock worker` serves /metrics (same token); empty: off", apply: func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		if _, _, err := net.SplitHostPort(v); err != nil {
			return fmt.Errorf("host:port such as :9090 or 127.0.0.1:9090")
		}
		c.WorkerMetricsListen = v
		return nil
	}},
	{Var: "AIRLOCK_SWEEP_INTERVAL", Default: "1s", Help: "how often due polls are enqueued (a poll interval is no finer than this); dirty twins are re-enqueued every fifth sweep", apply: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond {
			return fmt.Errorf("a duration of at least 100ms, such as 5s")
		}
		c.SweepInterval = d
		return nil
	}},
	{Var: "AIRLOCK_LOG_LEVEL", Default: "info", Help: "debug, info, warn or error", apply: func(c *Config, v string) error {
		return c.LogLevel.UnmarshalText([]byte(v))
	}},
	{Var: "AIRLOCK_LOG_FORMAT", Default: "text", Help: "text or json", apply: func(c *Config, v string) error {
		if v != "text" && v != "json" {
			return fmt.Errorf("text or json")
		}
		c.LogFormat = v
		return nil
	}},
}

// durationIn parses a Go duration from lo to hi.
func durationIn(lo, hi time.Duration, example string, set func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			return fmt.Errorf("a duration from %s to %s, such as %s", lo, hi, example)
		}
		set(c, d)
		return nil
	}
}

// parseSize reads a byte count: a whole number, optionally followed by KiB, MiB or GiB.
func parseSize(v string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("not a size")
	}
	return n * mult, nil
}

func intIn(lo, hi int, set func(*Config, int)) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("a whole number from %d to %d", lo, hi)
		}
		set(c, n)
		return nil
	}
}

// Load reads every option from getenv (os.Getenv in production) and validates it. The first bad
// value is returned as *Error.
func Load(getenv func(string) string) (*Config, error) {
	c := &Config{}
	for _, o := range Options {
		v := getenv(o.Var)
		if v == "" {
			v = o.Default
		}
		if err := o.apply(c, v); err != nil {
			shown := v
			if o.secret {
				shown = ""
			}
			return nil, &Error{Var: o.Var, Value: shown, Expect: err.Error()}
		}
	}
	return c, nil
}

// DecodeKey decodes a base64 AES-256 key and checks its length.
func DecodeKey(v string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil {
		return nil, fmt.Errorf("32 bytes encoded in base64 (openssl rand -base64 32): not valid base64")
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("32 bytes encoded in base64 (openssl rand -base64 32): got %d bytes", len(k))
	}
	return k, nil
}

// Logger builds the process logger from the log options.
func (c *Config) Logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// SQLitePath is the database file used when DatabaseURL is empty.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "airlock.db") }

// LoadDevSecretKey loads the key a dev node generated into DataDir, when there is one. A key
// file readable by other users is made 0600 first.
func (c *Config) LoadDevSecretKey() error {
	if c.SecretKey != nil {
		return nil
	}
	path := filepath.Join(c.DataDir, "secret.key")
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		err = os.Chmod(path, 0o600)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	k, err := DecodeKey(string(b))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	c.SecretKey = k
	return nil
}

// EnsureSecretKey loads the dev key from DataDir, creating it with mode 0600 when missing. It
// returns whether a new key was generated. Only dev calls it; web and worker require the variable.
func (c *Config) EnsureSecretKey(generate func() ([]byte, error)) (bool, error) {
	if c.SecretKey != nil {
		return false, nil
	}
	if err := c.LoadDevSecretKey(); err != nil || c.SecretKey != nil {
		return false, err
	}
	path := filepath.Join(c.DataDir, "secret.key")
	k, err := generate()
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return false, fmt.Errorf("create %s: %w", c.DataDir, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	c.SecretKey = k
	return true, nil
}
