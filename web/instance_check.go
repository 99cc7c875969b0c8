package web

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// instanceTestTimeout bounds one "Test connection": two calls, no retries.
const instanceTestTimeout = 15 * time.Second

// checkTarget is what "Test connection" calls: address, credentials and CA bundle.
type checkTarget struct {
	name, baseURL, authType, username, secret, caBundle string
	allow                                               []string // AIRLOCK_JIRA_ALLOWLIST
	timeout                                             time.Duration
}

// checkJira calls serverInfo and myself and describes the outcome in words. It never retries, so
// a wrong password counts as one failed login, not four.
func checkJira(ctx context.Context, t checkTarget, hc *http.Client) views.InstanceTest {
	if t.timeout <= 0 {
		t.timeout = instanceTestTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	cfg := engine.ConfigFor(t.name, t.baseURL, t.authType, t.username, t.secret, t.caBundle)
	cfg.MaxRetries, cfg.MaxRetryWait, cfg.UserAgent, cfg.AllowedHosts = -1, time.Second, "airlock", t.allow
	if hc == nil {
		// Test's own client carries the CA bundle and caps every answer.
		hc, cfg.CABundle = testHTTPClient(t.caBundle, t.timeout), nil
	}
	if cfg.CABundle == nil {
		cfg.HTTPClient = hc
	}
	c, err := jira.New(cfg)
	if err != nil {
		return views.InstanceTest{Problem: "The settings cannot be used.", Hint: "Check the base URL and the CA bundle.", Detail: err.Error()}
	}
	info, err := c.ServerInfo(ctx)
	if err != nil {
		return describeJiraError(err, t)
	}
	me, err := c.Myself(ctx)
	if err != nil {
		return describeJiraError(err, t)
	}
	if problem, hint := notJira(info, me); problem != "" {
		return views.InstanceTest{Problem: problem, Hint: hint}
	}
	res := views.InstanceTest{OK: true, JiraVersion: info.Version, Deployment: info.DeploymentType, ServerTitle: info.ServerTitle,
		DisplayName: me.DisplayName, UserName: me.Name, TimeZone: me.TimeZone}
	if _, err := me.Location(); err != nil {
		res.OK = false
		res.Problem = fmt.Sprintf("Jira reports the sync user's time zone as %q, which this node does not know.", me.TimeZone)
		res.Hint = "Set a standard zone (such as UTC) in the sync user's Jira profile; Airlock writes JQL dates in it."
	}
	return res
}

// describeJiraError turns a failed call into a problem and a hint a Jira administrator can act on.
func describeJiraError(err error, t checkTarget) views.InstanceTest {
	res := views.InstanceTest{Detail: err.Error()}
	var je *jira.Error
	if !errors.As(err, &je) {
		res.Problem = "The test failed."
		return res
	}
	switch {
	case je.Captcha():
		res.Problem = "Jira wants a CAPTCHA for this user: too many failed logins."
		res.Hint = fmt.Sprintf("Log in to Jira once through the browser as %s and answer the CAPTCHA, then test again. "+
			"Until then Jira refuses every password login of this user.", orDash(t.username))
	case je.Status == http.StatusUnauthorized:
		if t.authType == models.AuthPAT {
			res.Problem = "Jira refused the personal access token (401)."
			res.Hint = "Check the token was copied whole and has not expired or been revoked. A token is not a password: choose \"personal access token\"."
		} else {
			res.Problem = "Wrong user name or password: Jira refused the login (401 " + orDash(je.LoginReason) + ")."
			res.Hint = "Check both. After a few failures Jira asks for a CAPTCHA, so do not retry blindly."
		}
	case je.Status == http.StatusForbidden:
		res.Problem = "The sync user may log in but is not allowed to do this (403 no permission)."
		res.Hint = "Give the sync user the Jira permissions it needs (browse, create, edit in the synced projects); ask your Jira administrator. " + je.Message()
	case je.Status == http.StatusNotFound:
		res.Problem = "Nothing answers as Jira at this address (404)."
		res.Hint = "Check the base URL, including the context path such as /jira: it is the address you open Jira at."
	case je.Status >= 200 && je.Status < 300:
		res.Problem, res.Hint = describeBadAnswer(je, t.timeout)
	case je.Status == http.StatusTooManyRequests:
		res.Problem = "Jira is rate limiting this user (429)."
		res.Hint = "Wait a moment and test again; lower \"calls per second\" or ask for a rate-limit exemption for the sync user."
	case je.Status >= 500:
		res.Problem = fmt.Sprintf("Jira answered with an error of its own (%d).", je.Status)
		res.Hint = "Jira may be starting, in maintenance or overloaded. Try again in a few minutes."
	case je.Status > 0:
		res.Problem = fmt.Sprintf("Jira answered %d: %s.", je.Status, orDash(je.Message()))
		res.Hint = "Check the base URL."
	default:
		res.Problem, res.Hint = describeNetError(je.Unwrap(), t)
	}
	return res
}

// describeNetError explains a failure where no HTTP answer arrived: TLS, DNS, refused, timeout.
func describeNetError(err error, t checkTarget) (problem, hint string) {
	var (
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		certInv     x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
		dnsErr      *net.DNSError
	)
	host := t.baseURL
	switch {
	case errors.As(err, &unknownAuth) || (errors.As(err, &verifyErr) && !errors.As(err, &hostErr) && !errors.As(err, &certInv)):
		problem = "The server's TLS certificate is signed by an authority this node does not trust (unknown authority)."
		if t.caBundle != "" {
			hint = "The CA bundle you gave does not cover this certificate: paste the certificate of the authority that signed it (ask your PKI team)."
		} else {
			hint = "Paste your company's CA certificate (PEM) into the CA bundle field under \"TLS and call budget\"."
		}
	case errors.As(err, &hostErr):
		problem = "The server's TLS certificate is not valid for this host name."
		hint = "Use the host name the certificate was issued for (the one you open Jira at in the browser)."
	case errors.As(err, &certInv):
		problem = "The server's TLS certificate is not valid (expired or not for server use)."
		hint = "Ask the Jira administrator to renew the certificate."
	case errors.As(err, &recordErr):
		problem = "The server does not speak TLS at this address."
		hint = "Try http:// instead of https://, or check the port."
	case errors.As(err, &dnsErr):
		problem = "The host name cannot be found (DNS)."
		hint = "Check the spelling of the host in the base URL, and that this node can resolve it (internal DNS, VPN)."
	case errors.Is(err, syscall.ECONNREFUSED):
		problem = "Connection refused: nothing listens at this address and port."
		hint = "Check the host and port of the base URL, and that Jira is running."
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		problem = fmt.Sprintf("No answer within %s (timeout).", t.timeout)
		hint = "A firewall or proxy may drop the connection: check that this node may reach " + host + "."
	case err != nil && strings.Contains(err.Error(), "connection reset"):
		problem = "The connection was reset."
		hint = "A firewall or proxy may be in the way, or the port expects another protocol."
	default:
		problem = "Jira cannot be reached."
		hint = "Check the base URL and that this node may reach it (firewall, proxy)."
	}
	return problem, hint
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// instanceTestForm tests the values of the add/edit form without saving anything. On the edit
// form an empty secret means the stored one.
func (s *Server) instanceTestForm(c echo.Context) error {
	in := readInstanceForm(c)
	in.allow = s.cfg.JiraAllowlist
	var stored *models.Instance
	if id := c.FormValue("id"); id != "" {
		c.SetParamNames("id")
		c.SetParamValues(id)
		inst, err := s.loadInstance(c)
		if err != nil {
			return err
		}
		stored = inst
	}
	in.validate(true)
	in.form.Errors = formLimitErrors(c, in.form.Errors) // an emptied secret must not mean "the stored one"
	// Fields the test does not need do not stop it.
	for _, k := range []string{"name", "role", "max_concurrent", "calls_per_second"} {
		delete(in.form.Errors, k)
	}
	if in.secret == "" && c.FormValue(pendingSecretField) == "" && (stored == nil || len(stored.SecretEnc) == 0) {
		in.form.Errors["secret"] = "Enter the password or token."
	}
	// The stored secret goes only to the target it was saved for; formSecret refuses otherwise.
	var secret string
	if len(in.form.Errors) == 0 {
		secret = s.formSecret(c, &in, stored)
	}
	if len(in.form.Errors) > 0 {
		var parts []string
		for _, k := range []string{"base_url", "auth_type", "username", "secret", "ca_bundle"} {
			if m := in.form.Errors[k]; m != "" {
				parts = append(parts, m)
			}
		}
		return Render(c, http.StatusOK, views.InstanceTestResult(views.InstanceTest{
			Problem: "Fill in the fields the test needs first.", Hint: strings.Join(parts, " ")}))
	}
	res := checkJira(c.Request().Context(), checkTarget{name: in.form.Name, baseURL: in.baseURL, authType: in.form.AuthType,
		username: in.form.Username, secret: secret, caBundle: in.form.CABundle, allow: s.cfg.JiraAllowlist, timeout: s.testTimeout}, nil)
	return Render(c, http.StatusOK, views.InstanceTestResult(res))
}

// instanceTest tests a saved instance and stores the outcome on its row: the zone and version
// on success, the error otherwise. It answers with the refreshed list row.
func (s *Server) instanceTest(c echo.Context) error {
	return s.testSaved(c, false)
}

// instanceResume tests a saved instance; like Test, a pass clears its auth block (the button
// stays on blocked rows because that is where an operator looks for it).
func (s *Server) instanceResume(c echo.Context) error {
	return s.testSaved(c, true)
}

func (s *Server) testSaved(c echo.Context, resume bool) error {
	inst, err := s.loadInstance(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	res := s.checkSaved(ctx, inst)
	now := time.Now().UTC()
	updates := map[string]any{}
	if res.OK {
		updates["last_ok_at"] = now
		updates["last_error"] = ""
		updates["consecutive_errors"] = 0
		updates["time_zone"] = res.TimeZone
		updates["jira_version"] = res.JiraVersion
		res.Saved = true
		// The saved credentials work: the block they caused is over, with or without Resume.
		if inst.AuthBlocked {
			if err := s.db.UnblockInstance(ctx, inst.ID, "credentials tested", now); err != nil {
				return err
			}
			res.Resumed = true
		}
	} else if len(inst.SecretEnc) > 0 {
		updates["last_error"] = "Test connection: " + res.Problem
		updates["last_error_at"] = now
		updates["consecutive_errors"] = inst.ConsecutiveErrors + 1
	}
	if len(updates) > 0 {
		if err := s.db.WithContext(ctx).Model(inst).Updates(updates).Error; err != nil {
			return fmt.Errorf("store test result of %s: %w", inst.Name, err)
		}
		if err := s.db.WithContext(ctx).First(inst, inst.ID).Error; err != nil {
			return fmt.Errorf("reload instance %s: %w", inst.Name, err)
		}
	}
	s.log.Info("instance tested", "instance", inst.Name, "ok", res.OK, "resume", resume, "user", currentUserName(c))
	if !isHTMX(c) {
		kind, msg := views.FlashSuccess, fmt.Sprintf("%s: connected, Jira %s, sync user %s, zone %s.", inst.Name, res.JiraVersion, res.DisplayName, res.TimeZone)
		if res.Resumed {
			msg += " Calls resumed."
		}
		if !res.OK {
			kind, msg = views.FlashError, inst.Name+": "+res.Problem+" "+res.Hint
		}
		s.flash(c, kind, msg)
		return c.Redirect(http.StatusSeeOther, s.url(RouteInstances))
	}
	used, err := s.instanceConnections(ctx)
	if err != nil {
		return err
	}
	item := s.instanceItem(inst, used[inst.ID])
	item.Test = &res
	return Render(c, http.StatusOK, views.InstanceRowView(item))
}

// checkSaved tests a stored instance with its decrypted secret.
func (s *Server) checkSaved(ctx context.Context, inst *models.Instance) views.InstanceTest {
	if len(inst.SecretEnc) == 0 {
		return views.InstanceTest{Problem: "No password or token is stored for this instance.", Hint: "Edit it and enter the sync user's password or token."}
	}
	if s.sealer == nil {
		return views.InstanceTest{Problem: "The stored secret cannot be opened.", Hint: errNoSealer.Error()}
	}
	secret, err := inst.Secret(s.sealer)
	if err != nil {
		return views.InstanceTest{Problem: "The stored secret cannot be opened (was AIRLOCK_SECRET_KEY changed?).", Hint: "Edit the instance and enter the password or token again."}
	}
	return checkJira(ctx, checkTarget{name: inst.Name, baseURL: inst.BaseURL, authType: inst.AuthType, username: inst.Username,
		secret: secret, caBundle: inst.CABundle, allow: s.cfg.JiraAllowlist, timeout: s.testTimeout}, nil)
}

// orDash shows an em dash for an empty value in a message.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
