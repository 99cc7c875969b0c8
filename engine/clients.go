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
	secret := ""
	if len(inst.SecretEnc) > 0 {
		if p.Sealer == nil {
			return nil, configError("instance %s: no secret key to open its credentials", inst.Name)
		}
		s, err := inst.Secret(p.Sealer)
		if err != nil {
			return nil, &ClassedError{Class: models.ClassConfig, Message: err.Error()}
		}
		secret = s
	}
	cfg := jira.Config{BaseURL: inst.BaseURL, Instance: inst.Name, MaxConcurrent: inst.MaxConcurrent,
		Observer: p.Observer, UserAgent: "airlock", AllowedHosts: p.AllowedHosts}
	if inst.AuthType == models.AuthPAT {
		cfg.Auth = jira.TokenAuth{Token: secret}
	} else {
		cfg.Auth = jira.BasicAuth{User: inst.Username, Password: secret}
	}
	if inst.CABundle != "" {
		cfg.CABundle = []byte(inst.CABundle)
	} else {
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
