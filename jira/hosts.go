package jira

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects bounds same-host redirects (Jira behind a proxy may bounce once or twice).
const maxRedirects = 5

// ErrRedirectRefused is returned (wrapped in a ClassConfig *Error) when Jira answers with a
// redirect to another host, or from https to http: the credentials of one Jira are never sent
// anywhere else, so the client stops instead of following.
var ErrRedirectRefused = errors.New("redirect refused")

// ErrHostNotAllowed is returned by New when BaseURL's host is outside Config.AllowedHosts.
var ErrHostNotAllowed = errors.New("host not in the allowlist")

// HostAllowed reports whether host may be called under the allowlist: an empty list allows every
// host; an entry starting with "." allows the domain and every host below it (".example.com"
// allows example.com and jira.example.com); any other entry must equal the host. Comparison
// ignores case and a trailing dot; ports are not part of the match.
func HostAllowed(host string, allow []string) bool {
	if len(allow) == 0 {
		return true
	}
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	if host == "" {
		return false
	}
	for _, a := range allow {
		a = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(a)), ".")
		switch {
		case a == "" || a == ".":
			continue
		case strings.HasPrefix(a, "."):
			if host == a[1:] || strings.HasSuffix(host, a) {
				return true
			}
		case host == a:
			return true
		}
	}
	return false
}

// checkRedirect is the http.Client redirect policy: follow only to the base URL's host (same
// scheme and port, or the http to https upgrade of the same host name), at most maxRedirects
// times. Anything else stops before a request is sent, so Authorization never reaches another
// host.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: more than %d redirects", ErrRedirectRefused, maxRedirects)
	}
	if c.redirectTargetOK(req.URL) {
		return nil
	}
	return fmt.Errorf("%w: Jira %s sent a redirect to %s; credentials are only sent to the base URL's host (check the base URL)",
		ErrRedirectRefused, c.baseURL.Host, redirectTarget(req.URL))
}

// redirectTargetOK is the same-host test of checkRedirect.
func (c *Client) redirectTargetOK(u *url.URL) bool {
	if c.sameHost(u) {
		return true
	}
	return strings.EqualFold(c.baseURL.Scheme, "http") && strings.EqualFold(u.Scheme, "https") &&
		strings.EqualFold(u.Hostname(), c.baseURL.Hostname())
}

// redirectTarget names a redirect target without its query (which might carry tokens).
func redirectTarget(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// withRedirectPolicy returns a copy of hc whose CheckRedirect is the client's, so a
// caller's shared http.Client is never modified.
func (c *Client) withRedirectPolicy(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = c.checkRedirect
	return &cp
}
