package web

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// instanceInput is the instance form as typed, and its validated values.
type instanceInput struct {
	form   views.InstanceForm
	secret string // never rendered back
	// allow is AIRLOCK_JIRA_ALLOWLIST: the base URL's host must match it (empty: any host).
	allow []string
	// Parsed values, valid when form.Errors is empty.
	baseURL        string
	maxConcurrent  int
	callsPerSecond float64
}

// readInstanceForm reads the instance form fields from the request.
func readInstanceForm(c echo.Context) instanceInput {
	f := views.InstanceForm{
		Name:           strings.TrimSpace(c.FormValue("name")),
		BaseURL:        strings.TrimSpace(c.FormValue("base_url")),
		Role:           strings.TrimSpace(c.FormValue("role")),
		AuthType:       strings.TrimSpace(c.FormValue("auth_type")),
		Username:       strings.TrimSpace(c.FormValue("username")),
		CABundle:       strings.TrimSpace(c.FormValue("ca_bundle")),
		MaxConcurrent:  strings.TrimSpace(c.FormValue("max_concurrent")),
		CallsPerSecond: strings.TrimSpace(c.FormValue("calls_per_second")),
	}
	return instanceInput{form: f, secret: c.FormValue("secret")}
}

// validate checks every field and records an error beside each bad one. hasSecret tells whether
// a secret is already stored (edit: an empty field keeps it).
func (in *instanceInput) validate(hasSecret bool) {
	f := &in.form
	errs := map[string]string{}
	switch {
	case f.Name == "":
		errs["name"] = "Give the instance a name."
	case len(f.Name) > 100:
		errs["name"] = "Use at most 100 characters."
	}
	if u, msg := normalizeBaseURL(f.BaseURL); msg != "" {
		errs["base_url"] = msg
	} else if pu, err := url.Parse(u); err != nil || !jira.HostAllowed(pu.Hostname(), in.allow) {
		errs["base_url"] = "This node may only call the Jira hosts in AIRLOCK_JIRA_ALLOWLIST (" + strings.Join(in.allow, ", ") + ")."
	} else {
		in.baseURL = u
	}
	if f.Role == "" {
		f.Role = models.RolePrivate
	}
	if f.Role != models.RolePrivate && f.Role != models.RoleRelay {
		errs["role"] = "Choose private or relay."
	}
	if f.AuthType == "" {
		f.AuthType = models.AuthBasic
	}
	switch f.AuthType {
	case models.AuthBasic:
		if f.Username == "" {
			errs["username"] = "Enter the Jira login of the sync user."
		}
	case models.AuthPAT:
	default:
		errs["auth_type"] = "Choose password or personal access token."
	}
	if len(f.Username) > 200 {
		errs["username"] = "Use at most 200 characters."
	}
	if in.secret == "" && !hasSecret {
		if f.AuthType == models.AuthPAT {
			errs["secret"] = "Enter the personal access token."
		} else {
			errs["secret"] = "Enter the sync user's password."
		}
	}
	if msg := checkCABundle(f.CABundle); msg != "" {
		errs["ca_bundle"] = msg
	}
	if f.MaxConcurrent == "" {
		f.MaxConcurrent = "8"
	}
	if n, err := strconv.Atoi(f.MaxConcurrent); err != nil || n < 1 || n > 64 {
		errs["max_concurrent"] = "Enter a whole number from 1 to 64."
	} else {
		in.maxConcurrent = n
	}
	if f.CallsPerSecond == "" {
		f.CallsPerSecond = "0"
	}
	if x, err := strconv.ParseFloat(f.CallsPerSecond, 64); err != nil || x < 0 || x > 1000 || x != x {
		errs["calls_per_second"] = "Enter a number from 0 (no ceiling) to 1000."
	} else {
		in.callsPerSecond = x
	}
	f.Errors = errs
}

