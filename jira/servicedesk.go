package jira

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Jira Service Management's own REST API (/rest/servicedeskapi), beside the platform API: the
// service desks, their request types and organizations (for the mapping editor), and request
// comments created public or internal.

const serviceDeskPrefix = "/rest/servicedeskapi"

// ServiceDesk is one service desk (a service project).
type ServiceDesk struct {
	ID          string `json:"id"`
	ProjectID   string `json:"projectId"`
	ProjectKey  string `json:"projectKey"`
	ProjectName string `json:"projectName"`
}

// RequestType is one request type of a service desk.
type RequestType struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	ServiceDeskID string `json:"serviceDeskId"`
}

// Organization is a JSM customer organization.
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// SDDate is JSM's DateDTO.
type SDDate struct {
	ISO8601     string `json:"iso8601"`
	Jira        string `json:"jira"`
	Friendly    string `json:"friendly"`
	EpochMillis int64  `json:"epochMillis"`
}

// RequestComment is a comment as /rest/servicedeskapi shows it: Public false is an internal note.
type RequestComment struct {
	ID     string `json:"id"`
	Body   string `json:"body"`
	Public bool   `json:"public"`
	Author *struct {
		Name        string `json:"name"`
		Key         string `json:"key"`
		DisplayName string `json:"displayName"`
	} `json:"author"`
	Created SDDate `json:"created"`
}

// sdPage is JSM's paged DTO.
type sdPage[T any] struct {
	Size       int  `json:"size"`
	Start      int  `json:"start"`
	IsLastPage bool `json:"isLastPage"`
	Values     []T  `json:"values"`
}

func (c *Client) sdRequest(method, tmpl, path string, in any) (request, error) {
	r, err := jsonRequest(method, serviceDeskPrefix+tmpl, path, in)
	r.abs = c.base + serviceDeskPrefix + path
	return r, err
}

// sdAll reads every page of a JSM list (start advances by what came back; stops on isLastPage).
func sdAll[T any](ctx context.Context, c *Client, tmpl, path string) ([]T, error) {
	var out []T
	for start := 0; ; {
		r, _ := c.sdRequest(http.MethodGet, tmpl, path, nil)
		r.abs += "?" + url.Values{"start": {strconv.Itoa(start)}}.Encode()
		var pg sdPage[T]
		if err := c.do(ctx, r, &pg); err != nil {
			return out, err
		}
		out = append(out, pg.Values...)
		if pg.IsLastPage || len(pg.Values) == 0 {
			return out, nil
		}
		start += len(pg.Values)
	}
}

// ServiceDesks lists the service desks the user sees.
func (c *Client) ServiceDesks(ctx context.Context) ([]ServiceDesk, error) {
	out, err := sdAll[ServiceDesk](ctx, c, "/servicedesk", "/servicedesk")
	if err != nil {
		return nil, fmt.Errorf("service desks: %w", err)
	}
	return out, nil
}

// RequestTypes lists a service desk's request types (the values of Customer Request Type).
func (c *Client) RequestTypes(ctx context.Context, serviceDeskID string) ([]RequestType, error) {
	out, err := sdAll[RequestType](ctx, c, "/servicedesk/{id}/requesttype", escape("/servicedesk/%s/requesttype", serviceDeskID))
	if err != nil {
		return nil, fmt.Errorf("request types of service desk %s: %w", serviceDeskID, err)
	}
	return out, nil
}

// Organizations lists the JSM organizations (the values of the Organizations field).
func (c *Client) Organizations(ctx context.Context) ([]Organization, error) {
	out, err := sdAll[Organization](ctx, c, "/organization", "/organization")
	if err != nil {
		return nil, fmt.Errorf("organizations: %w", err)
	}
	return out, nil
}

// AddRequestComment adds a public or internal comment to a service project's request. Jira
// marks an internal one with the sd.public.comment property (read it with expand=properties).
func (c *Client) AddRequestComment(ctx context.Context, idOrKey, body string, public bool) (*RequestComment, error) {
	r, err := c.sdRequest(http.MethodPost, "/request/{key}/comment", escape("/request/%s/comment", idOrKey),
		map[string]any{"body": body, "public": public})
	if err != nil {
		return nil, err
	}
	var out RequestComment
	if err := c.do(ctx, r, &out); err != nil {
		return nil, fmt.Errorf("add request comment to %s: %w", idOrKey, err)
	}
	return &out, nil
}

// RequestComments lists a request's comments with their public flag.
func (c *Client) RequestComments(ctx context.Context, idOrKey string) ([]RequestComment, error) {
	out, err := sdAll[RequestComment](ctx, c, "/request/{key}/comment", escape("/request/%s/comment", idOrKey))
	if err != nil {
		return nil, fmt.Errorf("request comments of %s: %w", idOrKey, err)
	}
	return out, nil
}

// CommentPropertyKeys lists the keys of a comment's entity properties.
func (c *Client) CommentPropertyKeys(ctx context.Context, commentID string) ([]string, error) {
	var out struct {
		Keys []struct {
			Key string `json:"key"`
		} `json:"keys"`
	}
	if err := c.get(ctx, "/comment/{id}/properties", escape("/comment/%s/properties", commentID), nil, &out); err != nil {
		return nil, fmt.Errorf("property keys of comment %s: %w", commentID, err)
	}
	keys := make([]string, 0, len(out.Keys))
	for _, k := range out.Keys {
		keys = append(keys, k.Key)
	}
	return keys, nil
}
