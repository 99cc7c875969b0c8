package web

import (
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/notify"
	"github.com/airlock-sync/airlock/views"
	"github.com/airlock-sync/airlock/workers"
)

// notifyShow shows the notification settings (administrators only, by the role rule).
func (s *Server) notifyShow(c echo.Context) error {
	ns, err := s.db.LoadNotifySettings(c.Request().Context())
	if err != nil {
		return err
	}
	return s.renderNotify(c, http.StatusOK, notifyFormOf(ns))
}

func notifyFormOf(ns *models.NotifySettings) views.NotifyForm {
	return views.NotifyForm{MailEnabled: ns.MailEnabled, SMTPHost: ns.SMTPHost, SMTPPort: strconv.Itoa(ns.SMTPPort),
		SMTPTLS: ns.SMTPTLS, SMTPUser: ns.SMTPUser, MailFrom: ns.MailFrom, MailTo: ns.MailTo,
		HasSMTPPassword: len(ns.SMTPPassEnc) > 0, WebhookEnabled: ns.WebhookEnabled, HasWebhookURL: len(ns.WebhookURLEnc) > 0,
		LagMinutes: strconv.Itoa(ns.LagMinutes), WindowMinutes: strconv.Itoa(ns.WindowMinutes)}
}

func (s *Server) renderNotify(c echo.Context, status int, f views.NotifyForm) error {
	f.Action, f.TestURL, f.BackURL = s.url(RouteNotifySave), s.url(RouteNotifyTest), s.url(RouteSettings)
	return Render(c, status, views.NotifyPage(s.page(c, "Notifications", RouteSettings), f))
}

// notifySave validates and stores the settings. The SMTP password and the webhook URL are
// write-only: empty keeps the stored one, except that a stored password is never kept for
// another server or user (it would be sent there).
func (s *Server) notifySave(c echo.Context) error {
	ctx := c.Request().Context()
	ns, err := s.db.LoadNotifySettings(ctx)
	if err != nil {
		return err
	}
	old := *ns
	f := views.NotifyForm{MailEnabled: c.FormValue("mail_enabled") != "", SMTPHost: strings.TrimSpace(c.FormValue("smtp_host")),
		SMTPPort: strings.TrimSpace(c.FormValue("smtp_port")), SMTPTLS: c.FormValue("smtp_tls"), SMTPUser: strings.TrimSpace(c.FormValue("smtp_user")),
		MailFrom: strings.TrimSpace(c.FormValue("mail_from")), MailTo: strings.TrimSpace(c.FormValue("mail_to")),
		WebhookEnabled: c.FormValue("webhook_enabled") != "", LagMinutes: strings.TrimSpace(c.FormValue("lag_minutes")),
		WindowMinutes: strings.TrimSpace(c.FormValue("window_minutes")), HasSMTPPassword: len(ns.SMTPPassEnc) > 0,
		HasWebhookURL: len(ns.WebhookURLEnc) > 0, Errors: map[string]string{}}
	pw, hook := c.FormValue("smtp_password"), strings.TrimSpace(c.FormValue("webhook_url"))
	port, err := strconv.Atoi(f.SMTPPort)
	if err != nil || port < 1 || port > 65535 {
		f.Errors["smtp_port"] = "A port number from 1 to 65535."
	}
	switch f.SMTPTLS {
	case notify.TLSStartTLS, notify.TLSImplicit, notify.TLSNone:
	default:
		f.SMTPTLS = notify.TLSStartTLS
	}
	if f.MailEnabled {
		if f.SMTPHost == "" || strings.ContainsAny(f.SMTPHost, " /:@") {
			f.Errors["smtp_host"] = "The SMTP server's host name, such as smtp.example.com (no port, no scheme)."
		}
		if _, err := mail.ParseAddress(f.MailFrom); err != nil {
			f.Errors["mail_from"] = "One address, such as airlock@example.com."
		}
		if _, err := mail.ParseAddressList(f.MailTo); err != nil || f.MailTo == "" {
			f.Errors["mail_to"] = "One or more addresses separated by commas."
		}
	}
	serverChanged := f.SMTPHost != old.SMTPHost || port != old.SMTPPort || f.SMTPUser != old.SMTPUser
	if pw == "" && len(old.SMTPPassEnc) > 0 && serverChanged && f.SMTPUser != "" {
		f.Errors["smtp_password"] = "The server or user changed: type the password again (a stored password is never sent to another server)."
	}
	if hook != "" {
		if u, err := url.Parse(hook); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			f.Errors["webhook_url"] = "An http:// or https:// URL."
		}
	} else if f.WebhookEnabled && len(old.WebhookURLEnc) == 0 {
		f.Errors["webhook_url"] = "Enter the webhook URL to enable it."
	}
	lag, err := strconv.Atoi(f.LagMinutes)
	if err != nil || lag < 0 || lag > 10080 {
		f.Errors["lag_minutes"] = "Minutes from 0 (off) to 10080 (a week)."
	}
	win, err := strconv.Atoi(f.WindowMinutes)
	if err != nil || win < 1 || win > 10080 {
		f.Errors["window_minutes"] = "Minutes from 1 to 10080 (a week)."
	}
	if len(f.Errors) > 0 {
		return s.renderNotify(c, http.StatusUnprocessableEntity, f)
	}
	ns.ID, ns.MailEnabled, ns.SMTPHost, ns.SMTPPort, ns.SMTPTLS, ns.SMTPUser = 1, f.MailEnabled, f.SMTPHost, port, f.SMTPTLS, f.SMTPUser
	ns.MailFrom, ns.MailTo, ns.WebhookEnabled, ns.LagMinutes, ns.WindowMinutes = f.MailFrom, f.MailTo, f.WebhookEnabled, lag, win
	switch {
	case pw != "":
		err = ns.SetSMTPPassword(s.sealer, pw)
	case f.SMTPUser == "":
		err = ns.SetSMTPPassword(s.sealer, "")
	}
	if err != nil {
		f.Errors["smtp_password"] = err.Error()
		return s.renderNotify(c, http.StatusUnprocessableEntity, f)
	}
	if hook != "" {
		if err := ns.SetWebhookURL(s.sealer, hook); err != nil {
			f.Errors["webhook_url"] = err.Error()
			return s.renderNotify(c, http.StatusUnprocessableEntity, f)
		}
	}
	if err := s.db.WithContext(ctx).Save(ns).Error; err != nil {
		return fmt.Errorf("save notification settings: %w", err)
	}
	s.log.Info("notification settings saved", "mail", ns.MailEnabled, "webhook", ns.WebhookEnabled, "user", currentUserName(c))
	s.flash(c, views.FlashSuccess, "Saved the notification settings. Use \"Send a test notice\" to check them.")
	return c.Redirect(http.StatusSeeOther, s.url(RouteNotify))
}

