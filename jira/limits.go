package jira

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Defaults of the limits on answers (Config.MaxBody, BodyIdleTimeout, CallTimeout).
const (
	DefaultMaxBody         = 32 << 20
	DefaultBodyIdleTimeout = 30 * time.Second
	DefaultCallTimeout     = 2 * time.Minute
)

// ErrBodyTooLarge is wrapped by the *Error of a JSON answer larger than Config.MaxBody: it is
// refused unread (class config: raise the limit or fix the proxy answering).
var ErrBodyTooLarge = errors.New("answer too large")

// ErrBodyTimeout is wrapped by the *Error of an answer that stalled (no byte for
// Config.BodyIdleTimeout) or did not complete within Config.CallTimeout (class transient).
var ErrBodyTimeout = errors.New("answer too slow")

// callContext bounds one logical JSON call, retries included, by CallTimeout. Downloads and
// uploads may stream for long: only the idle timeout and the caller's context bound them.
func (c *Client) callContext(ctx context.Context, r request) (context.Context, context.CancelFunc) {
	if c.callTimeout <= 0 || r.stream != nil || r.abs != "" {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, c.callTimeout,
		fmt.Errorf("%w: no complete answer within %s (AIRLOCK_JIRA_CALL_TIMEOUT)", ErrBodyTimeout, c.callTimeout))
}

// explain replaces a cancelled call's bare "context canceled" by the limit that ended it.
func explain(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, ErrBodyTimeout) {
		return cause
	}
	return err
}

// idleBody ends the attempt (through its context) when the answer sends no byte for idle, and
// then reports ErrBodyTimeout instead of the transport's cancellation.
type idleBody struct {
	io.ReadCloser
	ctx   context.Context
	idle  time.Duration
	timer *time.Timer
}

// watchBody wraps resp.Body with the idle timeout; cancel ends the attempt's context.
func (c *Client) watchBody(ctx context.Context, cancel context.CancelCauseFunc, resp *http.Response) {
	if c.idleTimeout <= 0 {
		return
	}
	b := &idleBody{ReadCloser: resp.Body, ctx: ctx, idle: c.idleTimeout}
	cause := fmt.Errorf("%w: no byte for %s while reading the answer (AIRLOCK_JIRA_BODY_IDLE_TIMEOUT)", ErrBodyTimeout, c.idleTimeout)
	b.timer = time.AfterFunc(c.idleTimeout, func() { cancel(cause) })
	resp.Body = b
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	if err != nil && err != io.EOF {
		err = explain(b.ctx, err)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	return b.ReadCloser.Close()
}

// readBody reads a JSON answer of at most MaxBody bytes, refusing a larger one unread.
func (c *Client) readBody(r request, resp *http.Response) ([]byte, *Error) {
	tooLarge := func() *Error {
		e := c.newError(r, resp.StatusCode, resp.Header, nil,
			fmt.Errorf("%w: the answer is larger than %s (AIRLOCK_JIRA_MAX_BODY); refused unread", ErrBodyTooLarge, sizeText(c.maxBody)))
		e.Class = ClassConfig // raise the limit or fix what answers; retrying gets the same
		return e
	}
	if resp.ContentLength > c.maxBody {
		return nil, tooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		e := c.newError(r, resp.StatusCode, resp.Header, nil, fmt.Errorf("read body: %w", err))
		e.Class = ClassTransient // the connection broke or stalled mid-answer
		return nil, e
	}
	if int64(len(body)) > c.maxBody {
		return nil, tooLarge()
	}
	return body, nil
}

// sizeText prints a byte count in MiB when it is a whole number of them.
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
