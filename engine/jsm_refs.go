package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/airlock-sync/airlock/jira"
)

// serviceDeskJira is what the engine reads of Jira Service Management's own API to write
// request types and organizations by name; *jira.Client implements it. A client without it
// (or a Jira without JSM) gets the names written as they are, and Jira answers for them.
type serviceDeskJira interface {
	ServiceDesks(ctx context.Context) ([]jira.ServiceDesk, error)
	RequestTypes(ctx context.Context, serviceDeskID string) ([]jira.RequestType, error)
	Organizations(ctx context.Context) ([]jira.Organization, error)
}

// refsFor returns WriteMeta.Refs for the request type and organizations fields the plan
// writes to dst: per target field id, what Jira takes for each name. Request types are those of
// dst's service desk, written by id (JSM DC takes "<portal key>/<request type key>" or the id,
// Cloud the id; the servicedeskapi lists only the id). Organizations are written by id. A
// project without a service desk gets nil (the names go as they are, for instance into a text
// field). Not cached: these fields are written only when their value changed, and a request
// type or organization added since is found at once.
func (e *Engine) refsFor(ctx context.Context, p *Pair, values map[string]string, dst *Side) (map[string]map[string]json.RawMessage, error) {
	var rtFields, orgFields []string
	for i := range p.Rules.Fields {
		f := &p.Rules.Fields[i]
		if _, ok := values[f.Name]; !ok {
			continue
		}
		switch f.Kind {
		case KindRequestType:
			rtFields = append(rtFields, f.fieldID(dst.Name))
		case KindOrganizations:
			orgFields = append(orgFields, f.fieldID(dst.Name))
		}
	}
	sd, ok := dst.Jira.(serviceDeskJira)
	if !ok || len(rtFields)+len(orgFields) == 0 {
		return nil, nil
	}
	desks, err := sd.ServiceDesks(ctx)
	switch {
	case jira.IsNotFound(err):
		return nil, nil // no Jira Service Management on this instance
	case err != nil:
		return nil, fmt.Errorf("read the service desks of %s: %w", dst.Instance.Name, err)
	}
	desk := ""
	for _, d := range desks {
		if strings.EqualFold(d.ProjectKey, dst.Project) {
			desk = d.ID
		}
	}
	if desk == "" {
		return nil, nil
	}
	out := map[string]map[string]json.RawMessage{}
	if len(rtFields) > 0 {
		rts, err := sd.RequestTypes(ctx, desk)
		if err != nil {
			return nil, fmt.Errorf("read the request types of %s: %w", dst.Project, err)
		}
		m := map[string]json.RawMessage{}
		for _, rt := range rts {
			m[rt.Name], _ = json.Marshal(rt.ID)
		}
		for _, id := range rtFields {
			out[id] = m
		}
	}
	if len(orgFields) > 0 {
		orgs, err := sd.Organizations(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the organizations of %s: %w", dst.Instance.Name, err)
		}
		m := map[string]json.RawMessage{}
		for _, o := range orgs {
			if n, err := strconv.ParseInt(o.ID, 10, 64); err == nil {
				m[o.Name], _ = json.Marshal(n) // Jira documents organization ids as numbers
			} else {
				m[o.Name], _ = json.Marshal(o.ID)
			}
		}
		for _, id := range orgFields {
			out[id] = m
		}
	}
	return out, nil
}
