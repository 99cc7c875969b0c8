package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// errNotAdmin refuses user management to non-administrators.
var errNotAdmin = echo.NewHTTPError(http.StatusForbidden, "Only an administrator may manage console users.")

// userCreate adds a console user (administrators only); errors re-render Settings (422).
func (s *Server) userCreate(c echo.Context) error {
	me := currentUser(c)
	if me == nil || !me.IsAdmin {
		return errNotAdmin
	}
	ctx := c.Request().Context()
	f := views.UserForm{Username: strings.TrimSpace(c.FormValue("username")), IsAdmin: formRole(c) == models.ConsoleAdmin, Errors: map[string]string{}}
	pw, confirm := c.FormValue("password"), c.FormValue("confirm")
	if !usernamePattern.MatchString(f.Username) {
		f.Errors["username"] = "Use 1 to 64 letters, digits or . _ @ -."
	} else {
		var n int64
		if err := s.db.WithContext(ctx).Model(&models.User{}).Where("LOWER(username) = LOWER(?)", f.Username).Count(&n).Error; err != nil {
			return fmt.Errorf("check user name: %w", err)
		}
		if n > 0 {
			f.Errors["username"] = "This user name is taken."
		}
	}
	u := &models.User{Username: f.Username, IsAdmin: f.IsAdmin}
	if msg := checkNewPassword(pw, confirm); msg[0] != "" || msg[1] != "" {
		f.Errors["password"], f.Errors["confirm"] = msg[0], msg[1]
		for k, v := range f.Errors {
			if v == "" {
				delete(f.Errors, k)
			}
		}
	}
	f.Errors = formLimitErrors(c, f.Errors)
	if len(f.Errors) > 0 {
		return s.renderSettings(c, http.StatusUnprocessableEntity, f, "", "")
	}
	if err := u.SetPassword(pw); err != nil {
		f.Errors["password"] = err.Error()
		return s.renderSettings(c, http.StatusUnprocessableEntity, f, "", "")
	}
	if err := s.db.WithContext(ctx).Create(u).Error; err != nil {
		return fmt.Errorf("create user %q: %w", u.Username, err)
	}
	s.log.Info("console user added", "new_user", u.Username, "role", u.Role(), "user", me.Username)
	s.flash(c, views.FlashSuccess, fmt.Sprintf("Added %s. They can log in now.", u.Username))
	return c.Redirect(http.StatusSeeOther, s.url(RouteSettings))
}

// checkNewPassword returns the messages for the password and confirm fields ("" when fine).
func checkNewPassword(pw, confirm string) [2]string {
	var m [2]string
	switch {
	case len(pw) < models.MinPasswordLen:
		m[0] = fmt.Sprintf("Use at least %d characters.", models.MinPasswordLen)
	case len(pw) > 72:
		m[0] = "Use at most 72 bytes."
	case pw != confirm:
		m[1] = "The two passwords differ."
	}
	return m
}

// loadUser reads the user of the :id parameter, or a 404.
func (s *Server) loadUser(c echo.Context) (*models.User, error) {
	return loadRow[models.User](s, c, "There is no such console user.")
}

// userToggle disables or enables another user (administrators only). The last enabled
// administrator is never disabled, and nobody disables themselves.
func (s *Server) userToggle(c echo.Context) error {
	u, err := s.otherUser(c, "You cannot disable yourself. Ask another administrator.")
	if u == nil {
		return err
	}
	me := currentUser(c)
	ctx := c.Request().Context()
	disable := !u.Disabled
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if disable && u.IsAdmin {
			n, err := enabledAdmins(ctx, tx)
			if err != nil {
				return err
			}
			if n <= 1 {
				return errLastAdmin
			}
		}
		if err := tx.Model(&models.User{}).Where("id = ?", u.ID).Update("disabled", disable).Error; err != nil {
			return fmt.Errorf("update user %s: %w", u.Username, err)
		}
		if disable {
			if err := tx.Where("user_id = ?", u.ID).Delete(&models.Session{}).Error; err != nil {
				return fmt.Errorf("end sessions of %s: %w", u.Username, err)
			}
		}
		return nil
	})
	if errors.Is(err, errLastAdmin) {
		s.flash(c, views.FlashError, fmt.Sprintf("%s is the last enabled administrator and stays enabled.", u.Username))
		return c.Redirect(http.StatusSeeOther, s.url(RouteSettings))
	}
	if err != nil {
		return err
	}
	verb := "Enabled"
	if disable {
		verb = "Disabled"
	}
	s.log.Info("console user "+strings.ToLower(verb), "target", u.Username, "user", me.Username)
	msg := fmt.Sprintf("%s %s.", verb, u.Username)
	if disable {
		msg += " Their sessions have ended."
	}
	s.flash(c, views.FlashSuccess, msg)
	return c.Redirect(http.StatusSeeOther, s.url(RouteSettings))
}