// normalizeBaseURL checks a Jira base URL (http or https, a host, an optional context path, no
// credentials, query or fragment) and returns it without a trailing slash, or a message.
func normalizeBaseURL(raw string) (string, string) {
	if raw == "" {
		return "", "Enter the address of the Jira, e.g. https://jira.example.com/jira."
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "This is not a valid address."
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", "The address must start with https:// (or http://)."
	case u.Host == "" || u.Hostname() == "":
		return "", "The address has no host name."
	case u.User != nil:
		return "", "Do not put the user name or password in the address; use the fields below."
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", "Remove the part after ? or #: only the base address with its context path is needed."
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	for _, suffix := range []string{"/secure/Dashboard.jspa", "/rest/api/2", "/login.jsp"} {
		if strings.HasSuffix(p, suffix) {
			return "", fmt.Sprintf("Use the base address without %s.", suffix)
		}
	}
	return u.Scheme + "://" + u.Host + p, ""
}

// checkCABundle validates an optional PEM CA bundle: only CERTIFICATE blocks that parse.
func checkCABundle(pemText string) string {
	if pemText == "" {
		return ""
	}
	rest := []byte(pemText)
	n := 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return fmt.Sprintf("The bundle holds a %q block; paste only certificates (never a private key).", b.Type)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Sprintf("Certificate %d cannot be read: %v.", n+1, err)
		}
		n++
	}
	if n == 0 {
		return "No certificate found: paste PEM text starting with -----BEGIN CERTIFICATE-----."
	}
	if strings.TrimSpace(string(rest)) != "" {
		return "There is text after the last certificate that is not PEM."
	}
	return ""
}

// instanceNew shows the empty add form.
func (s *Server) instanceNew(c echo.Context) error {
	f := views.InstanceForm{Role: models.RolePrivate, AuthType: models.AuthBasic, MaxConcurrent: "8", CallsPerSecond: "0"}
	return s.renderInstanceForm(c, http.StatusOK, f)
}

// instanceEdit shows the edit form, without the stored secret.
func (s *Server) instanceEdit(c echo.Context) error {
	inst, err := s.loadInstance(c)
	if err != nil {
		return err
	}
	f := views.InstanceForm{ID: inst.ID, Name: inst.Name, BaseURL: inst.BaseURL, Role: inst.Role, AuthType: inst.AuthType,
		Username: inst.Username, CABundle: inst.CABundle, MaxConcurrent: strconv.Itoa(inst.MaxConcurrent),
		CallsPerSecond: strconv.FormatFloat(inst.CallsPerSecond, 'f', -1, 64), HasSecret: len(inst.SecretEnc) > 0}
	return s.renderInstanceForm(c, http.StatusOK, f)
}

func (s *Server) renderInstanceForm(c echo.Context, status int, f views.InstanceForm) error {
	title := "Add Jira instance"
	if f.ID == 0 {
		f.Action = s.url(RouteInstanceCreate)
	} else {
		f.Action = s.urlID(RouteInstanceUpdate, f.ID)
		title = "Edit " + f.Name
	}
	f.TestURL = s.url(RouteInstanceTestForm)
	f.CancelURL = s.url(RouteInstances)
	return Render(c, status, views.InstanceFormPage(s.page(c, title, RouteInstances), f))
}

// instanceCreate saves a new instance from the form; errors re-render it (422). Settings that
// fail their Test are stored only after the admin confirms ("save anyway").
func (s *Server) instanceCreate(c echo.Context) error {
	in := readInstanceForm(c)
	in.allow = s.cfg.JiraAllowlist
	in.validate(c.FormValue(pendingSecretField) != "")
	in.form.Errors = formLimitErrors(c, in.form.Errors)
	ctx := c.Request().Context()
	if len(in.form.Errors) == 0 {
		if err := s.checkNameFree(ctx, &in.form, 0); err != nil {
			return err
		}
	}
	if len(in.form.Errors) == 0 && s.sealer == nil {
		in.form.Errors["secret"] = "This node has no AIRLOCK_SECRET_KEY, so it cannot store credentials. Set it and restart."
	}
	secret := s.formSecret(c, &in, nil)
	if len(in.form.Errors) > 0 {
		return s.renderInstanceForm(c, http.StatusUnprocessableEntity, in.form)
	}
	test, ok := s.testBeforeSave(c, &in, secret)
	if !ok {
		return s.renderInstanceForm(c, http.StatusUnprocessableEntity, in.form)
	}
	inst := &models.Instance{}
	in.apply(inst)
	if err := inst.SetSecret(s.sealer, secret); err != nil {
		return fmt.Errorf("create instance: %w", err)
	}
	tested(inst, test)
	if err := s.db.WithContext(ctx).Create(inst).Error; err != nil {
		return fmt.Errorf("create instance %q: %w", inst.Name, err)
	}
	s.log.Info("instance added", "instance", inst.Name, "url", inst.BaseURL, "tested", test != nil && test.OK, "user", currentUserName(c))
	msg := fmt.Sprintf("Saved %s. Press Test to check the connection and read the sync user's time zone.", inst.Name)
	if test != nil && test.OK {
		msg = fmt.Sprintf("Saved %s: connected, sync user %s, zone %s.", inst.Name, test.DisplayName, test.TimeZone)
	}
	s.flash(c, views.FlashSuccess, msg)
	return c.Redirect(http.StatusSeeOther, s.url(RouteInstances))
}

