package engine

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// ClientPool implements Clients: one *jira.Client per instance, shared by every task of the
// process so its concurrency cap and pacing hold; rebuilt when the instance row changes (new
// credentials, or an operator cleared an auth block).
type ClientPool struct {
	// Sealer opens the stored credentials.
	Sealer *models.Sealer
	// HTTPClient is optional (tests); with a CA bundle the client builds its own.
	HTTPClient *http.Client
	// Observer, when set, sees every HTTP call (metrics).
	Observer func(jira.Call)
	// Configure, when set, adjusts each client's configuration before it is built (tests: fast
	// retries).
	Configure func(*jira.Config)
	// AllowedHosts, when not empty, is AIRLOCK_JIRA_ALLOWLIST: an instance whose base URL is on
	// another host gets no client (a config error), so its credentials are never sent.
	AllowedHosts []string
	// Limits bound each client's answers (AIRLOCK_JIRA_MAX_BODY and the body deadlines).
	Limits jira.Limits

	mu sync.Mutex
	m  map[uint]pooled
}

type pooled struct {
	client  *jira.Client
	version time.Time
	base    string
}

// For returns the client of inst.
func (p *ClientPool) For(_ context.Context, inst *models.Instance) (Jira, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.m[inst.ID]; ok && c.version.Equal(inst.UpdatedAt) && c.base == inst.BaseURL {
		return c.client, nil
	}
	cfg, err := InstanceConfig(inst, p.Sealer)
	if err != nil {
		return nil, err
	}
	cfg.Observer, cfg.UserAgent, cfg.AllowedHosts, cfg.Limits = p.Observer, "airlock", p.AllowedHosts, p.Limits
	if cfg.CABundle == nil {
		cfg.HTTPClient = p.HTTPClient
	}
	if p.Configure != nil {
		p.Configure(&cfg)
	}
	c, err := jira.New(cfg)
	if err != nil {
		return nil, &ClassedError{Class: models.ClassConfig, Message: fmt.Sprintf("instance %s: %v", inst.Name, err)}
	}
	if p.m == nil {
		p.m = map[uint]pooled{}
	}
	p.m[inst.ID] = pooled{client: c, version: inst.UpdatedAt, base: inst.BaseURL}
	return c, nil
}

// InstanceConfig is the client configuration of a stored instance: its address, its concurrency
// cap, and its credentials opened with sealer. Callers add what is theirs (observer, retries).
func InstanceConfig(inst *models.Instance, sealer *models.Sealer) (jira.Config, error) {
	secret := ""
	if len(inst.SecretEnc) > 0 {
		if sealer == nil {
			return jira.Config{}, configError("instance %s: no secret key to open its credentials", inst.Name)
		}
		s, err := inst.Secret(sealer)
		if err != nil {
			return jira.Config{}, &ClassedError{Class: models.ClassConfig, Message: err.Error()}
		}
		secret = s
	}
	cfg := ConfigFor(inst.Name, inst.BaseURL, inst.AuthType, inst.Username, secret, inst.CABundle)
	cfg.MaxConcurrent = inst.MaxConcurrent
	return cfg, nil
}

// ConfigFor builds a client configuration from plain settings (the console's test of an unsaved
// form uses it directly): basic auth, or a personal access token as Bearer, and a CA bundle.
func ConfigFor(name, baseURL, authType, username, secret, caBundle string) jira.Config {
	cfg := jira.Config{BaseURL: baseURL, Instance: name}
	if authType == models.AuthPAT {
		cfg.Auth = jira.TokenAuth{Token: secret}
	} else {
		cfg.Auth = jira.BasicAuth{User: username, Password: secret}
	}
	if caBundle != "" {
		cfg.CABundle = []byte(caBundle)
	}
	return cfg
}
