package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// errorDismiss resolves one open error as "dismissed" without retrying: it leaves the open list
// and the twin stays as it is.
func (s *Server) errorDismiss(c echo.Context) error {
	id, err := errorsParseID(c, "error")
	if err != nil {
		return err
	}
	back := s.errorsBack(c, RouteErrors)
	ctx := c.Request().Context()
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.SyncError{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return fmt.Errorf("dismiss error %d: %w", id, err)
	}
	if n == 0 {
		return echo.NewHTTPError(http.StatusNotFound, "This error does not exist (any more).")
	}
	res := s.db.WithContext(ctx).Model(&models.SyncError{}).Where("id = ? AND resolved_at IS NULL", id).
		Updates(map[string]any{"resolved_at": time.Now().UTC(), "resolution": "dismissed"})
	if res.Error != nil {
		return fmt.Errorf("dismiss error %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		s.flash(c, views.FlashInfo, fmt.Sprintf("Error #%d was already resolved.", id))
	} else {
		if u := currentUser(c); u != nil {
			s.log.Info("error dismissed", "error", id, "user", u.Username)
		}
		s.flash(c, views.FlashSuccess, fmt.Sprintf("Dismissed error #%d. A twin it held back stays as it is; use Retry to sync it again.", id))
	}
	return c.Redirect(http.StatusSeeOther, back)
}
