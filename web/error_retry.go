package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// errorsRetryAllCap bounds the errors one filtered Retry all walks one by one.
const errorsRetryAllCap = 5000

// errorsNoEngine is the flash of a retry on a console without the sync engine.
const errorsNoEngine = "Retry needs the sync engine, and this console process runs without it. Run the console with the worker (airlock dev, or airlock web with the engine enabled)."

// errorRetry retries one error through engine.Retry: the twin leaves quarantine, is marked
// dirty and its reconcile enqueued; the error is resolved as "retried".
func (s *Server) errorRetry(c echo.Context) error {
	id, err := errorsParseID(c, "error")
	if err != nil {
		return err
	}
	back := s.errorsBack(c, RouteErrors)
	if s.engine == nil {
		s.flash(c, views.FlashError, errorsNoEngine)
		return c.Redirect(http.StatusSeeOther, back)
	}
	res, err := s.engine.Retry(c.Request().Context(), engine.RetryFilter{ErrorID: id})
	if errors.Is(err, engine.ErrNotFound) {
		s.flash(c, views.FlashInfo, fmt.Sprintf("Error #%d is already resolved: nothing to retry.", id))
		return c.Redirect(http.StatusSeeOther, back)
	}
	if err != nil {
		return fmt.Errorf("retry error %d: %w", id, err)
	}
	s.errorsRetryFlash(c, res)
	return c.Redirect(http.StatusSeeOther, back)
}

// errorRetryAll retries every open error matching the posted filter (class, connection, twin).
// Class and connection go to engine.Retry as one call (which also retries the quarantined twins
// and blocked instances of that scope); a twin filter or "no connection" retries the matching
// errors one by one.
func (s *Server) errorRetryAll(c echo.Context) error {
	ctx := c.Request().Context()
	back := s.errorsBack(c, RouteErrors)
	if s.engine == nil {
		s.flash(c, views.FlashError, errorsNoEngine)
		return c.Redirect(http.StatusSeeOther, back)
	}
	f, err := s.errorsReadFilter(ctx, c.FormValue)
	if err != nil {
		return err
	}
	f.Resolved = false
	var res engine.RetryResult
	if f.Twin == "" && f.Connection != errorsNoConnection {
		if res, err = s.engine.Retry(ctx, engine.RetryFilter{All: true, Class: f.Class, ConnectionID: f.connID}); err != nil {
			return fmt.Errorf("retry all: %w", err)
		}
	} else {
		var ids []uint
		if err := f.scope(s.db.WithContext(ctx).Model(&models.SyncError{})).Order("id").Limit(errorsRetryAllCap).Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("retry all: find errors: %w", err)
		}
		for _, id := range ids {
			r, err := s.engine.Retry(ctx, engine.RetryFilter{ErrorID: id})
			switch {
			case errors.Is(err, engine.ErrNotFound):
				// resolved meanwhile, or by the retry of an earlier error of the same twin
			case err != nil:
				res.Failed++
				s.log.Warn("retry error", "error", id, "err", err)
			default:
				res.Retried += r.Retried
				res.Failed += r.Failed
			}
		}
	}
	s.errorsRetryFlash(c, res)
	return c.Redirect(http.StatusSeeOther, back)
}

// errorsRetryFlash reports a retry's counts: "Retried 12, 1 failed."
func (s *Server) errorsRetryFlash(c echo.Context, res engine.RetryResult) {
	switch {
	case res.Retried == 0 && res.Failed == 0:
		s.flash(c, views.FlashInfo, "Nothing to retry: no open error matches.")
	case res.Failed == 0:
		s.flash(c, views.FlashSuccess, fmt.Sprintf("Retried %d. The twins sync again in the background; errors that persist come back here.", res.Retried))
	default:
		s.flash(c, views.FlashWarning, fmt.Sprintf("Retried %d, %d failed (a twin that was unlinked or removed cannot be retried).", res.Retried, res.Failed))
	}
}
