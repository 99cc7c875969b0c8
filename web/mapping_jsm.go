package web

import (
	"context"
	"strings"

	"github.com/airlock-sync/airlock/jira"
)

// serviceDeskMeta is what the mapping editor reads of Jira Service Management's own API for the
// value maps of its fields; *jira.Client implements it. Jira's create and edit screens list no
// values for Customer Request Type or Organizations (JSM fills them from its own tables).
type serviceDeskMeta interface {
	ServiceDesks(ctx context.Context) ([]jira.ServiceDesk, error)
	RequestTypes(ctx context.Context, serviceDeskID string) ([]jira.RequestType, error)
	Organizations(ctx context.Context) ([]jira.Organization, error)
}

// loadServiceDeskValues adds, as the values (sideMeta.Options) of the side's Customer Request
// Type and Organizations fields, the request types of the project's service desk and the
// organizations, so their value maps are pre-filled by name like a select's. A project that is no
// service desk, or a Jira without JSM, adds nothing.
func loadServiceDeskValues(ctx context.Context, j metaJira, project string, m *sideMeta) error {
	var rtFields, orgFields []string
	for _, f := range m.Fields {
		if f.Schema == nil {
			continue
		}
		switch f.Schema.Custom {
		case jsmRequestType:
			rtFields = append(rtFields, f.ID)
		case jsmOrganizations:
			orgFields = append(orgFields, f.ID)
		}
	}
	sd, ok := j.(serviceDeskMeta)
	if !ok || len(rtFields)+len(orgFields) == 0 || project == "" {
		return nil
	}
	desks, err := sd.ServiceDesks(ctx)
	switch {
	case jira.IsNotFound(err):
		return nil
	case err != nil:
		return err
	}
	desk := ""
	for _, d := range desks {
		if strings.EqualFold(d.ProjectKey, project) {
			desk = d.ID
		}
	}
	if desk == "" {
		return nil
	}
	if len(rtFields) > 0 {
		rts, err := sd.RequestTypes(ctx, desk)
		if err != nil {
			return err
		}
		for _, id := range rtFields {
			for _, rt := range rts {
				m.Options[id] = appendUnique(m.Options[id], rt.Name)
			}
		}
	}
	if len(orgFields) > 0 {
		orgs, err := sd.Organizations(ctx)
		if err != nil {
			return err
		}
		for _, id := range orgFields {
			for _, o := range orgs {
				m.Options[id] = appendUnique(m.Options[id], o.Name)
			}
		}
	}
	return nil
}