// instanceUpdate saves the edit form. An empty secret keeps the stored one only while the form
// still aims at the scheme, host, port and login type it was saved for; a rename re-seals it,
// since the name is the secret's associated data. New access settings are tested first.
func (s *Server) instanceUpdate(c echo.Context) error {
	inst, err := s.loadInstance(c)
	if err != nil {
		return err
	}
	in := readInstanceForm(c)
	in.allow = s.cfg.JiraAllowlist
	in.form.ID = inst.ID
	in.form.HasSecret = len(inst.SecretEnc) > 0
	in.form.SavedTarget = savedTarget(inst)
	in.validate(in.form.HasSecret || c.FormValue(pendingSecretField) != "")
	in.form.Errors = formLimitErrors(c, in.form.Errors)
	ctx := c.Request().Context()
	if len(in.form.Errors) == 0 {
		if err := s.checkNameFree(ctx, &in.form, inst.ID); err != nil {
			return err
		}
	}
	if len(in.form.Errors) == 0 && s.sealer == nil && (in.secret != "" || in.form.Name != inst.Name) {
		in.form.Errors["secret"] = "This node has no AIRLOCK_SECRET_KEY, so it cannot store credentials. Set it and restart."
	}
	secret := s.formSecret(c, &in, inst)
	if len(in.form.Errors) > 0 {
		return s.renderInstanceForm(c, http.StatusUnprocessableEntity, in.form)
	}
	changedAccess := in.baseURL != inst.BaseURL || in.form.Username != inst.Username || in.form.AuthType != inst.AuthType ||
		in.form.CABundle != inst.CABundle || in.secret != "" || c.FormValue(pendingSecretField) != ""
	var test *views.InstanceTest
	if changedAccess {
		var ok bool
		if test, ok = s.testBeforeSave(c, &in, secret); !ok {
			return s.renderInstanceForm(c, http.StatusUnprocessableEntity, in.form)
		}
	}
	oldURL, wasBlocked := inst.BaseURL, inst.AuthBlocked
	in.apply(inst)
	if secret != "" {
		if err := inst.SetSecret(s.sealer, secret); err != nil {
			return fmt.Errorf("update instance: %w", err)
		}
	}
	if changedAccess {
		// New address or credentials: the old health and zone say nothing about them.
		inst.LastOKAt, inst.LastError, inst.LastErrorAt, inst.ConsecutiveErrors = nil, "", nil, 0
		tested(inst, test)
	}
	if err := s.db.WithContext(ctx).Save(inst).Error; err != nil {
		return fmt.Errorf("update instance %q: %w", inst.Name, err)
	}
	if oldURL != inst.BaseURL {
		s.log.Warn("instance address changed", "instance", inst.Name, "old_url", oldURL, "new_url", inst.BaseURL, "user", currentUserName(c))
	}
	s.log.Info("instance changed", "instance", inst.Name, "user", currentUserName(c))
	msg := fmt.Sprintf("Saved %s.", inst.Name)
	switch {
	case test != nil && test.OK && wasBlocked:
		if err := s.db.UnblockInstance(ctx, inst.ID, "credentials fixed", time.Now()); err != nil {
			return err
		}
		msg += " The test passed, so calls to this Jira are resumed."
	case test != nil && test.OK:
		msg += " The test passed."
	case changedAccess:
		msg += " Press Test to check the new settings."
	}
	s.flash(c, views.FlashSuccess, msg)
	return c.Redirect(http.StatusSeeOther, s.url(RouteInstances))
}

