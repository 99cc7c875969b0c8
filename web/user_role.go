package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// formRole reads the role of the add-user and set-role forms: the role select, or the older
// "admin" checkbox. Anything else is an operator, the smaller role.
func formRole(c echo.Context) string {
	if c.FormValue("role") == models.ConsoleAdmin || c.FormValue("admin") != "" {
		return models.ConsoleAdmin
	}
	return models.ConsoleOperator
}

// userRoleSet gives another user the administrator or operator role (administrators only). The
// last enabled administrator keeps the role, and nobody changes their own.
func (s *Server) userRoleSet(c echo.Context) error {
	u, err := s.otherUser(c, "You cannot change your own role. Ask another administrator.")
	if u == nil {
		return err
	}
	me := currentUser(c)
	role := formRole(c)
	ctx := c.Request().Context()
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if u.IsAdmin && role != models.ConsoleAdmin && !u.Disabled {
			n, err := enabledAdmins(ctx, tx)
			if err != nil {
				return err
			}
			if n <= 1 {
				return errLastAdmin
			}
		}
		if err := tx.Model(&models.User{}).Where("id = ?", u.ID).Update("is_admin", role == models.ConsoleAdmin).Error; err != nil {
			return fmt.Errorf("set role of %s: %w", u.Username, err)
		}
		return nil
	})
	if errors.Is(err, errLastAdmin) {
		s.flash(c, views.FlashError, fmt.Sprintf("%s is the last enabled administrator and stays administrator.", u.Username))
		return c.Redirect(http.StatusSeeOther, s.url(RouteSettings))
	}
	if err != nil {
		return err
	}
	s.log.Info("console user role changed", "target", u.Username, "role", role, "user", me.Username)
	s.flash(c, views.FlashSuccess, fmt.Sprintf("%s is now %s.", u.Username, roleLabel(role)))
	return c.Redirect(http.StatusSeeOther, s.url(RouteSettings))
}

// roleLabel is the role as the pages name it.
func roleLabel(role string) string {
	if role == models.ConsoleAdmin {
		return "an administrator"
	}
	return "an operator"
}
