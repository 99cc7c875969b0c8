package web

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/labstack/echo/v4"
)

// Route names of the queue inspection (asynqmon).
const (
	RouteQueues      = "queues"
	RouteQueuesFiles = "queues.files"
)

// queuesRoot is where asynqmon is mounted.
const queuesRoot = "/admin/queues"

// connOptQueue is a Queue that can hand out its asynq connection (workers.Broker does); only
// then is asynqmon mounted.
type connOptQueue interface {
	ConnOpt() asynq.RedisConnOpt
}

// queuesConnOpt returns the queue's asynq connection, or nil when it has none.
func (s *Server) queuesConnOpt() asynq.RedisConnOpt {
	q, ok := s.queue.(connOptQueue)
	if !ok {
		return nil
	}
	return q.ConnOpt()
}

// inspector is the console's one asynq Inspector (a Redis client pool), made on first use; nil
// when the queue offers no connection. The dashboard reads queue depth through it every refresh.
func (s *Server) inspector() *asynq.Inspector {
	s.inspOnce.Do(func() {
		if opt := s.queuesConnOpt(); opt != nil {
			s.insp = asynq.NewInspector(opt)
		}
	})
	return s.insp
}

// queuesURL is the asynqmon page, or "" when it is not mounted.
func (s *Server) queuesURL() string {
	if s.queuesConnOpt() == nil {
		return ""
	}
	return s.url(RouteQueues)
}

// queuesRoutes mounts asynqmon read-only behind the console login. Only GET is routed: the
// read-only asynqmon refuses mutations itself (405), and echo answers 405 to any other method
// before asynqmon is reached. Its page has inline scripts, so its responses carry their own
// Content-Security-Policy allowing exactly those scripts by hash (see queuesCSP).
func (s *Server) queuesRoutes() []route {
	opt := s.queuesConnOpt()
	if opt == nil {
		return nil
	}
	mon := asynqmon.New(asynqmon.Options{RootPath: queuesRoot, RedisConnOpt: opt, ReadOnly: true})
	csp := queuesCSP(mon)
	h := echo.WrapHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Cache-Control", "no-store")
		mon.ServeHTTP(w, r)
	}))
	return []route{
		{http.MethodGet, queuesRoot, RouteQueues, false, h, nil},
		{http.MethodGet, queuesRoot + "/*", RouteQueuesFiles, false, h, nil},
	}
}

var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// queuesCSP is the policy for asynqmon's responses. Its index page carries two inline scripts
// (settings and the webpack loader), allowed here by their SHA-256 rather than with
// 'unsafe-inline'; its Material UI injects <style> elements at run time, so style-src allows
// inline styles. The page links Google Fonts, which stay blocked (no CDN at run time): icons
// then show as their names. Everything else is as strict as the console's own policy.
func queuesCSP(mon http.Handler) string {
	rec := httptest.NewRecorder()
	mon.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, queuesRoot+"/", nil))
	var hashes []string
	for _, m := range inlineScript.FindAllStringSubmatch(rec.Body.String(), -1) {
		sum := sha256.Sum256([]byte(m[1]))
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	script := "script-src 'self'"
	if len(hashes) > 0 {
		script += " " + strings.Join(hashes, " ")
	}
	return "default-src 'self'; " + script + "; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
		"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
}
