// Package web is Airlock's console: echo handlers, named routes, login and sessions, CSRF, the
// central error handler, health endpoints and the embedded static files. Pages are templ
// components from views/.
package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/config"
	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
)

// Queue is what the console needs of the job queue.
type Queue interface {
	// Ping reports whether Redis is reachable (readiness).
	Ping(ctx context.Context) error
	// Embedded is true for dev's in-process miniredis: every page then shows the notice
	// "embedded queue, not durable".
	Embedded() bool
}

// Deps are the console's dependencies, built once by main.
type Deps struct {
	Config  *config.Config
	DB      *models.DB
	Sealer  *models.Sealer
	Queue   Queue
	Logger  *slog.Logger
	Version string
	// Engine runs sync operations the console triggers (test connection, preview, retry,
	// resync, unlink, conflict decisions, bulk); nil disables those actions.
	Engine *engine.Engine
}

// Server is the console: one echo instance and the handlers with their dependencies.
type Server struct {
	cfg     *config.Config
	db      *models.DB
	sealer  *models.Sealer
	queue   Queue
	log     *slog.Logger
	version string
	engine  *engine.Engine
	// testTimeout bounds one Test connection (instanceTestTimeout; tests shorten it).
	testTimeout time.Duration

	inspOnce sync.Once
	insp     *asynq.Inspector // see inspector()

	e       *echo.Echo
	assets  *assets
	limiter *attemptLimiter // login attempts per (user, address) and per address
	// userFails counts failed logins per user name (loginUserWindow), for the slowdown.
	userFails *attemptLimiter
	// loginSleep waits out the slowdown (sleepCtx; tests replace it).
	loginSleep func(ctx context.Context, d time.Duration) error
	// flashKey signs the flash cookie, so a page never shows a message the server did not set.
	flashKey []byte
	routes   []RouteInfo
	// bulk is the Bulk area with its job registry (set by bulkRoutes), shared with the
	// activation's backfill.
	bulk *bulkArea
}

// New builds the console with all its routes. Config, DB and Queue are required.
func New(d Deps) (*Server, error) {
	if d.Config == nil || d.DB == nil || d.Queue == nil {
		return nil, errors.New("web: Config, DB and Queue are required")
	}
	if d.Config.SessionTTL <= 0 {
		return nil, errors.New("web: Config.SessionTTL must be positive")
	}
	logger := d.Logger
	if logger == nil {
		logger = slog.Default()
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: d.Config, db: d.DB, sealer: d.Sealer, queue: d.Queue, log: logger, version: d.Version, engine: d.Engine,
		assets:    a,
		limiter:   newAttemptLimiter(loginWindow, time.Now),
		userFails: newAttemptLimiter(loginUserWindow, time.Now), loginSleep: sleepCtx,
		flashKey: flashKey(d.Config.SecretKey),
	}
	s.testTimeout = instanceTestTimeout
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.IPExtractor = ipExtractor(d.Config.TrustedProxies)
	e.HTTPErrorHandler = s.handleError
	e.Pre(securityHeaders)
	e.Use(recoverPanics)
	e.Use(formLimiter())
	s.e = e
	s.register()
	return s, nil
}

// ipExtractor decides the client address. Without trusted proxies it is the TCP peer, so the
// login limiter cannot be dodged with a made-up X-Forwarded-For. With AIRLOCK_TRUSTED_PROXIES,
// X-Forwarded-For is believed only when the peer (and each hop read from the right) is one of
// them; echo's default trust of loopback and private networks is switched off.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// Handler is the console as an http.Handler, for http.Server or httptest.
func (s *Server) Handler() http.Handler { return s.e }

// Routes lists every route with its method, path, name and whether it is public (reachable
// without a session); the security test walks it.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	copy(out, s.routes)
	return out
}

// flashKey derives the flash-signing key from the secret key, or makes a random one (flashes
// then do not survive a restart, which is harmless).
func flashKey(secret []byte) []byte {
	if len(secret) > 0 {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("airlock console flash cookie"))
		return m.Sum(nil)
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// recoverPanics turns a panic in a handler into an error for the central error handler, with
// the stack for the log (never for the page).
func recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		return next(c)
	}
}