// notifyTest sends a test notice through every enabled channel with the saved settings and
// shows what happened.
func (s *Server) notifyTest(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 40*time.Second)
	defer cancel()
	ns, err := s.db.LoadNotifySettings(ctx)
	if err != nil {
		return err
	}
	senders, err := workers.NotifySenders(ns, s.sealer, nil)
	if err != nil {
		s.flash(c, views.FlashError, "Cannot open the stored notification secrets: "+err.Error())
		return c.Redirect(http.StatusSeeOther, s.url(RouteNotify))
	}
	if len(senders) == 0 {
		s.flash(c, views.FlashWarning, "No channel is enabled: enable e-mail or the webhook and save first.")
		return c.Redirect(http.StatusSeeOther, s.url(RouteNotify))
	}
	msg := notify.Message{Event: "test", Key: "test", At: time.Now().UTC(), Title: "Test notice",
		Text: "This is a test notice from Airlock, sent by " + currentUserName(c) + " from the Settings page. Notices arrive like this one."}
	var ok, failed []string
	for _, snd := range senders {
		if err := snd.Send(ctx, msg); err != nil {
			failed = append(failed, snd.Name()+": "+err.Error())
			continue
		}
		ok = append(ok, snd.Name())
	}
	if len(failed) > 0 {
		s.log.Warn("test notice failed", "failed", strings.Join(failed, "; "), "user", currentUserName(c))
		s.flash(c, views.FlashError, "Test notice failed: "+strings.Join(failed, "; "))
		// A failed test still answers 303 so the page shows the message; the audit records the route.
		return c.Redirect(http.StatusSeeOther, s.url(RouteNotify))
	}
	s.flash(c, views.FlashSuccess, "Test notice sent by "+strings.Join(ok, " and ")+".")
	return c.Redirect(http.StatusSeeOther, s.url(RouteNotify))
}
