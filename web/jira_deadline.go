package web

import (
	"context"
	"fmt"
	"time"

	"github.com/airlock-sync/airlock/jira"
)

// defaultConsoleJiraTimeout applies when Config.ConsoleJiraTimeout is zero (AIRLOCK_CONSOLE_JIRA_TIMEOUT).
const defaultConsoleJiraTimeout = 30 * time.Second

// jiraLimits are the configured bounds on Jira answers (AIRLOCK_JIRA_MAX_BODY, ..._BODY_IDLE_TIMEOUT,
// ..._CALL_TIMEOUT); zero fields take the client's defaults.
func (s *Server) jiraLimits() jira.Limits {
	return jira.Limits{MaxBody: s.cfg.JiraMaxBody, BodyIdleTimeout: s.cfg.JiraBodyIdleTimeout, CallTimeout: s.cfg.JiraCallTimeout}
}

// jiraDeadline bounds the Jira calls behind one console page, so a slow or stalled Jira gives the
// person a message naming the instance and endpoint instead of a request left open. The overrun
// is a jira.ErrBodyTimeout, which the client reports in place of "context deadline exceeded".
func (s *Server) jiraDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	d := s.cfg.ConsoleJiraTimeout
	if d <= 0 {
		d = defaultConsoleJiraTimeout
	}
	return context.WithTimeoutCause(ctx, d,
		fmt.Errorf("%w: the console waits at most %s for Jira (AIRLOCK_CONSOLE_JIRA_TIMEOUT)", jira.ErrBodyTimeout, d))
}
