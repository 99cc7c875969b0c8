package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// PropertyKeys lists the keys of an issue's entity properties.
func (c *Client) PropertyKeys(ctx context.Context, idOrKey string) ([]string, error) {
	var out struct {
		Keys []struct {
			Key string `json:"key"`
		} `json:"keys"`
	}
	if err := c.get(ctx, "/issue/{key}/properties", escape("/issue/%s/properties", idOrKey), nil, &out); err != nil {
		return nil, fmt.Errorf("property keys of %s: %w", idOrKey, err)
	}
	keys := make([]string, 0, len(out.Keys))
	for _, k := range out.Keys {
		keys = append(keys, k.Key)
	}
	return keys, nil
}

// GetProperty returns an entity property's raw JSON value; a missing property is a
// 404 (see IsNotFound).
func (c *Client) GetProperty(ctx context.Context, idOrKey, prop string) (json.RawMessage, error) {
	var out struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := c.get(ctx, "/issue/{key}/properties/{propertyKey}", escape("/issue/%s/properties/%s", idOrKey, prop), nil, &out); err != nil {
		return nil, fmt.Errorf("property %s of %s: %w", prop, idOrKey, err)
	}
	return out.Value, nil
}

// SetProperty creates or replaces an entity property; value is marshalled to JSON
// (json.RawMessage passes through). Jira answers 201 or 200.
func (c *Client) SetProperty(ctx context.Context, idOrKey, prop string, value any) error {
	if err := c.write(ctx, http.MethodPut, "/issue/{key}/properties/{propertyKey}", escape("/issue/%s/properties/%s", idOrKey, prop), nil, value, nil); err != nil {
		return fmt.Errorf("set property %s of %s: %w", prop, idOrKey, err)
	}
	return nil
}

// DeleteProperty deletes an entity property.
func (c *Client) DeleteProperty(ctx context.Context, idOrKey, prop string) error {
	r := request{method: http.MethodDelete, tmpl: "/issue/{key}/properties/{propertyKey}", path: escape("/issue/%s/properties/%s", idOrKey, prop), idempotent: true}
	if err := c.do(ctx, r, nil); err != nil {
		return fmt.Errorf("delete property %s of %s: %w", prop, idOrKey, err)
	}
	return nil
}

// RemoteLinks lists an issue's remote links.
func (c *Client) RemoteLinks(ctx context.Context, idOrKey string) ([]RemoteLink, error) {
	var out []RemoteLink
	if err := c.get(ctx, "/issue/{key}/remotelink", escape("/issue/%s/remotelink", idOrKey), nil, &out); err != nil {
		return nil, fmt.Errorf("remote links of %s: %w", idOrKey, err)
	}
	return out, nil
}

// CreateRemoteLink creates a remote link, or updates the one with the same GlobalID.
func (c *Client) CreateRemoteLink(ctx context.Context, idOrKey string, link RemoteLink) (*RemoteLinkRef, error) {
	body := link
	body.ID, body.Self = 0, ""
	var out RemoteLinkRef
	if err := c.write(ctx, http.MethodPost, "/issue/{key}/remotelink", escape("/issue/%s/remotelink", idOrKey), nil, body, &out); err != nil {
		return nil, fmt.Errorf("create remote link on %s: %w", idOrKey, err)
	}
	return &out, nil
}

// DeleteRemoteLink deletes a remote link by its id.
func (c *Client) DeleteRemoteLink(ctx context.Context, idOrKey string, linkID int64) error {
	r := request{method: http.MethodDelete, tmpl: "/issue/{key}/remotelink/{linkId}",
		path: escape("/issue/%s/remotelink/%s", idOrKey, strconv.FormatInt(linkID, 10)), idempotent: true}
	if err := c.do(ctx, r, nil); err != nil {
		return fmt.Errorf("delete remote link %d of %s: %w", linkID, idOrKey, err)
	}
	return nil
}

// DeleteRemoteLinkByGlobalID deletes the remote link with globalID.
func (c *Client) DeleteRemoteLinkByGlobalID(ctx context.Context, idOrKey, globalID string) error {
	r := request{method: http.MethodDelete, tmpl: "/issue/{key}/remotelink", path: escape("/issue/%s/remotelink", idOrKey),
		query: url.Values{"globalId": {globalID}}, idempotent: true}
	if err := c.do(ctx, r, nil); err != nil {
		return fmt.Errorf("delete remote link %q of %s: %w", globalID, idOrKey, err)
	}
	return nil
}