var errLastAdmin = errors.New("last enabled administrator")

// otherUser is the :id user an administrator acts on; refused to non-administrators, and with
// selfMsg flashed when it is the administrator themselves. A nil user means the answer is
// given (the returned error, or the redirect back to Settings).
func (s *Server) otherUser(c echo.Context, selfMsg string) (*models.User, error) {
	me := currentUser(c)
	if me == nil || !me.IsAdmin {
		return nil, errNotAdmin
	}
	u, err := s.loadUser(c)
	if err != nil {
		return nil, err
	}
	if u.ID == me.ID {
		s.flash(c, views.FlashError, selfMsg)
		return nil, c.Redirect(http.StatusSeeOther, s.url(RouteSettings))
	}
	return u, nil
}

// enabledAdmins counts enabled administrators.
func enabledAdmins(ctx context.Context, tx *gorm.DB) (int64, error) {
	var n int64
	if err := tx.WithContext(ctx).Model(&models.User{}).Where("is_admin = ? AND disabled = ?", true, false).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count administrators: %w", err)
	}
	return n, nil
}

// userPasswordShow shows the change-password form: your own, or anyone's as administrator.
func (s *Server) userPasswordShow(c echo.Context) error {
	u, self, err := s.passwordTarget(c)
	if err != nil {
		return err
	}
	return s.renderPassword(c, http.StatusOK, views.PasswordForm{Username: u.Username, Self: self}, u)
}

func (s *Server) renderPassword(c echo.Context, status int, f views.PasswordForm, u *models.User) error {
	f.Action = s.urlID(RouteUserPasswordSet, u.ID)
	f.CancelURL = s.url(RouteSettings)
	return Render(c, status, views.UserPasswordPage(s.page(c, "Change password", RouteSettings), f))
}

// passwordTarget is the user whose password may be changed by this request.
func (s *Server) passwordTarget(c echo.Context) (*models.User, bool, error) {
	me := currentUser(c)
	u, err := s.loadUser(c)
	if err != nil {
		return nil, false, err
	}
	self := me != nil && me.ID == u.ID
	if !self && (me == nil || !me.IsAdmin) {
		return nil, false, echo.NewHTTPError(http.StatusForbidden, "You may change only your own password.")
	}
	return u, self, nil
}

// userPasswordSet changes the password; your own needs the current one. Every other session of
// that user ends.
func (s *Server) userPasswordSet(c echo.Context) error {
	u, self, err := s.passwordTarget(c)
	if err != nil {
		return err
	}
	f := views.PasswordForm{Username: u.Username, Self: self, Errors: map[string]string{}}
	pw := c.FormValue("password")
	if self && !u.CheckPassword(c.FormValue("current")) {
		f.Errors["current"] = "This is not your current password."
	}
	m := checkNewPassword(pw, c.FormValue("confirm"))
	if m[0] != "" {
		f.Errors["password"] = m[0]
	}
	if m[1] != "" {
		f.Errors["confirm"] = m[1]
	}
	f.Errors = formLimitErrors(c, f.Errors)
	if len(f.Errors) == 0 {
		if err := u.SetPassword(pw); err != nil {
			f.Errors["password"] = err.Error()
		}
	}
	if len(f.Errors) > 0 {
		return s.renderPassword(c, http.StatusUnprocessableEntity, f, u)
	}
	ctx := c.Request().Context()
	keep := ""
	if sess := currentSession(c); sess != nil && self {
		keep = sess.ID
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&models.User{}).Where("id = ?", u.ID).Update("password_hash", u.PasswordHash).Error; err != nil {
			return fmt.Errorf("set password of %s: %w", u.Username, err)
		}
		if err := tx.Where("user_id = ? AND id <> ?", u.ID, keep).Delete(&models.Session{}).Error; err != nil {
			return fmt.Errorf("end sessions of %s: %w", u.Username, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.log.Info("console password changed", "target", u.Username, "user", currentUserName(c))
	s.flash(c, views.FlashSuccess, fmt.Sprintf("Changed the password of %s.", u.Username))
	return c.Redirect(http.StatusSeeOther, s.url(RouteSettings))
}
