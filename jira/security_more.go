package jira

import (
	"context"
	"fmt"
)

// SecurityLevel is an issue security level (the security field's value, and an entry of
// GET /project/{key}/securitylevel).
type SecurityLevel struct {
	Self        string `json:"self,omitempty"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// SecurityLevels lists the levels of a project's issue security scheme that the caller
// belongs to (GET /project/{key}/securitylevel: {"levels":[...]}); none for a project without
// a scheme.
func (c *Client) SecurityLevels(ctx context.Context, projectIDOrKey string) ([]SecurityLevel, error) {
	var out struct {
		Levels []SecurityLevel `json:"levels"`
	}
	if err := c.get(ctx, "/project/{key}/securitylevel", escape("/project/%s/securitylevel", projectIDOrKey), nil, &out); err != nil {
		return nil, fmt.Errorf("security levels of %s: %w", projectIDOrKey, err)
	}
	return out.Levels, nil
}