// formSecret is the secret a validated form stands for: the typed one, the sealed one of a save
// waiting for confirmation, or the stored one of inst while the form aims at the target it was
// saved for. It never hands out the stored secret for another target: that is a form error.
func (s *Server) formSecret(c echo.Context, in *instanceInput, inst *models.Instance) string {
	if in.secret != "" || len(in.form.Errors) > 0 {
		return in.secret
	}
	if raw := c.FormValue(pendingSecretField); raw != "" {
		if p := openPending(s.sealer, raw, sessionCSRF(c), in.baseURL, in.form.AuthType, in.form.Username); p != "" {
			in.form.PendingSecret = raw
			return p
		}
		in.form.Errors["secret"] = "The address, login type or user changed since your last attempt: type the password or token again."
		return ""
	}
	if inst == nil || len(inst.SecretEnc) == 0 {
		return ""
	}
	if !storedSecretFits(inst, in.baseURL, in.form.AuthType) {
		in.form.Errors["secret"] = "The stored password or token is only sent to " + savedTarget(inst) +
			". For a new scheme, host, port or login type, type it again."
		return ""
	}
	if s.sealer == nil {
		return ""
	}
	secret, err := inst.Secret(s.sealer)
	if err != nil {
		in.form.Errors["secret"] = "The stored secret cannot be opened (was AIRLOCK_SECRET_KEY changed?). Enter it again."
	}
	return secret
}

// testBeforeSave runs Test on the settings about to be saved. A failure re-arms the form with the
// result and a "save anyway" choice (and the typed secret sealed, so nothing is typed twice);
// ok is false until the admin confirms.
func (s *Server) testBeforeSave(c echo.Context, in *instanceInput, secret string) (res *views.InstanceTest, ok bool) {
	if c.FormValue("save_anyway") != "" {
		return nil, true
	}
	r := checkJira(c.Request().Context(), checkTarget{name: in.form.Name, baseURL: in.baseURL, authType: in.form.AuthType,
		username: in.form.Username, secret: secret, caBundle: in.form.CABundle, allow: s.cfg.JiraAllowlist, timeout: s.testTimeout}, nil)
	if r.OK {
		return &r, true
	}
	in.form.Test, in.form.ConfirmSave = &r, true
	if in.form.PendingSecret == "" && in.secret != "" {
		in.form.PendingSecret = sealPending(s.sealer, in.secret, sessionCSRF(c), in.baseURL, in.form.AuthType, in.form.Username)
	}
	in.form.Errors["test"] = r.Problem
	return &r, false
}

// tested stores a passed Test's findings on the instance being saved.
func tested(inst *models.Instance, t *views.InstanceTest) {
	if t == nil || !t.OK {
		return
	}
	now := time.Now().UTC()
	inst.LastOKAt, inst.TimeZone, inst.JiraVersion = &now, t.TimeZone, t.JiraVersion
}

// savedTarget names where an instance's stored secret may be sent, for messages.
func savedTarget(inst *models.Instance) string {
	if u, err := url.Parse(inst.BaseURL); err == nil && u.Host != "" {
		return u.Scheme + "://" + u.Host
	}
	return inst.BaseURL
}

// apply copies the validated form onto inst (not the secret).
func (in *instanceInput) apply(inst *models.Instance) {
	inst.Name = in.form.Name
	inst.BaseURL = in.baseURL
	inst.Role = in.form.Role
	inst.AuthType = in.form.AuthType
	inst.Username = in.form.Username
	inst.CABundle = in.form.CABundle
	inst.MaxConcurrent = in.maxConcurrent
	inst.CallsPerSecond = in.callsPerSecond
}

// checkNameFree adds a name error when another instance has that name (case-insensitively).
func (s *Server) checkNameFree(ctx context.Context, f *views.InstanceForm, self uint) error {
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.Instance{}).Where("LOWER(name) = LOWER(?) AND id <> ?", f.Name, self).Count(&n).Error; err != nil {
		return fmt.Errorf("check instance name: %w", err)
	}
	if n > 0 {
		f.Errors["name"] = "Another instance already has this name."
	}
	return nil
}

// currentUserName is the logged-in user's name for logs.
func currentUserName(c echo.Context) string {
	if u := currentUser(c); u != nil {
		return u.Username
	}
	return ""
}

// errNoSealer is returned when credentials are needed but the node has no secret key.
var errNoSealer = errors.New("this node has no AIRLOCK_SECRET_KEY, so it cannot open stored credentials")
