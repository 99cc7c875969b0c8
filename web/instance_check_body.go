package web

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/airlock-sync/airlock/jira"
)

// maxTestBody caps what Test connection reads of one answer: serverInfo and myself are a few
// hundred bytes, so anything near this is not Jira (or is hostile).
const maxTestBody = 1 << 20

// errTestBodyTooLarge is the read error of an answer over maxTestBody.
var errTestBodyTooLarge = fmt.Errorf("answer larger than %d KiB", maxTestBody>>10)

// testHTTPClient is Test connection's own client: transport timeouts, the form's CA bundle, and
// every answer body capped at maxTestBody, so a test can neither hang past its deadline nor fill
// the node's memory.
func testHTTPClient(caPEM string, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = timeout
	tr.TLSHandshakeTimeout = timeout
	if caPEM != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		pool.AppendCertsFromPEM([]byte(caPEM)) // checked by the form (checkCABundle)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: cappedTransport{tr}}
}

type cappedTransport struct{ base http.RoundTripper }

func (t cappedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body, left: maxTestBody}
	return resp, nil
}

type cappedBody struct {
	io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errTestBodyTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left+1] // one byte more tells "exactly the cap" from "over it"
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, errTestBodyTooLarge
	}
	return n, err
}

// describeBadAnswer explains a 2xx answer that could not be read as Jira's JSON: too large, too
// slow, cut off, nested too deep, a web page, or JSON of another shape.
func describeBadAnswer(je *jira.Error, timeout time.Duration) (problem, hint string) {
	cause := je.Unwrap()
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	where := je.Template
	switch {
	case errors.Is(cause, errTestBodyTooLarge) || strings.Contains(msg, "too large"):
		return fmt.Sprintf("The answer to %s is too large (over %d KiB): Jira's answer is a few hundred bytes.", where, maxTestBody>>10),
			"Check the base URL: something other than Jira answers there, or a proxy is sending something else."
	case errors.Is(cause, context.DeadlineExceeded) || isTimeout(cause):
		return fmt.Sprintf("The answer to %s started but did not finish within %s: too slow.", where, timeout),
			"A proxy or a struggling Jira is sending the answer very slowly. Check the network path to Jira and Jira's load, then test again."
	case strings.Contains(msg, "exceeded max depth"):
		return fmt.Sprintf("The answer to %s is JSON nested too deeply to be Jira's.", where),
			"Check the base URL: this is not Jira's REST API, or something in between rewrites the answer."
	case strings.HasPrefix(strings.TrimSpace(je.Body), "<") || strings.Contains(msg, "HTML page"):
		return "The address answered with a web page, not with Jira's REST API.",
			"Check the base URL. A login page, proxy or single sign-on page may be in the way."
	case errors.Is(cause, io.ErrUnexpectedEOF) || strings.Contains(msg, "unexpected end of JSON input") || strings.Contains(msg, "read body"):
		return fmt.Sprintf("The answer to %s was cut off (truncated JSON).", where),
			"The connection broke mid-answer or a proxy truncates it. Test again; if it persists, check proxies and load balancers between this node and Jira."
	case errors.As(cause, &syn) || errors.As(cause, &typ):
		return fmt.Sprintf("The answer to %s is not Jira's JSON (%s).", where, msg),
			"Check the base URL: something other than Jira answers there."
	}
	return fmt.Sprintf("The answer to %s cannot be read (%s).", where, msg), "Check the base URL."
}

// notJira checks that serverInfo and myself have Jira's shape; an empty object or another API's
// JSON is not a Jira, whatever its status code.
func notJira(info *jira.ServerInfo, me *jira.User) (problem, hint string) {
	hint = "Check the base URL: this server answers Jira's REST paths, but not as Jira does (a mock, a gateway or another product)."
	switch {
	case info == nil || info.Version == "" || (len(info.VersionNumbers) == 0 && info.BuildNumber == 0 && info.DeploymentType == ""):
		return "The address answered /rest/api/2/serverInfo, but not with Jira's server information (no version).", hint
	case me == nil || (me.Name == "" && me.Key == "" && me.Self == ""):
		return "The address answered /rest/api/2/myself, but not with a Jira user (no name or key).", hint
	}
	return "", ""
}
