package web

import (
	"encoding/base64"
	"net"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
)

// secretTarget is what a stored secret is bound to: the scheme, host and port it may be sent to,
// and the way it is sent. A secret saved for one target is never sent to another; moving an
// instance means typing its password or token again.
func secretTarget(baseURL, authType string) string {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port) + " " + authType
}

// storedSecretFits reports whether inst's stored secret may be used for a form aimed at baseURL
// with authType.
func storedSecretFits(inst *models.Instance, baseURL, authType string) bool {
	t := secretTarget(baseURL, authType)
	return inst != nil && len(inst.SecretEnc) > 0 && t != "" && t == secretTarget(inst.BaseURL, inst.AuthType)
}

// Typed but unsaved secrets (a save that failed its Test and waits for "save anyway") travel
// back in the form sealed with the node key, bound to the session and to the target they were
// typed for: the page never holds them in clear, and they open for nothing else.
const pendingSecretField = "secret_pending"

// sessionCSRF is the session's CSRF token: a per-session secret the sealed value is bound to.
func sessionCSRF(c echo.Context) string {
	if sess := currentSession(c); sess != nil {
		return sess.CSRFToken
	}
	return ""
}

func pendingAAD(csrf, baseURL, authType, username string) []byte {
	return []byte("airlock:pending-secret:" + csrf + "\x00" + secretTarget(baseURL, authType) + "\x00" + username)
}

func sealPending(s *models.Sealer, secret, csrf, baseURL, authType, username string) string {
	if s == nil || secret == "" {
		return ""
	}
	b, err := s.Seal([]byte(secret), pendingAAD(csrf, baseURL, authType, username))
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// openPending returns the secret sealed by sealPending, or "" when it is absent or was sealed for
// another session or target.
func openPending(s *models.Sealer, sealed, csrf, baseURL, authType, username string) string {
	if s == nil || sealed == "" {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return ""
	}
	p, err := s.Open(b, pendingAAD(csrf, baseURL, authType, username))
	if err != nil {
		return ""
	}
	return string(p)
}
