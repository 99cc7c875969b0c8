// Package jira is a thin, typed client for the Jira Server / Data Center REST API v2.
//
// It covers the endpoints Airlock's sync engine, console and benchmarks need (about
// twenty), keeps issue fields as raw JSON so no value is lost in transit, and owns
// the transport rules that every caller would otherwise get wrong: pre-emptive auth
// (basic or PAT as Bearer), an optional CA bundle, the XSRF header on writes, a
// per-client concurrency cap, proactive pacing from Jira DC's rate-limit headers,
// Retry-After on 429/503, jittered backoff for idempotent calls only, and the
// 401/CAPTCHA stop rule (after an authentication failure the client sends nothing
// more until Reset).
//
// Every failure is an *Error carrying a Class (Transient, RateLimited, Auth, Config,
// Data) so workers can decide between retrying, waiting and quarantining without
// parsing messages. Credentials never appear in errors, and every HTTP call is
// counted per instance, endpoint template and status (Stats, Config.Observer).
package jira
